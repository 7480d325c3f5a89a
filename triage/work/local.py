"""A small supervised pool of worker processes, one pipe each.

Why not ``concurrent.futures.ProcessPoolExecutor``: one worker dying (a
parser segfaulting on a hostile file, the kernel's OOM killer) marks that
whole pool broken and loses every unit in flight. Here each worker has its
own pipe and a tiny shared mark (unit, item, start time), so the parent knows
exactly which unit a dead or hung worker was on: it starts a replacement,
retries that unit item by item to isolate the culprit, and after
``MAX_ATTEMPTS`` deaths on the same item records it (stage ``worker``) and
goes on with everything else.

Each worker is sent its next unit before it finishes the current one
(``AHEAD`` units queued in its pipe), so it never idles while the parent
writes the previous results: that gap cost a quarter of each worker's time
on small files. A unit queued behind one a worker died on is not to blame:
it goes back to the queue as it was.

Each worker's address space is limited (``RLIMIT_AS``, by default a share of
the machine's memory: :func:`default_memory_limit`), so a hostile file's
runaway allocation fails in its worker instead of exhausting the host.

Workers start from a fork server (``forkserver``): never a fork of the parent,
which holds the case database connection and TSK handles, and a replacement
starts in milliseconds because the heavy imports are preloaded once.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

from triage.work.cpu import default_workers  # noqa: F401  (its former home: an alias for one release)
from triage.work.gcpace import unit_collection
from triage.work.units import UnitResult, WorkUnit, failed_outcome, split_unit
from triage.records import ScanError
from triage.scan.engine import ScanOptions

log = logging.getLogger(__name__)

#: deaths (or timeouts) of a single item before it is recorded and skipped
MAX_ATTEMPTS = 2
#: default time one item may take before its worker is killed, plus ...
DEFAULT_ITEM_TIMEOUT_S = 600.0
#: ... one more second per this many bytes of the item (big files take longer)
TIMEOUT_BYTES_PER_S = 1024 * 1024
#: how often the supervisor looks at the clock when nothing arrives
POLL_S = 0.5
#: units sent to a worker beyond the one it is on ...
AHEAD = 1
#: ... when they are this small once pickled: a pipe holds them without
#: blocking the parent while the worker is busy (a larger one waits)
AHEAD_MAX_BYTES = 32 * 1024
#: the share of the machine's memory the workers may take between them; the rest is the
#: parent's (the walk, the writer, SQLite's page cache), the operating system's and other scans'
WORKER_MEMORY_SHARE = 0.75
#: but never less than this per worker: a worker's address space holds the interpreter, the
#: compiled rules and patterns, libmagic, a file held in memory (32 MiB) and YARA's window,
#: about 300 MiB of it mapped on the bench; below this an ordinary file would fail
WORKER_MEMORY_FLOOR = 2 * 1024 * 1024 * 1024
_PRELOAD = ["triage.work.runtime", "triage.scan.engine", "triage.scan.ranges", "triage.evidence.walk",
            "triage.evidence.containers", "triage.extractors.manager"]

Done = Callable[[UnitResult], None]


def _worker_main(conn: Connection, mark: Any, options: ScanOptions, compiled: Any, memory_limit: int | None) -> None:
    """Worker loop: receive a unit, scan it, send the result; None ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if memory_limit:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:  # a lower limit set by the lab (ulimit -v) stays
            memory_limit = min(memory_limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, hard))
    from triage.work.runtime import run_unit, worker_state

    worker_state().engine(options, compiled)  # load rules and plugins before the first deadline runs

    while True:
        try:
            unit = conn.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if unit is None:
            return

        def set_mark(i: int, _uid: int = unit.uid) -> None:
            mark[0] = _uid
            mark[1] = i
            mark[2] = time.monotonic()

        with unit_collection():
            try:
                msg: tuple[str, Any] = ("ok", run_unit(unit, options, compiled, set_mark))
            except Exception as exc:  # a bug, not bad data: retried like a crash
                msg = ("fail", f"worker error: {type(exc).__name__}: {exc}")
            mark[2] = 0.0
            try:
                conn.send(msg)
            except (EOFError, OSError, BrokenPipeError):
                return
            del msg  # the result goes before the collection, not after


@dataclass
class _Slot:
    proc: Any
    conn: Connection
    mark: Any
    #: units sent, in the order the worker runs them; the first is the one it is on
    inflight: deque[tuple[WorkUnit, Done]] = field(default_factory=deque)

    @property
    def unit(self) -> WorkUnit | None:
        return self.inflight[0][0] if self.inflight else None


