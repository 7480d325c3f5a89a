"""Which expander applies to a file: its kind, from libmagic's MIME type, its first bytes and its name."""

from __future__ import annotations

import re

from triage.scan.members.limits import TEXT_MEMBER

__all__ = ["COMPRESSED", "MAIL_EXTENSIONS", "MAIL_MIMES", "SEVEN_ZIP_MIMES", "TAR_MIMES", "ZIP_MIMES", "archive_kind"]

ZIP_MIMES = {"application/zip", "application/java-archive", "application/vnd.android.package-archive",
             "application/x-zip-compressed"}
COMPRESSED = {
    "application/gzip": "gzip", "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
}
TAR_MIMES = {"application/x-tar"}
SEVEN_ZIP_MIMES = {"application/x-7z-compressed"}


MAIL_MIMES = {"message/rfc822", "application/mbox", "message/news"}
MAIL_EXTENSIONS = (".eml", ".mbox", ".mbx", ".mbs")
_HEADER_LINE = re.compile(rb"(?m)^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]")


def archive_kind(mime: str | None, head: bytes, name: str | None = None) -> str | None:
    """Which expander applies, from libmagic's MIME type, the first bytes and the name.

    ``zip`` also covers OOXML and ODF documents (their text member is added
    by the ZIP expander when the parts are there); ``pdf`` and ``mail`` add
    derived members (the page text; decoded MIME parts).
    """
    if name == TEXT_MEMBER:
        return None  # derived text is scanned, never expanded again
    if head.startswith(b"PK\x03\x04") or mime in ZIP_MIMES or (mime or "").startswith(
        ("application/vnd.openxmlformats", "application/vnd.oasis.opendocument")
    ):
        return "zip" if head.startswith(b"PK") else None
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    if mime == "application/pdf" or head.startswith(b"%PDF-") or (
            name and name.lower().endswith(".pdf") and b"%PDF-" in head[:1024]):  # junk before the header
        return "pdf"
    if _looks_like_mail(mime, head, name):
        return "mail"
    return None


def _looks_like_mail(mime: str | None, head: bytes, name: str | None) -> bool:
    """An RFC 822 message or an mbox: libmagic says so, or the head does.

    libmagic calls an mbox whose first message has no header it knows at the
    start ``text/plain``, and an .eml without Received/Return-Path first may be
    ``text/plain`` too: a ``From `` envelope line followed by header lines, or
    a mail extension with a header block, is enough.
    """
    if mime in MAIL_MIMES:
        return True
    if mime is not None and not mime.startswith("text/"):
        return False
    # every text file of a scan comes here: the header count only when it can matter
    if head.startswith(b"From "):
        return len(_HEADER_LINE.findall(head[:4096])) >= 2
    return bool(name and name.lower().endswith(MAIL_EXTENSIONS) and _HEADER_LINE.match(head)
                and len(_HEADER_LINE.findall(head[:4096])) >= 2)
