"""What every shipped content scanner shares (not a plugin module): prefilters, digit checks, the TLD list.

A scanner here is a small class (:class:`triage.plugin_api.RegexScanner`):
its ``patterns`` and, for each pattern id, a ``check_<id>`` method that turns
a :class:`Hit` into artefacts.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

# the regex scanner helpers are part of the public plugin API; named here too for the shipped modules
from triage.plugin_api import RegexScanner, artefact, text

__all__ = ["BASE58_25", "CARD_4_4", "CARD_PAN", "DIGITS6", "DIGITS8", "DIGITS8_WORD", "MRZ_FILLERS", "PHONE_9",
           "RegexScanner", "artefact", "boring_digits", "text", "tlds"]


#: Shared Hyperscan prefilters (see Pattern.prefilter): identical ones are
#: compiled once. Each is contained in every match of the patterns using it.
#: Kept for third-party plugins; the shipped ones use the narrower triggers below.
DIGITS6 = rb"\d[ .-]?\d[ .-]?\d[ .-]?\d[ .-]?\d[ .-]?\d\b"
#: A UK account number (8 digits): in every sort code/account pair.
DIGITS8 = rb"\d{8}\b"
#: A UK account number as a word of exactly eight digits (kept for
#: third-party plugins: the shipped sort code/account pairs now trigger on
#: the pairs themselves, see banking.py), for the engine's end offsets: both
#: pair regexes hold ``\b\d{8}\b`` literally, and the byte
#: before such a word always exists in a lane (a lane starts with a virtual
#: newline) and is not a digit, so ``\D\d{8}\b`` ends where every match's
#: account number ends. Unlike DIGITS8 it does not fire on the last eight
#: digits of longer numbers (timestamps, ids). Not ``\b\d{8}\b`` (nearly the
#: same events: ``\D`` also lets a letter or ``_`` precede): a leading ``\b``
#: or word-class byte slows the whole Hyperscan database down by a third on
#: binary data, ``\D`` does not.
DIGITS8_WORD = rb"\D\d{8}\b"
#: Two groups of four digits: in every card number the card validator can
#: accept (13-19 digits unbroken, or grouped 4-4-4-4(-x), 4-6-5, 4-6-4).
CARD_4_4 = rb"\d{4}[ -]?\d{4}"
#: Narrower, from the same rules (cards.check_pan: one separator kind, the
#: accepted span is whole groups joined by single separators, 13-19 digits,
#: and _grouping_ok): one group -> 13+ digits unbroken; 4-4-...-x -> at least
#: four groups (4+4+4 = 12 < 13), so 4, 4, 4 and a digit; 4-6-5 and 4-6-4 ->
#: 4, 6, 4. The accepted span is contiguous in the stream, so it holds one of
#: these; 10-digit timestamps and short numbers never fire it.
CARD_PAN = rb"\d{13}|\d{4}[ -]\d{4}[ -]\d{4}[ -]\d|\d{4}[ -]\d{6}[ -]\d{4}"
#: The leading + or 0 of a phone number and nine digits in all (the phone
#: validator needs 9-15): the gaps are those the phone regex allows between
#: two digits (a separator, ``) ``, `` (``), so dates and times rarely fire.
PHONE_9 = rb"(?:\+\d|\(0|\b0)(?:[ .()-]{0,2}\d){8}"
#: 25 base58 characters (no trailing \b: Hyperscan is much faster without it).
BASE58_25 = rb"[1-9A-HJ-NP-Za-km-z]{25}"
#: Two fillers: every machine-readable zone holds ``<<`` (the name field
#: separates surname and given names with it, or pads with it; the
#: validator requires it, so both engines agree). A literal: Hyperscan finds
#: it for nothing, where the former trigger (30 MRZ characters, a line
#: break, one more) cost a tenth of the whole database's time over text.
#: The MRZ patterns' alphabet is narrow, so the engine reads the whole run
#: of MRZ characters (line breaks included) around the fillers.
MRZ_FILLERS = rb"<<"


def boring_digits(digits: str) -> bool:
    """All one digit, or a run ascending/descending by one (mod 10)."""
    if len(set(digits)) == 1:
        return True
    steps = {(ord(b) - ord(a)) % 10 for a, b in zip(digits, digits[1:])}
    return steps == {1} or steps == {9}


@lru_cache(maxsize=1)
def tlds() -> frozenset[str]:
    """IANA top-level domains, lower case, from the bundled _tlds.txt (no network)."""
    data = resources.files("triage_plugins").joinpath("_tlds.txt").read_text("ascii")
    return frozenset(line.strip().lower() for line in data.splitlines() if line.strip() and not line.startswith("#"))