class LocalPool:
    """``workers`` supervised processes running :func:`triage.work.runtime.run_unit`.

    :meth:`submit` queues a unit and returns once the queue has room (it
    runs completed units' ``done`` callbacks meanwhile, in the caller's
    thread: the callbacks are where the single writer writes). :meth:`wait`
    returns when every submitted unit is done.
    """

    def __init__(self, workers: int, options: ScanOptions, compiled: Any = None,
                 item_timeout: float = DEFAULT_ITEM_TIMEOUT_S, memory_limit: int | None = None,
                 max_pending: int | None = None) -> None:
        self.workers = max(1, workers)
        self.options = options
        self.compiled = compiled
        self.item_timeout = item_timeout
        self.memory_limit = memory_limit
        self.max_pending = max_pending or self.workers
        self.ctx = mp.get_context("forkserver")
        # the shipped plugins too when they will run (the fork server starts once per
        # process: the first pool's choice holds for the later ones)
        self.ctx.set_forkserver_preload(_PRELOAD + (["triage.extractors.preload"] if options.plugins else []))
        self.pending: deque[tuple[WorkUnit, Done]] = deque()
        self.slots: list[_Slot] = [self._start() for _ in range(self.workers)]
        self._uid = 0
        self.deaths = 0
        self._last_encoded: tuple[WorkUnit | None, bytes] = (None, b"")

    # -- public ----------------------------------------------------------------
    def next_uid(self) -> int:
        self._uid += 1
        return self._uid

    def submit(self, unit: WorkUnit, done: Done) -> None:
        self.pending.append((unit, done))
        self._dispatch()
        while len(self.pending) >= self.max_pending:
            self._poll(POLL_S)

    def wait(self) -> None:
        while self.pending or any(s.unit is not None for s in self.slots):
            self._poll(POLL_S)

    def close(self) -> None:
        for s in self.slots:
            try:
                s.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
        deadline = time.monotonic() + 5
        for s in self.slots:
            s.proc.join(max(0.0, deadline - time.monotonic()))
            if s.proc.is_alive():
                s.proc.kill()
                s.proc.join(1)
            s.conn.close()
        self.slots = []

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- supervision -------------------------------------------------------------
    def _start(self) -> _Slot:
        parent_conn, child_conn = self.ctx.Pipe(duplex=True)
        mark = self.ctx.RawArray("d", 3)
        proc = self.ctx.Process(target=_worker_main, name="triage-worker",
                                args=(child_conn, mark, self.options, self.compiled, self.memory_limit),
                                daemon=True)
        proc.start()
        child_conn.close()
        return _Slot(proc, parent_conn, mark)

    def _dispatch(self) -> None:
        # idle workers first, then one unit ahead for each busy one
        for depth in range(AHEAD + 1):
            for s in self.slots:
                if not self.pending:
                    return
                if len(s.inflight) != depth:
                    continue
                unit, done = self.pending[0]
                data = self._encoded(unit)
                if depth and len(data) > AHEAD_MAX_BYTES:
                    continue
                self.pending.popleft()
                if not depth:
                    s.mark[0], s.mark[1], s.mark[2] = unit.uid, 0, 0.0
                try:
                    s.conn.send_bytes(data)
                except (OSError, BrokenPipeError):
                    # died: keep the unit; a busy worker's death is handled by _poll
                    self.pending.appendleft((unit, done))
                    if not depth:
                        self._replace(s)
                    continue
                s.inflight.append((unit, done))

    def _encoded(self, unit: WorkUnit) -> bytes:
        """The unit pickled (remembered: a unit too large to send ahead is asked for again)."""
        if self._last_encoded[0] is not unit:
            self._last_encoded = (unit, bytes(ForkingPickler.dumps(unit)))
        return self._last_encoded[1]

    def _poll(self, timeout: float) -> None:
        busy = [s for s in self.slots if s.unit is not None]
        if not busy:
            self._dispatch()
            return
        handles: list[Any] = [s.conn for s in busy] + [s.proc.sentinel for s in busy]
        ready = set(wait(handles, timeout))
        completed: list[tuple[Done, UnitResult]] = []
        for s in busy:
            if s.conn in ready:
                try:
                    kind, payload = s.conn.recv()
                except (EOFError, OSError):
                    self._died(s, self._death_cause(s))
                    continue
                unit, done = s.inflight.popleft()
                if kind == "ok":
                    completed.append((done, payload))
                else:
                    self._retry(unit, done, str(payload))
            elif s.proc.sentinel in ready:
                self._died(s, self._death_cause(s))
            else:
                self._check_deadline(s)
        # keep the workers busy before the parent spends time writing
        self._dispatch()
        if completed:
            with unit_collection():  # the parent's share: unpickled results, written
                for done, result in completed:
                    done(result)
                completed.clear()
                del done, result

    def _check_deadline(self, s: _Slot) -> None:
        started = s.mark[2]
        unit = s.unit
        if unit is None or not started or int(s.mark[0]) != unit.uid:
            return
        idx = int(s.mark[1])
        size = unit.items[idx].size if idx < len(unit.items) else unit.nbytes
        limit = self.item_timeout + size / TIMEOUT_BYTES_PER_S
        if time.monotonic() - started > limit:
            s.proc.kill()
            s.proc.join(5)
            self._died(s, f"timeout after {round(limit)}s")

    def _death_cause(self, s: _Slot) -> str:
        s.proc.join(5)
        code = s.proc.exitcode
        if code is None:
            s.proc.kill()
            s.proc.join(5)
            return "worker stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = " (out of memory?)" if name == "SIGKILL" else ""
            return f"worker died with signal {name}{hint}"
        return f"worker exited with code {code}"

    def _replace(self, s: _Slot) -> None:
        try:
            s.conn.close()
        except OSError:
            pass
        if s.proc.is_alive():
            s.proc.kill()
        s.proc.join(5)
        fresh = self._start()
        s.proc, s.conn, s.mark = fresh.proc, fresh.conn, fresh.mark
        s.inflight = deque()

    def _died(self, s: _Slot, cause: str) -> None:
        lost = list(s.inflight)
        self.deaths += 1
        log.warning("worker %s: %s (unit %s)", s.proc.pid, cause, lost[0][0].uid if lost else "-")
        self._replace(s)
        # units queued behind the one it died on were never started: back to the queue as they were
        for queued in reversed(lost[1:]):
            self.pending.appendleft(queued)
        if lost:
            self._retry(lost[0][0], lost[0][1], cause)

    def _retry(self, unit: WorkUnit, done: Done, cause: str) -> None:
        """Split a failed unit into single items; give up on a single item after MAX_ATTEMPTS."""
        parts, final = retry_parts(unit, self._uid + 1, cause)
        self._uid += len(parts)
        if final is not None:
            done(final)
            return
        for part in reversed(parts):
            self.pending.appendleft((part, done))


