"""Making case values safe for their medium: CSV formula neutralisation and card-number masking.

Everything here is pure (text in, text out), so every exporter applies the
same rules and the tests check them once.

Card numbers are masked the way examiners quote them (first six, last four):

- the ``value`` of a card artefact (``payment_card``, ``card_track``) by
  :func:`triage.reports.summary.mask_pan`;
- in free text (an artefact's ``raw``, ``context`` and ``extra``, a YARA
  string's excerpt) every run of 13 to 19 digits, written together or in
  groups split by one space or hyphen, that passes the Luhn check and starts
  with 2 to 6 (the card schemes' major industry identifiers) is masked where
  it stands, separators kept. A context holds its neighbours too: the
  context of an IBAN often shows the card on the next line, so free text is
  masked in every artefact, not only in card rows. A non-card number that
  happens to pass (an IMEI) is masked as well: masking errs on the safe side.
  File names and paths are never rewritten (they are how a file is found).
"""

from __future__ import annotations

import re
from typing import Any

from triage.case.reader import CARD_TYPES
from triage.reports.summary import mask_pan

__all__ = ["CSV_NEUTRALISATION_NOTE", "CARD_VALUE_TYPES", "luhn_ok", "mask_card_numbers", "mask_card_value",
           "neutralise_csv"]

#: artefact types whose ``value`` is itself a card number (saved_card holds a name, expiry and last four only)
CARD_VALUE_TYPES = frozenset({"payment_card", "card_track"}) & CARD_TYPES

#: what a spreadsheet would take for a formula (OWASP CSV injection), at the start of a cell
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")

CSV_NEUTRALISATION_NOTE = (
    "CSV: a text cell beginning with =, +, -, @, tab, CR or LF is prefixed with a single quote (') so that "
    "a spreadsheet shows it as text instead of running it as a formula (OWASP CSV injection); integer and "
    "real columns are written as numbers and never prefixed. Remove the leading quote of such a cell to get "
    "the value as stored; the JSONL export holds every value exactly.")

# digit runs with single space/hyphen separators, found whole, then split into candidate cards; not inside a
# word (an IBAN's BBAN, a hex digest), but after track 1's "%B" and after a \xNN escape (contexts are escaped)
_DIGIT_RUN = re.compile(r"(?:(?<![A-Za-z0-9])|(?<=%B)|(?<=\\x[0-9a-f]{2}))\d+(?:[ -]\d+)*(?![A-Za-z0-9])")
# a quick reject: most text has no 13 digits in a row (one group separator at most between digits)
_CANDIDATE = re.compile(r"\d(?:[ -]?\d){12}")
# numbers that look like digit groups but are not cards: an IBAN written in groups, a sort code (+ account)
_NOT_CARDS = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])"
                        r"|(?<![\d-])\d{2}-\d{2}-\d{2}(?![\d-])")
_MIN_PAN, _MAX_PAN = 13, 19


def neutralise_csv(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet would evaluate gets a leading ``'``; numbers and None unchanged."""
    if type(value) is str:
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, str) and value.startswith(_FORMULA_START):  # a str subclass
        return "'" + value
    return value


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask_digits(text: str, keep_first: int = 6, keep_last: int = 4) -> str:
    """Replace the digits of ``text`` but the first six and last four with ``*``, separators kept."""
    n = sum(c.isdigit() for c in text)
    out, seen = [], 0
    for c in text:
        if c.isdigit():
            out.append(c if seen < keep_first or seen >= n - keep_last else "*")
            seen += 1
        else:
            out.append(c)
    return "".join(out)


def _mask_run(run: str) -> str:
    """Mask the card numbers inside one run of digit groups (groups may hold several numbers side by side)."""
    groups = re.split(r"([ -])", run)  # digits, sep, digits, sep ...
    digit_groups = groups[0::2]
    masked = list(groups)
    i = 0
    while i < len(digit_groups):
        found = False
        # the longest span of whole groups starting here that is a plausible card
        for j in range(len(digit_groups), i, -1):
            digits = "".join(digit_groups[i:j])
            if _MIN_PAN <= len(digits) <= _MAX_PAN and digits[0] in "23456" and luhn_ok(digits):
                span = "".join(groups[2 * i:2 * j - 1])
                masked_span = _mask_digits(span)
                # put the masked span back group by group
                parts = re.split(r"([ -])", masked_span)
                masked[2 * i:2 * j - 1] = parts
                i = j
                found = True
                break
        if not found:
            i += 1
    return "".join(masked)


def mask_card_numbers(text: Any) -> Any:
    """Free text with every plausible card number masked (first six, last four); non-text unchanged."""
    if not isinstance(text, str) or len(text) < _MIN_PAN or not _CANDIDATE.search(text):
        return text
    protected = [m.span() for m in _NOT_CARDS.finditer(text)]

    def one(m: re.Match[str]) -> str:
        run = m.group(0)
        if len(run) < _MIN_PAN or any(a < m.end() and m.start() < b for a, b in protected):
            return run
        return _mask_run(run)
    return _DIGIT_RUN.sub(one, text)


def mask_card_value(artefact_type: str, value: Any) -> Any:
    """An artefact's ``value`` as exported masked: card numbers by mask_pan, other types' free text as text."""
    if not isinstance(value, str):
        return value
    if artefact_type in CARD_VALUE_TYPES:
        return mask_pan(value)
    if artefact_type in CARD_TYPES:
        return mask_card_numbers(value)
    return value


def mask_row(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """A raw case row with its card numbers masked, as every export writes it (JSON columns still text)."""
    if table == "artefacts":
        row["value"] = mask_card_value(row.get("type") or "", row.get("value"))
        for col in ("raw", "context", "extra"):
            row[col] = mask_card_numbers(row.get(col))
    elif table == "yara_matches":
        row["strings"] = mask_card_numbers(row.get("strings"))
    return row
