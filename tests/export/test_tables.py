"""csv and jsonl exports of real cases: every row, values exact (JSONL) or neutralised (CSV), cards masked."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, scan_case
from triage.case.reader import open_case
from triage.export import ExportOptions
from triage.export.safe import CSV_NEUTRALISATION_NOTE, mask_card_numbers, neutralise_csv
from triage.export.tables import JSON_COLUMNS, TABLES, export_csv, export_jsonl

IMAGES = FIXTURES / "images"


def _scan(image: Path, db: Path, *extra: str) -> None:
    scan_case(image, db, *extra)


def _triage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hostile names and contents plus planted cards (live, unallocated, in neighbours' context), one case."""
    db = tmp_path_factory.mktemp("tables") / "case.db"
    _scan(IMAGES / "hostile.raw", db)
    _scan(IMAGES / "artefacts.raw", db, "--no-yara")
    return db


def _db_rows(db: Path, table: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY id")]
    finally:
        conn.close()


def _pans(db: Path) -> set[str]:
    return {str(r["value"]) for r in _db_rows(db, "artefacts") if r["type"] in ("payment_card", "card_track")}


@pytest.fixture(scope="module")
def csv_out(case: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("csv") / "out"
    res = _triage("export", str(case), "--format", "csv", "-o", str(out))
    assert res.returncode == 0, res.stderr
    return out


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_csv_every_table_every_row(case: Path, csv_out: Path) -> None:
    manifest = json.loads((csv_out / "manifest.json").read_text(encoding="utf-8"))
    rows_by_file = {f["path"]: f["rows"] for f in manifest["files"]}
    for table in TABLES:
        header, rows = _read_csv(csv_out / f"{table}.csv")
        db_rows = _db_rows(case, table)
        assert header == list(db_rows[0].keys()) if db_rows else header
        assert len(rows) == len(db_rows) == rows_by_file[f"{table}.csv"], table
    assert CSV_NEUTRALISATION_NOTE in manifest["notes"]
    assert manifest["card_numbers"].startswith("masked")


def test_csv_text_neutralised_numbers_kept(case: Path, csv_out: Path) -> None:
    header, rows = _read_csv(csv_out / "files.csv")
    db_rows = _db_rows(case, "files")
    starters = 0
    for got, want in zip(rows, db_rows):
        for col, cell in zip(header, got):
            v = want[col]
            if v is None:
                assert cell == ""
            elif isinstance(v, str):
                if v[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
                    starters += 1
                    assert cell == "'" + v, (col, v)
                else:
                    assert cell == v
            elif isinstance(v, int):
                assert cell == str(v)  # numbers are never prefixed
            else:
                assert float(cell) == v
    assert starters >= 4  # =cmd..., +SUM, -2+3, @SUM names of hostile.raw
    names = {r[header.index("name")] for r in rows}
    assert "'=cmd|' -C calc'!A0.csv" in names and "'-2+3.txt" in names and "'@SUM(A1).txt" in names
    assert "line1\nline2\ttab\r.txt" in names  # quoted by the CSV writer, kept whole
    # the whole-media volume's address -1 is a number, not neutralised text
    vh, vrows = _read_csv(csv_out / "volumes.csv")
    assert "-1" in {r[vh.index("addr")] for r in vrows}


def test_csv_cards_masked(case: Path, csv_out: Path) -> None:
    pans = _pans(case)
    assert len(pans) >= 5
    text = "".join(p.read_text(encoding="utf-8") for p in csv_out.glob("*.csv"))
    for pan in pans:
        assert pan not in text
        assert pan[:6] + "*" * (len(pan) - 10) + pan[-4:] in text
    # a card in another artefact's context (the IBAN's neighbour line) is masked too
    assert not re.search(r"(?<!\d)4575215683796909(?!\d)", text)


def test_jsonl_exact(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "j"
    res = _triage("export", str(case), "--format", "jsonl", "-o", str(out), "--unmasked")
    assert res.returncode == 0, res.stderr
    for table in TABLES:
        lines = (out / f"{table}.jsonl").read_text(encoding="utf-8").splitlines()
        db_rows = _db_rows(case, table)
        assert len(lines) == len(db_rows)
        for line, want in zip(lines, db_rows):
            got = json.loads(line)
            assert list(got) == list(want)
            for col, v in want.items():
                if col in JSON_COLUMNS.get(table, ()) and v is not None:
                    assert got[col] == json.loads(str(v)), (table, col)
                else:
                    assert got[col] == v, (table, col)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["card_numbers"] == "unmasked" and manifest["options"]["unmasked"] is True
    assert CSV_NEUTRALISATION_NOTE not in manifest["notes"]
    text = (out / "artefacts.jsonl").read_text(encoding="utf-8")
    assert all(pan in text for pan in _pans(case))


def test_jsonl_masked_by_default(case: Path, tmp_path: Path) -> None:
    pans = _pans(case)
    db = {r["id"]: r for r in _db_rows(case, "artefacts")}
    with open_case(case) as reader:
        export_jsonl(reader, tmp_path, ExportOptions())
    for line in (tmp_path / "artefacts.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["type"] == "payment_card":
            assert "*" in row["value"] and row["value"][:6].isdigit() and row["value"][-4:].isdigit()
        blob = json.dumps([row[c] for c in ("value", "raw", "context", "extra")])
        assert not any(pan in blob for pan in pans), row["id"]
        if row["type"] in ("iban", "uk_bank_account", "uk_nino"):  # never taken for cards
            assert (row["value"], row["raw"]) == (db[row["id"]]["value"], db[row["id"]]["raw"])


def test_evidence_filter(case: Path, tmp_path: Path) -> None:
    with open_case(case) as reader:
        counts: dict[str, int | None] = {}
        export_csv(reader, tmp_path, ExportOptions(evidence_ids=["hostile"]), counts=counts)
        assert counts["files.csv"] == reader.count_files(["hostile"])
        assert counts["evidence.csv"] == 1
        assert counts["runs.csv"] == len(reader.runs())  # the whole audit trail
    header, rows = _read_csv(tmp_path / "artefacts.csv")
    assert rows and {r[header.index("evidence_id")] for r in rows} == {"hostile"}


def test_manifest_sha256sum(csv_out: Path) -> None:
    res = subprocess.run(["sha256sum", "-c", "--strict", "MANIFEST.sha256"], cwd=csv_out, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    listed = {line.split("  ", 1)[1] for line in (csv_out / "MANIFEST.sha256").read_text().splitlines()}
    assert listed == {p.name for p in csv_out.iterdir()} - {"MANIFEST.sha256"}
    (csv_out / "files.csv").write_text("tampered", encoding="utf-8")
    res = subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=csv_out, capture_output=True,
                         text=True)
    assert res.returncode == 1 and "files.csv: FAILED" in res.stdout


@pytest.mark.parametrize("value, want", [
    ("=1+1", "'=1+1"), ("+SUM(1)", "'+SUM(1)"), ("-2+3", "'-2+3"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("\nx", "'\nx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), (-1, -1), (2.5, 2.5),
    (None, None),
])
def test_neutralise_csv(value: object, want: object) -> None:
    assert neutralise_csv(value) == want


@pytest.mark.parametrize("text, want", [
    ("card 4111111111111111 end", "card 411111******1111 end"),
    ("4111 1111 1111 1111", "4111 11** **** 1111"),
    ("[3764-433884-75301]", "[3764-43****-*5301]"),
    ("two 5237381609251754 4575215683796909", "two 523738******1754 457521******6909"),
    ("%B4111111111111111^DOE/J^2709", "%B411111******1111^DOE/J^2709"),
    ("not luhn 4111111111111112", "not luhn 4111111111111112"),
    ("sort 12-34-56 12345678, phone 07700900123", "sort 12-34-56 12345678, phone 07700900123"),
    ("id 9111111111111111 (no scheme)", "id 9111111111111111 (no scheme)"),
    ("IBAN GB26 MIDL 4005 1512 3456 74.", "IBAN GB26 MIDL 4005 1512 3456 74."),
    ("GB26MIDL40051512345674 or sha 1f40051512345674ab", "GB26MIDL40051512345674 or sha 1f40051512345674ab"),
    ("sort code 20-45-77 43671298", "sort code 20-45-77 43671298"),
    (";4111111111111111=27091010000?", ";411111******1111=27091010000?"),
    ("list\\x0a6011331111951060\\x004111111111111111", "list\\x0a601133******1060\\x00411111******1111"),
])
def test_mask_card_numbers(text: str, want: str) -> None:
    assert mask_card_numbers(text) == want
