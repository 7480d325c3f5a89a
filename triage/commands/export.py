"""`triage export`: write one export format of a case into a folder, with its manifest.

Thin: checks the command line, opens the case through the reader, calls the
format's exporter (``triage.export.FORMATS``) and writes the manifest. The
formats live in ``triage/export/``; ``docs/exports.md`` says what each holds.
"""

from __future__ import annotations

import inspect
from typing import Any

import click

from triage.commands.common import EXIT_PARTIAL, EXIT_USAGE, EvidenceFailed, SetupError, console_err, open_reader, out

__all__ = ["export_cmd"]

_HELP = """Export CASE in one FORMAT into the folder OUTPUT (made if missing).

\b
Formats: csv, jsonl (one file per table), xlsx (one sheet per finding type),
bodyfile (TSK 3.x, for mactime), timesketch (JSONL events), kml (photo GPS),
dfxml, case (CASE/UCO JSON-LD) where installed. docs/exports.md describes each.
Card numbers are masked (first six, last four) unless --unmasked. The folder
gets MANIFEST.sha256 (sha256sum -c) and manifest.json.

\b
Exit codes:
  0  exported
  1  exported, but the case is incomplete (an interrupted or failed scan:
     stated on stderr and in manifest.json)
  2  bad usage: unknown format, unknown --evidence, OUTPUT exists and is not
     empty (nothing is overwritten without --force) or is a file
  3  the export failed while writing (disk full, permissions): the folder has
     no manifest
  4  cannot start: no case at CASE, not a case, a case from a newer triage,
     a format not installed, an output folder that cannot be made
"""


class _Usage(click.ClickException):
    """Bad usage told in one line (click's UsageError would print the usage block too)."""

    exit_code = EXIT_USAGE


def _accepts(func: Any, name: str) -> bool:
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


@click.command("export", help=_HELP)
@click.argument("case", type=click.Path())
@click.option("--format", "fmt", required=True, metavar="FORMAT", help="csv, jsonl, xlsx, bodyfile, timesketch, "
              "kml, dfxml, case, canonical.")
@click.option("-o", "--output", required=True, type=click.Path(), help="Folder to write into.")
@click.option("--evidence", "evidence_ids", multiple=True, metavar="ID",
              help="Only this exhibit (repeatable; default every exhibit of the case).")
@click.option("--unmasked", is_flag=True, help="Card numbers whole (default: first six and last four digits).")
@click.option("--force", is_flag=True, help="Write into an existing, non-empty folder (same names overwritten).")
def export_cmd(case: str, fmt: str, output: str, evidence_ids: tuple[str, ...], unmasked: bool,
               force: bool) -> None:
    from triage.export import FORMATS, ExportOptions, exporter
    from triage.export.manifest import OutputExists, prepare_output_dir, write_manifest
    from triage.text import one_line

    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise _Usage(f"unknown export format {fmt!r}; formats: {', '.join(sorted(FORMATS))}")
    try:
        func = exporter(fmt)
    except (ModuleNotFoundError, AttributeError):
        raise SetupError(f"export format {fmt!r} is not available in this installation") from None
    with open_reader(case, list(evidence_ids)) as reader:
        try:
            out_dir = prepare_output_dir(output, force)
        except OutputExists as exc:
            raise _Usage(str(exc)) from None
        except OSError as exc:  # a folder that cannot be made (permissions, a read-only mount)
            raise SetupError(f"{output}: cannot make the output folder: {one_line(exc)}") from None
        interrupted = reader.interrupted()
        for reason in interrupted:
            console_err(f"warning: the case may be incomplete: {reason}; exported as it is")
        options = ExportOptions(evidence_ids=list(evidence_ids) or None, unmasked=unmasked)
        counts: dict[str, int | None] = {}
        notes: list[str] = []
        kwargs: dict[str, Any] = {}
        if _accepts(func, "counts"):
            kwargs["counts"] = counts
        if _accepts(func, "notes"):
            kwargs["notes"] = notes
        try:
            files = func(reader, out_dir, options, **kwargs)
            if fmt == "csv":
                from triage.export.safe import CSV_NEUTRALISATION_NOTE
                notes.insert(0, CSV_NEUTRALISATION_NOTE)
            if interrupted:
                notes.append("the case is incomplete (" + "; ".join(interrupted) + "): this export holds what "
                             "the case held when it was read")
            write_manifest(out_dir, files, kind=f"export:{fmt}", reader=reader, rows=counts, notes=notes,
                           options={"format": fmt, "evidence_ids": options.evidence_ids, "unmasked": unmasked,
                                    "force": force})
        except OSError as exc:
            raise EvidenceFailed(f"export failed writing {output}: {one_line(exc)}") from None
    rows = sum(n for n in counts.values() if n is not None)
    out(f"{fmt}: {len(files)} file(s), {rows} row(s) -> {out_dir}")
    if interrupted:
        raise SystemExit(EXIT_PARTIAL)
