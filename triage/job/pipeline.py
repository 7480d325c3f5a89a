"""One evidence item into the case database: open, volumes, walk, read pass, write.

Errors are handled here, per file and per volume: recorded in ``errors``
and the scan goes on. Only a container that cannot be opened at all ends an
item's scan (and is recorded too).
"""

from __future__ import annotations

import logging
import sqlite3
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytsk3

from triage.case.writer import CaseWriter, entry_key
from triage.evidence.containers import EvidenceError, OpenedEvidence, open_evidence
from triage.evidence.volumes import VolumeLayout, list_volumes, open_fs
from triage.evidence.walk import unallocated_ranges, walk_fs
from triage.records import Entry, ScanError, Volume
from triage.scan.engine import FileOutcome, ScanEngine
from triage.text import one_line
from triage.work.inline import InlineExecutor
from triage.work.units import (
    UNIT_MAX_BYTES,
    UNIT_MAX_ENTRIES,
    UnitExecutor,
    UnitResult,
    WorkItem,
    WorkUnit,
    plan_raw_units,
)

if TYPE_CHECKING:
    from triage.case.reader import CaseReader

log = logging.getLogger(__name__)

#: the walk's allocated block runs are merged once they hold this many integers (two a run; then at twice
#: what merging left)
RUNS_COMPACT_AT = 1 << 16
#: a tree analyser reads at most this much of one file, whatever it asks for
ANALYSER_READ_MAX_BYTES = 64 * 1024 * 1024
#: error messages an item's stats keep for its log (``triage batch``); the case keeps every one
ERROR_MESSAGES_KEPT = 1000

Progress = Callable[[int, int], None]  # (files done, bytes done) increments


@dataclass
class ItemStats:
    evidence_id: str
    files: int = 0
    bytes: int = 0
    errors: int = 0
    skipped: int = 0  # already done in an interrupted earlier run
    volumes: int = 0
    file_systems: int = 0
    status: str = "ok"  # ok, partial, failed
    message: str = ""
    error_messages: list[str] = field(default_factory=list)


def _write_outcome(writer: CaseWriter, evidence_id: str, volume_id: int | None, outcome: FileOutcome,
                   parent_id: int | None, stats: ItemStats) -> None:
    file_id = writer.write_file(evidence_id, volume_id, outcome.result, parent_id)
    stats.files += 1
    stats.bytes += outcome.result.bytes_read
    stats.errors += len(outcome.result.errors)
    for child in outcome.children:
        _write_outcome(writer, evidence_id, volume_id, child, file_id, stats)


def _record(writer: CaseWriter, evidence_id: str, volume_id: int | None, err: ScanError, stats: ItemStats) -> None:
    writer.record_error(evidence_id, volume_id, err)
    stats.errors += 1
    if len(stats.error_messages) < ERROR_MESSAGES_KEPT:  # the case has them all
        stats.error_messages.append(err.message)


def scan_item(
    path: str | Path,
    writer: CaseWriter,
    engine: ScanEngine,
    evidence_id: str | None = None,
    examiner: str | None = None,
    progress: Progress | None = None,
    executor: UnitExecutor | None = None,
) -> ItemStats:
    """Scan one evidence item into the case; resumes an interrupted earlier scan of it.

    This process walks and writes; file contents are read and scanned by the
    ``executor`` (worker processes, a dask cluster), unit by unit; without
    one, by this process with ``engine``.
    """
    try:
        opened = open_evidence(path, evidence_id)
    except EvidenceError as exc:
        ev_id = evidence_id or Path(path).name
        stats = ItemStats(ev_id, status="failed", message=str(exc))
        writer.record_error(None, None, ScanError("open", str(exc), str(path)))
        stats.errors += 1
        return stats
    with opened:
        if executor is None:
            executor = InlineExecutor(engine)
        return _scan_opened(opened, writer, engine, examiner, progress, executor)


