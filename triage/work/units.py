"""Work units: what crosses from the walking parent to the reading workers.

The parent walks each file system with The Sleuth Kit, but pytsk3 objects
cannot cross a process (or machine) boundary. So a unit names its files the
way ``icat`` does: evidence path, volume offset, meta address, attribute
type and id. A worker opens the evidence itself (once, cached), reopens each
file by meta address and reads exactly the stream the walk saw. Everything
here is plain, picklable data; the same units run in the local supervised
pool (:mod:`triage.work.local`) and on a dask cluster
(:mod:`triage.work.distributed`), which is what makes both give the same
case database. Who runs a unit: :mod:`triage.work.runtime`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from triage.records import Artefact, Entry, FileResult, ScanError
from triage.scan.engine import FileOutcome

#: a unit holds at most this many files ...
UNIT_MAX_ENTRIES = 64
#: ... or this many bytes of file content, whichever comes first: small
#: enough that a retry after a crash is cheap, large enough that the
#: per-unit overhead (a pickle each way) is lost in the reading
UNIT_MAX_BYTES = 64 * 1024 * 1024


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


class UnitExecutor(Protocol):
    """Runs work units: in this process (:class:`triage.work.inline.InlineExecutor`), in local
    worker processes (:class:`triage.work.local.LocalPool`), on a dask cluster
    (:class:`triage.work.distributed.DaskExecutor`).

    ``submit`` may block while earlier units finish; ``done`` callbacks run
    in the caller's thread (they write to the case), inside ``submit`` or
    ``wait``.
    """

    def next_uid(self) -> int: ...
    def submit(self, unit: WorkUnit, done: Callable[[UnitResult], None]) -> None: ...
    def wait(self) -> None: ...
