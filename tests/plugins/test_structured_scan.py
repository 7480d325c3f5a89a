"""Application artefacts through the whole scan: a profile on a disk image, read back from the case database.

Expected rows come straight from the fixture files with sqlite3 and json
(independently of the parsers), and are compared with what `triage scan`
recorded for the same files inside fixtures/images/structured.raw.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, rows

STRUCTURED = FIXTURES / "structured"
CHROME = "/Users/jdoe/AppData/Local/Google/Chrome/User Data/Default"
EDGE = "/Users/jdoe/AppData/Local/Microsoft/Edge/User Data/Profile 1"
FIREFOX = "/Users/jdoe/AppData/Roaming/Mozilla/Firefox/Profiles/x8k2m4q1.default-release"


def _iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if dt.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def webkit(us: int) -> str:
    return _iso(datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=us))


def prtime(us: int) -> str:
    return _iso(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=us))


def _query(db: Path, sql: str, tmp: Path, wal: bool = False) -> list[tuple]:
    # opened from a copy (with its WAL) so the fixture itself is never touched
    tmp.mkdir(parents=True, exist_ok=True)
    copy = tmp / db.name
    shutil.copy(db, copy)
    if wal:
        shutil.copy(db.with_name(db.name + "-wal"), tmp / (db.name + "-wal"))
    conn = sqlite3.connect(copy)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("structured") / "case.db"
    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(FIXTURES / "images/structured.raw"),
                           "--case", str(db), "--no-yara", "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return db


def _artefacts(case: Path, kind: str, path_prefix: str) -> set[tuple[str, str | None]]:
    return {(r["value"], r["timestamp"]) for r in rows(
        case, "SELECT a.value, a.timestamp FROM artefacts a JOIN files f ON f.id = a.file_id "
              "WHERE a.type = ? AND f.path LIKE ?", (kind, path_prefix + "%"))}


def test_every_chrome_history_visit_is_an_artefact_with_its_time(case: Path, tmp_path: Path) -> None:
    want = {(url, webkit(t)) for url, t in _query(
        STRUCTURED / "chrome/History", "SELECT u.url, v.visit_time FROM visits v JOIN urls u ON u.id = v.url",
        tmp_path)}
    assert want and want <= _artefacts(case, "url", CHROME + "/History")


def test_visits_only_in_the_wal_are_found_through_the_companion_copy(case: Path, tmp_path: Path) -> None:
    with_wal = {(url, webkit(t)) for url, t in _query(
        STRUCTURED / "chrome_wal/History", "SELECT u.url, v.visit_time FROM visits v JOIN urls u ON u.id = v.url",
        tmp_path / "wal", wal=True)}
    without = {(url, webkit(t)) for url, t in _query(
        STRUCTURED / "chrome_wal/History", "SELECT u.url, v.visit_time FROM visits v JOIN urls u ON u.id = v.url",
        tmp_path / "nowal")}
    assert with_wal - without, "the fixture must have a WAL-only visit"
    assert with_wal <= _artefacts(case, "url", EDGE + "/History")


def test_every_firefox_visit_is_an_artefact_with_its_time(case: Path, tmp_path: Path) -> None:
    want = {(url, prtime(t)) for url, t in _query(
        STRUCTURED / "firefox/places.sqlite",
        "SELECT p.url, v.visit_date FROM moz_historyvisits v JOIN moz_places p ON p.id = v.place_id", tmp_path)}
    assert want and want <= _artefacts(case, "url", FIREFOX + "/places.sqlite")


def test_browser_records_carry_their_source(case: Path) -> None:
    # parsed records (encoding NULL), not the URLs the content scanner also sees in the same bytes
    extra = rows(case, "SELECT a.extra FROM artefacts a JOIN files f ON f.id = a.file_id WHERE a.type = 'url' "
                       "AND a.encoding IS NULL AND f.path LIKE ? LIMIT 1", (EDGE + "%",))[0]["extra"]
    source = json.loads(extra)["source"]
    assert source["browser"].lower().startswith("edge") and source["profile"] == "Profile 1"


def test_saved_logins_and_cards_are_recorded_without_secrets(case: Path, tmp_path: Path) -> None:
    logins = _query(STRUCTURED / "chrome/Login Data", "SELECT origin_url, username_value FROM logins", tmp_path)
    got = {r["value"] for r in rows(case, "SELECT value FROM artefacts WHERE type = 'saved_login'")}
    for origin, user in logins:
        assert any(origin in v and (user or "") in v for v in got)
    assert rows(case, "SELECT count(*) AS n FROM artefacts WHERE type = 'saved_card'")[0]["n"] > 0


@pytest.mark.parametrize("kind", ["cookie", "autofill", "download", "search_term", "crypto_wallet", "stealer_log",
                                  "exif_gps", "exif_device", "document_meta", "email_message"])
def test_each_structured_type_reaches_the_case(case: Path, kind: str) -> None:
    assert rows(case, "SELECT count(*) AS n FROM artefacts WHERE type = ?", (kind,))[0]["n"] > 0


def test_wallets_are_reported_per_file(case: Path) -> None:
    wallets = rows(case, "SELECT f.path, a.extra FROM artefacts a JOIN files f ON f.id = a.file_id "
                         "WHERE a.type = 'crypto_wallet'")
    paths = {w["path"] for w in wallets}
    for expected in ("/Bitcoin/wallets/legacy/wallet.dat", "/Bitcoin/wallets/descriptor/wallet.dat",
                     "/Electrum/wallets/default_wallet", "/Ethereum/keystore/UTC--", "/000003.log"):
        assert any(expected in p for p in paths), expected
