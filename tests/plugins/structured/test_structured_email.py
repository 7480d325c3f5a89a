"""E-mail stores: .eml, mbox, PST error path."""

from __future__ import annotations

import pytest
from triage_plugins.email_stores import EmailStoreParser, MailStoreError

from .conftest import FIXTURES, entry

P = EmailStoreParser()


def parse(name, path=None):
    return list(P.parse(FIXTURES / "mail" / name, entry(path or f"/Users/a/Mail/{name}")))


def test_eml_message_and_addresses():
    arts = parse("message.eml")
    msg = arts[0]
    assert msg.type == "email_message" and msg.value == "<20240301140500.1234@mail.example.com>"
    assert msg.timestamp == "2024-03-01T14:05:00Z"  # 15:05 +0100
    assert msg.extra["subject"] == "Invoice €1001"
    assert msg.extra["cc"] == "Dán Black <dan@example.co.uk>"
    assert [(a.value, a.extra["role"]) for a in arts[1:]] == [
        ("alice@example.com", "from"), ("bob@example.org", "to"), ("carol@example.net", "to"),
        ("dan@example.co.uk", "cc"),
    ]
    assert all(a.type == "email" for a in arts[1:])


def test_mbox_streams_each_message():
    arts = parse("archive.mbox")
    msgs = [a for a in arts if a.type == "email_message"]
    assert [(m.value, m.timestamp, m.offset) for m in msgs] == [
        ("<m1@example.com>", "2024-03-01T14:05:00Z", 0),
        ("Bob Jones <bob@example.org>|2024-03-01T15:00:00Z|second, no message id", "2024-03-01T15:00:00Z",
         msgs[1].offset),
    ]
    assert msgs[1].offset > 0
    data = (FIXTURES / "mail" / "archive.mbox").read_bytes()
    assert data[msgs[1].offset:].startswith(b"From bob@example.org")
    assert [a.value for a in arts if a.type == "email"] == [
        "alice@example.com", "bob@example.org", "bob@example.org", "alice@example.com", "eve@example.com"]


def test_not_an_mbox_raises(tmp_path):
    p = tmp_path / "x.mbox"
    p.write_text("hello\n")
    with pytest.raises(MailStoreError, match="not an mbox"):
        list(P.parse(p, entry("/x/x.mbox")))


def test_broken_pst_raises():
    pytest.importorskip("pypff")
    with pytest.raises(MailStoreError, match="cannot open PST"):
        parse("broken.pst")


def test_wrong_pst_signature(tmp_path):
    p = tmp_path / "x.pst"
    p.write_bytes(b"\x00" * 600)
    with pytest.raises(MailStoreError, match="not a PST"):
        list(P.parse(p, entry("/x/x.pst")))


def test_wants_thunderbird_folder():
    assert P.wants(entry("/home/a/.thunderbird/x.default/ImapMail/imap.example.com/INBOX"), None)
    assert not P.wants(entry("/home/a/.thunderbird/x.default/ImapMail/imap.example.com/INBOX.msf"), None)
    assert P.wants(entry("/a/b.eml"), None) and P.wants(entry("/a/b.ost"), None)
