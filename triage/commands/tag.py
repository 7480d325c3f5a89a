"""`triage tag`: mark a file, artefact or YARA match as relevant (or anything else), with a note.

The review pages set tags too; this is the same operation from a terminal,
so a report (`--tagged-only`) or an extraction (`--tagged`) can be scripted.
"""

from __future__ import annotations

import click

from triage.case.schema import SchemaError
from triage.commands.common import SetupError, out


@click.command("tag")
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--file-id", "file_id", type=int, help="Tag this file (files.id).")
@click.option("--artefact-id", "artefact_id", type=int, help="Tag this artefact (artefacts.id).")
@click.option("--yara-id", "yara_id", type=int, help="Tag this YARA match (yara_matches.id).")
@click.option("--tag", "tag", default="relevant", show_default=True, help="The tag.")
@click.option("--note", help="A note kept with the tag.")
@click.option("--examiner", help="Who tagged it.")
def tag_cmd(case: str, file_id: int | None, artefact_id: int | None, yara_id: int | None, tag: str,
            note: str | None, examiner: str | None) -> None:
    """Tag one item of CASE."""
    from pathlib import Path

    from triage.case.writer import CaseWriter

    chosen = [(t, i) for t, i in (("file", file_id), ("artefact", artefact_id), ("yara_match", yara_id))
              if i is not None]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --file-id, --artefact-id, --yara-id")
    if not Path(case).is_file():
        raise SetupError(f"{case}: no such case database")
    target, target_id = chosen[0]
    try:
        writer = CaseWriter(case)
    except SchemaError as exc:
        raise SetupError(str(exc)) from None
    try:
        tag_id = writer.add_tag(target, target_id, tag.strip(), note, examiner)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        writer.close()
    out(f"tag {tag_id}: {target} {target_id} {tag}")


__all__ = ["tag_cmd"]