def _scan_opened(opened: OpenedEvidence, writer: CaseWriter, engine: ScanEngine, examiner: str | None,
                 progress: Progress | None, executor: UnitExecutor) -> ItemStats:
    ev = opened.evidence
    stats = ItemStats(ev.id)
    resuming = writer.evidence_status(ev.id) == "scanning"
    if not resuming:
        writer.clear_progress(ev.id)
    layout: VolumeLayout = list_volumes(opened.img, ev.id)
    writer.upsert_evidence(ev, examiner, "scanning", layout.volume_system)
    volume_ids: dict[tuple[int, int], int] = {}
    for vol in layout.volumes:
        volume_ids[(vol.addr, vol.offset)] = writer.upsert_volume(vol)
    by_addr = {addr: vid for (addr, _off), vid in volume_ids.items()}
    for warning in opened.warnings:  # the container opened, damaged: what it holds is still scanned
        _record(writer, ev.id, None, ScanError("open", warning, ev.path), stats)
    for err in layout.errors:
        _record(writer, ev.id, by_addr.get(err.volume_addr) if err.volume_addr is not None else None, err, stats)
    writer.commit()
    stats.volumes = len(layout.volumes)

    for vol in layout.volumes:
        vid = volume_ids[(vol.addr, vol.offset)]
        # one bad volume costs that volume only: what it gave is kept, the next one is scanned
        try:
            if vol.fs_type:
                stats.file_systems += 1
                _scan_fs_volume(opened, vol, vid, writer, engine, resuming, progress, stats, executor)
            elif vol.kind in ("unallocated", "partition", "whole") and engine.matcher is not None \
                    and engine.options.unallocated:
                # a gap, or a partition whose file system TSK cannot read: its bytes are still searched
                _submit_raw(opened, vol, vid, [(vol.offset, vol.length)], writer, stats, executor)
        except sqlite3.Error:
            raise  # the case itself failing is not this volume's fault: the item cannot go on
        except Exception as exc:
            _record(writer, ev.id, vid, ScanError("fs" if vol.fs_type else "unallocated",
                                                  f"volume at {vol.offset} abandoned: {one_line(exc)}",
                                                  volume_addr=vol.addr, offset=0), stats)
            writer.commit()
    executor.wait()
    failures = getattr(opened.img, "read_failure_count", 0)
    if failures:  # reads of this process's walk the container could not serve (workers record their own)
        where = "; ".join(f"at {off}: {msg}" for off, msg in opened.img.read_failures[:3])
        _record(writer, ev.id, None, ScanError("read", f"{failures} media read(s) failed while listing and "
                                                       f"walking, {where}"), stats)
    writer.commit()
    if stats.files + stats.skipped == 0 and (stats.file_systems == 0 or stats.errors):
        stats.status = "failed"
        stats.message = _nothing_read(layout, stats)
        if opened.warnings:  # the container's damage says more than what was not found on it
            stats.message = f"nothing read: {opened.warnings[0]}"[:200]
        _record(writer, ev.id, None, ScanError("volumes", stats.message), stats)
        writer.commit()
    elif stats.file_systems == 0:
        stats.status = "partial"
        stats.message = "no file system found that The Sleuth Kit can read"
    elif stats.errors:
        stats.status = "partial"
    writer.set_evidence_status(ev.id, "complete" if stats.status != "failed" else "failed")
    return stats


def _nothing_read(layout: VolumeLayout, stats: ItemStats) -> str:
    """One line for an item of which nothing could be read: what was tried and why it failed."""
    parts = sum(1 for v in layout.volumes if v.kind == "partition")
    if stats.file_systems:
        return (f"nothing read: {stats.file_systems} file system(s) opened but none could be walked "
                f"({stats.errors} errors recorded)")
    if layout.volume_system == "none":
        where = "no partition table, no file system at offset 0"
    else:
        where = f"the {layout.volume_system} partition table lists {parts} partition(s), none with a file system"
    return (f"nothing read: {where} and none found by searching the media for boot sectors and superblocks "
            "that The Sleuth Kit can open")


