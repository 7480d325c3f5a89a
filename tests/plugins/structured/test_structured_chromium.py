"""Chromium History / Web Data / Login Data / Cookies against real-schema fixtures."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from triage_plugins._sqlite_copy import DatabaseError
from triage_plugins.browsers.chromium import ChromiumParser
from triage_plugins.browsers.common import detect

from .conftest import CHROME_PROFILE, FIXTURES, entry

P = ChromiumParser()
SOURCE = {"browser": "Chrome", "profile": "Default", "database": "History"}


def parse(path: Path, name: str, base: str = CHROME_PROFILE):
    return list(P.parse(path, entry(base + name)))


def test_history_one_url_artefact_per_visit(staged):
    arts = parse(staged("chrome/History"), "History")
    urls = [(a.value, a.timestamp, a.extra["transition"], a.extra["visit_id"]) for a in arts if a.type == "url"]
    assert urls == [
        ("https://www.example-bank.co.uk/login", "2024-03-01T14:00:00Z", "typed", 1),
        ("https://www.google.com/search?q=how+to+launder+crypto", "2024-03-01T14:02:00Z", "generated", 2),
        ("https://www.example-bank.co.uk/login", "2024-03-01T14:10:00.250000Z", "link", 3),
        # visit rows expired: the urls row's last visit time stands in
        ("https://old.example.org/expired", "2024-02-29T14:00:00Z", None, None),
    ]
    first = next(a for a in arts if a.type == "url")
    assert first.extra["source"] == SOURCE
    assert first.extra["title"] == "Example Bank - Log in"
    assert first.extra["visit_count"] == 2 and first.extra["typed_count"] == 1
    assert first.extra["visit_duration_s"] == 5.0
    assert first.plugin == "chromium" and first.plugin_version == P.version


def test_history_download_and_search_term(staged):
    arts = parse(staged("chrome/History"), "History")
    (dl,) = [a for a in arts if a.type == "download"]
    assert dl.value == "https://files.example.net/tool.zip"
    assert dl.timestamp == "2024-03-01T14:15:00Z"
    assert dl.extra["target_path"] == "C:\\Users\\alice\\Downloads\\tool.zip"
    assert dl.extra["size"] == 1048576
    assert dl.extra["start_time"] == "2024-03-01T14:15:00Z"
    assert dl.extra["end_time"] == "2024-03-01T14:15:05.500000Z"
    assert dl.extra["state"] == "complete"
    assert dl.extra["url_chain"] == ["https://files.example.net/download?id=7", "https://files.example.net/tool.zip"]
    (term,) = [a for a in arts if a.type == "search_term"]
    assert term.value == "how to launder crypto"
    assert term.extra["url"] == "https://www.google.com/search?q=how+to+launder+crypto"
    assert term.timestamp == "2024-03-01T14:02:00Z"


def test_wal_only_visit_is_read(staged):
    path = staged("chrome_wal/History", "chrome_wal/History-wal")
    # the main file alone does not hold the row
    ro = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    assert ro.execute("SELECT count(*) FROM urls WHERE id=5").fetchone() == (0,)
    ro.close()
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in path.parent.iterdir()}
    arts = parse(path, "History")
    wal = [a for a in arts if a.value == "https://wal-only.example.com/secret"]
    assert [(a.timestamp, a.extra["transition"], a.extra["title"]) for a in wal] == [
        ("2024-03-01T15:00:00Z", "typed", "Only in the WAL")]
    # the copy handed to the parser is untouched: same bytes, no -shm created beside it
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in path.parent.iterdir()}
    assert after == before


def test_without_wal_the_row_is_absent(staged):
    path = staged("chrome_wal/History")
    assert not [a for a in parse(path, "History") if "wal-only" in a.value]


def test_truncated_database_raises(staged):
    with pytest.raises(DatabaseError, match="truncated"):
        parse(staged("truncated/History"), "History")


def test_not_sqlite_raises(tmp_path):
    bad = tmp_path / "History"
    bad.write_bytes(b"this is not a database" * 10)
    with pytest.raises(DatabaseError, match="not a SQLite"):
        parse(bad, "History")


def test_old_schema_without_newer_columns(tmp_path):
    """A pre-2013 History: no visit_duration, downloads with url/full_path columns."""
    db = tmp_path / "History"
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE urls(id INTEGER PRIMARY KEY,url LONGVARCHAR,title LONGVARCHAR,visit_count INTEGER DEFAULT 0 NOT NULL,typed_count INTEGER DEFAULT 0 NOT NULL,last_visit_time INTEGER NOT NULL,hidden INTEGER DEFAULT 0 NOT NULL,favicon_id INTEGER DEFAULT 0 NOT NULL);
        CREATE TABLE visits(id INTEGER PRIMARY KEY,url INTEGER NOT NULL,visit_time INTEGER NOT NULL,from_visit INTEGER,transition INTEGER DEFAULT 0 NOT NULL,segment_id INTEGER,is_indexed BOOLEAN);
        CREATE TABLE downloads (id INTEGER PRIMARY KEY,full_path LONGVARCHAR NOT NULL,url LONGVARCHAR NOT NULL,start_time INTEGER NOT NULL,received_bytes INTEGER NOT NULL,total_bytes INTEGER NOT NULL,state INTEGER NOT NULL,end_time INTEGER NOT NULL,opened INTEGER NOT NULL);
        INSERT INTO urls VALUES (1,'http://old.example/','Old',1,0,12931898015280853,0,0);
        INSERT INTO visits VALUES (1,1,12931898015280853,0,1,0,1);
        INSERT INTO downloads VALUES (1,'C:\\old.exe','http://old.example/old.exe',1293189801,10,10,1,1293189802,0);
    """)
    conn.commit()
    conn.close()
    arts = parse(db, "History")
    assert [(a.type, a.value, a.timestamp) for a in arts] == [
        ("url", "http://old.example/", "2010-10-18T17:53:35.280853Z"),
        ("download", "http://old.example/old.exe", "2010-12-24T11:23:21Z"),  # POSIX seconds in that schema
    ]
    assert arts[1].extra["target_path"] == "C:\\old.exe"
    assert arts[1].extra["end_time"] == "2010-12-24T11:23:22Z"


