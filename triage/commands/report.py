"""`triage report`: the case report an investigator reads, as one self-contained HTML file or a PDF.

Thin: checks the command line, opens the case through the reader, builds the
model (``triage.reports.html``) and writes it; ``docs/reports.md`` says what
each section holds. The report is written to a temporary file beside the
output and renamed into place, so a failure never leaves half a report and
never replaces an existing one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from triage.commands.common import EXIT_PARTIAL, EXIT_USAGE, EvidenceFailed, SetupError, console_err, open_reader, out

__all__ = ["report_cmd"]

_HELP = """Write the report of CASE to OUTPUT: one self-contained HTML file (or PDF).

\b
Sections: cover (case, exhibits, hashes, partitions, every run, versions),
triage verdict per exhibit, key findings (numbered, DRAFT for the examiner
to confirm), findings by type, charts, drill-down tables, photo GPS points,
examiner tags, coverage and limitations. Card numbers are masked (first six,
last four) unless --unmasked. Long tables show their first --rows rows and
say how many there are (the exports hold every row).

\b
Exit codes:
  0  written
  1  written, but the case is incomplete (an interrupted or failed scan:
     stated on stderr and in a banner at the top of the report)
  2  bad usage: unknown --evidence, OUTPUT exists (nothing is overwritten
     without --force) or is a folder
  3  the report failed while writing (disk full, permissions, the PDF
     renderer failed): nothing written
  4  cannot start: no case at CASE, not a case, a case from a newer triage,
     no PDF renderer for --format pdf
"""


class _Usage(click.ClickException):
    """Bad usage told in one line."""

    exit_code = EXIT_USAGE


def _publish(tmp: Path, target: Path) -> None:
    """The finished temporary file in place, with the permissions a new file would have had."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)
    os.replace(tmp, target)


@click.command("report", help=_HELP)
@click.argument("case", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(), help="The report file to write.")
@click.option("--evidence", "evidence_ids", multiple=True, metavar="ID",
              help="Only this exhibit (repeatable; default every exhibit of the case).")
@click.option("--tagged-only", is_flag=True, help="Only tagged files, files holding a tagged finding, and the "
              "findings in them.")
@click.option("--unmasked", is_flag=True, help="Card numbers whole (default: first six and last four digits); "
              "the cover says so.")
@click.option("--format", "fmt", type=click.Choice(["html", "pdf"], case_sensitive=False), default=None,
              help="html (default; pdf when OUTPUT ends in .pdf) or pdf (headless Chromium or WeasyPrint).")
@click.option("--rows", "max_rows", type=click.IntRange(1, 1_000_000), default=500, show_default=True,
              help="Rows shown per drill-down table.")
@click.option("--examiner", help="Who prepared the report (named on the cover).")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def report_cmd(case: str, output: str, evidence_ids: tuple[str, ...], tagged_only: bool, unmasked: bool,
               fmt: str | None, max_rows: int, examiner: str | None, force: bool) -> None:
    from triage.export.manifest import OutputExists, check_output_file, sha256_file
    from triage.reports.html import ReportOptions, build_model, render_html
    from triage.text import one_line

    fmt = (fmt or ("pdf" if output.lower().endswith(".pdf") else "html")).lower()
    try:
        target = check_output_file(output, force)
    except OutputExists as exc:
        raise _Usage(str(exc)) from None
    renderer = None
    if fmt == "pdf":
        from triage.reports.pdf import PdfUnavailable, find_renderer

        try:
            renderer = find_renderer()
        except PdfUnavailable as exc:
            raise SetupError(str(exc)) from None
    with open_reader(case, list(evidence_ids)) as reader:
        interrupted = reader.interrupted()
        for reason in interrupted:
            console_err(f"warning: the case may be incomplete: {reason}; reported as it is, with a banner")
        model = build_model(reader, ReportOptions(evidence_ids=list(evidence_ids) or None, tagged_only=tagged_only,
                                                  unmasked=unmasked, max_rows=max_rows, examiner=examiner,
                                                  for_print=fmt == "pdf"))
        folder = target.resolve().parent
        tmp_html: Path | None = None
        tmp_pdf: Path | None = None
        try:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".html", dir=folder)
            tmp_html = Path(name)
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                for part in render_html(model):
                    fh.write(part)
            if fmt == "pdf":
                from triage.reports.pdf import PdfError, html_to_pdf

                fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".pdf", dir=folder)
                os.close(fd)
                tmp_pdf = Path(name)
                try:
                    html_to_pdf(tmp_html, tmp_pdf, renderer)
                except PdfError as exc:
                    raise EvidenceFailed(f"report failed: {exc}; nothing written") from None
                _publish(tmp_pdf, target)
                tmp_pdf = None
            else:
                _publish(tmp_html, target)
                tmp_html = None
        except OSError as exc:
            raise EvidenceFailed(f"report failed writing {output}: {one_line(exc)}; nothing written") from None
        finally:
            for leftover in (tmp_html, tmp_pdf):
                if leftover is not None:
                    leftover.unlink(missing_ok=True)
    findings = len(model.key_findings)
    out(f"report: {target} ({fmt}, {len(model.exhibits)} exhibit(s), {findings} key finding(s), "
        f"sha256 {sha256_file(target)})")
    if interrupted:
        raise SystemExit(EXIT_PARTIAL)
