"""Checksums and encodings the validators share (no plugin here).

Kept apart from the scanners so each algorithm is written once and tested
against its standard's vectors: Luhn, ICAO 9303 check digits, Base58Check,
Monero's block Base58, Bech32/Bech32m (BIP173/BIP350).
"""

from __future__ import annotations

import hashlib

from triage_plugins._keccak import keccak256

# -- Luhn ---------------------------------------------------------------------
def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i & 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass Luhn."""
    for d in "0123456789":
        if luhn_ok(partial + d):
            return d
    raise AssertionError("unreachable")


# -- ICAO 9303 ----------------------------------------------------------------
def icao_check(field: str) -> str:
    """ICAO 9303 check digit (weights 7, 3, 1; '<' counts 0, A=10 ... Z=35)."""
    total = 0
    weights = (7, 3, 1)
    for i, ch in enumerate(field):
        if ch.isdigit():
            v = ord(ch) - 48
        elif "A" <= ch <= "Z":
            v = ord(ch) - 55
        elif ch == "<":
            v = 0
        else:
            raise ValueError(f"invalid MRZ character {ch!r}")
        total += v * weights[i % 3]
    return str(total % 10)


# -- Base58 -------------------------------------------------------------------
B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}


def _b58_int(s: str) -> int | None:
    """The Base58 digits of ``s`` as one number; None when a character is not Base58."""
    n = 0
    for c in s:
        v = _B58_INDEX.get(c)
        if v is None:
            return None
        n = n * 58 + v
    return n


def b58decode(s: str) -> bytes | None:
    """Bitcoin Base58 to bytes (leading '1's are zero bytes); None if invalid."""
    n = _b58_int(s)
    if n is None:
        return None
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(s) - len(s.lstrip("1"))
    return b"\x00" * pad + body


def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(B58_ALPHABET[r])
    pad = len(data) - len(data.lstrip(b"\x00"))
    return "1" * pad + "".join(reversed(out))


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def b58check_decode(s: str) -> bytes | None:
    """Payload (version byte(s) included) of a Base58Check string, or None."""
    raw = b58decode(s)
    if raw is None or len(raw) < 5:
        return None
    payload, check = raw[:-4], raw[-4:]
    if sha256d(payload)[:4] != check:
        return None
    return payload


def b58check_encode(payload: bytes) -> str:
    return b58encode(payload + sha256d(payload)[:4])


# -- Monero block Base58 -------------------------------------------------------
_XMR_FULL_BLOCK = 11  # characters for 8 bytes
_XMR_SIZES = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}


def xmr_b58decode(s: str) -> bytes | None:
    """Monero's Base58: 8-byte blocks encoded as 11 characters each."""
    out = bytearray()
    for i in range(0, len(s), _XMR_FULL_BLOCK):
        block = s[i : i + _XMR_FULL_BLOCK]
        size = _XMR_SIZES.get(len(block))
        if size is None:
            return None
        n = _b58_int(block)
        if n is None or n >= 1 << (8 * size):
            return None
        out += n.to_bytes(size, "big")
    return bytes(out)


def xmr_address_ok(s: str) -> bytes | None:
    """Decoded Monero address (prefix, keys) if the Keccak checksum holds."""
    raw = xmr_b58decode(s)
    if raw is None or len(raw) < 5:
        return None
    if keccak256(raw[:-4])[:4] != raw[-4:]:
        return None
    return raw[:-4]


# -- Bech32 / Bech32m (BIP173, BIP350) ---------------------------------------
BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32_decode(s: str) -> tuple[str, list[int], str] | None:
    """(hrp, data without checksum, 'bech32'|'bech32m') or None (BIP173 rules)."""
    if any(ord(c) < 33 or ord(c) > 126 for c in s):
        return None
    if s.lower() != s and s.upper() != s:
        return None
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s) or len(s) > 90:
        return None
    hrp = s[:pos]
    data = []
    for c in s[pos + 1 :]:
        d = BECH32_CHARSET.find(c)
        if d < 0:
            return None
        data.append(d)
    const = _polymod(_hrp_expand(hrp) + data)
    if const == _BECH32_CONST:
        enc = "bech32"
    elif const == _BECH32M_CONST:
        enc = "bech32m"
    else:
        return None
    return hrp, data[:-6], enc


def _convertbits(data: list[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    acc = 0
    bits = 0
    ret = []
    maxv = (1 << tobits) - 1
    for value in data:
        if value < 0 or value >> frombits:
            return None
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return ret


def segwit_decode(hrp: str, addr: str) -> tuple[int, bytes] | None:
    """(witness version, program) of a SegWit address for ``hrp`` (BIP173/BIP350)."""
    dec = bech32_decode(addr)
    if dec is None:
        return None
    got_hrp, data, enc = dec
    if got_hrp != hrp or not data:
        return None
    ver = data[0]
    prog = _convertbits(data[1:], 5, 8, False)
    if prog is None or len(prog) < 2 or len(prog) > 40 or ver > 16:
        return None
    if ver == 0 and len(prog) not in (20, 32):
        return None
    if (ver == 0 and enc != "bech32") or (ver != 0 and enc != "bech32m"):
        return None
    return ver, bytes(prog)


def bech32_encode(hrp: str, data: list[int], enc: str = "bech32") -> str:
    const = _BECH32_CONST if enc == "bech32" else _BECH32M_CONST
    values = _hrp_expand(hrp) + data
    polymod = _polymod(values + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


def segwit_encode(hrp: str, ver: int, prog: bytes) -> str:
    bits = _convertbits(list(prog), 8, 5, True)
    assert bits is not None
    return bech32_encode(hrp, [ver] + bits, "bech32" if ver == 0 else "bech32m")
