"""`triage scan`: evidence items into a case database."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from triage.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    SetupError,
    console_err,
    out,
    stderr_is_terminal,
)
from triage.commands.evidence import verify_evidence
from triage.job.prepare import JobSetupError, default_hashset_db
from triage.job.scan import Progress, ScanRequest
from triage.job.scan import run_scan as scan_job
from triage.reports.summary import render_summary
from triage.scan.engine import ScanOptions
from triage.work.cpu import default_workers


@contextmanager
def progress_bar(enabled: bool, total_files: int | None, total_bytes: int | None) -> Iterator[Progress | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress as RichProgress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = Console(stderr=True)
    with RichProgress(
        TextColumn("[bold]scan"), BarColumn(), TextColumn("{task.fields[files]}/{task.fields[total_files]} files"),
        DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(), console=console, transient=False,
    ) as bar:
        task = bar.add_task("scan", total=total_bytes, files=0, total_files=total_files or "?")
        done = [0]

        def advance(files: int, nbytes: int) -> None:
            done[0] += files
            bar.update(task, advance=nbytes, files=done[0])

        yield advance


def run_scan(request: ScanRequest, quiet: bool, as_json: bool, verify: bool) -> int:
    """The scan job, rendered: warnings and errors on stderr, the summary on stdout; the exit code."""
    show = not quiet and not as_json and stderr_is_terminal()
    try:
        outcome = scan_job(request, warn=console_err, note=(lambda _line: None) if quiet else console_err,
                           progress=(lambda files, nbytes: progress_bar(True, files, nbytes)) if show else None,
                           verify=verify_evidence if verify else None)
    except JobSetupError as exc:
        raise SetupError(str(exc)) from None
    if as_json:
        out(json.dumps(outcome.report, indent=2, default=str))
    elif not quiet:
        # the summary table is for items that read something; a failed one had its one line above
        read = [item for item in outcome.report["items"] if item["status"] != "failed"]
        if read:
            render_summary({**outcome.report, "items": read})
    if outcome.failed_items == len(outcome.stats):
        return EXIT_FAILED
    return EXIT_PARTIAL if outcome.failed_items else EXIT_OK


#: the options that decide what a scan finds; shared by `scan` and `batch`
_SCAN_OPTIONS = [
    click.option("--no-yara", is_flag=True, help="Do not run YARA."),
    click.option("--rules", "rules", multiple=True, type=click.Path(exists=True, path_type=Path),
                 help="Extra YARA rule file or directory (repeatable)."),
    click.option("--no-bundled-rules", is_flag=True, help="Do not use the rule pack shipped with triage."),
    click.option("--skip-bad-rules", is_flag=True, help="Compile what compiles; record rule files that do not."),
    click.option("--no-plugins", is_flag=True, help="Do not run artefact extractors."),
    click.option("--plugins", "plugin_dirs", multiple=True,
                 type=click.Path(exists=True, file_okay=False, path_type=Path),
                 help="Extra folder of plugin modules (repeatable)."),
    click.option("--enable", multiple=True, help="Run only these plugins (repeatable)."),
    click.option("--disable", multiple=True, help="Do not run these plugins (repeatable)."),
    click.option("--hashsets", "hashset_db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                 help="Hash-set database (default: $TRIAGE_HASHSET_DB or ~/.local/share/triage/hashsets.db)."),
    click.option("--scan-known", is_flag=True, help="Run YARA and extractors on files in known hash sets too."),
    click.option("--no-unallocated", is_flag=True, help="Do not search unallocated space."),
    click.option("--no-archives", is_flag=True, help="Do not expand archives."),
    click.option("--no-type", is_flag=True,
                 help="Do not identify file types (files.mime and files.magic stay empty): a hashes-only inventory."),
    click.option("--tlsh/--no-tlsh", "tlsh", default=None,
                 help="Compute TLSH fuzzy hashes (default: only when the hash-set database holds TLSH lists)."),
]


def scan_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds the options that decide what a scan finds (in the order --help lists them)."""
    for option in reversed(_SCAN_OPTIONS):
        command = option(command)
    return command


def options_from_flags(flags: dict[str, Any], workers: int | None) -> ScanOptions:
    """ScanOptions from the flags :func:`scan_options` added (popped from ``flags``)."""
    f = {k: flags.pop(k) for k in ("no_yara", "rules", "no_bundled_rules", "skip_bad_rules", "no_plugins",
                                   "plugin_dirs", "enable", "disable", "hashset_db", "scan_known",
                                   "no_unallocated", "no_archives", "no_type", "tlsh")}
    return ScanOptions(
        yara=not f["no_yara"], rules=[str(r) for r in f["rules"]], bundled_rules=not f["no_bundled_rules"],
        skip_bad_rules=f["skip_bad_rules"], plugins=not f["no_plugins"],
        plugin_dirs=[str(Path(d).resolve()) for d in f["plugin_dirs"]], enable=list(f["enable"]),
        disable=list(f["disable"]),
        hashset_db=str(f["hashset_db"]) if f["hashset_db"] else default_hashset_db(),
        scan_known=f["scan_known"], tlsh=f["tlsh"], unallocated=not f["no_unallocated"],
        archives=not f["no_archives"], filetype=not f["no_type"],
        workers=max(1, workers if workers is not None else default_workers()),
    )


@click.command("scan")
@click.argument("images", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--case", "case_db", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Case database to write (created if missing).")
@click.option("--examiner", default=None, help="Examiner's name, recorded in the run and evidence.")
@click.option("--evidence-id", default=None, help="Evidence id for a single IMAGE (default: from its file name).")
@scan_options
@click.option("--workers", type=int, default=None,
              help="Worker processes reading and scanning files (default: every core this process may run "
                   "on). 1 scans in this process, without crash isolation.")
@click.option("--item-timeout", type=float, default=None,
              help="Seconds one file may take in a worker (plus 1 s per MiB) before the worker is "
                   "killed and the file recorded as an error (default 600).")
@click.option("--worker-memory-mb", type=click.IntRange(min=0), default=None,
              help="Address-space limit per worker process, in MiB; a file that needs more is recorded as "
                   "an error and the scan goes on (default: three quarters of the machine's memory shared "
                   "by the workers, at least 2048 each; 0: no limit).")
@click.option("--verify", is_flag=True, help="Also recompute the media hashes and compare with stored ones.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def scan_cmd(images: tuple[Path, ...], case_db: Path, examiner: str | None, evidence_id: str | None,
             workers: int | None, item_timeout: float | None, worker_memory_mb: int | None, verify: bool,
             quiet: bool, as_json: bool, **flags: Any) -> None:
    """Scan IMAGE... (raw, split raw, E01, QCOW2, VMDK, VHD, VHDX) into the case database.

    \b
    Exit codes: 0 every item scanned (per-file problems are in the errors table),
    1 some items failed, 3 nothing could be scanned, 4 setup failed (case, rules, plugins).
    """
    if evidence_id and len(images) > 1:
        raise click.UsageError("--evidence-id names one evidence item; give one IMAGE with it")
    options = options_from_flags(flags, workers)
    command = "triage " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    request = ScanRequest(tuple(images), case_db, options, command, examiner, evidence_id, item_timeout,
                          worker_memory_mb)
    raise SystemExit(run_scan(request, quiet, as_json, verify))
