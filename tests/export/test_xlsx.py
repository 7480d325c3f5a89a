"""xlsx export read back with openpyxl: no formula, no hyperlink, values exact, sheets split before the limit."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.conftest import FIXTURES, scan_case
from triage.case.reader import ArtefactRow, open_case
from triage.export import ExportOptions
from triage.export.xlsx import (
    _ARTEFACT_COLUMNS,
    MAX_CELL_CHARS,
    TRUNCATION_MARK,
    WORKBOOK,
    _artefact_rows,
    _Writer,
    export,
    sheet_name,
)

IMAGES = FIXTURES / "images"
_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _scan(image: Path, db: Path, *extra: str) -> None:
    scan_case(image, db, *extra)


def _text(value: Any) -> Any:
    """A cell as Excel shows it: the format's _xHHHH_ escapes decoded (openpyxl leaves them)."""
    if isinstance(value, str):
        return _XESC.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("xlsx") / "case.db"
    _scan(IMAGES / "hostile.raw", db)
    _scan(IMAGES / "structured.raw", db, "--no-yara")
    return db


def _export(db: Path, out: Path, **kw: Any) -> tuple[openpyxl.Workbook, list[str]]:
    opts = {k: kw.pop(k) for k in ("evidence_ids", "unmasked") if k in kw}
    notes: list[str] = []
    out.mkdir(parents=True, exist_ok=True)
    with open_case(db) as reader:
        paths = export(reader, out, ExportOptions(**opts), notes=notes, **kw)
    assert paths == [out / WORKBOOK]
    return openpyxl.load_workbook(paths[0]), notes


