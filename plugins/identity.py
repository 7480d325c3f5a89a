"""Identity documents: UK National Insurance numbers and passport/ID-card MRZs.

The MRZ is the one identity feature with real check digits (ICAO 9303): every
one, including the composite, must hold, so OCR noise and look-alike lines of
``<`` are not reported. NINOs have no checksum; the prefix rules of HMRC's
allocation (excluded letters and pairs) are what keeps precision up.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterator

from triage.plugin_api import Artefact, Hit, Pattern, hookimpl
from triage_plugins._codecs import icao_check
from triage_plugins._common import MRZ_FILLERS, RegexScanner, artefact, text

_BAD_NINO_PREFIX = {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}
_MRZ_CHAR = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
#: between two MRZ lines: a line break as printed, or (a zone stored as one
#: field, OCR output) one space or nothing
_BREAK = rb"(?:\r?\n| ?)"
_WIDTH = {"td1": 30, "td2": 36, "td3": 44}


def nino_ok(candidate: str) -> str | None:
    """Compact upper-case NINO when the prefix and suffix rules hold."""
    v = candidate.replace(" ", "").upper()
    if not re.fullmatch(r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]", v):
        return None
    if v[:2] in _BAD_NINO_PREFIX:
        return None
    return v


def _date(yymmdd: str, future: bool) -> str | None:
    """ISO date from an MRZ YYMMDD; the century is a guess (expiry: 20YY)."""
    if not yymmdd.isdigit():
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    this = _dt.date.today().year % 100
    century = 2000 if future or yy <= this else 1900
    try:
        return _dt.date(century + yy, mm, dd).isoformat()
    except ValueError:
        return None


def _names(field: str) -> tuple[str, str]:
    surname, _, given = field.partition("<<")
    return surname.replace("<", " ").strip(), given.replace("<", " ").strip()


def _ok(field: str, digit: str) -> bool:
    if digit == "<":  # an optional field left empty may have a filler check digit
        return field.strip("<") == ""
    return icao_check(field) == digit


def parse_mrz(lines: list[str]) -> dict[str, str] | None:
    """Fields of a TD1/TD2/TD3 MRZ when every check digit holds, else None."""
    if len(lines) == 3 and all(len(x) == 30 for x in lines):
        l1, l2, l3 = lines
        doc, doc_cd, opt1 = l1[5:14], l1[14], l1[15:30]
        if doc_cd == "<":  # long document number continues in the optional data
            ext = opt1.rstrip("<")
            if not ext:
                return None
            doc, doc_cd, opt1 = doc + ext[:-1], ext[-1], opt1
            doc_field = doc
        else:
            doc_field = doc
        if not (_ok(doc_field, doc_cd) and _ok(l2[0:6], l2[6]) and _ok(l2[8:14], l2[14])):
            return None
        if icao_check(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]) != l2[29]:
            return None
        surname, given = _names(l3)
        fmt, nationality, birth, sex, expiry, state = "TD1", l2[15:18], l2[0:6], l2[7], l2[8:14], l1[2:5]
        doc_type = l1[0:2]
    elif len(lines) == 2 and all(len(x) == len(lines[0]) for x in lines) and len(lines[0]) in (36, 44):
        l1, l2 = lines
        n = len(l1)
        doc, doc_cd = l2[0:9], l2[9]
        if not (_ok(doc, doc_cd) and _ok(l2[13:19], l2[19]) and _ok(l2[21:27], l2[27])):
            return None
        if n == 44:
            if not _ok(l2[28:42], l2[42]):
                return None
            composite = l2[0:10] + l2[13:20] + l2[21:43]
            cd = l2[43]
        else:
            composite = l2[0:10] + l2[13:20] + l2[21:35]
            cd = l2[35]
        if l1[0] == "V":  # visas (MRV-A/B) have no composite check digit
            pass
        elif icao_check(composite) != cd:
            return None
        surname, given = _names(l1[5:])
        fmt = "TD3" if n == 44 else "TD2"
        nationality, birth, sex, expiry, state, doc_type = l2[10:13], l2[13:19], l2[20], l2[21:27], l1[2:5], l1[0:2]
    else:
        return None
    if sex not in "MFX<":
        return None
    birth_iso, expiry_iso = _date(birth, False), _date(expiry, True)
    if birth_iso is None or expiry_iso is None:
        return None
    return {
        "document_number": doc.replace("<", ""),
        "document_type": doc_type.replace("<", ""),
        "surname": surname,
        "given_names": given,
        "nationality": nationality.replace("<", ""),
        "birth_date": birth_iso,
        "expiry_date": expiry_iso,
        "sex": sex.replace("<", "X"),
        "issuing_state": state.replace("<", ""),
        "format": fmt,
    }


class Identity(RegexScanner):
    name = "identity"
    version = "1.1.0"
    emits = ("uk_nino", "passport_mrz")
    patterns = (
        # the trigger keeps the two letters as one wide class: Hyperscan runs
        # the whole database 12% faster than with the digits alone (and
        # slower with the exact prefix classes)
        Pattern("nino", rb"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d\d ?\d\d ?\d\d ?[A-D]\b", max_len=16,
                prefilter=rb"[A-Z]{2} ?\d\d ?\d\d ?\d\d ?[A-D]\b"),
        Pattern("td3", rb"[PV][A-Z0-9<][A-Z<]{3}[A-Z0-9<]{39}" + _BREAK + rb"[A-Z0-9<]{44}", max_len=92,
                prefilter=MRZ_FILLERS),
        Pattern("td2", rb"[ACIPV][A-Z0-9<][A-Z<]{3}[A-Z0-9<]{31}" + _BREAK + rb"[A-Z0-9<]{36}", max_len=76,
                prefilter=MRZ_FILLERS),
        Pattern("td1", rb"[ACI][A-Z0-9<][A-Z<]{3}[A-Z0-9<]{25}" + _BREAK + rb"[A-Z0-9<]{30}" + _BREAK
                + rb"[A-Z0-9<]{30}", max_len=96, prefilter=MRZ_FILLERS),
    )

    def check_nino(self, hit: Hit) -> Iterator[Artefact]:
        value = nino_ok(text(hit))
        if value:
            yield artefact(hit, "uk_nino", value, confidence=0.8)

    def _mrz(self, hit: Hit) -> Iterator[Artefact]:
        before = hit.before[-1:]
        after = hit.after[:1]
        if (before and before in _MRZ_CHAR) or (after and after in _MRZ_CHAR):
            return  # part of a longer line: not an MRZ of this format
        if b"<<" not in hit.match:
            return  # no name separator or filler: the trigger (MRZ_FILLERS) would not see it either
        flat = re.sub(r"[\r\n ]", "", text(hit))
        width = _WIDTH[hit.pattern_id]
        fields = parse_mrz([flat[i : i + width] for i in range(0, len(flat), width)])
        if fields is None:
            return
        yield artefact(hit, "passport_mrz", fields.pop("document_number"), confidence=1.0, extra=fields)

    check_td1 = check_td2 = check_td3 = _mrz


@hookimpl
def triage_extractors() -> list[object]:
    return [Identity()]
