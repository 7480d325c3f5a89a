"""`triage extract`: copy selected files out of the evidence into a folder, re-verified, with a manifest.

Thin: checks the command line, opens the case through the reader, selects
and copies through :mod:`triage.extract.run`, writes the manifests.
``docs/extract.md`` describes the output.
"""

from __future__ import annotations

import re

import click

from triage.commands.common import EXIT_FAILED, EXIT_PARTIAL, EXIT_USAGE, EvidenceFailed, console_err, open_reader, out

__all__ = ["extract_cmd"]

_HELP = """Copy files of CASE out of their evidence into the folder OUTPUT (made if missing).

\b
Select with any of --file-id, --sha256, --artefact-type (the files holding
one), --yara (the files a rule matched), --tagged (see `triage tag`); what
they select together is copied, within --evidence when given. Each copy is
read from the evidence read-only, its SHA-256 checked against the case while
it is written (a copy that differs is removed), and named safely for any
host (OUTPUT/files/). OUTPUT gets extracted.csv and extracted.json (original
path, exhibit, volume, inode, hashes, verified, new name) and MANIFEST.sha256
(sha256sum -c) with manifest.json.

\b
Exit codes:
  0  every selected file copied and verified
  1  some were not: a hash mismatch (the evidence changed), an image missing
     or moved (--evidence-path ID=PATH points at it), a file that cannot be
     read back; one line each on stderr, all in extracted.csv
  2  bad usage: no selection, a bad SHA-256, unknown --evidence, OUTPUT
     exists and is not empty (nothing is overwritten without --force)
  3  nothing selected, or nothing could be copied and nothing differed
     (no exhibit could be opened, every file a directory or unreadable)
  4  cannot start: no case at CASE, not a case, a case from a newer triage
"""

_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


class _Usage(click.ClickException):
    exit_code = EXIT_USAGE


def _evidence_paths(values: tuple[str, ...]) -> dict[str, str]:
    paths: dict[str, str] = {}
    for v in values:
        ident, sep, path = v.partition("=")
        if not sep or not ident or not path:
            raise _Usage(f"--evidence-path {v!r}: give ID=PATH")
        paths[ident] = path
    return paths


@click.command("extract", help=_HELP)
@click.argument("case", type=click.Path())
@click.option("--file-id", "file_ids", type=int, multiple=True, metavar="N", help="This file (files.id; repeatable).")
@click.option("--sha256", "sha256", multiple=True, metavar="H", help="Files with this SHA-256 (repeatable).")
@click.option("--artefact-type", "artefact_types", multiple=True, metavar="T",
              help="Files holding an artefact of this type (payment_card, stealer_log ...; repeatable).")
@click.option("--yara", "yara_rules", multiple=True, metavar="RULE", help="Files this YARA rule matched (repeatable).")
@click.option("--tagged", is_flag=True, help="Tagged files, and files holding a tagged artefact or match.")
@click.option("--evidence", "evidence_ids", multiple=True, metavar="ID", help="Only from this exhibit (repeatable).")
@click.option("--evidence-path", "evidence_paths", multiple=True, metavar="ID=PATH",
              help="Read exhibit ID from PATH (the image was moved since the scan; repeatable).")
@click.option("-o", "--output", required=True, type=click.Path(), help="Folder to copy into.")
@click.option("--force", is_flag=True, help="Use an existing, non-empty folder (files already there are kept; "
              "new copies get numbered names).")
def extract_cmd(case: str, file_ids: tuple[int, ...], sha256: tuple[str, ...], artefact_types: tuple[str, ...],
                yara_rules: tuple[str, ...], tagged: bool, evidence_ids: tuple[str, ...],
                evidence_paths: tuple[str, ...], output: str, force: bool) -> None:
    from triage.export.manifest import OutputExists, prepare_output_dir, write_manifest
    from triage.export.safe import CSV_NEUTRALISATION_NOTE
    from triage.extract.run import (
        EXTRACTED,
        MISMATCH,
        Selection,
        display,
        extract,
        select_files,
        write_records,
    )
    from triage.text import one_line

    sel = Selection(file_ids=file_ids, sha256=tuple(h.lower() for h in sha256), artefact_types=artefact_types,
                    yara_rules=yara_rules, tagged=tagged, evidence_ids=evidence_ids or None)
    if sel.empty():
        raise _Usage("nothing to select: give --file-id, --sha256, --artefact-type, --yara or --tagged")
    bad = [h for h in sha256 if not _SHA256.match(h)]
    if bad:
        raise _Usage(f"--sha256 {display(bad[0], 80)!r}: not a SHA-256 (64 hexadecimal digits)")
    paths = _evidence_paths(evidence_paths)
    with open_reader(case, list(evidence_ids) + list(paths)) as reader:
        rows = select_files(reader, sel)
        if not rows:
            raise EvidenceFailed(f"{case}: nothing selected: no file of the case matches; nothing copied")
        try:
            out_dir = prepare_output_dir(output, force)
        except OutputExists as exc:
            raise _Usage(str(exc)) from None
        for reason in reader.interrupted():
            console_err(f"warning: the case may be incomplete: {reason}")
        try:
            result = extract(reader, rows, out_dir, paths)
            records = write_records(out_dir, result)
            notes = [CSV_NEUTRALISATION_NOTE.replace("CSV:", "extracted.csv:", 1),
                     "files/ holds the copies under host-safe names; extracted.csv and extracted.json give each "
                     "copy's original path, exhibit and the hashes the case recorded"]
            write_manifest(out_dir, [*result.written, *records], kind="extract", reader=reader,
                           rows={"extracted.csv": len(result.files), "extracted.json": len(result.files)},
                           notes=notes,
                           options={"file_ids": list(file_ids), "sha256": list(sel.sha256),
                                    "artefact_types": list(artefact_types), "yara_rules": list(yara_rules),
                                    "tagged": tagged, "evidence_ids": list(evidence_ids) or None,
                                    "evidence_paths": paths, "force": force})
        except OSError as exc:
            raise EvidenceFailed(f"extract failed writing {output}: {one_line(exc)}") from None
    for why in result.unavailable.values():
        console_err(f"error: {display(why)}")
    for rec in result.files:
        if rec.status != EXTRACTED:
            console_err(f"not extracted: {rec.exhibit} file {rec.file_id} {display(rec.original_path)}: "
                        f"{rec.status}: {display(rec.reason or '')}")
    done = result.count(EXTRACTED)
    out(f"extracted {done} of {len(result.files)} file(s), verified against the case -> {out_dir}")
    if done == len(result.files):
        return
    if done == 0 and result.count(MISMATCH) == 0:
        raise SystemExit(EXIT_FAILED)
    raise SystemExit(EXIT_PARTIAL)