def test_web_data_autofill_profiles_and_cards(staged):
    arts = parse(staged("chrome/Web Data"), "Web Data")
    forms = [(a.value, a.extra["count"], a.extra["first_used"], a.extra["last_used"])
             for a in arts if a.type == "autofill" and a.extra["kind"] == "form_field"]
    assert forms == [
        ("email=alice@example.com", 7, "2024-01-31T14:00:00Z", "2024-03-01T14:00:00Z"),
        ("sortcode=12-34-56", 1, "2024-03-01T13:00:00Z", "2024-03-01T13:00:00Z"),
    ]
    profile = {a.value for a in arts if a.type == "autofill" and a.extra["kind"] == "address_profile"}
    assert profile == {"company=Acme Ltd", "street_address=1 High Street", "city=London", "postcode=SW1A 1AA",
                       "country=GB", "full_name=Alice Smith", "first_name=Alice", "last_name=Smith",
                       "email=alice@example.com", "phone=+44 20 7946 0000"}
    cards = [(a.value, a.extra["last_four"], a.extra["nickname"], a.extra["card_number_encrypted_present"])
             for a in arts if a.type == "saved_card"]
    assert cards == [
        ("ALICE SMITH | 03/2027", None, "Main debit", True),
        ("A SMITH | 11/2026 | 4242", "4242", None, False),
    ]
    # nothing of the encrypted card number is carried
    assert all("763130" not in repr(a) for a in arts)


def test_web_data_new_address_tables(staged):
    path = staged("edge/Web Data")
    arts = list(P.parse(path, entry("/Users/bob/AppData/Local/Microsoft/Edge/User Data/Profile 1/Web Data")))
    assert [a.value for a in arts] == ["full_name=Bob Jones", "email=bob@example.org", "phone=07700900123",
                                       "street_address=2 Low Road", "postcode=M1 1AA"]
    assert arts[0].extra["source"] == {"browser": "Edge", "profile": "Profile 1", "database": "Web Data"}
    assert arts[0].timestamp == "2024-03-01T14:00:00Z"


def test_login_data_never_carries_passwords(staged):
    arts = parse(staged("chrome/Login Data"), "Login Data")
    assert [(a.value, a.extra["username"], a.extra["password_present"], a.timestamp) for a in arts] == [
        ("https://www.example-bank.co.uk/login alice.smith", "alice.smith", True, "2024-03-01T14:00:00Z"),
        ("https://never.example.com/", None, False, "2024-03-01T13:59:10Z"),
    ]
    assert arts[1].extra["never_save"] is True
    assert all("encrypted" not in str(a.extra.get("password")) for a in arts)
    assert all(b"v10" not in repr(a).encode() for a in arts)


def test_cookies_names_only(staged):
    path = staged("chrome/Cookies")
    (c,) = list(P.parse(path, entry(CHROME_PROFILE + "Network/Cookies")))
    assert c.value == ".example-bank.co.uk SESSIONID"
    assert c.timestamp == "2024-03-01T14:00:01Z"
    assert c.extra["last_access"] == "2024-03-01T14:11:40Z"
    assert c.extra["source"] == {"browser": "Chrome", "profile": "Default", "database": "Cookies"}
    assert "value" not in c.extra


@pytest.mark.parametrize("path,browser,profile", [
    ("/Users/a/AppData/Local/Google/Chrome/User Data/Profile 2/History", "Chrome", "Profile 2"),
    ("/Users/a/Library/Application Support/Google/Chrome/Default/History", "Chrome", "Default"),
    ("/home/a/.config/google-chrome/Default/History", "Chrome", "Default"),
    ("/home/a/.config/chromium/Default/History", "Chromium", "Default"),
    ("/Users/a/AppData/Local/BraveSoftware/Brave-Browser/User Data/Default/History", "Brave", "Default"),
    ("/Users/a/AppData/Local/Microsoft/Edge/User Data/Default/Network/Cookies", "Edge", "Default"),
    ("/Users/a/AppData/Roaming/Opera Software/Opera Stable/History", "Opera", "Opera Stable"),
    ("/Users/a/AppData/Local/Vivaldi/User Data/Default/History", "Vivaldi", "Default"),
])
def test_browser_and_profile_from_path(path, browser, profile):
    o = detect(path, "chromium")
    assert o is not None and (o.browser, o.profile) == (browser, profile)


def test_wants():
    assert P.wants(entry(CHROME_PROFILE + "History"), None)
    assert P.wants(entry(CHROME_PROFILE + "Login Data"), None)
    assert not P.wants(entry("/Users/a/Documents/History"), "text/plain")  # a file that merely has the name
    assert P.wants(entry("/export/History"), "application/vnd.sqlite3")
    assert not P.wants(entry(CHROME_PROFILE + "History-journal"), None)
    assert not P.wants(entry(CHROME_PROFILE + "History", type_="dir"), None)
    assert set(P.companion_suffixes) == {"-wal", "-journal"}


def test_fixture_files_exist():
    assert (FIXTURES / "chrome_wal" / "History-wal").stat().st_size > 0
