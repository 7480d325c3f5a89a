"""The page text of a PDF, as one derived member ``(text)``.

A PDF's text lives in Flate-compressed content streams, and often not as
characters but as glyph codes that only the font's encoding or ToUnicode
map turns back into text (every embedded TrueType font written with
Identity-H). A card number on a statement is therefore invisible in the
raw bytes. pypdf decodes the streams and maps the glyphs
(``page.extract_text()``); the text of every page, one after the other, is
handed to the scan as a member of the PDF, so it is hashed, recorded with
the PDF as its parent and content-scanned like any member.

The PDF is hostile: it is read from the engine's private copy, pages are
bounded in number, the text in bytes (the archive budget) and the whole
document in wall-clock time; whatever pypdf raises becomes a recorded
``ScanError`` and pypdf's warnings about broken files are silenced (they
would only be noise on the examiner's terminal).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.extractors.quiet import quiet_pypdf
from triage.records import Entry, ScanError
from triage.scan.members.limits import TEXT_MEMBER, Budget, admit, bounded, member_entry, peek
from triage.text import one_line

__all__ = ["MAX_PAGES", "MAX_PAGE_ERRORS", "MAX_SECONDS", "pdf_text_member"]

#: pages read from one PDF
MAX_PAGES = 2000
#: wall-clock seconds for one PDF's text (checked between pages)
MAX_SECONDS = 120.0
#: page errors recorded one by one; past this, one summary
MAX_PAGE_ERRORS = 10


def pdf_text_member(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
                    ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    """Yield the ``(text)`` member of the PDF at ``path`` (a private copy), when it has any text."""
    from pypdf import PdfReader

    # a file object, not the path: pypdf would read a path into memory whole
    with open(path, "rb") as fh:
        try:
            with quiet_pypdf():
                reader = PdfReader(fh, strict=False)
                if reader.is_encrypted and not reader.decrypt(""):
                    errors.append(ScanError("archive", "pdf: encrypted with a user password; text not extracted",
                                            parent.path))
                    return
                count = len(reader.pages)
        except Exception as exc:  # pypdf raises anything on a hostile file
            errors.append(ScanError("archive", f"pdf: cannot read: {type(exc).__name__}: {one_line(exc)}",
                                    parent.path))
            return
        if count > MAX_PAGES:
            errors.append(ScanError("limit", f"pdf: more than {MAX_PAGES} pages; text of the first {MAX_PAGES} only",
                                    parent.path))
        entry = member_entry(parent, TEXT_MEMBER, -1, parent.mtime)
        text = peek(_page_texts(reader, min(count, MAX_PAGES), parent.path, errors))
        if text is None or not admit(budget, errors, parent):
            return
        yield entry, bounded(text, budget, errors, entry.path, None)


def _page_texts(reader: Any, count: int, where: str, errors: list[ScanError]) -> Iterator[bytes]:
    """Each page's text as UTF-8, a blank line after it; a page that fails is recorded and skipped."""
    deadline = time.monotonic() + MAX_SECONDS
    failed = 0
    for number in range(count):
        if time.monotonic() > deadline:
            errors.append(ScanError("limit", f"pdf: text extraction took over {MAX_SECONDS:.0f} s; stopped at page "
                                             f"{number + 1} of {count}", where))
            return
        try:
            with quiet_pypdf():
                text = reader.pages[number].extract_text()
        except Exception as exc:  # one bad page (a broken stream or font) does not lose the others
            failed += 1
            if failed <= MAX_PAGE_ERRORS:
                errors.append(ScanError("archive", f"pdf: page {number + 1}: {type(exc).__name__}: {one_line(exc)}",
                                        where))
            continue
        if text:
            yield text.encode("utf-8", "replace") + b"\n\n"
    if failed > MAX_PAGE_ERRORS:
        errors.append(ScanError("archive", f"pdf: {failed} pages could not be read in all", where))
