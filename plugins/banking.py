"""Bank accounts: IBANs (mod-97 + per-country length) and UK sort code/account pairs.

A UK pair is checked by VocaLink's modulus-checking specification
(``_modulus.py``, the published weight table shipped in ``uk_modulus/``)
and the result recorded on the finding (``extra.modulus``: pass, fail,
unknown for a sort code in no range, foreign for exception 6). A pair is
reported

- with a key word ("sort code", "sort", "s/c"...) before it on its line, or
  in a table whose header row names the two columns (a CSV or TSV export of
  payees or mule accounts), unless its modulus check fails (see
  ``KEEP_LABELLED_FAILURES``);
- bare (six digits then eight, or eight then six, on one line) only when it
  passes the modulus check and sits in a banking context (a banking word
  on its line or in the 200 bytes before it): a bare six-then-eight digit pair is far
  more often a date and a reference, and one in ten random pairs passes a
  modulus check by chance.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from functools import lru_cache

from stdnum import iban as _iban

from triage.plugin_api import Artefact, Hit, Pattern, hookimpl
from triage_plugins._common import RegexScanner, artefact, boring_digits, text
from triage_plugins._modulus import check as modulus_check

_SC = rb"\d\d[- ]?\d\d[- ]?\d\d"
_SC_ACCT = _SC + rb"\b[^0-9]{1,48}\b\d{8}\b"
_ACCT_SC = rb"\b\d{8}\b[^0-9]{1,48}\b" + _SC + rb"\b"
#: One Hyperscan trigger for both pair patterns: the pairs themselves (each
#: alternative is contained in every match of its pattern). Eight-digit
#: words alone (DIGITS8_WORD: dates, ids, hex that happens to be all digits)
#: fire tens of thousands of times per 100 MB of logs, and each event cost
#: two Python regex passes that almost never found a pair; the pairs fire a
#: hundred times less. Hyperscan itself gets about 5% slower.
_PAIR_TRIGGER = _SC_ACCT + rb"|" + _ACCT_SC
_KEY_SORT = re.compile(rb"\bsort(?:[ _-]?code)?\b|\bs/c\b|\bsc\b", re.I)
_KEY_ACCT = re.compile(rb"\bacc(?:oun)?t?\b|\baccount\b|\ba/c\b|\bacct\b|account\s*(?:no|number|num)", re.I)
_SORT_CODE = re.compile(r"^(\d\d)([- ]?)(\d\d)\2(\d\d)$")
_EIGHT = re.compile(rb"^[^0-9]{1,48}\b\d{8}\b")
#: a header cell naming the sort-code column, or the account-number one, once
#: normalised (see header_words): "sort code", "bank sort code", "s/c"...
_COL_SORT = re.compile(r"^(?:(?:bank|branch|payee|beneficiary)\s)?(?:sort(?:\s?(?:code|no|num|number))?|s/?c)$")
_COL_ACCT = re.compile(r"^(?:(?:bank|payee|beneficiary)\s)?(?:account|acc|acct|a/c)(?:\s?(?:no|num|number|#))?$")
_DELIMITERS = (",", "\t", ";", "|")
#: a banking word near a bare pair: on its line or in the 200 bytes before it
_BANK_CONTEXT = re.compile(
    rb"\b(?:bank(?:ing)?|account|acct|a/c|payee|beneficiary|transfer|bacs|chaps|faster\s+payments?|"
    rb"standing\s+order|direct\s+debit|iban|swift|bic|barclays|hsbc|lloyds|natwest|santander|halifax|"
    rb"nationwide|monzo|starling|revolut|metro\s+bank|tsb|rbs|co-?op(?:erative)?\s+bank)\b", re.I)
#: the pairs planted in the committed fixture images (fixtures/tools/plant_artefacts.py) were made before
#: modulus checking and fail it; until they are re-planted with valid pairs, a labelled pair that fails is
#: still reported, marked ``modulus: fail`` and at low confidence. A bare pair that fails never is.
KEEP_LABELLED_FAILURES = True
_HEAD_LINES = 20


def _row_fields(line: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delim))
    except (csv.Error, StopIteration):
        return []


_QUALIFIER = re.compile(r"\([^()]{0,40}\)|\[[^\[\]]{0,40}\]|\{[^{}]{0,40}\}")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@lru_cache(maxsize=1024)
def header_words(cell: str) -> str:
    """A header cell as lower-case words: the naming styles of real exports made one.

    ``sort_code``, ``sortCode``, ``SORT-CODE``, ``"Sort Code (6 digits)"``,
    ``'Account No.'``, ``ACCOUNT_NO``, ``Account # [GBP]`` -> "sort code",
    "account no", "account #": quotes, qualifiers in brackets and the
    punctuation around the words go; camelCase, snake_case and kebab-case
    are split. "/" stays (``s/c``, ``a/c``), so does "#".
    """
    cell = _QUALIFIER.sub(" ", cell.strip().strip("\"'`").strip())
    cell = _CAMEL.sub(" ", cell)
    words = re.sub(r"[^A-Za-z0-9/#]+", " ", cell).lower().split()
    return " ".join(words).replace("s / c", "s/c").replace("a / c", "a/c")


def column_named(cell: str, rx: re.Pattern[str]) -> bool:
    """True when a header cell, normalised, is the column name ``rx`` matches (for every table-driven finding)."""
    return rx.match(header_words(cell)) is not None


@lru_cache(maxsize=64)
def _header_rows(head: bytes, delim: str) -> tuple[list[str], ...]:
    """The first lines of a stream as CSV rows: parsed once for all the rows of a table, not per row."""
    return tuple(_row_fields(line, delim) for line in head.decode("latin-1").splitlines()[:_HEAD_LINES])


def _named_columns(hit: Hit, sc_raw: str, acct: str, first: int, last: int) -> bool:
    """True when the pair sits in a table row under header cells naming both columns.

    The row (the line holding ``data[first:last]``) is split as CSV with
    each usual delimiter; the sort code and the account number must each
    be a whole cell, and a line near the top of the stream (``hit.head``)
    must name those two columns: "Sort Code" over the one, "Account
    Number" over the other.
    """
    data = hit.data
    ls = max(data.rfind(b"\n", 0, first), data.rfind(b"\r", 0, first))
    if ls < 0 or not hit.head:
        return False  # the row's start is not in view
    ends = [i for i in (data.find(b"\n", last), data.find(b"\r", last)) if i >= 0]
    if not ends:
        return False
    row = data[ls + 1 : min(ends)].decode("latin-1")
    for delim in _DELIMITERS:
        if delim not in row:
            continue
        cells = [c.strip() for c in _row_fields(row, delim)]
        if sc_raw not in cells or acct not in cells:
            continue
        i_sc, i_acct = cells.index(sc_raw), cells.index(acct)
        for names in _header_rows(hit.head, delim):
            if (len(names) > max(i_sc, i_acct) and column_named(names[i_sc], _COL_SORT)
                    and column_named(names[i_acct], _COL_ACCT)):
                return True
    return False


def _banking_context(data: bytes, start: int, end: int) -> bool:
    """True when a banking word is on the pair's line or in the 200 bytes before it (a heading over a list)."""
    lo = max(0, start - 200)
    ends = [i for i in (data.find(b"\n", end, end + 160), data.find(b"\r", end, end + 160)) if i >= 0]
    hi = min(ends) if ends else min(len(data), end + 160)
    return _BANK_CONTEXT.search(data, lo, hi) is not None


