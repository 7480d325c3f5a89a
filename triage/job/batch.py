"""`triage batch` as a job: many evidence items into one database per case, with a log per item.

Items run one after another; the parallelism is inside each item (work
units on local processes or on a dask cluster), so one huge image uses the
whole lab while a folder of small ones still goes through in order. Every
item resumes like ``triage scan`` does: its case database remembers what is
done. The command parses its flags into a :class:`BatchRequest`, calls
:func:`run_batch` and renders the :class:`ItemReport` list; the setup
(rules, engine, what the case records of it) is the scan's own
(:mod:`triage.job.prepare`), not a copy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.batch.manifest import BatchItem, ManifestError, read_manifest, safe_file_name
from triage.case.writer import CaseWriter, utc_now
from triage.job.executors import unit_executor
from triage.job.prepare import JobSetupError, Warn, build_engine, compile_yara, record_setup, run_versions
from triage.scan.engine import ScanEngine, ScanOptions
from triage.job.pipeline import ItemStats, scan_item
from triage.work.units import UnitExecutor

#: error messages copied into an item's log file (the case database has them all)
LOG_ERRORS_MAX = 1000


@dataclass(frozen=True)
class BatchRequest:
    """What the examiner asked for: the manifest (or folder), where the cases go, what to find, how to run."""

    manifest: Path
    case_dir: Path
    options: ScanOptions
    command: str
    default_case: str | None = None
    examiner: str | None = None
    scheduler: str | None = None
    item_timeout: float | None = None
    worker_memory_mb: int | None = None


#: opens the progress display for the items; yields (an item starts, (files, bytes) done), or Nones
BatchProgressFactory = Callable[[list[BatchItem]], AbstractContextManager[tuple[Any, Any]]]


@dataclass
class ItemReport:
    item: BatchItem
    stats: ItemStats
    elapsed: float
    case_db: Path
    log: Path


ItemProgress = Callable[[BatchItem | None, int, int], None]  # (item started, files, bytes)


@contextmanager
def _item_log(path: Path) -> Iterator[logging.Logger]:
    """Everything triage logs while the item runs (worker deaths included) also goes to its file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    # these loggers speak about the item (worker deaths, retries): to its file, not to the terminal
    loggers = [logging.getLogger(n) for n in ("triage.batch.item", "triage.work.local", "triage.work.distributed")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
        lg.propagate = False
    try:
        yield loggers[0]
    finally:
        for lg, (level, propagate) in zip(loggers, saved):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
        handler.close()


def run_batch(request: BatchRequest, warn: Warn, progress: BatchProgressFactory | None = None) -> list[ItemReport]:
    """Read the manifest, prepare once, scan every item; raises :class:`JobSetupError` before any evidence."""
    try:
        items = read_manifest(request.manifest, request.default_case)
    except ManifestError as exc:
        raise JobSetupError(str(exc)) from None
    if not items:
        raise JobSetupError(f"{request.manifest}: no evidence items found")
    options = request.options
    if request.scheduler and options.workers == 1:
        options.workers = 2  # the pool is the cluster's; the local count does not apply
    compiled = compile_yara(options, warn)
    engine = build_engine(options, compiled)
    display: AbstractContextManager[tuple[Any, Any]] = (
        progress(items) if progress is not None else nullcontext((None, None)))
    with unit_executor(options, compiled, request.item_timeout, request.worker_memory_mb,
                       request.scheduler) as executor, display as (on_item, advance):
        return run_items(items, request.case_dir, options, compiled, engine, executor, request.examiner,
                         request.command, on_item=on_item, progress=advance)


def run_items(items: list[BatchItem], case_dir: Path, options: ScanOptions, compiled: Any, engine: ScanEngine,
              executor: UnitExecutor | None, examiner: str | None, command: str,
              on_item: Callable[[BatchItem], None] | None = None,
              progress: Callable[[int, int], None] | None = None) -> list[ItemReport]:
    """Scan every item into ``case_dir/<case>.db``; per-item logs in ``case_dir/logs``."""
    case_dir.mkdir(parents=True, exist_ok=True)
    writers: dict[str, CaseWriter] = {}
    reports: list[ItemReport] = []
    versions = run_versions(engine, compiled)
    try:
        for item in items:
            writer = writers.get(item.case)
            if writer is None:
                writer = CaseWriter(case_dir / f"{item.case}.db")
                writer.begin_run(command, examiner or item.examiner, options.as_dict(), versions)
                record_setup(writer, engine, compiled)  # rule files skipped too, as `triage scan` records them
                writers[item.case] = writer
            if on_item is not None:
                on_item(item)
            log_path = case_dir / "logs" / f"{safe_file_name(item.evidence_id)}.log"
            started = time.monotonic()
            with _item_log(log_path) as log:
                log.info("start %s: %s (case %s, examiner %s) at %s", item.evidence_id, item.path, item.case,
                         item.examiner or examiner, utc_now())
                log.info("command: %s", command)
                st = scan_item(item.path, writer, engine, item.evidence_id, item.examiner or examiner, progress,
                               executor)
                elapsed = time.monotonic() - started
                log.info("finish %s: %s%s; %d files, %d bytes, %d errors, %d already done, %.1f s",
                         item.evidence_id, st.status, f" ({st.message})" if st.message else "", st.files,
                         st.bytes, st.errors, st.skipped, elapsed)
                for msg in st.error_messages[:LOG_ERRORS_MAX]:
                    log.info("error: %s", msg)
            reports.append(ItemReport(item, st, elapsed, writer.path, log_path))
    finally:
        for case, writer in writers.items():
            mine = [r.stats for r in reports if r.item.case == case]
            failed = sum(1 for s in mine if s.status == "failed")
            done = len(mine) == sum(1 for i in items if i.case == case)
            status = ("interrupted" if not done else "failed" if mine and failed == len(mine)
                      else "partial" if failed or any(s.status == "partial" for s in mine) else "ok")
            writer.finish_run(status, [s.evidence_id for s in mine], sum(s.files for s in mine),
                              sum(s.bytes for s in mine), sum(s.errors for s in mine))
            writer.close()
    return reports
