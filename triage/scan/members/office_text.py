"""The text of Word, Excel, PowerPoint and OpenDocument files, runs joined, as one derived member.

Word keeps a paragraph as runs (``<w:r><w:t>4111 1111</w:t></w:r><w:r><w:t> 1111 1111</w:t></w:r>``):
a number typed in one go is split wherever formatting, spell checking or a
revision started a new run, so the raw XML member never holds it whole and
no content scanner can see it. The ZIP expander therefore adds one member,
``(text)``, to an OOXML or ODF container: one line per paragraph (``w:p``,
``a:p``, ``text:p``/``text:h``, a shared string's ``si``) with its runs joined.

The XML comes from evidence. A document type declaration is refused (OOXML
and ODF never have one, so no entity can be declared, expanded or fetched);
the XML is parsed incrementally and each finished paragraph is dropped, so
memory stays at one paragraph; the parts are read through the same size and
ratio bounds as members.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

from triage.records import Entry, ScanError
from triage.scan.members.limits import TEXT_MEMBER, Budget, admit, bounded, bounded_file, member_entry, peek

__all__ = ["MAX_SPACES", "ODF", "OUT_CHUNK_CHARS", "SHARED_STRINGS", "SLIDES", "WORD", "Dialect",
           "office_text_member", "paragraphs", "text_parts"]

#: paragraphs are handed on in chunks of about this size
OUT_CHUNK_CHARS = 64 * 1024
#: an ODF ``<text:s text:c="N"/>`` stands for N spaces; N comes from evidence
MAX_SPACES = 64
_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")


@dataclass(frozen=True)
class Dialect:
    """How one XML vocabulary marks paragraphs and text (element local names)."""

    paragraphs: frozenset[str]
    #: OOXML: only these elements' own text is document text; ODF (mixed):
    #: every text node inside a paragraph is
    texts: frozenset[str]
    mixed: bool
    #: subtrees that are not text (tab-stop definitions, a duplicate fallback rendering, field codes)
    skip: frozenset[str]
    tabs: frozenset[str] = frozenset()
    breaks: frozenset[str] = frozenset()
    spaces: frozenset[str] = frozenset()


_OOXML_SKIP = frozenset({"pPr", "rPr", "Fallback", "instrText", "delText", "rPh", "phoneticPr"})
WORD = Dialect(frozenset({"p"}), frozenset({"t"}), False, _OOXML_SKIP, frozenset({"tab"}), frozenset({"br", "cr"}))
SLIDES = Dialect(frozenset({"p"}), frozenset({"t"}), False, _OOXML_SKIP, frozenset(), frozenset({"br"}))
SHARED_STRINGS = Dialect(frozenset({"si"}), frozenset({"t"}), False, _OOXML_SKIP)
ODF = Dialect(frozenset({"p", "h"}), frozenset(), True, frozenset(), frozenset({"tab"}),
              frozenset({"line-break"}), frozenset({"s"}))

_WORD_EXTRA = re.compile(r"word/(header\d*|footer\d*|footnotes|endnotes|comments)\.xml")
_SLIDE = re.compile(r"ppt/(slides/slide|notesSlides/notesSlide)(\d+)\.xml")


def text_parts(names: set[str]) -> list[tuple[str, Dialect]]:
    """The parts holding a document's text, in reading order; empty for a ZIP that is no document."""
    if "word/document.xml" in names:
        extra = sorted(n for n in names if _WORD_EXTRA.fullmatch(n))
        return [("word/document.xml", WORD), *((n, WORD) for n in extra)]
    if "xl/sharedStrings.xml" in names:
        return [("xl/sharedStrings.xml", SHARED_STRINGS)]
    slides = [(m.group(1), int(m.group(2)), n) for n in names if (m := _SLIDE.fullmatch(n))]
    if slides:
        # slides first, then the speaker notes, each in slide order
        return [(n, SLIDES) for _, _, n in sorted(slides, key=lambda s: (s[0] != "slides/slide", s[1]))]
    if "content.xml" in names and ("mimetype" in names or "META-INF/manifest.xml" in names):
        return [("content.xml", ODF)]
    return []


