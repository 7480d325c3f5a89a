"""File type from libmagic over a bounded prefix, in two passes.

libmagic's cost dominates small-file scans, and almost all of it is two
things: its "soft" magic entries tried one by one on data that matches none
of them, and its text entries (regular expressions) run over text. So:

1. A *builtin* pass (``MAGIC_NO_CHECK_SOFT``: encoding, compression, tar,
   ELF, OLE/CDF, JSON, CSV) over the ``MAGIC_PREFIX_BYTES`` prefix costs tens
   of microseconds and says whether the data is text.
2. The *full* pass then runs on the whole prefix for binary data (cheap when
   a signature matches, which is when it matters) and on the first
   ``TEXT_PREFIX_BYTES`` for text: scripts, markup, mail and key files are
   recognised by their first lines, and the regex cost grows with the text.
   Where the full pass finds nothing more specific than plain text, the
   builtin pass's description (over the whole prefix) is kept, so encoding
   and line-length notes describe the same bytes as before.

MIME type and description are separate libmagic runs over the same entries;
the MIME type is remembered per distinct description (the same description
comes from the same matched entry, whose ``!:mime`` is the MIME type), so the
second run is only paid for descriptions not seen before.
"""

from __future__ import annotations

import magic

#: bytes of each file handed to libmagic
MAGIC_PREFIX_BYTES = 4096
#: bytes of a text file handed to libmagic's full (regex) pass
TEXT_PREFIX_BYTES = 1024
#: distinct descriptions whose MIME type is remembered (per process)
MIME_MEMO_MAX = 8192

_GENERIC_TEXT = ("ASCII text", "Unicode text", "UTF-8 Unicode text", "ISO-8859 text", "Non-ISO extended-ASCII text",
                 "Little-endian UTF-16 Unicode text", "Big-endian UTF-16 Unicode text", "UTF-8 text")


def _cookie(flags: int) -> object:
    cookie = magic.magic_open(flags)
    magic.magic_load(cookie, None)
    return cookie


def _is_text(desc: str) -> bool:
    return "text" in desc and not desc.startswith(("JSON", "CSV"))


class FileTyper:
    """Per-process libmagic handles (they are not shareable across processes)."""

    def __init__(self, prefix_bytes: int = MAGIC_PREFIX_BYTES, text_prefix_bytes: int = TEXT_PREFIX_BYTES) -> None:
        self._builtin = _cookie(magic.MAGIC_NO_CHECK_SOFT)
        self._full = _cookie(magic.MAGIC_NONE)
        self._mime = _cookie(magic.MAGIC_MIME_TYPE)
        self.prefix_bytes = prefix_bytes
        self.text_prefix_bytes = text_prefix_bytes
        self._memo: dict[str, str | None] = {}

    @staticmethod
    def _run(cookie: object, buf: bytes) -> str | None:
        try:
            out = magic.magic_buffer(cookie, buf)
        except Exception:
            return None
        if out is None:
            return None
        return out.decode("utf-8", "replace") if isinstance(out, bytes) else str(out)

    def describe(self, prefix: bytes) -> tuple[str | None, bytes]:
        """The description, and the bytes it was computed from (for the MIME pass)."""
        buf = prefix[: self.prefix_bytes]
        builtin = self._run(self._builtin, buf)
        if builtin is None or not _is_text(builtin) or len(buf) <= self.text_prefix_bytes:
            return self._run(self._full, buf), buf
        head = buf[: self.text_prefix_bytes]
        full = self._run(self._full, head)
        if full is None or full.split(",")[0] in _GENERIC_TEXT:
            return builtin, buf
        return full, head

    def identify(self, prefix: bytes) -> tuple[str | None, str | None]:
        if not prefix:
            return "inode/x-empty", "empty"
        desc, used = self.describe(prefix)
        if desc is not None and desc in self._memo:
            return self._memo[desc], desc
        mime = self._run(self._mime, used)
        if desc is not None:
            if len(self._memo) >= MIME_MEMO_MAX:
                self._memo.clear()
            self._memo[desc] = mime
        return mime, desc
