"""`triage batch`: a manifest (or a folder) of evidence items, one case database per case."""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from triage.batch.manifest import BatchItem
from triage.commands.common import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, SetupError, console_err, stderr_is_terminal
from triage.commands.scan import options_from_flags, scan_options
from triage.job.batch import BatchRequest, ItemReport, run_batch
from triage.job.prepare import JobSetupError


@contextmanager
def _progress(enabled: bool, items: list[BatchItem]) -> Iterator[tuple[Any, Any]]:
    """Overall (items) and per-item (files, bytes) progress on a terminal; nothing in a pipe."""
    if not enabled:
        yield None, None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[extra]}"), TimeElapsedColumn(),
                  console=Console(stderr=True)) as overall_bar:
        overall = overall_bar.add_task("[bold]batch", total=len(items), extra="")
        state: dict[str, Any] = {"task": None, "files": 0, "bytes": 0, "t0": 0.0}

        def on_item(item: BatchItem) -> None:
            if state["task"] is not None:
                overall_bar.update(state["task"], visible=False)
                overall_bar.advance(overall)
            state.update(files=0, bytes=0, t0=time.monotonic())
            state["task"] = overall_bar.add_task(f"  {item.evidence_id} ({item.case})", total=None, extra="")

        def advance(files: int, nbytes: int) -> None:
            state["files"] += files
            state["bytes"] += nbytes
            rate = state["bytes"] / max(1e-3, time.monotonic() - state["t0"]) / 1e6
            overall_bar.update(state["task"], completed=state["files"],
                               extra=f"{state['files']:,} files, {state['bytes'] / 1e6:,.1f} MB, {rate:.1f} MB/s")

        try:
            yield on_item, advance
        finally:
            if state["task"] is not None:
                overall_bar.update(state["task"], visible=False)
                overall_bar.advance(overall)


def render_summary(reports: list[ItemReport], case_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"batch: {case_dir}")
    for col, just in (("evidence", "left"), ("case", "left"), ("status", "left"), ("files", "right"),
                      ("bytes", "right"), ("errors", "right"), ("resumed", "right"), ("seconds", "right"),
                      ("message", "left")):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in reports:
        st = r.stats
        table.add_row(r.item.evidence_id, r.item.case, st.status, str(st.files), f"{st.bytes:,}", str(st.errors),
                      str(st.skipped or ""), f"{r.elapsed:.1f}", st.message)
    console.print(table)


@click.command("batch")
@click.argument("manifest", type=click.Path(exists=True, path_type=Path))
@click.option("--case-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the case databases (<case>.db) and per-item logs (logs/).")
@click.option("--case", "default_case", default=None,
              help="Case name for items without one (default: the manifest's or folder's name).")
@click.option("--workers", type=int, default=None,
              help="Local worker processes (default: every core this process may run on).")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="Run the work on this dask.distributed scheduler's workers (evidence must be at the "
                   "same path on every worker).")
@click.option("--examiner", default=None, help="Examiner for rows of the manifest that name none.")
@scan_options
@click.option("--item-timeout", type=float, default=None,
              help="Seconds one file (on a cluster: one unit) may take in a worker (plus 1 s per MiB); default 600.")
@click.option("--worker-memory-mb", type=int, default=None, help="Address-space limit per local worker, MiB.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
def batch_cmd(manifest: Path, case_dir: Path, default_case: str | None, workers: int | None,
              scheduler: str | None, examiner: str | None, item_timeout: float | None,
              worker_memory_mb: int | None, quiet: bool, **flags: Any) -> None:
    """Scan every evidence item of MANIFEST into one case database per case.

    \b
    MANIFEST is a CSV file with the columns evidence_id, path, case, examiner
    (relative paths are resolved against the manifest's folder), or a folder
    of images (one evidence item per image, found by content).
    Run the same command again to resume an interrupted batch.
    Exit codes: 0 every item scanned, 1 some items failed, 3 all failed, 4 setup failed.
    """
    options = options_from_flags(flags, workers)
    command = "triage " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    request = BatchRequest(manifest, case_dir, options, command, default_case, examiner, scheduler, item_timeout,
                           worker_memory_mb)
    show = not quiet and stderr_is_terminal()
    try:
        reports = run_batch(request, warn=console_err,
                            progress=(lambda items: _progress(True, items)) if show else None)
    except JobSetupError as exc:
        raise SetupError(str(exc)) from None
    if not quiet:
        render_summary(reports, case_dir)
    failed = sum(1 for r in reports if r.stats.status == "failed")
    code = EXIT_OK if failed == 0 else (EXIT_FAILED if failed == len(reports) else EXIT_PARTIAL)
    raise SystemExit(code)
