"""The worker runtime: what runs a work unit, wherever it runs (this process, a pool worker, a dask worker).

A worker keeps its caches here (one engine per option set, opened evidence,
open file systems), reopens each file by meta address and reads the stream
the walk saw, and hands the bytes to the engine; raw units go to
:func:`triage.scan.ranges.scan_raw_ranges`. Nothing here imports the
pipeline that makes the units: the arrow runs one way.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from triage.records import FileResult, ScanError
from triage.scan.engine import FileOutcome, ScanEngine, ScanOptions, engine_parts
from triage.scan.ranges import scan_raw_ranges
from triage.text import one_line
from triage.work.units import UnitResult, WorkItem, WorkUnit, failed_outcome

if TYPE_CHECKING:
    import pytsk3

#: opened evidence items kept per worker (each holds a few file handles)
EVIDENCE_CACHE_MAX = 4
#: open file systems kept per worker, over all its evidence (a hostile partition table may list
#: thousands of volumes: each open file system holds TSK's caches)
FS_CACHE_MAX = 16
#: a companion file (SQLite -wal) larger than this is not copied out
COMPANION_MAX_BYTES = 256 * 1024 * 1024


def sibling_reader(fs: pytsk3.FS_Info, directory: str) -> Callable[[str], bytes | None]:
    """Reads a file beside the one being scanned (a database's -wal), bounded; None when absent or too large."""
    def read(name: str) -> bytes | None:
        path = f"{directory.rstrip('/')}/{name}"
        try:
            f = fs.open(path)
        except Exception:
            return None
        size = int(f.info.meta.size) if f.info.meta is not None else 0
        if size <= 0 or size > COMPANION_MAX_BYTES:
            return None
        return bytes(f.read_random(0, size))

    return read


class _WorkerState:
    """Per-process caches: one engine per option set, opened evidence, open file systems."""

    def __init__(self) -> None:
        self.engines: dict[str, ScanEngine] = {}
        self.opened: OrderedDict[str, Any] = OrderedDict()
        self.fs: OrderedDict[tuple[str, int], Any] = OrderedDict()

    def engine(self, options: ScanOptions, compiled: Any) -> ScanEngine:
        key = json.dumps(options.as_dict(), sort_keys=True, default=str) + "|" + str(
            getattr(compiled, "path", None))
        eng = self.engines.get(key)
        if eng is None:
            eng = ScanEngine(options, compiled, engine_parts(options))  # the worker opens its own
            self.engines[key] = eng
        return eng

    def evidence(self, path: str) -> Any:
        from triage.evidence.containers import open_evidence

        opened = self.opened.get(path)
        if opened is None:
            opened = open_evidence(path)
            self.opened[path] = opened
            while len(self.opened) > EVIDENCE_CACHE_MAX:
                old, handle = self.opened.popitem(last=False)
                for k in [k for k in self.fs if k[0] == old]:
                    del self.fs[k]
                handle.close()
        else:
            self.opened.move_to_end(path)
        return opened

    def file_system(self, path: str, offset: int) -> Any:
        from triage.evidence.volumes import open_fs

        opened = self.evidence(path)
        fs = self.fs.get((path, offset))
        if fs is None:
            fs = open_fs(opened.img, offset)
            self.fs[(path, offset)] = fs
            while len(self.fs) > FS_CACHE_MAX:
                self.fs.popitem(last=False)
        else:
            self.fs.move_to_end((path, offset))
        return fs


_STATE: _WorkerState | None = None


def worker_state() -> _WorkerState:
    global _STATE
    if _STATE is None:
        _STATE = _WorkerState()
    return _STATE


def _item_chunks(fs: Any, item: WorkItem) -> Iterator[bytes]:
    """The stream's bytes, read the way the walk's StreamReader would have."""
    from triage.evidence.walk import READ_CHUNK_BYTES, StreamReader

    f = fs.open_meta(inode=item.entry.inode)
    return StreamReader(f, item.size, item.attr_type, item.attr_id).chunks(READ_CHUNK_BYTES)


def _reopen_failed(item: WorkItem, volume_addr: int, exc: BaseException) -> FileOutcome:
    err = ScanError("read", f"cannot reopen by meta address {item.entry.inode}: {one_line(exc)}",
                    item.entry.path, volume_addr)
    return FileOutcome(FileResult(entry=item.entry, volume_addr=volume_addr, errors=(err,)))


def run_unit(unit: WorkUnit, options: ScanOptions, compiled: Any, mark: Any = None,
             engine: ScanEngine | None = None) -> UnitResult:
    """Scan one unit in this process; never raises for bad evidence data.

    ``mark(i)`` (when given) is called before item ``i`` starts, so a
    supervisor can time each item and knows which one a crash was on.
    ``engine`` is the caller's own, when the unit runs where it was made.
    """
    state = worker_state()
    engine = engine or state.engine(options, compiled)
    result = UnitResult(unit)
    try:
        fs = state.file_system(unit.evidence_path, unit.volume_offset) if unit.items else None
    except Exception as exc:
        msg = f"worker cannot open the file system at {unit.volume_offset}: {one_line(exc)}"
        for item in unit.items:
            result.outcomes.append(failed_outcome(item, unit.volume_addr, msg))
        fs = None
    if fs is not None:
        for i, item in enumerate(unit.items):
            if mark is not None:
                mark(i)
            if item.size <= 0:
                result.outcomes.append(engine.process(item.entry, unit.volume_addr, iter(())))
                continue
            try:
                chunks = _item_chunks(fs, item)
            except Exception as exc:
                result.outcomes.append(_reopen_failed(item, unit.volume_addr, exc))
                continue
            parent_dir = item.entry.path.rsplit("/", 1)[0] or "/"
            result.outcomes.append(
                engine.process(item.entry, unit.volume_addr, chunks, sibling_reader(fs, parent_dir)))
    if unit.ranges:
        if mark is not None:
            mark(len(unit.items))
        opened = state.evidence(unit.evidence_path)
        result.artefacts, result.errors = scan_raw_ranges(opened.img, engine, unit.volume_addr,
                                                          unit.volume_offset, list(unit.ranges),
                                                          unit.lead, unit.tail)
    return result


def scan_unit(evidence_path: str, volume_offset: int, unit: WorkUnit, options: ScanOptions,
              compiled: Any) -> UnitResult:
    """The dask task: top-level and picklable; evidence is read from shared storage.

    ``evidence_path`` and ``volume_offset`` repeat what the unit holds so a
    task graph shows where its work lies.
    """
    assert unit.evidence_path == evidence_path and unit.volume_offset == volume_offset
    return run_unit(unit, options, compiled)