def iban_ok(candidate: str) -> str | None:
    """Compact upper-case IBAN when valid (mod 97 and country format)."""
    try:
        return _iban.validate(candidate)
    except Exception:  # noqa: BLE001 - stdnum raises ValidationError subclasses
        return None


class Banking(RegexScanner):
    name = "banking"
    version = "1.2.0"
    emits = ("iban", "uk_bank_account")
    patterns = (
        Pattern("iban", rb"\b[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\b", max_len=48,
                prefilter=rb"[A-Z]{2}\d\d ?[A-Z0-9]{4}"),
        Pattern("sc_acct", rb"\b" + _SC_ACCT, max_len=72, prefilter=_PAIR_TRIGGER),
        Pattern("acct_sc", _ACCT_SC, max_len=72, prefilter=_PAIR_TRIGGER),
    )

    def check_iban(self, hit: Hit) -> Iterator[Artefact]:
        raw = text(hit)
        # cut points: the whole match, then each space boundary, longest first
        cuts = [len(raw)] + [i for i in range(len(raw) - 1, 0, -1) if raw[i] == " "]
        for cut in cuts:
            value = iban_ok(raw[:cut])
            if value:
                yield artefact(hit, "iban", value, end=hit.start + cut, confidence=1.0,
                               extra={"country": value[:2]})
                return

    def _pair(self, hit: Hit, sc_raw: str, acct: str, sc_start: int, acct_start: int) -> Iterator[Artefact]:
        m = _SORT_CODE.match(sc_raw)
        if not m:
            return
        sc = m.group(1) + m.group(3) + m.group(4)
        if sc == "000000" or boring_digits(acct) or acct == "00000000":
            return
        # the sort-code key word must come before the sort code, on its line:
        # a six-digit run after "account" alone is as likely a date or the
        # digits of a NINO
        lead = hit.data[max(0, min(sc_start, acct_start) - 48) : sc_start]
        lead = lead[max(lead.rfind(b"\n"), lead.rfind(b"\r")) + 1 :]  # same line as the sort code
        start = min(sc_start, acct_start)
        end = max(sc_start + len(sc_raw), acct_start + 8)
        modulus = modulus_check(sc, acct)
        if _KEY_SORT.search(lead):
            has_acct = bool(_KEY_ACCT.search(hit.data[max(0, hit.start - 48) : hit.end]))
            confidence = 0.9 if has_acct else 0.7
        elif _named_columns(hit, sc_raw, acct, start, end):
            confidence = 0.9
        elif (modulus == "pass" and b"\n" not in hit.data[start:end] and b"\r" not in hit.data[start:end]
              and _banking_context(hit.data, start, end)):
            confidence = 0.6
        else:
            return
        if modulus == "fail":
            if not KEEP_LABELLED_FAILURES:
                return
            confidence = 0.3
        yield artefact(
            hit,
            "uk_bank_account",
            f"{sc}-{acct}",
            start=start,
            end=end,
            confidence=confidence,
            extra={"sort_code": f"{sc[:2]}-{sc[2:4]}-{sc[4:]}", "account_number": acct, "modulus": modulus},
        )

    def check_sc_acct(self, hit: Hit) -> Iterator[Artefact]:
        raw = text(hit)
        m = re.match(r"(\d\d[- ]?\d\d[- ]?\d\d)", raw)
        assert m
        sc_raw = m.group(1)
        acct = raw[-8:]
        yield from self._pair(hit, sc_raw, acct, hit.start, hit.end - 8)

    def check_acct_sc(self, hit: Hit) -> Iterator[Artefact]:
        raw = text(hit)
        acct = raw[:8]
        m = re.search(r"(\d\d[- ]?\d\d[- ]?\d\d)$", raw)
        assert m
        sc_raw = m.group(1)
        # a sort code followed by its own account number belongs to sc_acct
        if _EIGHT.match(hit.after):
            return
        yield from self._pair(hit, sc_raw, acct, hit.end - len(sc_raw), hit.start)


@hookimpl
def triage_extractors() -> list[object]:
    return [Banking()]
