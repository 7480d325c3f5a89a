"""`triage scan`: evidence items into a case database."""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from triage.case.schema import SchemaError
from triage.case.writer import CaseWriter, host_versions
from triage.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    SetupError,
    console_err,
    out,
    stderr_is_terminal,
)
from triage.records import ScanError
from triage.reports.summary import evidence_summary, render_summary
from triage.scan.engine import ScanEngine, ScanOptions
from triage.scan.pipeline import ItemStats, Progress, scan_item
from triage.work.cpu import default_workers


def default_hashset_db() -> str | None:
    """The shared hash-set database where `triage hashset import` puts it, if there is one."""
    from triage.hashsets.store import default_db_path

    path = default_db_path()
    return str(path) if path.exists() else None


def compile_yara(options: ScanOptions) -> Any:
    """Compile every rule once, before any evidence is touched."""
    if not options.yara:
        return None
    from triage.scan.yara import RuleCompileError, compile_rules

    try:
        compiled = compile_rules([Path(r) for r in options.rules], bundled=options.bundled_rules,
                                 skip_bad=options.skip_bad_rules)
    except RuleCompileError as exc:
        raise SetupError(f"YARA rules do not compile (use --skip-bad-rules to go on without them): {exc}") from None
    except FileNotFoundError as exc:
        raise SetupError(f"rule path not found: {exc}") from None
    for skipped in getattr(compiled, "skipped", []):
        console_err(f"warning: skipped rule file {skipped.path}: {skipped.message}")
    return compiled


def build_engine(options: ScanOptions, compiled: Any) -> ScanEngine:
    from triage.plugins.manager import PluginLoadError

    try:
        return ScanEngine(options, compiled)
    except PluginLoadError as exc:
        raise SetupError(str(exc)) from None


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


def print_summary(writer: CaseWriter, stats: list[ItemStats], elapsed: float) -> dict[str, Any]:
    report: dict[str, Any] = {"case": str(writer.path), "run_id": writer.run_id, "elapsed_s": round(elapsed, 2),
                              "items": []}
    for st in stats:
        item = asdict(st)
        item.pop("error_messages")
        if st.status != "failed" or writer.evidence_status(st.evidence_id):
            item.update(evidence_summary(writer.conn, st.evidence_id))
        report["items"].append(item)
    return report


def _pre_count(paths: list[Path]) -> tuple[int, int]:
    from triage.evidence.containers import EvidenceError, open_evidence
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


@contextmanager
def unit_executor(options: ScanOptions, compiled: Any, item_timeout: float | None = None,
                  worker_memory_mb: int | None = None) -> Iterator[Any]:
    """The supervised local pool when more than one worker is asked for, else None (in-process)."""
    if options.workers <= 1:
        yield None
        return
    from triage.work.local import DEFAULT_ITEM_TIMEOUT_S, LocalPool, default_memory_limit

    # None: sized from the machine (on by default); 0: no limit
    limit = default_memory_limit(options.workers) if worker_memory_mb is None else (
        worker_memory_mb * 1024 * 1024 if worker_memory_mb > 0 else None)
    pool = LocalPool(options.workers, options, compiled, item_timeout=item_timeout or DEFAULT_ITEM_TIMEOUT_S,
                     memory_limit=limit)
    try:
        yield pool
    finally:
        pool.close()


def run_scan(images: list[Path], case_db: Path, options: ScanOptions, examiner: str | None,
             evidence_id: str | None, quiet: bool, as_json: bool, verify: bool, command: str,
             item_timeout: float | None = None, worker_memory_mb: int | None = None) -> int:
    if evidence_id and len(images) > 1:
        raise click.UsageError("--evidence-id names one evidence item; give one IMAGE with it")
    compiled = compile_yara(options)
    engine = build_engine(options, compiled)
    try:
        writer = CaseWriter(case_db)
    except SchemaError as exc:
        raise SetupError(str(exc)) from None
    versions: dict[str, Any] = {**host_versions(), "plugins": engine.plugin_names}
    if compiled is not None:
        versions["yara_rules"] = getattr(compiled, "sources", None)
    writer.begin_run(command, examiner, options.as_dict(), versions)
    for msg in engine.load_errors:
        writer.record_error(None, None, ScanError("plugin", f"plugin failed to load: {msg}"))
    for skipped in getattr(compiled, "skipped", []) if compiled is not None else []:
        # --skip-bad-rules: the case says which rules did not run
        writer.record_error(None, None, ScanError("yara", f"rule file skipped: {skipped.message}", skipped.path))
    writer.commit()
    show = not quiet and not as_json and stderr_is_terminal()
    totals = _pre_count(images) if show else (None, None)
    started = time.monotonic()
    stats: list[ItemStats] = []
    status = "interrupted"
    try:
        with progress_bar(show, *totals) as progress, \
                unit_executor(options, compiled, item_timeout, worker_memory_mb) as executor:
            for image in images:
                st = scan_item(image, writer, engine, evidence_id, examiner, progress, executor)
                if st.status == "failed":  # one line, --quiet or not: the examiner must know why nothing came of it
                    console_err(f"error: {image}: {st.message}")
                if verify and st.status != "failed":
                    _verify_into(writer, image, st.evidence_id, quiet)
                stats.append(st)
        failed = sum(1 for s in stats if s.status == "failed")
        status = "failed" if failed == len(stats) else ("partial" if failed or any(
            s.status == "partial" for s in stats) else "ok")
    finally:
        writer.finish_run(status, [s.evidence_id for s in stats], sum(s.files for s in stats),
                          sum(s.bytes for s in stats), sum(s.errors for s in stats))
    report = print_summary(writer, stats, time.monotonic() - started)
    writer.close()
    if as_json:
        out(json.dumps(report, indent=2, default=str))
    elif not quiet:
        # the summary table is for items that read something; a failed one had its one line above
        read = [item for item in report["items"] if item["status"] != "failed"]
        if read:
            render_summary({**report, "items": read})
    failed = sum(1 for s in stats if s.status == "failed")
    if failed == len(stats):
        return EXIT_FAILED
    return EXIT_PARTIAL if failed else EXIT_OK


def _verify_into(writer: CaseWriter, image: Path, evidence_id: str, quiet: bool) -> None:
    from triage.commands.evidence import verify_evidence
    from triage.evidence.containers import EvidenceError, open_evidence

    try:
        with open_evidence(image, evidence_id) as opened:
            result = verify_evidence(opened)
    except EvidenceError as exc:
        console_err(f"error: verify {image}: {exc}")
        return
    writer.record_verification(evidence_id, result["computed_md5"], result["computed_sha1"], result["verified"])
    if not quiet:
        console_err(f"verify {image}: {result['verified']}")


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
              help="Worker processes reading and scanning files (default: all cores). 1 scans in this "
                   "process, without crash isolation.")
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
    options = options_from_flags(flags, workers)
    command = "triage " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    code = run_scan(list(images), case_db, options, examiner, evidence_id, quiet, as_json, verify, command,
                    item_timeout, worker_memory_mb)
    raise SystemExit(code)
