"""Firefox places/formhistory/cookies/logins.json."""

from __future__ import annotations

import pytest
from triage_plugins._sqlite_copy import DatabaseError
from triage_plugins.browsers.firefox import FirefoxParser

from .conftest import FIREFOX_PROFILE, entry

P = FirefoxParser()
SRC = {"browser": "Firefox", "profile": "abcd1234.default-release"}


def parse(path, name):
    return list(P.parse(path, entry(FIREFOX_PROFILE + name)))


def test_places_visits_and_download(staged):
    arts = parse(staged("firefox/places.sqlite"), "places.sqlite")
    assert [(a.type, a.value, a.timestamp, a.extra.get("transition")) for a in arts] == [
        ("url", "https://www.example-exchange.com/", "2024-03-01T14:01:00Z", "typed"),
        ("url", "https://www.example-exchange.com/", "2024-03-01T14:05:00.500000Z", "link"),
        ("download", "https://dl.example.com/wallet-setup.exe", "2024-03-01T14:06:40Z", None),
    ]
    assert arts[0].extra["source"] == {**SRC, "database": "places.sqlite"}
    dl = arts[2].extra
    assert (dl["target_path"], dl["size"], dl["end_time"], dl["state"]) == (
        "C:/Users/alice/Downloads/wallet-setup.exe", 5242880, "2024-03-01T14:06:50Z", "complete")


def test_formhistory_and_search_bar(staged):
    arts = parse(staged("firefox/formhistory.sqlite"), "formhistory.sqlite")
    assert [(a.type, a.value, a.timestamp) for a in arts] == [
        ("autofill", "searchbar-history=buy bitcoin with gift cards", "2024-03-01T14:00:20Z"),
        ("search_term", "buy bitcoin with gift cards", "2024-03-01T14:00:20Z"),
        ("autofill", "postcode=SW1A 1AA", "2024-03-01T14:00:30Z"),
    ]
    assert arts[0].extra["count"] == 2 and arts[0].extra["first_used"] == "2024-03-01T14:00:10Z"


def test_cookies_without_values(staged):
    (c,) = parse(staged("firefox/cookies.sqlite"), "cookies.sqlite")
    assert (c.value, c.timestamp, c.extra["expires"]) == (
        ".example-exchange.com session_token", "2024-03-01T14:01:01Z", "2024-03-02T14:00:00Z")
    assert "SECRET-VALUE" not in repr(c)


def test_logins_json_usernames_stay_encrypted(staged):
    (login,) = parse(staged("firefox/logins.json"), "logins.json")
    assert login.type == "saved_login"
    assert login.value == "https://www.example-exchange.com"
    assert login.extra["username"] is None and login.extra["encrypted"] is True
    assert login.extra["password_present"] is True
    assert login.timestamp == "2024-03-01T14:05:10Z"
    assert "MDoE" not in repr(login)


def test_bad_logins_json(tmp_path):
    bad = tmp_path / "logins.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        parse(bad, "logins.json")


def test_truncated_places(tmp_path, staged):
    src = staged("firefox/places.sqlite")
    cut = tmp_path / "cut" / "places.sqlite"
    cut.parent.mkdir()
    cut.write_bytes(src.read_bytes()[:5000])
    with pytest.raises(DatabaseError):
        parse(cut, "places.sqlite")


def test_wants():
    assert P.wants(entry(FIREFOX_PROFILE + "places.sqlite"), None)
    assert P.wants(entry("/Users/a/AppData/Roaming/Mozilla/Firefox/Profiles/x.default/logins.json"), None)
    assert not P.wants(entry("/tmp/logins.json"), None)
