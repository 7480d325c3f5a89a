"""The same work units on a dask.distributed cluster.

Only the client walks and writes: case databases never leave the machine
that runs ``triage batch``. Workers read the evidence from shared storage
(the same path on every worker), so a unit is a few kilobytes of entry
metadata, and one huge image spreads across the cluster file range by file
range. In-flight futures are bounded (``as_completed`` + a cap), so the
client's memory does not grow with the size of the evidence.

Crash isolation comes from dask itself: a worker that dies is restarted by
its nanny and the task is retried; after the scheduler's
``allowed-failures`` the future fails with ``KilledWorker``, and the unit is
split item by item exactly as the local pool does, so the culprit file ends
up recorded (stage ``worker``) and the rest of the item is scanned. The
parts run one at a time (see ``_next_suspect``).

A unit that hangs (a native parser looping on hostile data) would never
finish, so the client does not block on ``as_completed``: it polls. Each task
signals (a dask event) when its scan starts, after the worker has loaded
rules and plugins, so units queued behind others have no clock running; a
unit running past the local pool's deadline (``item_timeout`` plus one second
per MiB) has its worker restarted through the nanny and fails the same way,
recorded as ``timeout after Ns``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import tempfile
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from triage.work.local import DEFAULT_ITEM_TIMEOUT_S, TIMEOUT_BYTES_PER_S, retry_parts
from triage.work.runtime import scan_unit, worker_state
from triage.work.units import UnitResult, WorkUnit
from triage.scan.engine import ScanOptions
from triage.text import one_line

log = logging.getLogger(__name__)

Done = Callable[[UnitResult], None]

#: how long the client sleeps when no result is ready before it looks at the clock again
POLL_S = 0.2
#: how often it asks the scheduler which tasks each worker holds (one round trip)
PROCESSING_POLL_S = 0.5
#: how long it waits for a finished unit's result before it looks at the clock again
RESULT_WAIT_S = 10.0
#: how long a nanny gets to restart a hung worker
RESTART_TIMEOUT_S = 60.0


@dataclass
class PortableRules:
    """Compiled YARA rules that travel as bytes: a worker machine has no copy of the client's cache.

    ``load`` writes the bytes once per worker into its temp folder (named
    by content hash) and loads them like ``CompiledRules.load``.
    """

    compiled: Any
    data: bytes
    digest: str

    @classmethod
    def wrap(cls, compiled: Any) -> PortableRules | None:
        if compiled is None:
            return None
        data = Path(compiled.path).read_bytes()
        return cls(compiled, data, hashlib.sha256(data).hexdigest())

    def load(self, **kw: Any) -> Any:
        local = Path(tempfile.gettempdir()) / f"triage-rules-{self.digest}.yarc"
        if not local.exists():
            tmp = local.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(self.data)
            os.replace(tmp, local)
        return replace(self.compiled, path=local).load(**kw)

    def __getattr__(self, name: str) -> Any:  # sources, rule_count ... as the wrapped object
        if name in ("compiled", "data", "digest"):
            raise AttributeError(name)
        return getattr(self.compiled, name)


class DaskExecutor:
    """Runs units on the cluster at ``address``; ``done`` callbacks run in the client's thread.

    A unit that runs past ``item_timeout`` plus one second per
    ``TIMEOUT_BYTES_PER_S`` of its bytes (the local pool's rule) gets its
    worker restarted through the nanny and is handled like a unit whose
    worker died: split item by item, and a single item that keeps timing out
    is recorded (stage ``worker``, ``timeout after Ns``).
    """

    def __init__(self, address: str, options: ScanOptions, compiled: Any = None,
                 max_in_flight: int | None = None, client: Any = None,
                 item_timeout: float = DEFAULT_ITEM_TIMEOUT_S) -> None:
        from distributed import Client, as_completed

        self.client = client or Client(address, timeout="30s")
        self._own_client = client is None
        threads = sum(self.client.nthreads().values()) or 1
        self.max_in_flight = max_in_flight or 2 * threads
        self.options = options
        self.item_timeout = item_timeout
        self._token = os.urandom(4).hex()
        self._options_f, self._rules_f = self._share(options, PortableRules.wrap(compiled))
        self._ac = as_completed()
        self._inflight: dict[str, tuple[Any, WorkUnit, Done]] = {}
        #: key -> (worker, monotonic time its scan started there), for the units running now
        self._running: dict[str, tuple[str, float]] = {}
        #: (key, worker, when) of scans that started, filled by the client's event thread
        self._started: queue.SimpleQueue[tuple[str, str, float]] = queue.SimpleQueue()
        self._topic = f"triage-started-{self._token}"
        self.client.subscribe_topic(self._topic, self._on_started)
        self._polled = 0.0
        self._uid = 0
        #: the parts of units whose worker died or hung, run one at a time (see _next_suspect)
        self._suspects: deque[tuple[WorkUnit, Done]] = deque()
        self._suspect_key: str | None = None

    def next_uid(self) -> int:
        self._uid += 1
        return self._uid

    def submit(self, unit: WorkUnit, done: Done) -> None:
        self._send(unit, done)
        while len(self._inflight) >= self.max_in_flight:
            self._take_one()

    def _send(self, unit: WorkUnit, done: Done) -> str:
        key = f"triage-unit-{self._token}-{unit.uid}-{unit.attempt}"
        fut = self.client.submit(_scan_task, unit.evidence_path, unit.volume_offset, unit, self._options_f,
                                 self._rules_f, key, self._topic, key=key, pure=False)
        self._inflight[key] = (fut, unit, done)
        self._ac.add(fut)
        return key

    def _next_suspect(self) -> None:
        """Send the next suspect once the one before it has finished.

        The scheduler counts a worker's death against every task it had
        placed there, the ones queued behind the running task too. Suspects
        sent all at once were queued behind the culprit and blamed with it: an
        innocent file could end up recorded as "worker died" and not scanned.
        One at a time, a suspect is killed only by its own bytes.
        """
        if self._suspect_key is not None and self._suspect_key in self._inflight:
            return
        self._suspect_key = None
        if self._suspects:
            self._suspect_key = self._send(*self._suspects.popleft())

    def wait(self) -> None:
        while True:
            self._next_suspect()
            if not self._inflight:
                return
            self._take_one()

    def close(self) -> None:
        try:
            self.client.unsubscribe_topic(self._topic)
        except Exception as exc:  # the connection is gone already: nothing left to unsubscribe
            log.debug("unsubscribe: %s", one_line(exc))
        if self._own_client:
            self.client.close()

    # -- collecting ----------------------------------------------------------------
    def _take_one(self) -> None:
        """Handle one finished future or one batch of timed-out units.

        Never blocks on the cluster for long: a unit stuck in a native parser
        never finishes, and a result waited for could be queued behind it, so
        the clock is checked between short waits.
        """
        while True:
            if self._ac.has_ready():
                fut = next(self._ac)
                key = str(fut.key)
                if key not in self._inflight:  # timed out and forgotten: whatever it became no longer matters
                    fut.release()
                    continue
                outcome = self._outcome(fut)
                if outcome is None:  # lost with a worker: the scheduler computes it again
                    self._ac.add(fut)
                    continue
                _, unit, done = self._inflight.pop(key)
                self._running.pop(key, None)
                fut.release()
                if isinstance(outcome, UnitResult):
                    done(outcome)
                else:
                    self._failed(unit, done, outcome)
                self._next_suspect()
                return
            if self._time_out():
                return
            time.sleep(POLL_S)

    @staticmethod
    def _outcome(fut: Any) -> UnitResult | str | None:
        """The unit's result, the cause of its failure, or None when it is being computed again.

        A result lost with its worker after the task finished is computed
        again, perhaps behind a hung unit: waiting for it without a limit
        would stop the clocks that free that worker.
        """
        if fut.status == "finished":
            try:
                return cast(UnitResult, fut.result(timeout=RESULT_WAIT_S))
            except TimeoutError:
                if not fut.done():
                    return None
            except Exception as exc:
                return _cause(exc)
            try:
                return cast(UnitResult, fut.result())  # there, only slow to arrive
            except Exception as exc:
                return _cause(exc)
        if not fut.done():
            return None
        if fut.status == "cancelled":  # not by this client: it forgets what it cancels
            return "worker error: the cluster cancelled the task"
        return _cause(fut.exception())

    def _failed(self, unit: WorkUnit, done: Done, cause: str) -> None:
        """A unit whose worker died or hung: split item by item; a lone item gives up after MAX_ATTEMPTS."""
        parts, final = retry_parts(unit, self._uid + 1, cause)
        self._uid += len(parts)
        if final is not None:
            done(final)
            return
        log.warning("unit %s failed on the cluster (%s): retrying item by item", unit.uid, cause)
        self._suspects.extend((part, done) for part in parts)
        self._next_suspect()

    # -- deadlines -----------------------------------------------------------------
    def _on_started(self, event: tuple[float, Any]) -> None:
        """A task's scan started (rules and plugins loaded, inputs fetched): its clock starts now."""
        msg = event[1]
        if isinstance(msg, dict) and "key" in msg and "worker" in msg:
            self._started.put((str(msg["key"]), str(msg["worker"]), time.monotonic()))

    def _watch(self, force: bool = False) -> None:
        """Clocks of the units running now: from their start signals, kept while the scheduler agrees.

        A unit merely queued (on the scheduler or behind a busy worker thread)
        has no clock. A unit whose worker died is dropped until it starts again
        elsewhere, so a crash is never mistaken for a hang. The scheduler is
        asked (``Client.processing``) at most every ``PROCESSING_POLL_S``.
        """
        while True:
            try:
                key, worker, when = self._started.get_nowait()
            except queue.Empty:
                break
            if key in self._inflight:
                self._running[key] = (worker, when)
        now = time.monotonic()
        if not self._running or (not force and now - self._polled < PROCESSING_POLL_S):
            return
        self._polled = now
        try:
            processing = self.client.processing()
        except Exception as exc:  # a slow scheduler: try again at the next poll
            log.debug("cannot ask the scheduler what is running: %s", one_line(exc))
            return
        held = {(str(w), str(k)) for w, keys in processing.items() for k in keys}
        self._running = {k: (w, t) for k, (w, t) in self._running.items() if (w, k) in held}

    def _limit(self, unit: WorkUnit) -> float:
        return self.item_timeout + unit.nbytes / TIMEOUT_BYTES_PER_S

    def _late(self) -> dict[str, list[tuple[str, float]]]:
        """worker -> [(key, limit)] of the units running past their deadline."""
        now = time.monotonic()
        late: dict[str, list[tuple[str, float]]] = {}
        for key, (worker, started) in self._running.items():
            fut, unit, _ = self._inflight[key]
            limit = self._limit(unit)
            if now - started > limit and not fut.done():
                late.setdefault(worker, []).append((key, limit))
        return late

    def _time_out(self) -> bool:
        """Restart the workers of units past their deadline and fail those units; True if there were any."""
        self._watch()
        if not self._late():
            return False
        self._watch(force=True)  # still there, right now?
        late = self._late()
        if not late:
            return False
        timed_out: list[tuple[WorkUnit, Done, float]] = []
        for worker, keys in late.items():
            for key, limit in keys:
                fut, unit, done = self._inflight.pop(key)
                del self._running[key]
                log.warning("unit %s has run on %s for more than %.0fs: restarting that worker", unit.uid,
                            worker, limit)
                fut.cancel()
                fut.release()
                timed_out.append((unit, done, limit))
        self._forgotten(late)
        self._restart(list(late))
        # anything else that ran there was killed with it: it starts again (and signals again) elsewhere
        self._running = {k: v for k, v in self._running.items() if v[0] not in late}
        for unit, done, limit in timed_out:
            self._failed(unit, done, f"timeout after {round(limit)}s")
        return True

    def _forgotten(self, late: dict[str, list[tuple[str, float]]], wait_s: float = 5.0) -> None:
        """Wait until the scheduler has dropped the cancelled tasks.

        The cancel travels on the client's message stream, the restart on its
        own connection: a restart that overtook it would send the hung task
        to another worker, which would then hang on it out of sight.
        """
        keys = {key for pairs in late.values() for key, _ in pairs}
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                left = {str(k) for ks in self.client.processing(list(late)).values() for k in ks}
            except Exception:  # a worker already gone: nothing of it can be rescheduled
                return
            if not left & keys:
                return
            time.sleep(0.05)

    def _restart(self, workers: list[str]) -> None:
        """Restart hung workers through their nannies (a Python thread cannot be stopped from outside)."""
        restart = getattr(self.client, "restart_workers", None)
        try:
            if restart is None:
                raise NotImplementedError("this version of distributed has no Client.restart_workers")
            restart(workers, timeout=RESTART_TIMEOUT_S)
        except Exception as exc:
            log.warning("could not restart %s (%s): a thread stays busy there until the task ends",
                        ", ".join(workers), one_line(exc))

    # -- inputs every task shares ----------------------------------------------------
    def _share(self, options: ScanOptions, rules: PortableRules | None) -> tuple[Any, Any]:
        """The options and rules as tasks every unit depends on: sent once, not with every unit.

        Not ``scatter``: the scheduler's memory manager soon keeps a single
        copy of scattered data, and a worker dying (or restarted after a
        hang) with it would lose it for good, cancelling every unit. A task's
        result is recomputed elsewhere from the task itself.
        """
        with warnings.catch_warnings():  # large rule sets make a "large graph": sent once, on purpose
            warnings.simplefilter("ignore", UserWarning)
            options_f = self.client.submit(_shared, options, key=f"triage-options-{self._token}", pure=False)
            rules_f = (self.client.submit(_shared, rules, key=f"triage-rules-{self._token}", pure=False)
                       if rules is not None else None)
        return options_f, rules_f


def _shared(value: Any) -> Any:
    """The task behind a shared input: it is its own argument."""
    return value


def _scan_task(evidence_path: str, volume_offset: int, unit: WorkUnit, options: ScanOptions, compiled: Any,
               key: str, topic: str) -> UnitResult:
    """The dask task: loads the engine, tells the client the unit's clock starts, scans.

    Loading rules and plugins first keeps a fresh worker's start-up out of
    the deadline, as the local pool does.
    """
    from distributed import get_worker

    worker_state().engine(options, compiled)
    try:
        get_worker().log_event(topic, {"key": key})  # the scheduler adds the worker's address
    except Exception as exc:  # run outside a worker: nobody is timing it
        log.debug("no start signal for %s: %s", key, one_line(exc))
    return scan_unit(evidence_path, volume_offset, unit, options, compiled)


def _cause(exc: BaseException | None) -> str:
    name = type(exc).__name__ if exc is not None else "unknown"
    if name == "KilledWorker":
        return "worker died (dask KilledWorker: the task killed every worker it ran on)"
    text = str(exc).strip().splitlines() if exc is not None else []
    return f"worker error: {name}: {text[0] if text else ''}"
