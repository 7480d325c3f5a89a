"""Base64 and quoted-printable MIME parts of .eml files and mboxes become decoded members, bounded."""

from __future__ import annotations

import io
import mailbox
import zipfile
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from triage.records import Entry, ScanError
from triage.scan.members import mime_parts
from triage.scan.members import ArchiveLimits, archive_kind, iter_members
from triage.scan.engine import FileOutcome, ScanEngine, ScanOptions

EMBEDDED = FIXTURES / "structured" / "embedded"


def _entry(name: str, size: int = 0) -> Entry:
    return Entry(path=f"/evidence/{name}", name=name, inode=9, size=size, type="regular")


def _members(path: Path, limits: ArchiveLimits | None = None) -> tuple[dict[str, bytes], list[ScanError]]:
    errors: list[ScanError] = []
    got = {e.path.removeprefix(f"/evidence/{path.name}!/"): b"".join(chunks)
           for e, chunks in iter_members(path, "mail", _entry(path.name), limits or ArchiveLimits(), errors)}
    return got, errors


def _flatten(outcome: FileOutcome) -> dict[str, FileOutcome]:
    out = {outcome.result.entry.path: outcome}
    for child in outcome.children:
        out.update(_flatten(child))
    return out


def _scan(data: bytes, name: str, engine: ScanEngine | None = None) -> dict[str, FileOutcome]:
    engine = engine or ScanEngine(ScanOptions(yara=False, tlsh=False))
    return _flatten(engine.process(_entry(name, len(data)), 0, [data]))


def _values(outcome: FileOutcome, kind: str) -> set[str]:
    return {a.value for a in outcome.result.artefacts if a.type == kind}


def _message(*attachments: tuple[str | None, bytes], body: str = "Hello.\n") -> EmailMessage:
    msg = EmailMessage(policy=default_policy)
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.org"
    msg["Subject"] = "test"
    msg.set_content(body)
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg


def test_the_eml_fixture_gives_decoded_parts_and_its_zip_attachment_is_expanded() -> None:
    got = _scan((EMBEDDED / "statement.eml").read_bytes(), "statement.eml")
    base = "/evidence/statement.eml"
    assert sorted(got) == [base, f"{base}!/message-1/cards.zip", f"{base}!/message-1/cards.zip!/cards.csv",
                           f"{base}!/message-1/details.txt", f"{base}!/message-1/part-1.txt"]
    # the quoted-printable soft line break split the number in the raw file; decoded it is whole
    assert _values(got[base], "payment_card") == set()
    assert _values(got[f"{base}!/message-1/part-1.txt"], "payment_card") == {"4691457036180006"}
    assert _values(got[f"{base}!/message-1/details.txt"], "iban") == {"DE44500105175407324931"}
    assert _values(got[f"{base}!/message-1/cards.zip!/cards.csv"], "payment_card") == {"379624761332519"}
    member = got[f"{base}!/message-1/cards.zip!/cards.csv"].result.entry
    assert (member.depth, member.parent_path) == (2, f"{base}!/message-1/cards.zip")
    # the failing number beside it stays unreported
    assert all("5114969511186349" not in _values(o, "payment_card") for o in got.values())
    text, errors = _members(EMBEDDED / "statement.eml")
    assert "Café at 8 — bring the usual.".encode() in text["message-1/part-1.txt"] and not errors


def test_mbox_messages_are_numbered_and_plain_parts_get_no_member() -> None:
    text, errors = _members(EMBEDDED / "two.mbox")
    assert sorted(text) == ["message-1/part-1.txt", "message-2/list.txt"]  # message 2's 7bit body: none
    assert b"Sort code 30-96-26 account 17364829" in text["message-1/part-1.txt"]
    assert text["message-2/list.txt"].startswith(b"6011494678924662\n") and not errors


def test_an_mbox_is_split_only_at_from_lines_after_a_blank_line(tmp_path: Path) -> None:
    # written as mboxo writers that escape nothing do: a body line may start with "From "
    path = tmp_path / "box.mbox"
    path.write_bytes(b"".join(
        b"From sender@example.com Fri Mar  1 14:05:00 2024\n"
        + _message((f"n{i}.txt", f"attachment {i}\n".encode()), body=f"Line one\nFrom here on, message {i}\n"
                   ).as_bytes() + b"\n" for i in range(3)))
    assert path.read_bytes().count(b"\nFrom here on") == 3
    text, errors = _members(path)
    assert sorted(text) == ["message-1/n0.txt", "message-2/n1.txt", "message-3/n2.txt"]
    assert text["message-3/n2.txt"] == b"attachment 2\n" and not errors


def test_hostile_attachment_names_are_sanitised_deduplicated_and_cut(tmp_path: Path) -> None:
    long_name = "x" * 5000 + ".txt"
    msg = _message(("../../etc/passwd", b"one"), ("/abs/evil.sh", b"two"), ("C:\\Windows\\evil.exe", b"three"),
                   ("a.txt", b"four"), ("a.txt", b"five"), (long_name, b"six"), (None, b"seven"))
    path = tmp_path / "hostile.eml"
    path.write_bytes(msg.as_bytes())
    text, errors = _members(path)
    assert text["message-1/etc/passwd"] == b"one"
    assert text["message-1/abs/evil.sh"] == b"two"
    assert text["message-1/C:/Windows/evil.exe"] == b"three"
    assert text["message-1/a.txt"] == b"four" and text["message-1/a~6.txt"] == b"five"
    (cut,) = [k for k in text if k.endswith("x.txt")]
    assert len(cut) == len("message-1/") + mime_parts.MAX_NAME_CHARS and text[cut] == b"six"
    assert text["message-1/part-8.bin"] == b"seven"
    assert all(".." not in k.split("/") for k in text) and not errors


