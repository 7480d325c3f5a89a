"""``xlsx``: the findings as one workbook, a sheet per finding type: what financial investigators open.

Sheets, in order: ``Summary`` (the case, the exhibits, counts, masking,
incompleteness), one sheet per artefact type (``payment_card``, ``iban``,
``url`` ...: one row per artefact, its extra fields as columns of their
own), then ``Files``, ``YARA``, ``Hash hits``, ``Errors``.

Guarantees:

- no cell is a formula or a hyperlink and no text becomes a number:
  XlsxWriter runs with ``strings_to_formulas``, ``strings_to_urls`` and
  ``strings_to_numbers`` off and every value from the case is written with
  ``write_string`` (text) or ``write_number`` (integers and reals of the
  case), so ``=cmd|' -C calc'!A0`` is a text cell;
- values are exact, but for two rules of the file format: a text longer
  than Excel's 32,767 characters per cell is cut there and ends with
  ``TRUNCATION_MARK`` (counted in the manifest notes; the JSONL export has
  the whole value), and an integer beyond 2**53 (beyond what a spreadsheet
  number holds exactly) is written as text. Control characters are kept,
  stored as the ``_xHHHH_`` escapes of the format (Excel shows them decoded);
- times are the case's ISO 8601 UTC text, not spreadsheet dates (which
  carry no time zone and no microseconds);
- a sheet holds at most ``MAX_ROWS`` rows (Excel's 1,048,576, header
  included): the rows that follow go on ``NAME (2)``, ``NAME (3)`` ...;
- sheet names are made safe: at most 31 characters, none of ``[]:*?/\\``,
  no leading or trailing apostrophe, not ``History`` (reserved by Excel),
  unique ignoring case;
- card numbers masked unless ``--unmasked``;
- streamed: ``constant_memory`` mode writes each row to disk as the next
  starts, and the case is read row by row.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xlsxwriter

from triage import __version__
from triage.case.reader import ArtefactRow, ErrorRow, FileRow, HashHitRow
from triage.export import ExportOptions
from triage.export.safe import mask_card_numbers, mask_card_value

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

    from triage.case.reader import CaseReader

__all__ = ["MAX_CELL_CHARS", "MAX_ROWS", "TRUNCATION_MARK", "WORKBOOK", "export", "sheet_name"]

WORKBOOK = "findings.xlsx"
#: Excel's rows per sheet (header included)
MAX_ROWS = 1_048_576
#: Excel's characters per cell
MAX_CELL_CHARS = 32_767
TRUNCATION_MARK = " [truncated: longer than an Excel cell holds]"
_MAX_EXACT_INT = 2**53
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
_WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                     "constant_memory": True}

_ARTEFACT_COLUMNS = ("id", "evidence_id", "type", "value", "raw", "count", "confidence", "timestamp",
                     "file_path", "file_sha256", "file_id", "volume_id", "offset", "encoding", "context",
                     "plugin", "plugin_version")
_VALUE = _ARTEFACT_COLUMNS.index("value")
_FREE_TEXT = (_ARTEFACT_COLUMNS.index("raw"), _ARTEFACT_COLUMNS.index("context"))
_YARA_COLUMNS = ("id", "evidence_id", "rule", "namespace", "tags", "meta", "strings", "file_path", "file_sha256",
                 "file_id")


def sheet_name(base: str, taken: set[str], part: int = 1) -> str:
    """An Excel-safe, unique sheet name for ``base`` (``base (2)`` for its second part)."""
    name = _BAD_SHEET_CHARS.sub("_", base).strip("'") or "sheet"
    suffix = f" ({part})" if part > 1 else ""
    name = name[:31 - len(suffix)].rstrip("'") + suffix
    if name.lower() == "history":
        name = "History_"
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        tail = f"~{n}"
        candidate = name[:31 - len(tail)] + tail
    taken.add(candidate.lower())
    return candidate


class _Writer:
    """The workbook and its rules for cells: text bounded, numbers exact, nothing evaluated."""

    def __init__(self, path: Path, max_rows: int) -> None:
        if max_rows < 2:
            raise ValueError("max_rows must leave room for a header and a row")
        self.book = xlsxwriter.Workbook(str(path), _WORKBOOK_OPTIONS)
        self.max_rows = max_rows
        self.taken: set[str] = set()
        self.truncated = 0
        self.rows: dict[str, int] = {}
        self.bold = self.book.add_format({"bold": True})

    def cell(self, ws: Worksheet, row: int, col: int, value: Any) -> None:
        if value is None:
            return
        if isinstance(value, bool):
            ws.write_boolean(row, col, value)
        elif isinstance(value, int):
            if abs(value) > _MAX_EXACT_INT:
                ws.write_string(row, col, str(value))
            else:
                ws.write_number(row, col, value)
        elif isinstance(value, float):
            if math.isfinite(value):
                ws.write_number(row, col, value)
            else:
                ws.write_string(row, col, repr(value))
        else:
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
            if len(text) > MAX_CELL_CHARS:
                text = text[:MAX_CELL_CHARS - len(TRUNCATION_MARK)] + TRUNCATION_MARK
                self.truncated += 1
            ws.write_string(row, col, text)

    def table(self, base: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
              widths: dict[int, int] | None = None) -> None:
        """One logical table over as many sheets as the row limit needs (always one, with its header)."""
        part, ws, r = 0, None, 0
        for values in rows:
            if ws is None or r >= self.max_rows:
                part += 1
                ws, r = self._sheet(base, part, header, widths), 1
            for c, v in enumerate(values):
                self.cell(ws, r, c, v)
            r += 1
            self.rows[ws.name] = r - 1
        if ws is None:
            self.rows[self._sheet(base, 1, header, widths).name] = 0

    def _sheet(self, base: str, part: int, header: Sequence[str], widths: dict[int, int] | None) -> Worksheet:
        ws = self.book.add_worksheet(sheet_name(base, self.taken, part))
        for c, width in (widths or {}).items():
            ws.set_column(c, c, width)
        for c, h in enumerate(header):
            ws.write_string(0, c, h, self.bold)
        ws.freeze_panes(1, 0)
        return ws


def _summary(reader: CaseReader, options: ExportOptions, evidence_ids: list[str]) -> Iterator[list[Any]]:
    yield ["case", str(reader.path.resolve())]
    yield ["exported", datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")]
    yield ["tool", f"triage {__version__}"]
    yield ["runs", ", ".join(f"{r.id} ({r.status})" for r in reader.runs())]
    yield ["card numbers", "UNMASKED (whole)" if options.unmasked else "masked: first six and last four digits"]
    for reason in reader.interrupted():
        yield ["INCOMPLETE CASE", reason]
    for ev in reader.evidence(evidence_ids):
        yield []
        yield ["exhibit", ev.id]
        for label, value in (("case number", ev.case_number), ("evidence number", ev.evidence_number),
                             ("examiner", ev.examiner), ("path", ev.path), ("format", ev.format),
                             ("size", ev.size), ("stored MD5", ev.stored_md5), ("stored SHA-1", ev.stored_sha1),
                             ("verified", ev.verified), ("scan status", ev.status)):
            if value is not None:
                yield [label, value]
        for key, n in reader.file_counts(ev.id).items():
            yield [key, n]
    yield []
    yield ["artefact type", "rows", "files"]
    totals: dict[str, list[int]] = {}
    for ev_id in evidence_ids:
        for tc in reader.artefact_type_counts(ev_id):
            t = totals.setdefault(tc.name, [0, 0])
            t[0] += tc.count
            t[1] += tc.files
    for name, (count, files) in sorted(totals.items(), key=lambda kv: (-kv[1][0], kv[0])):
        yield [name, count, files]


def _artefact_rows(rows: Iterable[ArtefactRow], extra_keys: list[str], unmasked: bool) -> Iterator[list[Any]]:
    known = set(extra_keys)
    for a in rows:
        values: list[Any] = [getattr(a, c) for c in _ARTEFACT_COLUMNS]
        extra = a.extra if isinstance(a.extra, dict) else None
        values += [None if extra is None else extra.get(k) for k in extra_keys]
        other = None
        if extra is None and a.extra is not None:
            other = a.extra
        elif extra is not None and any(k not in known for k in extra):
            other = {k: v for k, v in extra.items() if k not in known}
        values.append(other)
        if not unmasked:
            values[_VALUE] = mask_card_value(a.type, values[_VALUE])
            for i in _FREE_TEXT:  # raw and context; never the file's path
                values[i] = mask_card_numbers(values[i])
            values[len(_ARTEFACT_COLUMNS):] = [_mask_deep(v) for v in values[len(_ARTEFACT_COLUMNS):]]
        yield values


def _mask_deep(value: Any) -> Any:
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict | list):
        return json.loads(mask_card_numbers(json.dumps(value, ensure_ascii=False)))
    return value


def _by_type(rows: Iterator[ArtefactRow]) -> Iterator[tuple[str, Iterator[ArtefactRow]]]:
    """Group a stream ordered by type into (type, rows of that type) without holding a group."""
    head: list[ArtefactRow | None] = [next(rows, None)]

    def group(t: str) -> Iterator[ArtefactRow]:
        while head[0] is not None and head[0].type == t:
            yield head[0]
            head[0] = next(rows, None)

    while head[0] is not None:
        t = head[0].type
        g = group(t)
        yield t, g
        for _ in g:  # a consumer that stopped early: skip the rest of the group
            pass


def _dataclass_rows(rows: Iterable[Any], columns: Sequence[str]) -> Iterator[list[Any]]:
    for r in rows:
        yield [getattr(r, c) for c in columns]


def export(reader: CaseReader, out: Path, options: ExportOptions, counts: dict[str, int | None] | None = None,
           notes: list[str] | None = None, max_rows: int = MAX_ROWS) -> list[Path]:
    """``findings.xlsx``; ``max_rows`` (rows per sheet, header included) is lowered by tests only."""
    evidence_ids = list(options.evidence_ids) if options.evidence_ids is not None else reader.evidence_ids()
    path = out / WORKBOOK
    w = _Writer(path, max_rows)
    try:
        w.table("Summary", ["item", "value", "files"], _summary(reader, options, evidence_ids), {0: 22, 1: 60})
        extra_keys = reader.artefact_extra_keys(evidence_ids)
        for typ, rows in _by_type(reader.iter_artefacts(evidence_ids, order_by="type")):
            keys = extra_keys.get(typ, [])
            header = [*_ARTEFACT_COLUMNS, *(f"extra.{k}" for k in keys), "extra (other)"]
            w.table(typ, header, _artefact_rows(rows, keys, options.unmasked), {3: 40, 8: 50, 14: 60})
        file_cols = [f.name for f in fields(FileRow)]
        w.table("Files", file_cols, _dataclass_rows(reader.iter_files(evidence_ids), file_cols), {3: 60})
        yara_rows = _dataclass_rows(reader.iter_yara_matches(evidence_ids), _YARA_COLUMNS)
        if not options.unmasked:
            yara_rows = ([*r[:6], _mask_deep(r[6]), *r[7:]] for r in yara_rows)
        w.table("YARA", _YARA_COLUMNS, yara_rows)
        hash_cols = [f.name for f in fields(HashHitRow)]
        w.table("Hash hits", hash_cols, _dataclass_rows(reader.iter_hash_hits(evidence_ids), hash_cols))
        error_cols = [f.name for f in fields(ErrorRow)]
        w.table("Errors", error_cols, _dataclass_rows(reader.iter_errors(evidence_ids), error_cols))
    finally:
        w.book.close()
    if counts is not None:
        counts[path.name] = sum(n for name, n in w.rows.items() if name != "Summary")
    if notes is not None:
        notes.append("xlsx: rows per sheet: " + ", ".join(f"{k}={v}" for k, v in w.rows.items()))
        if w.truncated:
            notes.append(f"xlsx: {w.truncated} cell(s) longer than 32,767 characters cut, ending with "
                         f"{TRUNCATION_MARK.strip()!r}; the jsonl export holds them whole")
    return [path]


