"""`triage scan` as a job: evidence items into one case database, and the run's status.

The command parses its flags into a :class:`ScanRequest`, calls
:func:`run_scan` and renders the :class:`ScanOutcome`; everything between
(rules, engine, executor, case, the loop over items, verification, the
run's status) is here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from triage.case.schema import SchemaError
from triage.case.writer import CaseWriter
from triage.evidence.containers import EvidenceError, OpenedEvidence, open_evidence
from triage.job.executors import unit_executor
from triage.job.prepare import JobSetupError, Warn, build_engine, compile_yara, record_setup, run_versions
from triage.reports.summary import evidence_summary
from triage.scan.engine import ScanOptions
from triage.job.pipeline import ItemStats, Progress, scan_item

#: opens the progress display for (files, bytes) in all the items; yields the callback, or None
ProgressFactory = Callable[[int, int], AbstractContextManager[Progress | None]]
#: recomputes an opened item's media hashes against the stored ones (``triage verify``'s check)
Verifier = Callable[[OpenedEvidence], dict[str, Any]]


@dataclass(frozen=True)
class ScanRequest:
    """What the examiner asked for: the items, the case, what to find, how to run."""

    images: tuple[Path, ...]
    case_db: Path
    options: ScanOptions
    command: str
    examiner: str | None = None
    evidence_id: str | None = None
    item_timeout: float | None = None
    worker_memory_mb: int | None = None


@dataclass(frozen=True)
class ScanOutcome:
    """What the run did: per-item stats, the summary report (plain data), the status the run recorded."""

    stats: tuple[ItemStats, ...]
    report: dict[str, Any]
    status: str  # ok, partial, failed

    @property
    def failed_items(self) -> int:
        return sum(1 for s in self.stats if s.status == "failed")


def count_files(paths: list[Path]) -> tuple[int, int]:
    """Files and bytes the items hold, for a progress display (a walk without reading; unreadable items: 0)."""
    from triage.evidence.volumes import list_volumes, open_fs
    from triage.evidence.walk import walk_fs

    files = nbytes = 0
    for p in paths:
        try:
            with open_evidence(p) as opened:
                for vol in list_volumes(opened.img, opened.evidence.id).volumes:
                    if not vol.fs_type:
                        continue
                    for entry, reader in walk_fs(open_fs(opened.img, vol.offset), vol.addr, []):
                        files += 1
                        nbytes += entry.size if reader is not None else 0
        except (EvidenceError, OSError):
            continue
    return files, nbytes


def summary_report(writer: CaseWriter, stats: list[ItemStats], elapsed: float) -> dict[str, Any]:
    """The end-of-scan summary as data (rendered by the command, as a table or as JSON)."""
    report: dict[str, Any] = {"case": str(writer.path), "run_id": writer.run_id, "elapsed_s": round(elapsed, 2),
                              "items": []}
    for st in stats:
        item = asdict(st)
        item.pop("error_messages")
        if st.status != "failed" or writer.evidence_status(st.evidence_id):
            item.update(evidence_summary(writer.conn, st.evidence_id))
        report["items"].append(item)
    return report


def run_status(stats: list[ItemStats]) -> str:
    """The run's status: failed when every item failed, partial when one failed or was partial, else ok."""
    failed = sum(1 for s in stats if s.status == "failed")
    return "failed" if failed == len(stats) else ("partial" if failed or any(
        s.status == "partial" for s in stats) else "ok")


def run_scan(request: ScanRequest, warn: Warn, note: Warn, progress: ProgressFactory | None = None,
             verify: Verifier | None = None) -> ScanOutcome:
    """Scan every item into the case; raises :class:`JobSetupError` before touching any evidence.

    ``warn`` gets the lines an examiner must see whatever ``--quiet`` says (a
    skipped rule file, an item of which nothing came), ``note`` the others (a
    verification's result). ``progress`` (a terminal) is given the totals.
    """
    options = request.options
    compiled = compile_yara(options, warn)
    engine = build_engine(options, compiled)
    try:
        writer = CaseWriter(request.case_db)
    except SchemaError as exc:
        raise JobSetupError(str(exc)) from None
    writer.begin_run(request.command, request.examiner, options.as_dict(), run_versions(engine, compiled))
    record_setup(writer, engine, compiled)
    writer.commit()
    images = list(request.images)
    display: AbstractContextManager[Progress | None] = (
        progress(*count_files(images)) if progress is not None else nullcontext(None))
    started = time.monotonic()
    stats: list[ItemStats] = []
    status = "interrupted"
    try:
        with display as advance, unit_executor(options, compiled, request.item_timeout,
                                               request.worker_memory_mb) as executor:
            for image in images:
                st = scan_item(image, writer, engine, request.evidence_id, request.examiner, advance, executor)
                if st.status == "failed":  # one line, --quiet or not: the examiner must know why nothing came of it
                    warn(f"error: {image}: {st.message}")
                if verify is not None and st.status != "failed":
                    _verify_into(writer, image, st.evidence_id, verify, warn, note)
                stats.append(st)
        status = run_status(stats)
    finally:
        writer.finish_run(status, [s.evidence_id for s in stats], sum(s.files for s in stats),
                          sum(s.bytes for s in stats), sum(s.errors for s in stats))
    report = summary_report(writer, stats, time.monotonic() - started)
    writer.close()
    return ScanOutcome(tuple(stats), report, status)


def _verify_into(writer: CaseWriter, image: Path, evidence_id: str, verify: Verifier, warn: Warn,
                 note: Warn) -> None:
    try:
        with open_evidence(image, evidence_id) as opened:
            result = verify(opened)
    except EvidenceError as exc:
        warn(f"error: verify {image}: {exc}")
        return
    writer.record_verification(evidence_id, result["computed_md5"], result["computed_sha1"], result["verified"])
    note(f"verify {image}: {result['verified']}")