def office_text_member(zf: zipfile.ZipFile, parent: Entry, budget: Budget, errors: list[ScanError]
                       ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    """Yield the ``(text)`` member of an OOXML/ODF container, if it is one and has any text."""
    infos = {i.filename: i for i in zf.infolist() if not i.is_dir()}
    parts = text_parts(set(infos))
    if not parts:
        return
    entry = member_entry(parent, TEXT_MEMBER, -1, parent.mtime)
    # the XML read is bounded on its own (fresh totals) with the archive's limits
    xml_budget = Budget(budget.limits)
    text = _encoded(_document(zf, [(infos[n], d) for n, d in parts], xml_budget, errors, entry.path))
    first = peek(text)
    if first is None or not admit(budget, errors, parent):
        return
    yield entry, bounded(first, budget, errors, entry.path, None)


def _document(zf: zipfile.ZipFile, parts: list[tuple[zipfile.ZipInfo, Dialect]], xml_budget: Budget,
              errors: list[ScanError], where: str) -> Iterator[str]:
    for info, dialect in parts:
        if info.flag_bits & 0x1:
            errors.append(ScanError("archive", f"{info.filename}: encrypted part; text not extracted", where))
            continue
        try:
            with zf.open(info) as fh:
                # limits met while reading a part are recorded against that part (a member of its own)
                chunks = bounded_file(fh, xml_budget, errors, f"{where.removesuffix(TEXT_MEMBER)}{info.filename}",
                                      info.compress_size)
                yield from paragraphs(chunks, dialect)
        except (ET.ParseError, UnsafeXML) as exc:
            errors.append(ScanError("archive", f"{info.filename}: {type(exc).__name__}: {exc}", where))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, NotImplementedError) as exc:
            errors.append(ScanError("archive", f"{info.filename}: cannot read: {type(exc).__name__}: {exc}", where))


def _encoded(lines: Iterator[str]) -> Iterator[bytes]:
    """Paragraph lines as UTF-8 chunks of about OUT_CHUNK_CHARS."""
    buf: list[str] = []
    size = 0
    for line in lines:
        buf.append(line)
        size += len(line)
        if size >= OUT_CHUNK_CHARS:
            yield "".join(buf).encode("utf-8", "replace")
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode("utf-8", "replace")


class UnsafeXML(ValueError):
    """The XML declares a document type (and so could declare entities): not parsed."""


def paragraphs(chunks: Iterator[bytes], dialect: Dialect) -> Iterator[str]:
    """Each non-empty paragraph of an XML stream as one line (ending in ``\\n``), runs joined.

    Raises ``ET.ParseError`` for malformed XML and ``UnsafeXML`` for a
    document type declaration, after yielding the paragraphs before it.
    """
    parser: ET.XMLPullParser = ET.XMLPullParser(events=("start", "end"))
    open_elems: list[ET.Element] = []
    in_paragraph = 0
    tail = b""
    for chunk in chunks:
        probe = tail + chunk
        if any(d in probe for d in _DECLARATIONS):
            raise UnsafeXML("document type declaration")
        tail = chunk[-16:]
        parser.feed(chunk)
        # start and end events carry the element
        for event, elem in cast(Iterator[tuple[str, ET.Element]], parser.read_events()):
            if event == "start":
                open_elems.append(elem)
                if _local(elem.tag) in dialect.paragraphs:
                    in_paragraph += 1
                continue
            open_elems.pop()
            if _local(elem.tag) in dialect.paragraphs:
                in_paragraph -= 1
                if in_paragraph == 0:
                    line = _render(elem, dialect).strip("\n")
                    if line.strip():
                        yield line + "\n"
            if in_paragraph == 0 and open_elems:
                # finished and outside any paragraph: drop it, so only the open path stays in memory
                open_elems[-1].remove(elem)
    parser.close()


def _local(tag: str) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _render(paragraph: ET.Element, d: Dialect) -> str:
    """A paragraph's text; iterative, so hostile nesting cannot exhaust the stack."""
    out: list[str] = []
    todo: list[tuple[ET.Element, bool]] = [(paragraph, False)]
    while todo:
        elem, closing = todo.pop()
        if closing:
            if d.mixed and elem is not paragraph and elem.tail:
                out.append(elem.tail)
            continue
        local = _local(elem.tag)
        if local in d.skip:
            if d.mixed and elem.tail:
                out.append(elem.tail)
            continue
        if elem is not paragraph and local in d.paragraphs:
            out.append("\n")  # a paragraph inside one (a text box, a note) is a line of its own
        if local in d.tabs:
            out.append("\t")
        elif local in d.breaks:
            out.append("\n")
        elif local in d.spaces:
            count = next((v for k, v in elem.attrib.items() if _local(k) == "c"), "1")
            out.append(" " * min(int(count) if count.isdigit() else 1, MAX_SPACES))
        if elem.text and (d.mixed or local in d.texts):
            out.append(elem.text)
        todo.append((elem, True))
        todo.extend((child, False) for child in reversed(elem))
    return "".join(out)
