"""A PDF's page text becomes one derived member ``(text)``: decoded, mapped through the fonts, bounded."""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from tests.conftest import FIXTURES
from triage.records import Entry, ScanError
from triage.scan.members import pdf_text
from triage.scan.members import ArchiveLimits, archive_kind, iter_members
from triage.scan.engine import FileOutcome, ScanEngine, ScanOptions

EMBEDDED = FIXTURES / "structured" / "embedded"
IDENTITY_H = EMBEDDED / "statement-identity-h.pdf"
HELVETICA = EMBEDDED / "letter-helvetica.pdf"


def _entry(name: str, size: int = 0) -> Entry:
    return Entry(path=f"/evidence/{name}", name=name, inode=7, size=size, type="regular")


def _members(path: Path, limits: ArchiveLimits | None = None) -> tuple[dict[str, bytes], list[ScanError]]:
    errors: list[ScanError] = []
    out = {e.path: b"".join(chunks) for e, chunks in iter_members(path, "pdf", _entry(path.name), limits or
                                                                    ArchiveLimits(), errors)}
    return out, errors


def _scan(data: bytes, name: str) -> FileOutcome:
    engine = ScanEngine(ScanOptions(yara=False, tlsh=False))
    return engine.process(_entry(name, len(data)), 0, [data])


def _cards(outcome: FileOutcome) -> set[str]:
    return {a.value for a in outcome.result.artefacts if a.type == "payment_card"}


def test_identity_h_text_is_mapped_through_tounicode_and_scanned_as_a_child(tmp_path: Path) -> None:
    raw = IDENTITY_H.read_bytes()
    # the premise: glyph ids in a compressed stream, the number nowhere in the raw bytes
    assert b"/Identity-H" in raw and b"/ToUnicode" in raw and b"4339" not in raw
    outcome = _scan(raw, "statement.pdf")
    assert _cards(outcome) == set()
    (child,) = outcome.children
    entry = child.result.entry
    assert (entry.path, entry.name, entry.parent_path, entry.depth) == (
        "/evidence/statement.pdf!/(text)", "(text)", "/evidence/statement.pdf", 1)
    assert child.result.mime == "text/plain"
    assert _cards(child) == {"4339755107948062"}
    assert {a.value for a in child.result.artefacts if a.type == "iban"} == {"GB26MIDL40051512345674"}
    assert {a.value for a in child.result.artefacts if a.type == "uk_bank_account"} == {"204577-43671298"}
    # the near miss on the same page is not reported
    assert "4807737565264162" not in _cards(child)
    text, errors = _members(IDENTITY_H)
    body = text["/evidence/statement-identity-h.pdf!/(text)"]
    assert child.result.hashes is not None and child.result.hashes.sha256 == hashlib.sha256(body).hexdigest()
    assert "Northfield Bank — account statement".encode() in body and b"Page two" in body
    assert not errors


def test_a_standard_font_pdf_gives_its_text() -> None:
    text, errors = _members(HELVETICA)
    body = text["/evidence/letter-helvetica.pdf!/(text)"]
    assert b"the replacement card 5237381609251754 is on its way." in body
    assert b"disputes@northfield-bank-support.co.uk" in body and not errors


def test_a_pdf_without_text_has_no_text_member() -> None:
    path = FIXTURES / "structured" / "documents" / "statement.pdf"  # one blank page
    text, errors = _members(path)
    assert text == {} and errors == []


def test_a_corrupt_pdf_is_recorded_not_raised() -> None:
    data = (FIXTURES / "structured" / "documents" / "corrupt.pdf").read_bytes()
    outcome = _scan(data, "corrupt.pdf")
    assert outcome.children == []
    (error,) = [e for e in outcome.result.errors if e.stage == "archive"]  # (the metadata parser records its own)
    assert error.message.startswith("pdf: cannot read") and error.path == "/evidence/corrupt.pdf"
    assert outcome.result.hashes is not None  # the file itself is still hashed and recorded


def test_a_truncated_pdf_is_recorded_not_raised() -> None:
    raw = IDENTITY_H.read_bytes()
    outcome = _scan(raw[: len(raw) // 2], "half.pdf")
    assert outcome.children == []
    assert any(e.stage == "archive" and e.message.startswith("pdf:") for e in outcome.result.errors)


def test_a_pdf_encrypted_with_a_user_password_is_recorded(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=str(HELVETICA))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    writer.write(path)
    text, errors = _members(path)
    assert text == {}
    assert [(e.stage, e.message) for e in errors] == [
        ("archive", "pdf: encrypted with a user password; text not extracted")]


def test_a_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=str(HELVETICA))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    writer.write(path)
    assert b"5237381609251754" not in path.read_bytes()
    text, errors = _members(path)
    assert b"5237381609251754" in text["/evidence/restricted.pdf!/(text)"] and not errors


def test_pages_past_the_limit_are_left_out_and_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf_text, "MAX_PAGES", 1)
    text, errors = _members(IDENTITY_H)
    body = text["/evidence/statement-identity-h.pdf!/(text)"]
    assert b"4339 7551 0794 8062" in body and b"Page two" not in body
    assert [(e.stage, e.message) for e in errors] == [("limit", "pdf: more than 1 pages; text of the first 1 only")]


def test_text_is_cut_at_the_member_budget() -> None:
    text, errors = _members(IDENTITY_H, ArchiveLimits(max_member_bytes=100))
    assert len(text["/evidence/statement-identity-h.pdf!/(text)"]) == 0  # the first page alone is larger
    assert [e.stage for e in errors] == ["limit"] and "member larger than 100 bytes" in errors[0].message


def test_pypdf_warnings_about_a_damaged_pdf_are_silenced(caplog: pytest.LogCaptureFixture) -> None:
    damaged = re.sub(rb"startxref\s+\d+", b"startxref\n999", IDENTITY_H.read_bytes())
    # the premise: pypdf does complain about this file when left alone
    with caplog.at_level(logging.DEBUG, logger="pypdf"):
        PdfReader(io.BytesIO(damaged), strict=False)
    assert any(r.name.startswith("pypdf") for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.DEBUG), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        outcome = _scan(damaged, "damaged.pdf")
    assert [r for r in caplog.records if r.name.startswith("pypdf")] == []
    assert caught == []
    assert _cards(outcome.children[0]) == {"4339755107948062"}  # and the text is still read


def test_pdfs_are_recognised_by_magic_or_header_and_the_text_member_never_expanded() -> None:
    assert archive_kind("application/pdf", b"%PDF-1.7\n") == "pdf"
    assert archive_kind(None, b"%PDF-1.4\n") == "pdf"
    assert archive_kind("text/plain", b"a note about %PDF-1.4 files") is None
    assert archive_kind("text/plain", b"%PDF-1.4 quoted", "(text)") is None
    assert archive_kind("application/octet-stream", b"\r\n\x00junk%PDF-1.4\n", "scan.pdf") == "pdf"
