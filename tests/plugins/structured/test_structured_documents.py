"""Document metadata: OOXML, ODF, PDF, OLE2."""

from __future__ import annotations

import zipfile

import pytest
from triage_plugins.documents import DocumentError, DocumentParser

from .conftest import FIXTURES, entry

P = DocumentParser()


def one(name):
    (a,) = list(P.parse(FIXTURES / "documents" / name, entry(f"/Users/a/Documents/{name}")))
    assert a.type == "document_meta" and a.plugin == "documents"
    return a


def test_docx():
    a = one("invoice.docx")
    assert a.value == "Invoice 1001" and a.timestamp == "2024-03-01T13:45:30Z"
    x = a.extra
    assert (x["format"], x["author"], x["last_modified_by"], x["created"], x["modified"], x["application"],
            x["company"], x["revision"]) == ("docx", "Alice Smith", "Bob Jones", "2024-02-28T09:15:00Z",
                                             "2024-03-01T13:45:30Z", "Microsoft Office Word", "Acme Ltd", "3")


def test_odt():
    a = one("minutes.odt")
    x = a.extra
    assert a.value == "Board minutes"
    assert (x["author"], x["last_modified_by"], x["modified"]) == ("Carol White", "Dan Black", "2024-02-21T11:30:00Z")
    assert x["created"] == "2024-02-20T10:00:00.123456789"  # local time kept as written
    assert x["application"].startswith("LibreOffice/7.5")


def test_pdf():
    a = one("statement.pdf")
    x = a.extra
    assert a.value == "Statement March 2024"
    assert (x["author"], x["creator"], x["producer"]) == ("Example Bank plc", "Microsoft Word", "Acrobat PDFMaker 23")
    assert x["created"] == "2024-03-01T08:00:00Z"  # +01'00' converted to UTC
    assert x["modified"] == a.timestamp == "2024-03-01T10:00:00Z"


def test_ole_doc():
    a = one("application.doc")
    x = a.extra
    assert a.value == "Loan application"
    assert (x["format"], x["author"], x["last_modified_by"], x["created"], x["modified"], x["application"]) == (
        "doc", "Eve Brown", "Frank Green", "2024-01-01T10:00:00Z", "2024-01-06T10:00:00Z", "Microsoft Office Word")


def test_corrupt_pdf_raises():
    with pytest.raises(DocumentError, match="malformed PDF"):
        one("corrupt.pdf")


def test_dtd_in_metadata_is_refused(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("docProps/core.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(DocumentError, match="DTD"):
        list(P.parse(bomb, entry("/x/bomb.docx")))


def test_not_a_document_raises(tmp_path):
    p = tmp_path / "x.docx"
    p.write_bytes(b"hello")
    with pytest.raises(DocumentError):
        list(P.parse(p, entry("/x/x.docx")))


def test_file_name_when_untitled(tmp_path):
    from pypdf import PdfWriter

    p = tmp_path / "scan0001.pdf"
    w = PdfWriter()
    w.add_blank_page(width=10, height=10)
    w.write(str(p))
    (a,) = list(P.parse(p, entry("/x/scan0001.pdf")))
    assert a.value == "scan0001.pdf"


def test_wants():
    assert P.wants(entry("/a/b.DOCX"), None) and P.wants(entry("/a/b.xls"), None)
    assert not P.wants(entry("/a/~$b.docx"), None)
