"""OOXML and ODF containers get a ``(text)`` member: runs joined, one paragraph a line, XML parsed safely."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.conftest import FIXTURES
from triage.records import Entry, ScanError
from triage.scan.members import ArchiveLimits, iter_members
from triage.scan.engine import FileOutcome, ScanEngine, ScanOptions

RUNS_DOCX = FIXTURES / "structured" / "embedded" / "runs.docx"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _entry(name: str, size: int = 0) -> Entry:
    return Entry(path=f"/evidence/{name}", name=name, inode=3, size=size, type="regular")


def _zip(path: Path, members: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _members(path: Path, limits: ArchiveLimits | None = None) -> tuple[dict[str, bytes], list[ScanError]]:
    errors: list[ScanError] = []
    got = {e.path.removeprefix(f"/evidence/{path.name}!/"): b"".join(chunks)
           for e, chunks in iter_members(path, "zip", _entry(path.name), limits or ArchiveLimits(), errors)}
    return got, errors


def _scan(path: Path) -> dict[str, FileOutcome]:
    data = path.read_bytes()
    outcome = ScanEngine(ScanOptions(yara=False, tlsh=False)).process(_entry(path.name, len(data)), 0, [data])
    return {c.result.entry.path: c for c in outcome.children}


def _word(body: str) -> dict[str, str | bytes]:
    return {"[Content_Types].xml": "<Types/>",
            "word/document.xml": f'<?xml version="1.0"?><w:document {W}><w:body>{body}</w:body></w:document>'}


def test_a_number_split_across_word_runs_is_found_in_the_text_member_only() -> None:
    children = _scan(RUNS_DOCX)
    raw_xml = children["/evidence/runs.docx!/word/document.xml"].result
    text = children["/evidence/runs.docx!/(text)"].result
    cards = {a.value for a in text.artefacts if a.type == "payment_card"}
    assert cards == {"4650947307973575"}  # and not the split near miss 4210 2302 9782 3597
    assert not [a for a in raw_xml.artefacts if a.type in ("payment_card", "iban")]
    assert {a.value for a in text.artefacts if a.type == "iban"} == {"NL44RABO0123456789"}
    assert {a.value for a in text.artefacts if a.type == "email"} == {"helpdesk.refunds@example-mule.co.uk"}
    assert (text.entry.parent_path, text.entry.depth, text.mime) == ("/evidence/runs.docx", 1, "text/plain")
    # the real members are still expanded as before
    assert "/evidence/runs.docx!/word/styles.xml" in children and "/evidence/runs.docx!/docProps/core.xml" in children


def test_paragraphs_are_lines_runs_joined_and_formatting_left_out(tmp_path: Path) -> None:
    body = ('<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
            '<w:r><w:rPr><w:b/></w:rPr><w:t>4111 1111</w:t></w:r><w:r><w:t xml:space="preserve"> 1111 1111</w:t>'
            '</w:r><w:r><w:tab/><w:t>end</w:t></w:r></w:p>'
            '<w:p><w:r><w:instrText> HYPERLINK "x" </w:instrText><w:t>second</w:t><w:br/><w:t>line</w:t></w:r></w:p>'
            '<w:p/><w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>')
    path = _zip(tmp_path / "a.docx", {**_word(body), "word/footer1.xml":
                                      f'<w:ftr {W}><w:p><w:r><w:t>footer</w:t></w:r></w:p></w:ftr>'})
    got, errors = _members(path)
    assert got["(text)"] == b"4111 1111 1111 1111\tend\nsecond\nline\ncell\nfooter\n"
    assert not errors


def test_xlsx_shared_strings_pptx_slides_and_odf_paragraphs(tmp_path: Path) -> None:
    xlsx = _zip(tmp_path / "a.xlsx", {"xl/workbook.xml": "<workbook/>", "xl/sharedStrings.xml": (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>plain</t></si>'
        '<si><r><t>GB82 WEST</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 1234 5698 7654 32</t></r>'
        '<rPh><t>phonetic</t></rPh></si></sst>')})
    assert _members(xlsx)[0]["(text)"] == b"plain\nGB82 WEST 1234 5698 7654 32\n"
    a = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    slide = '<p:sld xmlns:p="p" {a}><a:p><a:r><a:t>{t}</a:t></a:r><a:r><a:t>!</a:t></a:r></a:p></p:sld>'
    pptx = _zip(tmp_path / "a.pptx", {"ppt/presentation.xml": "<p/>",
                                      "ppt/slides/slide10.xml": slide.format(a=a, t="ten"),
                                      "ppt/slides/slide2.xml": slide.format(a=a, t="two"),
                                      "ppt/notesSlides/notesSlide1.xml": slide.format(a=a, t="note")})
    assert _members(pptx)[0]["(text)"] == b"two!\nten!\nnote!\n"
    odt = _zip(tmp_path / "a.odt", {"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        '<text:h>Title</text:h><text:p>Card <text:span>4111</text:span><text:s/>1111<text:s text:c="1"/>1111 '
        '<text:span><text:span>11</text:span>11</text:span><text:tab/>ok<text:line-break/>next</text:p>'
        '</office:text></office:body></office:document-content>')})
    assert _members(odt)[0]["(text)"] == b"Title\nCard 4111 1111 1111 1111\tok\nnext\n"


def test_a_zip_that_is_no_document_gets_no_text_member(tmp_path: Path) -> None:
    got, errors = _members(_zip(tmp_path / "plain.zip", {"document.xml": "<p>x</p>", "content.xml": "<p>y</p>"}))
    assert sorted(got) == ["content.xml", "document.xml"] and not errors


def test_a_document_type_declaration_is_refused_and_recorded(tmp_path: Path) -> None:
    laughs = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
              f'<!ENTITY ext SYSTEM "file:///etc/passwd">]><w:document {W}><w:body><w:p><w:r><w:t>&b;&ext;</w:t>'
              '</w:r></w:p></w:body></w:document>')
    path = _zip(tmp_path / "evil.docx", {"[Content_Types].xml": "<Types/>", "word/document.xml": laughs})
    got, errors = _members(path)
    assert sorted(got) == ["[Content_Types].xml", "word/document.xml"]  # the members, no (text)
    assert [(e.stage, e.message) for e in errors] == [
        ("archive", "word/document.xml: UnsafeXML: document type declaration")]


def test_malformed_xml_keeps_the_paragraphs_before_the_fault(tmp_path: Path) -> None:
    path = _zip(tmp_path / "broken.docx", _word("<w:p><w:r><w:t>first</w:t></w:r></w:p><w:p><w:r><w:t>oops</w:p>"))
    got, errors = _members(path)
    assert got["(text)"] == b"first\n"
    assert [e.stage for e in errors] == ["archive"] and "ParseError" in errors[0].message
    assert errors[0].path == "/evidence/broken.docx!/(text)"


def test_xml_read_for_text_is_bounded_like_a_member(tmp_path: Path) -> None:
    para = "<w:p><w:r><w:t>" + "word " * 20 + "</w:t></w:r></w:p>"
    path = _zip(tmp_path / "long.docx", _word(para * 20_000))  # ~2.5 MB of XML, compresses very well
    got, errors = _members(path, ArchiveLimits(max_member_bytes=1024 * 1024))
    assert 0 < len(got["(text)"]) < len(b"word " * 20 * 20_000)
    assert any(e.stage == "limit" and e.path == "/evidence/long.docx!/word/document.xml" for e in errors)


def test_deep_nesting_inside_a_paragraph_does_not_exhaust_the_stack(tmp_path: Path) -> None:
    deep = "<w:p>" + "<w:r>" * 50_000 + "<w:t>deep</w:t>" + "</w:r>" * 50_000 + "</w:p>"
    got, errors = _members(_zip(tmp_path / "deep.docx", _word(deep)))
    assert got["(text)"] == b"deep\n" and not errors


def test_the_text_member_counts_against_the_member_limit(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.docx", _word("<w:p><w:r><w:t>x</w:t></w:r></w:p>"))
    got, errors = _members(path, ArchiveLimits(max_members=2))
    assert "(text)" not in got and [e.message for e in errors] == ["more than 2 members; rest skipped"]

