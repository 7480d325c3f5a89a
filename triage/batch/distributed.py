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
up recorded (stage ``worker``) and the rest of the item is scanned.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from triage.batch.local import MAX_ATTEMPTS, give_up
from triage.batch.units import UnitResult, WorkUnit, scan_unit, split_unit
from triage.scan.engine import ScanOptions

log = logging.getLogger(__name__)

Done = Callable[[UnitResult], None]


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
    """Runs units on the cluster at ``address``; ``done`` callbacks run in the client's thread."""

    def __init__(self, address: str, options: ScanOptions, compiled: Any = None,
                 max_in_flight: int | None = None, client: Any = None) -> None:
        from distributed import Client, as_completed

        self.client = client or Client(address, timeout="30s")
        self._own_client = client is None
        threads = sum(self.client.nthreads().values()) or 1
        self.max_in_flight = max_in_flight or 2 * threads
        self.options = options
        portable = PortableRules.wrap(compiled)
        # shipped once per worker instead of with every task
        [self._options_f] = self.client.scatter([options], broadcast=True, hash=False)
        self._rules_f = self.client.scatter(portable, broadcast=True, hash=False) if portable else None
        self._ac = as_completed()
        self._inflight: dict[str, tuple[Any, WorkUnit, Done]] = {}
        self._uid = 0
        self._token = os.urandom(4).hex()

    def next_uid(self) -> int:
        self._uid += 1
        return self._uid

    def submit(self, unit: WorkUnit, done: Done) -> None:
        fut = self.client.submit(scan_unit, unit.evidence_path, unit.volume_offset, unit, self._options_f,
                                 self._rules_f, key=f"triage-unit-{self._token}-{unit.uid}-{unit.attempt}",
                                 pure=False)
        self._inflight[str(fut.key)] = (fut, unit, done)
        self._ac.add(fut)
        while len(self._inflight) >= self.max_in_flight:
            self._take_one()

    def wait(self) -> None:
        while self._inflight:
            self._take_one()

    def _take_one(self) -> None:
        fut = next(self._ac)
        _, unit, done = self._inflight.pop(str(fut.key))
        if fut.status == "finished":
            result = fut.result()
            fut.release()
            done(result)
            return
        exc = fut.exception()
        fut.release()
        cause = _cause(exc)
        parts = split_unit(unit, self._uid + 1)
        self._uid += len(parts)
        if len(parts) == 1 and parts[0].attempt >= MAX_ATTEMPTS:
            done(give_up(parts[0], cause))
            return
        log.warning("unit %s failed on the cluster (%s): retrying item by item", unit.uid, cause)
        for part in parts:
            self.submit(part, done)

    def close(self) -> None:
        if self._own_client:
            self.client.close()


def _cause(exc: BaseException | None) -> str:
    name = type(exc).__name__ if exc is not None else "unknown"
    if name == "KilledWorker":
        return "worker died (dask KilledWorker: the task killed every worker it ran on)"
    text = str(exc).strip().splitlines() if exc is not None else []
    return f"worker error: {name}: {text[0] if text else ''}"