def _sheet_rows(book: openpyxl.Workbook, base: str) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of one logical table over its sheets (``base``, ``base (2)`` ...)."""
    names = [n for n in book.sheetnames if n == base or re.fullmatch(re.escape(base) + r" \(\d+\)", n)]
    header: list[str] = []
    rows: list[list[Any]] = []
    for n in names:
        ws = book[n]
        got = [list(r) for r in ws.iter_rows(values_only=True)]
        header = got[0]
        rows += got[1:]
    return header, rows


def test_nothing_evaluated(case: Path, tmp_path: Path) -> None:
    book, _notes = _export(case, tmp_path)
    formula_like = 0
    for ws in book.worksheets:
        assert not ws._hyperlinks
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    formula_like += 1
                    assert cell.data_type == "s"
    assert formula_like >= 4  # hostile names and contents that start like formulas, kept as text


def test_values_exact(case: Path, tmp_path: Path) -> None:
    book, _ = _export(case, tmp_path, unmasked=True)
    with open_case(case) as reader:
        files = list(reader.iter_files())
        artefacts = list(reader.iter_artefacts(order_by="type"))
        extra_keys = reader.artefact_extra_keys()
    header, rows = _sheet_rows(book, "Files")
    assert len(rows) == len(files)
    for row, f in zip(rows, files):
        for col, value in zip(header, row):
            assert _text(value) == getattr(f, col), (f.id, col)
    names = {_text(r[header.index("name")]) for r in rows}
    assert "line1\nline2\ttab\r.txt" in names and "=cmd|' -C calc'!A0.csv" in names
    by_type: dict[str, list[Any]] = {}
    for a in artefacts:
        by_type.setdefault(a.type, []).append(a)
    for typ, want in by_type.items():
        header, rows = _sheet_rows(book, typ)
        assert len(rows) == len(want), typ
        for row, a in zip(rows, want):
            cells = dict(zip(header, (_text(v) for v in row)))
            for col in ("id", "value", "raw", "context", "file_path", "offset", "timestamp", "count"):
                assert cells[col] == getattr(a, col), (typ, a.id, col)
            for k in extra_keys.get(typ, []):
                v = a.extra.get(k) if isinstance(a.extra, dict) else None
                got = cells[f"extra.{k}"]
                if isinstance(v, dict | list):
                    assert json.loads(got) == v
                else:
                    assert got == v, (typ, a.id, k)


def test_cards_masked_unless_asked(case: Path, tmp_path: Path) -> None:
    with open_case(case) as reader:
        pans = {a.value for a in reader.iter_artefacts(types=["payment_card"])}
    assert pans
    book, _ = _export(case, tmp_path / "m")
    cells = " ".join(str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r)
    assert not any(p in cells for p in pans)
    assert "masked: first six and last four digits" in cells
    book, _ = _export(case, tmp_path / "u", unmasked=True)
    header, rows = _sheet_rows(book, "payment_card")
    assert {r[header.index("value")] for r in rows} == pans
    summary = [r for r in book["Summary"].iter_rows(values_only=True)]
    assert ("card numbers", "UNMASKED (whole)", None) in summary


def test_sheets_split_before_the_row_limit(case: Path, tmp_path: Path) -> None:
    with open_case(case) as reader:
        n_url = reader.count_artefacts(types=["url"])
        url_ids = [a.id for a in reader.iter_artefacts(types=["url"], order_by="type")]  # by value, then id
        n_files = reader.count_files()
    book, notes = _export(case, tmp_path, max_rows=10)  # 9 rows + header per sheet
    parts = [n for n in book.sheetnames if n == "url" or n.startswith("url (")]
    assert parts == ["url"] + [f"url ({i})" for i in range(2, len(parts) + 1)]
    assert len(parts) == -(-n_url // 9) and n_url > 9
    for n in parts:
        assert book[n].max_row <= 10 and book[n]["A1"].value == "id"
    header, rows = _sheet_rows(book, "url")
    ids = [r[0] for r in rows]
    assert len(ids) == n_url and ids == url_ids
    assert len(_sheet_rows(book, "Files")[1]) == n_files
    assert any(n.startswith("xlsx: rows per sheet") for n in notes)
    assert book.sheetnames[0] == "Summary" and book.sheetnames[-1].startswith("Errors")


def test_sheet_names() -> None:
    taken: set[str] = set()
    assert sheet_name("payment_card", taken) == "payment_card"
    assert sheet_name("a[b]:c*d?e/f\\g", taken) == "a_b__c_d_e_f_g"
    long = "x" * 40
    assert sheet_name(long, taken) == "x" * 31
    assert sheet_name(long, taken, part=2) == "x" * 27 + " (2)"
    assert sheet_name("PAYMENT_CARD", taken) == "PAYMENT_CARD~2"  # Excel compares names ignoring case
    assert sheet_name("'quoted'", taken) == "quoted"
    assert sheet_name("History", taken) == "History_"
    assert all(len(n) <= 31 for n in taken)


def test_long_cells_bounded(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    w = _Writer(path, max_rows=100)
    w.table("t", ["v"], [["y" * (MAX_CELL_CHARS + 10)], ["z" * MAX_CELL_CHARS], [2**60], [-1], [float("nan")]])
    w.book.close()
    assert w.truncated == 1
    ws = openpyxl.load_workbook(path)["t"]
    cut = ws["A2"].value
    assert len(cut) == MAX_CELL_CHARS and cut.endswith(TRUNCATION_MARK)
    assert ws["A3"].value == "z" * MAX_CELL_CHARS
    assert ws["A4"].value == str(2**60) and ws["A5"].value == -1 and ws["A6"].value == "nan"


def test_masking_spares_paths() -> None:
    a = ArtefactRow(id=1, evidence_id="EV", type="payment_card", value="4111111111111111", plugin="cards",
                    raw="4111 1111 1111 1111", context="pan [4111 1111 1111 1111] 5555555555554444",
                    file_path="/cards/4111111111111111.txt", file_sha256="ab" * 32,
                    extra={"brand": "visa", "note": "also 5555555555554444"})
    (row,) = _artefact_rows([a], ["brand", "note"], unmasked=False)
    cells = dict(zip([*_ARTEFACT_COLUMNS, "extra.brand", "extra.note", "extra (other)"], row))
    assert cells["value"] == "411111******1111" and cells["raw"] == "4111 11** **** 1111"
    assert cells["context"] == "pan [4111 11** **** 1111] 555555******4444"
    assert cells["extra.note"] == "also 555555******4444" and cells["extra.brand"] == "visa"
    assert cells["file_path"] == "/cards/4111111111111111.txt"  # how the file is found: never rewritten
    (row,) = _artefact_rows([a], ["brand", "note"], unmasked=True)
    assert "4111111111111111" in row and "4111 1111 1111 1111" in row
