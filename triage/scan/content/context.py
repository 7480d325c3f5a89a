"""A hit's excerpt: ``before[match]after``, escaped, a bounded number of characters each side.

Every accepted hit gets one, so it is on the matcher's hot path: one escape
search and one decode over the whole excerpt.
"""

from __future__ import annotations

from triage.text import escape_decoded, find_escapes

__all__ = ["CONTEXT_CHARS", "cut_side", "hit_context"]

#: Characters of escaped context kept on each side of a hit.
CONTEXT_CHARS = 80


def cut_side(full: str, tail: bool) -> str:
    """Escaped text cut to CONTEXT_CHARS (its end when ``tail``), never inside an escape."""
    n = len(full)
    if n <= CONTEXT_CHARS:
        return full
    cut = n - CONTEXT_CHARS if tail else CONTEXT_CHARS
    j = full.rfind("\\", max(0, cut - 3), cut)
    if j != -1 and j + 4 > cut:
        cut = j + 4 if tail else j
    return full[cut:] if tail else full[:cut]


_LF, _LF_ESC = "\n", "\\x0a"


def hit_context(data: bytes, start: int, end: int) -> str:
    """``before[match]after``, escaped, at most CONTEXT_CHARS each side (the match at most 256 bytes).

    One escape search and one decode over the whole excerpt: every accepted
    hit gets a context, so this is on the matcher's hot path.
    """
    lo = max(0, start - CONTEXT_CHARS)
    if end - start > 256:  # the match is cut: the excerpt is not one piece
        region = data[lo:start] + data[start:start + 256] + data[end:end + CONTEXT_CHARS]
        b = start - lo + 256
    else:
        region = data[lo:end + CONTEXT_CHARS]
        b = end - lo
    a = start - lo
    text = region.decode("latin-1")
    found = find_escapes(region)
    if not found:  # every side is at most CONTEXT_CHARS characters already
        return f"{text[:a]}[{text[a:b]}]{text[b:]}"
    if found.count(10) == len(found):  # line breaks alone (text, logs: the usual case)
        before = text[:a].replace(_LF, _LF_ESC)
        after = text[b:].replace(_LF, _LF_ESC)
        if len(before) > CONTEXT_CHARS:
            before = cut_side(before, True)
        if len(after) > CONTEXT_CHARS:
            after = cut_side(after, False)
        return f"{before}[{text[a:b].replace(_LF, _LF_ESC)}]{after}"
    before = cut_side(escape_decoded(text[:a], found), True)
    after = cut_side(escape_decoded(text[b:], found), False)
    return f"{before}[{escape_decoded(text[a:b], found)}]{after}"