def retry_parts(unit: WorkUnit, first_uid: int, cause: str) -> tuple[list[WorkUnit], UnitResult | None]:
    """A unit whose worker died or hung: its parts (uids from ``first_uid``) and, when it
    is a lone item out of attempts, the result that records it instead of running it again.

    One rule for the local pool and the dask executor, so both isolate a culprit alike.
    """
    parts = split_unit(unit, first_uid)
    if len(parts) == 1 and parts[0].attempt >= MAX_ATTEMPTS:
        return parts, give_up(parts[0], cause)
    return parts, None


def give_up(unit: WorkUnit, cause: str) -> UnitResult:
    """The result recorded for a unit no worker survives: its file, or its range, with the cause."""
    result = UnitResult(unit, failure=cause)
    for item in unit.items:
        result.outcomes.append(failed_outcome(item, unit.volume_addr, cause))
    for start, _length in unit.ranges:
        result.errors.append(ScanError("worker", cause, volume_addr=unit.volume_addr,
                                       offset=start - unit.volume_offset))
    return result


def physical_memory() -> int | None:
    """Bytes of memory this process may use: the machine's, or its cgroup's limit when lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return total if total > 0 else None


def default_memory_limit(workers: int, total: int | None = None) -> int | None:
    """Address-space limit (bytes) for each of ``workers`` local workers, from the machine's memory.

    Why on by default: without it, one hostile file (a decompression bomb, a
    parser's runaway allocation) grows its worker until the kernel's OOM
    killer picks a victim, which may be the parent, another examiner's scan
    or the lab server's own services. With it, the allocation fails inside
    that worker: a ``MemoryError`` recorded as the file's error, or the
    worker's death, which the pool records (stage ``worker``) and replaces.
    The workers share :data:`WORKER_MEMORY_SHARE` of the memory; each gets at
    least :data:`WORKER_MEMORY_FLOOR`. None when the memory cannot be read.
    """
    total = physical_memory() if total is None else total
    if not total:
        return None
    return max(WORKER_MEMORY_FLOOR, int(total * WORKER_MEMORY_SHARE) // max(1, workers))

