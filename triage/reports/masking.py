"""Card numbers as a report shows them: first six and last four unless the examiner asked for them whole.

A card number reaches a report in three ways: as the value of a card
artefact, inside the ``raw`` form of a track, and inside the excerpt
(``context``) around any hit, whatever its type (a credential line beside a
card, a URL carrying one). Values of the card types are masked by type;
free text is masked by finding every Luhn-valid run of 13 to 19 digits
(spaces or dashes allowed between groups), so no card number escapes the
mask through an excerpt.
"""

from __future__ import annotations

import re

from triage.case.reader import CARD_TYPES
from triage.reports.summary import mask_pan

__all__ = ["display_value", "luhn_ok", "mask_text"]

#: 13-19 digits, optionally grouped by single spaces or dashes, not inside a longer digit run
_PAN_RUN = re.compile(r"(?<![0-9])(?:[0-9][ -]?){12,18}[0-9](?![0-9])")


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _mask_match(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = "".join(ch for ch in text if ch.isdigit())
    if not 13 <= len(digits) <= 19 or not luhn_ok(digits):
        return text
    keep_head, keep_tail = 6, 4
    out = []
    seen = 0
    for ch in text:
        if ch.isdigit():
            out.append(ch if seen < keep_head or seen >= len(digits) - keep_tail else "*")
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_text(text: str | None, unmasked: bool = False) -> str | None:
    """Free text (an excerpt, a raw track) with every Luhn-valid card number masked."""
    if text is None or unmasked:
        return text
    return _PAN_RUN.sub(_mask_match, text)


def display_value(artefact_type: str, value: str | None, unmasked: bool = False) -> str:
    """An artefact's value for a report: card types masked (first six, last four), text masked inside."""
    if value is None:
        return ""
    if unmasked:
        return value
    if artefact_type in CARD_TYPES:
        digits = "".join(ch for ch in value if ch.isdigit())
        if len(digits) == len(value):
            return mask_pan(value)
    return mask_text(value) or ""
