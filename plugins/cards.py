"""Payment cards: PANs (Luhn + scheme rules) and magnetic-stripe track data.

Why so strict: a 16-digit number is everywhere (IDs, timestamps, hashes in
decimal); only the scheme's IIN range, its allowed lengths, the Luhn check,
consistent grouping and a refusal of 1111... / 1234... runs make a hit worth
an examiner's time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from triage.plugin_api import Artefact, Hit, Pattern, hookimpl
from triage_plugins._codecs import luhn_ok
from triage_plugins._common import CARD_PAN, RegexScanner, artefact, boring_digits, text

# (brand, IIN prefixes as (low, high) on the leading digits, allowed lengths)
_SCHEMES: list[tuple[str, list[tuple[int, int]], set[int]]] = [
    ("amex", [(34, 34), (37, 37)], {15}),
    ("diners", [(300, 305), (3095, 3095), (36, 36), (38, 39)], {14, 15, 16, 17, 18, 19}),
    ("jcb", [(3528, 3589)], {16, 17, 18, 19}),
    ("visa", [(4, 4)], {13, 16, 19}),
    ("mastercard", [(51, 55), (2221, 2720)], {16}),
    ("discover", [(6011, 6011), (644, 649), (65, 65)], {16, 17, 18, 19}),
    # 622126-622925 is UnionPay-issued and co-branded for Discover acceptance: the issuer's brand wins
    ("unionpay", [(62, 62), (81, 81)], {16, 17, 18, 19}),
    ("maestro", [(50, 50), (56, 58), (6304, 6304), (6759, 6759), (676770, 676770), (676774, 676774),
                 (6761, 6763), (639, 639)], {13, 14, 15, 16, 17, 18, 19}),
]


def card_brand(pan: str) -> str | None:
    """The scheme of a PAN by IIN range and length, or None."""
    n = len(pan)
    for brand, ranges, lengths in _SCHEMES:
        if n not in lengths:
            continue
        for lo, hi in ranges:
            k = len(str(lo))
            if lo <= int(pan[:k]) <= hi:
                return brand
    return None


def pan_ok(pan: str) -> str | None:
    """Brand when ``pan`` is a plausible card number, else None.

    A run (1111..., 1234...) is refused with or without its check digit.
    """
    if not 13 <= len(pan) <= 19 or boring_digits(pan) or boring_digits(pan[:-1]) or not luhn_ok(pan):
        return None
    return card_brand(pan)


@lru_cache(maxsize=65536)
def _pan_in(raw: str) -> tuple[int, int, str, str] | None:
    """``(chars before it, chars it spans, PAN, brand)`` of the card in a candidate, or None.

    The longest, then leftmost, run of whole digit groups that is a valid
    card: the regex may have taken a neighbouring number's groups too.
    Cached: it depends on the candidate's text alone, and test cards and a
    suspect's own cards recur throughout an image.
    """
    seps = set(_SPLIT.findall(raw))
    if len(seps) > 1:
        return None
    groups = _SPLIT.split(raw)
    spans = [(i, j) for i in range(len(groups)) for j in range(len(groups), i, -1)]
    spans.sort(key=lambda ij: (-(ij[1] - ij[0]), ij[0]))
    for i, j in spans:
        part = groups[i:j]
        pan = "".join(part)
        if not 13 <= len(pan) <= 19 or not _grouping_ok(part):
            continue
        brand = pan_ok(pan)
        if brand is None:
            continue
        return sum(len(g) + 1 for g in groups[:i]), len(pan) + len(part) - 1, pan, brand
    return None


def _grouping_ok(groups: Sequence[str]) -> bool:
    if len(groups) == 1:
        return True
    sizes = [len(g) for g in groups]
    if sizes[:-1] == [4] * (len(sizes) - 1) and 1 <= sizes[-1] <= 4:
        return True
    return sizes in ([4, 6, 5], [4, 6, 4])


_SPLIT = re.compile(r"[ -]")


class PaymentCards(RegexScanner):
    name = "cards"
    version = "1.0.0"
    emits = ("payment_card", "card_track")
    # the tracks hold an unbroken PAN of 13+ digits: they share the PAN's
    # trigger, one Hyperscan expression for the three (their own triggers
    # on "^" and "=" cost a twentieth of the database's time over logs full
    # of key=value pairs)
    patterns = (
        Pattern("pan", rb"\b(?:\d[ -]?){12,18}\d\b", max_len=40, prefilter=CARD_PAN, reach=0),
        Pattern(
            "track1",
            rb"(?:%|\b)B\d{13,19}\^[A-Za-z0-9 /.'-]{2,26}\^\d{7}",
            max_len=72,
            prefilter=CARD_PAN,
        ),
        Pattern("track2", rb"(?:;|\b)\d{13,19}=\d{7}", max_len=40, prefilter=CARD_PAN),
    )

    def check_pan(self, hit: Hit) -> Iterator[Artefact]:
        found = _pan_in(text(hit))
        if found is not None:
            lead, span, pan, brand = found
            start = hit.start + lead
            yield artefact(hit, "payment_card", pan, start=start, end=start + span, confidence=0.9,
                           extra={"brand": brand})

    @staticmethod
    def _expiry(yymm: str) -> str | None:
        mm = int(yymm[2:])
        return f"20{yymm[:2]}-{yymm[2:]}" if 1 <= mm <= 12 else None

    def check_track1(self, hit: Hit) -> Iterator[Artefact]:
        raw = text(hit)
        body = raw[1:] if raw.startswith("%") else raw
        pan, name, rest = body[1:].split("^", 2)
        brand = pan_ok(pan)
        expiry = self._expiry(rest[:4])
        if brand is None or expiry is None:
            return
        surname, _, given = name.strip().partition("/")
        yield artefact(
            hit,
            "card_track",
            pan,
            confidence=0.95,
            extra={"track": 1, "brand": brand, "expiry": expiry, "service_code": rest[4:7], "name": name.strip(),
                   "surname": surname.strip(), "given_names": given.strip()},
        )

    def check_track2(self, hit: Hit) -> Iterator[Artefact]:
        raw = text(hit).lstrip(";")
        pan, rest = raw.split("=", 1)
        brand = pan_ok(pan)
        expiry = self._expiry(rest[:4])
        if brand is None or expiry is None:
            return
        yield artefact(
            hit,
            "card_track",
            pan,
            confidence=0.95 if text(hit).startswith(";") else 0.85,
            extra={"track": 2, "brand": brand, "expiry": expiry, "service_code": rest[4:7]},
        )


@hookimpl
def triage_extractors() -> list[object]:
    return [PaymentCards()]