def _scan_fs_volume(opened: OpenedEvidence, vol: Volume, vid: int, writer: CaseWriter, engine: ScanEngine,
                          resuming: bool, progress: Progress | None, stats: ItemStats,
                          executor: UnitExecutor) -> None:
    """Walk a file system here; its files are read and scanned through the executor, in units.

    This process keeps only what is cheap per file (the TSK walk, the
    resume check, the writes); pytsk3 objects never leave it: units name
    files by meta address and attribute, and whoever runs a unit reopens
    them (this process too, with the inline executor).
    """
    ev_id = opened.evidence.id
    try:
        fs = open_fs(opened.img, vol.offset)
    except Exception as exc:
        _record(writer, ev_id, vid, ScanError("fs", f"cannot open file system: {one_line(exc)}",
                                              volume_addr=vol.addr), stats)
        return

    def done(result: UnitResult) -> None:
        for outcome in result.outcomes:
            _write_outcome(writer, ev_id, vid, outcome, None, stats)
            if progress is not None:
                progress(1, outcome.result.bytes_read)

    batch: list[WorkItem] = []
    batch_bytes = 0

    def flush() -> None:
        nonlocal batch, batch_bytes
        if batch:
            executor.submit(WorkUnit(executor.next_uid(), opened.evidence.path, vol.addr, vol.offset,
                                     tuple(batch)), done)
        batch, batch_bytes = [], 0

    walk_errors: list[ScanError] = []
    runs: array | None = array("q") if (engine.matcher is not None and engine.options.unallocated) else None
    compact_at = RUNS_COMPACT_AT
    # entries stream from the walk to the units and the writer: nothing per file is kept here
    # (the tree analysers read the entries back from the case once they are all written)
    for entry, reader in walk_fs(fs, vol.addr, walk_errors, runs):
        for err in walk_errors:
            _record(writer, ev_id, vid, err, stats)
        walk_errors.clear()
        if runs is not None and len(runs) > compact_at:
            compact_runs(runs)
            compact_at = max(RUNS_COMPACT_AT, 2 * len(runs))
        if resuming and writer.is_done(ev_id, entry_key(vol.addr, entry.inode, entry.path)):
            stats.skipped += 1
            continue
        if reader is None:
            _write_outcome(writer, ev_id, vid, engine.describe_only(entry, vol.addr), None, stats)
            if progress is not None:
                progress(1, 0)
            continue
        size = 0 if entry.size == 0 else reader.size
        batch.append(WorkItem(entry, reader.attr_type, reader.attr_id, size))
        batch_bytes += size
        if len(batch) >= UNIT_MAX_ENTRIES or batch_bytes >= UNIT_MAX_BYTES:
            flush()
    flush()
    for err in walk_errors:
        _record(writer, ev_id, vid, err, stats)

    if runs is not None:  # submitted before the analysers' wait: workers search it meanwhile
        block = int(fs.info.block_size)
        first = int(fs.info.first_block)
        # a superblock may claim any size: blocks past the end of the media are not free space, they are not there
        count = min(int(fs.info.last_block) + 1, max(0, opened.img.get_size() - vol.offset) // max(block, 1))
        ranges = [(vol.offset + s * block, n * block) for s, n in unallocated_ranges(runs, count, first)]
        _submit_raw(opened, vol, vid, ranges, writer, stats, executor)

    if engine.analysers:
        executor.wait()  # analysers attach artefacts to files by id: every file must be written first
        writer.commit()
        _run_analysers(fs, vol, vid, writer, engine, stats)


def _submit_raw(opened: OpenedEvidence, vol: Volume, vid: int, ranges: list[tuple[int, int]],
                writer: CaseWriter, stats: ItemStats, executor: UnitExecutor) -> None:
    """Content-scan byte ranges in workers, in units of at most RAW_UNIT_BYTES.

    Each unit is its own resume step (``volume:ADDR:OFFSET:unallocated:START``),
    marked done in the transaction that writes its artefacts.
    """
    ev_id = opened.evidence.id
    ranges = clip_ranges(ranges, vol.offset, opened.img.get_size())
    for unit_ranges, lead, tail in plan_raw_units(ranges):
        key = f"volume:{vol.addr}:{vol.offset}:unallocated:{unit_ranges[0][0]}"
        if writer.unit_done(ev_id, key):
            continue

        def done(result: UnitResult, key: str = key) -> None:
            if result.artefacts:
                writer.write_volume_artefacts(ev_id, vid, result.artefacts)
            for err in result.errors:
                _record(writer, ev_id, vid, err, stats)
            if result.failure is None:
                writer.mark_unit(ev_id, key)
            writer.commit()

        executor.submit(WorkUnit(executor.next_uid(), opened.evidence.path, vol.addr, vol.offset,
                                 ranges=unit_ranges, lead=lead, tail=tail), done)


def clip_ranges(ranges: list[tuple[int, int]], lo: int, media_size: int) -> list[tuple[int, int]]:
    """Media ranges cut to [lo, media_size): what a table or file system claims past the media is not planned."""
    out = []
    for start, length in ranges:
        a, b = max(start, lo, 0), min(start + length, media_size)
        if b > a:
            out.append((a, b - a))
    return out


class CaseEntries:
    """A volume's entries for the tree analysers, read back from the case (``Iterable[Entry]``).

    Each iteration streams them again from the case, in path order; ``len``
    counts them. Nothing here holds the list: a volume of millions of files
    costs the parent one fetch batch, not a list kept through the walk.
    """

    def __init__(self, case: CaseReader, volume_id: int) -> None:
        self.case = case
        self.volume_id = volume_id

    def __iter__(self) -> Iterator[Entry]:
        return self.case.iter_volume_entries(self.volume_id)

    def __len__(self) -> int:
        return self.case.count_volume_entries(self.volume_id)


def _run_analysers(fs: pytsk3.FS_Info, vol: Volume, vid: int, writer: CaseWriter, engine: ScanEngine,
                   stats: ItemStats) -> None:
    """Every tree analyser over the volume's entries as written to the case (every file must be written)."""
    from triage.case.reader import open_case

    ev_id = vol.evidence_id

    def read(path: str, max_bytes: int) -> bytes:
        f = fs.open(path)
        size = int(f.info.meta.size) if f.info.meta is not None else 0
        n = min(size, max_bytes, ANALYSER_READ_MAX_BYTES)
        return bytes(f.read_random(0, n)) if n > 0 else b""

    writer.commit()
    with open_case(writer.path) as case:
        entries = CaseEntries(case, vid)
        for analyser in engine.analysers:
            try:
                # written as they come: what an analyser found before it failed is kept
                for path, artefact in analyser.analyse(entries, read):
                    file_id = case.volume_file_id(vid, path)
                    if file_id is None:
                        writer.write_volume_artefacts(ev_id, vid, [artefact])
                    else:
                        writer.write_file_artefacts(ev_id, vid, file_id, [artefact])
            except Exception as exc:
                _record(writer, ev_id, vid, ScanError("plugin", f"{type(exc).__name__}: {one_line(exc)}",
                                                      plugin=analyser.name, plugin_version=analyser.version,
                                                      volume_addr=vol.addr), stats)
    writer.commit()


def compact_runs(runs: array) -> None:
    """Sort and merge the walk's allocated block runs in place (``(first block, length)`` pairs).

    The walk appends every run of every file; merged, they number the disjoint
    allocated extents of the volume, not its files, so the parent's memory for
    them stops growing with the file count (a volume written in order, as most
    are, merges to a handful). The complement is unchanged.
    """
    pairs = sorted((runs[i], runs[i + 1]) for i in range(0, len(runs) - 1, 2))
    out = array("q")
    for start, length in pairs:
        if length <= 0:
            continue
        if out and start <= out[-2] + out[-1]:
            out[-1] = max(out[-1], start + length - out[-2])
        else:
            out.append(start)
            out.append(length)
    runs[:] = out
