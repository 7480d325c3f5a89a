"""Cryptocurrency: addresses (BTC, ETH, LTC, TRX, XMR), BIP39 seed phrases, private keys.

Every encoding here carries a checksum (Base58Check, Bech32/Bech32m, EIP-55
mixed case, Monero's Keccak), and a candidate is only reported when it
holds: base58-looking words are common in binary data and in base64 text,
valid checksums are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mnemonic import Mnemonic

from triage.plugin_api import Artefact, Hit, Pattern, hookimpl
from triage_plugins._codecs import b58check_decode, segwit_decode, xmr_address_ok
from triage_plugins._common import BASE58_25, RegexScanner, artefact, text
from triage_plugins._keccak import keccak256

_B58 = rb"[1-9A-HJ-NP-Za-km-z]"
_BECH = rb"[02-9ac-hj-np-z]"


def eip55_ok(addr: str) -> bool:
    """EIP-55: all-lower or all-upper hex passes; mixed case must match the checksum."""
    body = addr[2:]
    if body == body.lower() or body == body.upper():
        return True
    digest = keccak256(body.lower().encode("ascii")).hex()
    for ch, h in zip(body, digest):
        if ch.isalpha() and (ch.isupper() != (int(h, 16) >= 8)):
            return False
    return True


def eip55_encode(addr: str) -> str:
    body = addr[2:].lower()
    digest = keccak256(body.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(h, 16) >= 8 else c for c, h in zip(body, digest))


def _b58_kind(s: str, kinds: dict[int, str]) -> str | None:
    """The address kind of a base58check string with a 1-byte version and a 20-byte hash, or None."""
    payload = b58check_decode(s)
    if payload is None or len(payload) != 21:
        return None
    return kinds.get(payload[0])


class Bitcoin(RegexScanner):
    name = "bitcoin"
    version = "1.0.0"
    emits = ("btc_address",)
    patterns = (
        Pattern("b58", rb"\b[13]" + _B58 + rb"{25,34}\b", max_len=40, prefilter=BASE58_25),
        Pattern("bech32", rb"\b(?:bc|tb)1" + _BECH + rb"{6,87}\b", max_len=96, caseless=True,
                prefilter=rb"(?:bc|tb)1" + _BECH + rb"{6}"),
    )

    def check_b58(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        kind = _b58_kind(s, {0x00: "p2pkh", 0x05: "p2sh"})
        if kind:
            yield artefact(hit, "btc_address", s, extra={"kind": kind, "network": "mainnet"})

    def check_bech32(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        hrp = s[:2].lower()
        dec = segwit_decode(hrp, s)
        if dec is None:
            return
        ver, prog = dec
        kind = {(0, 20): "p2wpkh", (0, 32): "p2wsh", (1, 32): "p2tr"}.get((ver, len(prog)), f"witness_v{ver}")
        yield artefact(hit, "btc_address", s.lower(),
                       extra={"kind": kind, "network": "mainnet" if hrp == "bc" else "testnet", "witness_version": ver})


class Ethereum(RegexScanner):
    name = "ethereum"
    version = "1.0.0"
    emits = ("eth_address",)
    patterns = (Pattern("addr", rb"\b0x[0-9a-fA-F]{40}\b", max_len=42),)

    def check_addr(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        body = s[2:]
        if len(set(body.lower())) < 4 or not eip55_ok(s):
            return
        mixed = body != body.lower() and body != body.upper()
        yield artefact(hit, "eth_address", "0x" + body.lower(), confidence=1.0 if mixed else 0.8,
                       extra={"checksummed": mixed})


class Litecoin(RegexScanner):
    name = "litecoin"
    version = "1.0.0"
    emits = ("ltc_address",)
    patterns = (
        Pattern("b58", rb"\b[LM]" + _B58 + rb"{25,34}\b", max_len=40, prefilter=BASE58_25),
        Pattern("bech32", rb"\bltc1" + _BECH + rb"{6,87}\b", max_len=96, caseless=True,
                prefilter=rb"ltc1" + _BECH + rb"{6}"),
    )

    def check_b58(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        kind = _b58_kind(s, {0x30: "p2pkh", 0x32: "p2sh"})
        if kind:
            yield artefact(hit, "ltc_address", s, extra={"kind": kind})

    def check_bech32(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        dec = segwit_decode("ltc", s)
        if dec is not None:
            yield artefact(hit, "ltc_address", s.lower(), extra={"kind": "segwit", "witness_version": dec[0]})


class Tron(RegexScanner):
    name = "tron"
    version = "1.0.0"
    emits = ("trx_address",)
    patterns = (Pattern("b58", rb"\bT" + _B58 + rb"{33}\b", max_len=34, prefilter=BASE58_25),)

    def check_b58(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        if _b58_kind(s, {0x41: "p2pkh"}):
            yield artefact(hit, "trx_address", s)


class Monero(RegexScanner):
    name = "monero"
    version = "1.0.0"
    emits = ("xmr_address",)
    patterns = (Pattern("std", rb"\b[48]" + _B58 + rb"{94}\b", max_len=95, prefilter=BASE58_25),)

    def check_std(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        raw = xmr_address_ok(s)
        if raw is None or len(raw) != 65:
            return
        kind = {0x12: "standard", 0x2A: "subaddress"}.get(raw[0])
        if kind:
            yield artefact(hit, "xmr_address", s, extra={"kind": kind})


_MNEMO = Mnemonic("english")
_WORDS = frozenset(_MNEMO.wordlist)
_TOKEN = re.compile(rb"[a-z]+")
#: What stands between two words of a written-down seed: blanks, commas,
#: quotes (a JSON list), bars or hyphens ...
_SEP = rb"""[ \t\r\n,;"'|-]{1,6}"""
#: ... and in a numbered list, the next word's number ("1. legal 2. winner",
#: "1) legal", "01.legal" one per line): wallets show seeds numbered, and
#: people copy them so.
_NUM = rb"\d{1,2}(?:[.):-][ \t]{0,3}|[ \t]{1,3})"
_SEP_OK = re.compile(_SEP + b"(?:" + _NUM + b")?")
_LENGTHS = (24, 21, 18, 15, 12)
_WORDS_B = frozenset(w.encode() for w in _MNEMO.wordlist)
#: Two triggers, twelve short lower-case words either way: plainly separated,
#: or numbered. Kept apart (not one pattern with an optional number) because
#: Hyperscan runs the two for nothing beside the other patterns, while the
#: merged form cost a third more over text. They cannot both match one chain.
_TRIGGER = rb"\b[a-z]{3,8}(?:" + _SEP + rb"[a-z]{3,8}){11}\b"
_NUM_TRIGGER = rb"\b[a-z]{3,8}(?:" + _SEP + _NUM + rb"[a-z]{3,8}){11}\b"
#: each pattern's own trigger, by pattern id (see _cannot_hold_seed)
_TRIGGER_RX = {"words": re.compile(_TRIGGER), "numbered": re.compile(_NUM_TRIGGER)}
_AZ = frozenset(b"abcdefghijklmnopqrstuvwxyz")


def _cannot_hold_seed(hit: Hit) -> bool:
    """True when no seed phrase can start in the match (a cheap, sound reject).

    The match is twelve words; a phrase starting at its k-th word holds
    words k..11 and k more after the match, all list words. So the trailing
    list words of the match (b of them) must be followed by 12 - b list words.
    """
    data = hit.data
    end = hit.end
    if end < len(data) and data[end] in _AZ:
        return False  # not a trigger match: no shortcut
    words = _TOKEN.findall(data, hit.start, end)
    if len(words) != 12 or _TRIGGER_RX[hit.pattern_id].fullmatch(data, hit.start, end) is None:
        return False
    b = 0
    for w in reversed(words):
        if w not in _WORDS_B:
            break
        b += 1
    if b == 0:
        return True
    need = 12 - b
    if need:
        for m in _TOKEN.finditer(data, end):
            if m.group() not in _WORDS_B:
                return True
            need -= 1
            if not need:
                break
        else:
            return True  # fewer than 12 - b words follow
    return False


#: Hyperscan's side of the triggers: unbounded separators (its bounded
#: repeats cost more); every trigger match holds one of these.
_SEP_HS = rb"""[ \t\r\n,;"'|-]+"""
_WORDS_HS = rb"[a-z]{3}" + (_SEP_HS + rb"[a-z]{3,8}") * 10 + _SEP_HS + rb"[a-z]{3}"
_NUM_HS = rb"[a-z]{3}" + (_SEP_HS + rb"\d{1,2}[.):-]?[ \t]*[a-z]{3,8}") * 4


class Bip39(RegexScanner):
    """BIP39 seed phrases: 12-24 list words whose checksum holds.

    The trigger is any chain of 12 short lower-case words, numbered or not
    (see ``_SEP``); the validator finds maximal runs of word-list words and
    reports a run (or its leading or trailing 12..24 words) whose checksum
    holds. A run belongs to the candidate its first word falls in, so a seed
    is reported once.
    """

    name = "bip39"
    version = "1.1.0"
    emits = ("bip39_mnemonic",)
    patterns = (
        Pattern("words", _TRIGGER, max_len=170, prefilter=_WORDS_HS),
        Pattern("numbered", _NUM_TRIGGER, max_len=240, prefilter=_NUM_HS),
    )

    def check_words(self, hit: Hit) -> Iterator[Artefact]:
        if _cannot_hold_seed(hit):
            return
        data = hit.data
        toks = [(m.start(), m.end(), m.group().decode()) for m in _TOKEN.finditer(data)]
        runs: list[list[tuple[int, int, str]]] = []
        cur: list[tuple[int, int, str]] = []
        prev_end = -1
        for s, e, w in toks:
            joined = cur and _SEP_OK.fullmatch(data, prev_end, s) is not None
            bounded = (s == 0 or not data[s - 1 : s].isalnum()) and not data[e : e + 1].isalnum()
            if w in _WORDS and bounded:
                if not joined:
                    if cur:
                        runs.append(cur)
                    cur = []
                cur.append((s, e, w))
            else:
                if cur:
                    runs.append(cur)
                cur = []
            prev_end = e
        if cur:
            runs.append(cur)
        for run in runs:
            if not (hit.start <= run[0][0] < hit.end) or len(run) < 12:
                continue
            if run[0][0] == 0 and hit.start > 0:
                continue  # may begin before our window: not ours to judge
            for words in self._phrases(run):
                phrase = " ".join(w for _, _, w in words)
                yield artefact(hit, "bip39_mnemonic", phrase, start=words[0][0], end=words[-1][1],
                               extra={"words": len(words)})
                break

    check_numbered = check_words

    @staticmethod
    def _phrases(run: list[tuple[int, int, str]]) -> Iterator[list[tuple[int, int, str]]]:
        n = len(run)
        for k in _LENGTHS:
            if k > n:
                continue
            for words in (run[:k], run[n - k :]):
                if _MNEMO.check(" ".join(w for _, _, w in words)):
                    yield words
                    return


class CryptoKeys(RegexScanner):
    name = "crypto_keys"
    version = "1.0.0"
    emits = ("crypto_private_key",)
    patterns = (
        Pattern("wif", rb"\b[5KL]" + _B58 + rb"{50,51}\b", max_len=52, prefilter=BASE58_25),
        Pattern("xprv", rb"\b[xyzt]prv" + _B58 + rb"{107}\b", max_len=111, prefilter=BASE58_25),
    )
    _XPRV = {0x0488ADE4: "xprv", 0x049D7878: "yprv", 0x04B2430C: "zprv", 0x04358394: "tprv"}

    def check_wif(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        p = b58check_decode(s)
        if p is None or p[0] != 0x80:
            return
        if len(p) == 33 and s[0] == "5":
            yield artefact(hit, "crypto_private_key", s, extra={"kind": "wif", "compressed": False})
        elif len(p) == 34 and p[-1] == 0x01 and s[0] in "KL":
            yield artefact(hit, "crypto_private_key", s, extra={"kind": "wif", "compressed": True})

    def check_xprv(self, hit: Hit) -> Iterator[Artefact]:
        s = text(hit)
        p = b58check_decode(s)
        if p is None or len(p) != 78 or p[45] != 0:
            return
        kind = self._XPRV.get(int.from_bytes(p[:4], "big"))
        if kind == s[:4]:
            yield artefact(hit, "crypto_private_key", s, extra={"kind": kind, "depth": p[4]})


@hookimpl
def triage_extractors() -> list[object]:
    return [Bitcoin(), Ethereum(), Litecoin(), Tron(), Monero(), Bip39(), CryptoKeys()]
