"""timesketch export: Timesketch's required fields on every event, one per file time and per dated artefact."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, scan_case
from triage.case.reader import open_case
from triage.export import ExportOptions
from triage.export.timesketch import EVENTS_FILE, FILE_TIMES, TIMESTAMP_DESC, export, parse_iso

IMAGES = FIXTURES / "images"


def _scan(image: Path, db: Path, *extra: str) -> None:
    scan_case(image, db, "--no-yara", *extra)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("ts") / "case.db"
    _scan(IMAGES / "structured.raw", db)  # visits, downloads, mail, photos, saved cards ...
    _scan(IMAGES / "hostile.raw", db)
    return db


@pytest.fixture(scope="module")
def events(case: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    out = tmp_path_factory.mktemp("ts_out")
    with open_case(case) as reader:
        counts: dict[str, int | None] = {}
        assert export(reader, out, ExportOptions(), counts=counts) == [out / EVENTS_FILE]
    lines = (out / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    assert counts[EVENTS_FILE] == len(lines)
    return [json.loads(line) for line in lines]


def test_required_fields(events: list[dict[str, object]]) -> None:
    assert events
    for ev in events:
        assert isinstance(ev["message"], str) and ev["message"]
        assert isinstance(ev["timestamp_desc"], str) and ev["timestamp_desc"]
        ts, dt = ev["timestamp"], ev["datetime"]
        assert isinstance(ts, int) and isinstance(dt, str) and dt.endswith("+00:00")
        parsed = datetime.fromisoformat(dt)
        assert parsed.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert round((parsed - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 10**6) == ts
        assert ev["exhibit"] in ("structured", "hostile")


def test_one_event_per_file_time(case: Path, events: list[dict[str, object]]) -> None:
    conn = sqlite3.connect(case)
    want = {}
    for fid, *times in conn.execute("SELECT id, mtime_raw, atime_raw, ctime_raw, crtime_raw FROM files"):
        for (_col, desc), t in zip(FILE_TIMES, times):
            if t is not None:
                want[(fid, desc)] = round(t * 10**6)
    conn.close()
    got = {(e["file_id"], e["timestamp_desc"]): e["timestamp"] for e in events if e["data_type"] == "fs:stat"}
    assert got == want and len(want) > 100


def test_every_dated_artefact(case: Path, events: list[dict[str, object]]) -> None:
    conn = sqlite3.connect(case)
    want = {r[0]: (r[1], r[2]) for r in conn.execute(
        "SELECT id, type, timestamp FROM artefacts WHERE timestamp IS NOT NULL")}
    conn.close()
    got = {e["artefact_id"]: e for e in events if str(e["data_type"]).startswith("triage:artefact:")}
    assert set(got) == set(want)
    for aid, (typ, ts) in want.items():
        e = got[aid]
        assert e["artefact_type"] == typ and e["timestamp"] == parse_iso(ts)
        assert e["timestamp_desc"] == TIMESTAMP_DESC.get(typ, "Record Time")
        assert e["extra"] is None or isinstance(e["extra"], str)  # one type per field for the index
    visits = [e for e in got.values() if e["artefact_type"] == "url"]
    assert visits and all(e["timestamp_desc"] == "Last Visited Time" for e in visits)
    assert any(e.get("browser") == "Chrome" and e.get("title") for e in visits)
    kinds = {e["artefact_type"] for e in got.values()}
    assert {"download", "email_message", "exif_gps", "saved_login"} <= kinds


def test_hostile_names_stay_data(events: list[dict[str, object]]) -> None:
    messages = {e["message"] for e in events}
    assert "hostile:/docs/line1\nline2\ttab\r.txt" in messages  # exact: JSON escapes it
    assert "hostile:/docs/=cmd|' -C calc'!A0.csv" in messages


def test_parse_iso() -> None:
    assert parse_iso("1970-01-01T00:00:01Z") == 10**6
    assert parse_iso("2024-03-01T14:15:05.500000Z") == 1709302505500000
    assert parse_iso("2024-03-01T15:15:05+01:00") == 1709302505000000
    assert parse_iso("not a time") is None and parse_iso(None) is None
