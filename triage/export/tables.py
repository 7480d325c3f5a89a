"""``csv`` and ``jsonl``: every case table as it is, one file per table, streamed.

The findings (files, artefacts, yara_matches, hash_hits, errors) and, for
completeness, the tables that say where they came from (evidence, volumes,
runs, tags): each is read through the reader's ``iter_table`` (a cursor,
2,000 rows at a time) and written row by row, columns in schema order.

CSV (RFC 4180, UTF-8 without a byte-order mark, CRLF rows, every field that
needs it quoted): a text cell that a spreadsheet would evaluate (``=``,
``+``, ``-``, ``@``, tab, CR, LF first) gets a leading ``'``; integer and
real columns are written as numbers and never touched (``-1``, the whole-media
volume address, stays ``-1``). The manifest carries the note.

JSONL: one JSON object per line (UTF-8), every value exact; the JSON columns
(``runs.evidence_ids``/``options``/``versions``, ``evidence.segments``/``extra``,
``artefacts.extra``, ``yara_matches.tags``/``meta``/``strings``) are written as
the parsed objects, not as text inside text (a value that is not valid JSON
stays a string).

Card numbers are masked in both unless ``--unmasked`` (see ``safe.py``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from triage.export import ExportOptions
from triage.export.safe import mask_row, neutralise_csv

if TYPE_CHECKING:
    from triage.case.reader import CaseReader

__all__ = ["JSON_COLUMNS", "TABLES", "export_csv", "export_jsonl", "table_rows"]

#: exported tables, findings first
TABLES = ("files", "artefacts", "yara_matches", "hash_hits", "errors", "evidence", "volumes", "runs", "tags")

#: columns holding JSON text (docs/schema.md)
JSON_COLUMNS: dict[str, frozenset[str]] = {
    "runs": frozenset({"evidence_ids", "options", "versions"}),
    "evidence": frozenset({"segments", "extra"}),
    "artefacts": frozenset({"extra"}),
    "yara_matches": frozenset({"tags", "meta", "strings"}),
}


def table_rows(reader: CaseReader, table: str, options: ExportOptions) -> Iterator[dict[str, Any]]:
    """One table's rows as raw column values, for the exhibits asked for, card numbers masked unless asked."""
    if table == "evidence":
        wanted = None if options.evidence_ids is None else set(options.evidence_ids)
        rows: Iterator[dict[str, Any]] = (r for r in reader.iter_table("evidence")
                                          if wanted is None or r["id"] in wanted)
    elif table == "runs":  # the whole audit trail: a run may span several exhibits
        rows = reader.iter_table("runs")
    else:
        rows = reader.iter_table(table, options.evidence_ids)
    if options.unmasked:
        return rows
    return (mask_row(table, r) for r in rows)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):  # no BLOB column exists; hex keeps one exact if it ever does
        return value.hex()
    return value


def _decode_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _write_tables(reader: CaseReader, out: Path, options: ExportOptions, suffix: str,
                  open_writer: Callable[[IO[str], str, list[str]], Callable[[dict[str, Any]], None]],
                  counts: dict[str, int | None] | None) -> list[Path]:
    written = []
    for table in TABLES:
        cols = reader.columns(table)
        if not cols:  # a table this case does not have (tags in a schema-1 case)
            continue
        path = out / f"{table}.{suffix}"
        n = 0
        with open(path, "w", encoding="utf-8", newline="") as fh:
            write = open_writer(fh, table, cols)
            for row in table_rows(reader, table, options):
                write(row)
                n += 1
        written.append(path)
        if counts is not None:
            counts[path.name] = n
    return written


def export_csv(reader: CaseReader, out: Path, options: ExportOptions,
               counts: dict[str, int | None] | None = None) -> list[Path]:
    """``TABLE.csv`` per table: header row, then one row per case row, text cells neutralised."""
    def open_writer(fh: IO[str], table: str, cols: list[str]) -> Callable[[dict[str, Any]], None]:
        w = csv.writer(fh, dialect="excel")
        w.writerow(cols)

        def write(row: dict[str, Any]) -> None:
            # iter_table's dicts hold the columns in schema order, as the header
            w.writerow([neutralise_csv(v) if type(v) is not bytes else v.hex() for v in row.values()])
        return write

    return _write_tables(reader, out, options, "csv", open_writer, counts)


def export_jsonl(reader: CaseReader, out: Path, options: ExportOptions,
                 counts: dict[str, int | None] | None = None) -> list[Path]:
    """``TABLE.jsonl`` per table: one object per row, keys in schema order, JSON columns as objects."""
    def open_writer(fh: IO[str], table: str, cols: list[str]) -> Callable[[dict[str, Any]], None]:
        json_cols = JSON_COLUMNS.get(table, frozenset())

        def write(row: dict[str, Any]) -> None:
            obj = {c: (_decode_json(row[c]) if c in json_cols else _plain(row[c])) for c in cols}
            fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")
        return write

    return _write_tables(reader, out, options, "jsonl", open_writer, counts)
