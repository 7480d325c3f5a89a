"""Work units: what crosses from the walking parent to the reading workers.

The parent walks each file system with The Sleuth Kit, but pytsk3 objects
cannot cross a process (or machine) boundary. So a unit names its files the
way ``icat`` does: evidence path, volume offset, meta address, attribute
type and id. A worker opens the evidence itself (once, cached), reopens each
file by meta address and reads exactly the stream the walk saw. Everything
here is plain, picklable data; the same units run in the local supervised
pool (:mod:`triage.batch.local`) and on a dask cluster
(:mod:`triage.batch.distributed`), which is what makes both give the same
case database.
"""

from __future__ import annotations

import json
import logging
import os
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from triage.batch.gcpace import unit_collection
from triage.records import Artefact, Entry, FileResult, ScanError
from triage.text import one_line
from triage.scan.engine import FileOutcome, ScanEngine, ScanOptions

log = logging.getLogger(__name__)

#: a unit holds at most this many files ...
UNIT_MAX_ENTRIES = 64
#: ... or this many bytes of file content, whichever comes first: small
#: enough that a retry after a crash is cheap, large enough that the
#: per-unit overhead (a pickle each way) is lost in the reading
UNIT_MAX_BYTES = 64 * 1024 * 1024
#: opened evidence items kept per worker (each holds a few file handles)
EVIDENCE_CACHE_MAX = 4
#: open file systems kept per worker, over all its evidence (a hostile partition table may list
#: thousands of volumes: each open file system holds TSK's caches)
FS_CACHE_MAX = 16


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One data stream to read: the entry as walked plus how to find its bytes again."""

    entry: Entry
    attr_type: int | None
    attr_id: int | None
    size: int  # bytes of the stream; 0 = nothing to read (the engine still runs)


@dataclass(frozen=True, slots=True)
class WorkUnit:
    """A batch of streams of one volume, or byte ranges of it to content-scan.

    ``ranges`` (absolute media offsets) makes it a raw unit: unallocated
    space or a partition without a readable file system.
    """

    uid: int
    evidence_path: str
    volume_addr: int
    volume_offset: int
    items: tuple[WorkItem, ...] = ()
    ranges: tuple[tuple[int, int], ...] = ()
    attempt: int = 0  # times a worker already died (or timed out) on this unit
    #: a piece of a longer range is read with this many bytes of its
    #: neighbours on each side, so hits across a cut are whole and judged
    #: in context; only hits starting inside the piece are its own
    lead: int = 0
    tail: int = 0

    @property
    def nbytes(self) -> int:
        return sum(i.size for i in self.items) + sum(n for _, n in self.ranges)


@dataclass
class UnitResult:
    """What a worker found for one unit; only the parent writes it to the case."""

    unit: WorkUnit
    outcomes: list[FileOutcome] = field(default_factory=list)
    artefacts: list[Artefact] = field(default_factory=list)  # raw units: volume-relative offsets
    errors: list[ScanError] = field(default_factory=list)  # raw units
    failure: str | None = None  # set by the supervisor when the unit's worker died


def failed_outcome(item: WorkItem, volume_addr: int, cause: str) -> FileOutcome:
    """A file whose worker kept dying: recorded, without hashes, with the cause."""
    err = ScanError("worker", cause, item.entry.path, volume_addr)
    return FileOutcome(FileResult(entry=item.entry, volume_addr=volume_addr, errors=(err,)))


#: unallocated space is cut into units of at most this many bytes, so one
#: large image spreads across every worker (and a retry redoes little) ...
RAW_UNIT_BYTES = 64 * 1024 * 1024
#: ... each piece read with this much of its neighbours (far more than any
#: pattern's length plus its context, in UTF-16LE too)
RAW_OVERLAP_BYTES = 64 * 1024


def plan_raw_units(ranges: list[tuple[int, int]], unit_bytes: int = RAW_UNIT_BYTES,
                   overlap: int = RAW_OVERLAP_BYTES) -> list[tuple[tuple[tuple[int, int], ...], int, int]]:
    """``(ranges, lead, tail)`` per unit: small ranges grouped, long ones cut.

    Deterministic (the same ranges give the same units anywhere), which is
    what keeps local, distributed and resumed scans identical.
    """
    out: list[tuple[tuple[tuple[int, int], ...], int, int]] = []
    group: list[tuple[int, int]] = []
    group_bytes = 0
    for start, length in ranges:
        if length <= 0:
            continue
        if length > unit_bytes:
            if group:
                out.append((tuple(group), 0, 0))
                group, group_bytes = [], 0
            for pos in range(start, start + length, unit_bytes):
                n = min(unit_bytes, start + length - pos)
                lead = min(overlap, pos - start)
                tail = min(overlap, start + length - (pos + n))
                out.append((((pos, n),), lead, tail))
            continue
        if group and group_bytes + length > unit_bytes:
            out.append((tuple(group), 0, 0))
            group, group_bytes = [], 0
        group.append((start, length))
        group_bytes += length
    if group:
        out.append((tuple(group), 0, 0))
    return out


def split_unit(unit: WorkUnit, first_uid: int) -> list[WorkUnit]:
    """One unit per item (or per range), so a retry isolates the item that kills workers."""
    if len(unit.items) + len(unit.ranges) <= 1:
        return [replace(unit, attempt=unit.attempt + 1)]
    out: list[WorkUnit] = []
    for item in unit.items:
        out.append(replace(unit, uid=first_uid + len(out), items=(item,), ranges=(), attempt=0))
    for r in unit.ranges:
        out.append(replace(unit, uid=first_uid + len(out), items=(), ranges=(r,), attempt=0))
    return out


# -- the worker side ------------------------------------------------------------

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
            eng = ScanEngine(options, compiled)
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
    from triage.scan.pipeline import _sibling_reader, scan_raw_ranges

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
                engine.process(item.entry, unit.volume_addr, chunks, _sibling_reader(fs, parent_dir)))
    if unit.ranges:
        if mark is not None:
            mark(len(unit.items))
        opened = state.evidence(unit.evidence_path)
        result.artefacts, result.errors = scan_raw_ranges(opened.img, engine, unit.volume_addr,
                                                          unit.volume_offset, list(unit.ranges),
                                                          unit.lead, unit.tail)
    return result


class InlineExecutor:
    """Runs each unit at once, in this process, with the caller's engine.

    ``--workers 1``: the same units and the same code as the pools, without
    a second process (and so without crash isolation).
    """

    def __init__(self, engine: ScanEngine) -> None:
        self.engine = engine
        self._uid = 0

    def next_uid(self) -> int:
        self._uid += 1
        return self._uid

    def submit(self, unit: WorkUnit, done: Any) -> None:
        with unit_collection():
            done(run_unit(unit, self.engine.options, None, engine=self.engine))

    def wait(self) -> None:
        return None


def scan_unit(evidence_path: str, volume_offset: int, unit: WorkUnit, options: ScanOptions,
              compiled: Any) -> UnitResult:
    """The dask task: top-level and picklable; evidence is read from shared storage.

    ``evidence_path`` and ``volume_offset`` repeat what the unit holds so a
    task graph shows where its work lies.
    """
    assert unit.evidence_path == evidence_path and unit.volume_offset == volume_offset
    return run_unit(unit, options, compiled)


def cpu_count() -> int:
    """Cores this process may use (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
