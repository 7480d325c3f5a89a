"""Host-safe names for files copied out of evidence.

A name from evidence is hostile: it may climb out of the output folder
(``..``, ``/``, ``\\``), carry control characters (a newline breaks a
manifest line, an escape sequence a terminal), disguise its extension with a
right-to-left override, be a Windows device name that opens the console or
a port instead of a file (``CON``, ``aux.txt``, ``NUL.log``, ``COM1``), end
in dots or spaces that Windows silently drops, or be longer than a file
system allows. ``safe_name`` turns any name into one that is the same plain
file on Linux, Windows and macOS; ``NameAllocator`` numbers collisions
(``name (2).ext``) case-insensitively, as Windows and macOS compare names.

The original name is always kept in the extraction manifest: the new name
only has to be safe and recognisable, not reversible.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_NAME_BYTES", "NameAllocator", "safe_name"]

#: a new name is at most this many bytes of UTF-8 (ext4 and NTFS allow 255; room for " (NNN)")
MAX_NAME_BYTES = 200
#: an extension longer than this is not kept whole when a name must be shortened
_MAX_EXT_BYTES = 16

#: characters never written: path separators, the characters Windows forbids, C0/C1 controls and DEL,
#: and the bidirectional controls that make "invoice<RLO>gpj.exe" look like "invoiceexe.jpg"
_BAD = re.compile("[/\\\\<>:\"|?*\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: device names Windows opens instead of a file, with or without an extension (COM¹ etc. included)
_DEVICES = ({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
            | {f"{p}{n}" for p in ("COM", "LPT") for n in "123456789\u00b9\u00b2\u00b3"})


def _truncate_utf8(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def _split_ext(name: str) -> tuple[str, str]:
    """``("report", ".pdf")``; a leading dot or no dot: no extension."""
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


def safe_name(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """One path component that is a plain, ordinary file name on every host (never empty)."""
    text = unicodedata.normalize("NFC", name)
    text = _BAD.sub("_", text)
    text = text.strip(" ")
    text = text.rstrip(". ")  # Windows drops trailing dots and spaces: "a.txt." would become "a.txt"
    if text.startswith("."):  # ".", "..", hidden files: a visible name, never a parent reference
        text = "_" + text[1:]
    if not text:
        text = "unnamed"
    stem, ext = _split_ext(text)
    base = stem.split(".", 1)[0].rstrip(" ").upper()
    if base in _DEVICES:
        text = "_" + text
        stem, ext = _split_ext(text)
    if len(text.encode("utf-8")) > max_bytes:
        if len(ext.encode("utf-8")) > _MAX_EXT_BYTES:
            stem, ext = text, ""
        keep = max_bytes - len(ext.encode("utf-8"))
        text = _truncate_utf8(stem, keep).rstrip(". ") + ext
    return text


class NameAllocator:
    """Hands out unique safe names in one folder: the second ``a.txt`` is ``a (2).txt``."""

    def __init__(self, taken: set[str] | None = None, max_bytes: int = MAX_NAME_BYTES) -> None:
        self._taken = {t.casefold() for t in (taken or set())}
        self.max_bytes = max_bytes

    def allocate(self, original: str) -> str:
        name = safe_name(original, self.max_bytes)
        if name.casefold() not in self._taken:
            self._taken.add(name.casefold())
            return name
        stem, ext = _split_ext(name)
        n = 2
        while True:
            suffix = f" ({n})"
            room = self.max_bytes - len(ext.encode("utf-8")) - len(suffix)
            candidate = _truncate_utf8(stem, room).rstrip(". ") + suffix + ext
            if candidate.casefold() not in self._taken:
                self._taken.add(candidate.casefold())
                return candidate
            n += 1