def test_too_many_parts_are_cut_at_the_member_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.eml"
    path.write_bytes(_message(*((f"{i}.txt", b"x") for i in range(5))).as_bytes())
    text, errors = _members(path, ArchiveLimits(max_members=3))
    assert sorted(text) == ["message-1/0.txt", "message-1/1.txt", "message-1/2.txt"]
    assert [(e.stage, e.message) for e in errors] == [("limit", "more than 3 members; rest skipped")]


def test_decoded_bytes_are_bounded_by_the_archive_budget(tmp_path: Path) -> None:
    path = tmp_path / "big.eml"
    path.write_bytes(_message(("big.bin", bytes(3 * 1024 * 1024)), ("after.txt", b"late")).as_bytes())
    text, errors = _members(path, ArchiveLimits(max_total_bytes=2 * 1024 * 1024))
    assert len(text["message-1/big.bin"]) < 3 * 1024 * 1024
    assert any(e.stage == "limit" and "expands past" in e.message for e in errors)


def test_a_message_over_the_size_limit_is_recorded_and_the_next_one_read(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "box.mbox"
    box = mailbox.mbox(str(path))
    box.add(mailbox.mboxMessage(_message(("big.bin", bytes(20_000)))))
    box.add(mailbox.mboxMessage(_message(("small.txt", b"small"))))
    box.close()
    monkeypatch.setattr(mime_parts, "MAX_MESSAGE_BYTES", 10_000)
    text, errors = _members(path)
    assert text == {"message-2/small.txt": b"small"}
    assert [(e.stage, e.message) for e in errors] == [
        ("limit", "mail: message 1 larger than 10000 bytes; its parts not decoded")]


def test_the_depth_limit_applies_to_attachments() -> None:
    engine = ScanEngine(ScanOptions(yara=False, plugins=False, tlsh=False))
    engine.archive_limits = ArchiveLimits(max_depth=1)
    got = _scan((EMBEDDED / "statement.eml").read_bytes(), "statement.eml", engine)
    assert "/evidence/statement.eml!/message-1/cards.zip" in got
    assert not any("cards.csv" in p for p in got)
    zipped = got["/evidence/statement.eml!/message-1/cards.zip"].result
    assert any(e.stage == "limit" and "nested deeper" in e.message for e in zipped.errors)


def test_a_mail_attached_to_a_mail_is_expanded_in_turn(tmp_path: Path) -> None:
    inner = (EMBEDDED / "statement.eml").read_bytes()
    outer = _message(("forwarded.eml", inner))
    got = _scan(outer.as_bytes(), "outer.eml")
    leaf = "/evidence/outer.eml!/message-1/forwarded.eml!/message-1/cards.zip!/cards.csv"
    assert _values(got[leaf], "payment_card") == {"379624761332519"}
    assert got[leaf].result.entry.depth == 3


def test_corrupt_mail_is_recorded_or_ignored_never_raised(tmp_path: Path) -> None:
    raw = (EMBEDDED / "statement.eml").read_bytes()
    cases = {
        "truncated.eml": raw[: raw.index(b"UEsDB") + 100],  # cut inside the base64 of the ZIP
        "garbage.eml": b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64 at all\xff\xfe\x00",
        "binary.mbox": b"From x\nA: b\nContent-Transfer-Encoding: quoted-printable\n\n" + bytes(range(256)) * 40,
        "headers.eml": b"From: a@b.c\nTo: d@e.f\nContent-Type: multipart/mixed; boundary=\nContent-Disposition: "
                       b"attachment; filename*=utf-8''%FF%FE%00\nContent-Transfer-Encoding: base64\n\nAAAA\n",
    }
    for name, data in cases.items():
        got = _scan(data, name)  # must not raise
        assert got[f"/evidence/{name}"].result.hashes is not None, name
    truncated = _scan(cases["truncated.eml"], "truncated.eml")
    assert _values(truncated["/evidence/truncated.eml!/message-1/details.txt"], "iban") == {"DE44500105175407324931"}
    # the ZIP cut inside its base64 is still a member, and its own corruption is recorded there
    cut_zip = truncated["/evidence/truncated.eml!/message-1/cards.zip"].result
    assert any(e.stage == "archive" for e in cut_zip.errors)


def test_mail_is_recognised_as_libmagic_and_the_head_say() -> None:
    eml = (EMBEDDED / "statement.eml").read_bytes()[:4096]
    mbox = (EMBEDDED / "two.mbox").read_bytes()[:4096]
    assert archive_kind("message/rfc822", eml, "statement.eml") == "mail"
    assert archive_kind("text/plain", mbox, "two.mbox") == "mail"  # what libmagic says of this mbox
    assert archive_kind("text/plain", mbox, "Inbox") == "mail"  # Thunderbird's mbox has no extension
    assert archive_kind("application/mbox", b"From - Mon", None) == "mail"
    assert archive_kind("text/plain", b"From the desk of J. Smith\nDear all,\n", "memo.txt") is None
    assert archive_kind("text/plain", b"just a note", "notes.eml") is None
    assert archive_kind("image/png", b"\x89PNG\r\n", "fake.eml") is None
    assert archive_kind("text/plain", mbox, "(text)") is None


def test_a_zip_in_a_mail_is_not_mistaken_for_mail(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a.txt", "From x\nA: b\nB: c\n")
    assert archive_kind("application/zip", buf.getvalue(), "a.eml") == "zip"
