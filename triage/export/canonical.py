"""``canonical``: the case's findings as one JSONL file that is the same, byte for byte, for the same evidence.

Two scans of the same evidence with the same options (into two cases, or
before and after a change to the code) must give the same rows; this export
is how that is checked. Every table of the case but the run bookkeeping
(``runs``) is written, one JSON object per line (``{"table": ..., "row": {...}}``,
the row's keys sorted), tables in a fixed order, rows sorted by natural keys
(``CaseReader.iter_natural``: files by evidence and ``entry_key``, artefacts
by evidence, volume, file, type, value, offset, ...).

What differs between two runs over the same evidence is left out or made
natural:

- surrogate ids (``id``, ``volume_id``, ``file_id``, ``parent_id``,
  ``tags.target_id``) are replaced by natural references (``volume_addr`` and
  ``volume_offset``; ``file_key``/``parent_key``, the file's ``entry_key``);
  ``artefact_key`` and ``error_key`` are hashes over surrogate ids, so they go;
- run ids and times (``run_id``, ``last_run_id``, ``first_scanned``,
  ``last_scanned``, ``created``, ``verified_at``), tool and plugin versions
  (``plugin_version``) go;
- the evidence's absolute path and its segments keep the file name only;
  a temporary copy's folder named in an error message is written ``<temp>``.

JSON columns are written as parsed objects, keys sorted; card numbers are
masked unless ``--unmasked``, as in every export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from triage.export import ExportOptions
from triage.export.safe import mask_row
from triage.export.tables import JSON_COLUMNS

if TYPE_CHECKING:
    from pathlib import Path

    from triage.case.reader import CaseReader

__all__ = ["DROPPED", "TABLES", "canonical_lines", "export"]

#: tables written, in this order (``runs`` is the run bookkeeping and is left out)
TABLES = ("evidence", "volumes", "files", "artefacts", "yara_matches", "hash_hits", "errors", "progress", "tags")

#: columns never written: surrogate ids, hashes over them, run ids, run and scan times, versions
DROPPED = frozenset({
    "id", "volume_id", "file_id", "parent_id", "target_id", "run_id", "last_run_id", "artefact_key", "error_key",
    "first_scanned", "last_scanned", "created", "verified_at", "plugin_version",
})

#: a temporary copy's folder (``tempfile.mkdtemp(prefix="triage-")`` in the engine, ``triage-sqlite-`` in
#: the plugins) as a parser's error message may name it: random per run, so written as ``<temp>``
_TEMP_DIR = re.compile(r"(?:/[^\s'\"/]+)*/triage-(?:sqlite-)?[A-Za-z0-9_]{8}(?=/)")

_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=True)


def _file_name(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        return value
    return PurePath(value).name


def _parsed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _canonical_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in DROPPED}
    for col in JSON_COLUMNS.get(table, ()):
        if col in out:
            out[col] = _parsed(out[col])
    if table == "errors" and isinstance(out.get("message"), str):
        out["message"] = _TEMP_DIR.sub("<temp>", out["message"])
    if table == "evidence":
        out["path"] = _file_name(out.get("path"))
        segments = out.get("segments")
        if isinstance(segments, list):
            out["segments"] = [_file_name(s) for s in segments]
    for k, v in out.items():
        if isinstance(v, bytes):  # no BLOB column exists; hex keeps one exact if it ever does
            out[k] = v.hex()
    return out


def _table_lines(reader: CaseReader, options: ExportOptions) -> Iterator[tuple[str, str]]:
    for table in TABLES:
        for row in reader.iter_natural(table, options.evidence_ids):
            if not options.unmasked:
                row = mask_row(table, row)
            yield table, f'{{"table":"{table}","row":{_ENCODER.encode(_canonical_row(table, row))}}}\n'


def canonical_lines(reader: CaseReader, options: ExportOptions | None = None) -> Iterator[str]:
    """Every line of the canonical dump (with its newline), streamed."""
    return (line for _table, line in _table_lines(reader, options or ExportOptions()))


def export(reader: CaseReader, out: Path, options: ExportOptions, counts: dict[str, int | None] | None = None,
           ) -> list[Path]:
    """Write ``canonical.jsonl`` into ``out``; ``counts`` gets the rows per table."""
    path = out / "canonical.jsonl"
    n: dict[str, int] = dict.fromkeys(TABLES, 0)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for table, line in _table_lines(reader, options):
            fh.write(line)
            n[table] += 1
    if counts is not None:
        counts.update(n)
    return [path]
