"""Text made safe from hostile bytes and exceptions, and times as ISO 8601: shared by every module that reports them."""

from __future__ import annotations

from datetime import UTC, datetime

#: Printable ASCII stays; every other byte (and the backslash) is ``\\xNN``,
#: so every escape is exactly four characters and can be cut around.
_ESC_TABLE = {b: f"\\x{b:02x}" for b in range(256) if not (0x20 <= b < 0x7F) or b == 0x5C}
#: the bytes escape_bytes() keeps: deleting them leaves those it rewrites
_KEEP = bytes(range(0x20, 0x5C)) + bytes(range(0x5D, 0x7F))


def find_escapes(data: bytes) -> bytes:
    """The bytes of ``data`` that escape_bytes() rewrites, in order (empty: none).

    ``bytes.translate`` with a delete set: a C loop, several times faster than
    a regex ``findall`` (and no list of one-byte objects).
    """
    return data.translate(None, _KEEP)


def escape_bytes(data: bytes) -> str:
    """Printable ASCII as is, everything else (and ``\\``) as ``\\xNN``.

    Keeps excerpts of evidence safe for reports and terminals (no control
    characters) while the readable part stays readable.
    """
    if type(data) is not bytes:  # a memoryview has no translate()
        data = bytes(data)
    found = find_escapes(data)
    if not found:  # the common case: nothing to rewrite
        return data.decode("latin-1")
    return escape_decoded(data.decode("latin-1"), found)


def escape_decoded(text: str, found: bytes) -> str:
    """``escape_bytes`` of bytes already decoded as latin-1 into ``text``.

    ``found`` holds (at least) the bytes of ``text`` that need an escape, as
    :func:`find_escapes` gives them: one search over a larger buffer serves
    every piece cut from it.
    """
    if len(found) > 8:
        return text.translate(_ESC_TABLE)
    # a few bytes to rewrite (a newline or two): str.replace beats a
    # per-character translate; the backslash first, as the escapes hold one
    todo = set(found)
    if 0x5C in todo:
        todo.discard(0x5C)
        text = text.replace("\\", "\\x5c")
    for b in todo:
        text = text.replace(chr(b), _ESC_TABLE[b])
    return text


def one_line(exc: BaseException) -> str:
    """An exception as one line for the examiner (TSK and libyal messages span several)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def iso_utc(ts: float | None) -> str | None:
    """POSIX seconds to ISO 8601 UTC; None for absent or absurd times."""
    if ts is None:
        return None
    try:
        dt = datetime.fromtimestamp(ts, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    if dt.year >= 1000:  # isoformat() is the cheaper spelling of the same text ("+00:00" -> "Z")
        return dt.isoformat()[:-6] + "Z"
    if dt.microsecond:  # strftime leaves years before 1000 unpadded: kept as it always was
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
