"""Crypto: BIP173/BIP350, Base58Check, EIP-55, Monero, BIP39 vectors, private keys."""

from __future__ import annotations

import pytest

from tests.plugins.conftest import ENGINES, values
from triage_plugins._codecs import b58check_encode, segwit_decode
from triage_plugins._keccak import keccak256
from triage_plugins.crypto import eip55_encode, eip55_ok

BIP173_350_VALID = [
    ("bc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"),
    ("tb", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"),
    ("bc", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"),
    ("bc", "BC1SW50QGDZ25J"),
    ("bc", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"),
    ("tb", "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy"),
    ("tb", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"),
    ("bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),
]
BIP350_INVALID = [
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # v1 with bech32 checksum
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # v16 with bech32
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # v0 with bech32m
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # version 17
    "bc1rw5uspcuh",  # program too short
    "bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",  # too long
    "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",  # v0 program of 16 bytes
    "bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",  # non-zero padding
    "bc1gmk9yu",  # empty data
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # checksum
]


@pytest.mark.parametrize("hrp,addr", BIP173_350_VALID)
def test_bip173_bip350_valid(hrp: str, addr: str) -> None:
    assert segwit_decode(hrp, addr) is not None


@pytest.mark.parametrize("addr", BIP350_INVALID)
def test_bip350_invalid(addr: str) -> None:
    assert segwit_decode("bc", addr) is None


def test_btc_addresses_in_text(scan) -> None:
    data = ("pay 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa or 3GPrYSjTRJJufVt5kzNtiyvRXQxZ58xru1 or "
            + " ".join(a for _, a in BIP173_350_VALID) + " not 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb "
            + " ".join(BIP350_INVALID) + "\n").encode()
    found = values(scan(data), "btc_address")
    assert found == ["1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "3GPrYSjTRJJufVt5kzNtiyvRXQxZ58xru1"] + [
        a.lower() for _, a in BIP173_350_VALID]


def test_keccak256_known_answers() -> None:
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


EIP55 = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
         "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]


def test_eip55_examples(scan) -> None:
    for a in EIP55:
        assert eip55_ok(a) and eip55_encode(a.lower()) == a
    bad = EIP55[0][:-1] + "D"  # case flipped on the last letter
    assert not eip55_ok(bad)
    found = values(scan((" ".join(EIP55) + " " + bad + " " + EIP55[1].lower() + "\n").encode()), "eth_address")
    assert found == [a.lower() for a in EIP55] + [EIP55[1].lower()]


def test_litecoin_tron_monero(scan) -> None:
    ltc = b58check_encode(b"\x30" + bytes(range(1, 21)))
    ltc_m = b58check_encode(b"\x32" + bytes(range(5, 25)))
    trx = b58check_encode(b"\x41" + bytes(range(7, 27)))
    xmr = "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
    bad_xmr = xmr[:-2] + ("B" if xmr[-2] != "B" else "C") + xmr[-1]
    data = f"{ltc} {ltc_m} {trx} {xmr} {bad_xmr} TX2dwM3xgeqxm93Tn1APnKmmYKWRGrkj4h\n".encode()
    arts = scan(data)
    assert values(arts, "ltc_address") == [ltc, ltc_m]
    assert values(arts, "trx_address") == [trx, "TX2dwM3xgeqxm93Tn1APnKmmYKWRGrkj4h"]
    assert values(arts, "xmr_address") == [xmr]


BIP39_VECTORS = [  # Trezor python-mnemonic vectors.json, English
    "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
    "legal winner thank year wave sausage worth useful legal winner thank yellow",
    "letter advice cage absurd amount doctor acoustic avoid letter advice cage above",
    "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong",
    "scheme spot photo card baby mountain device kick cradle pact join borrow",
    " ".join(["abandon"] * 23 + ["art"]),
    "letter advice cage absurd amount doctor acoustic avoid letter advice cage absurd amount doctor acoustic "
    "avoid letter advice cage absurd amount doctor acoustic bless",
]


def test_bip39_vectors(scan) -> None:
    data = ("my seed:\n" + "\n\nother text here\n".join(BIP39_VECTORS) + "\n").encode()
    assert values(scan(data), "bip39_mnemonic") == BIP39_VECTORS


def test_bip39_one_word_per_line_and_near_miss(scan) -> None:
    seed = BIP39_VECTORS[1].split()
    assert values(scan(("\n".join(seed) + "\n").encode()), "bip39_mnemonic") == [BIP39_VECTORS[1]]
    bad = " ".join(seed[:-1] + ["year"])
    assert values(scan(f"note {bad} end\n".encode()), "bip39_mnemonic") == []


def test_bip39_inside_prose(scan) -> None:
    text = "they said the words were " + BIP39_VECTORS[4] + " then left quickly\n"
    assert values(scan(text.encode()), "bip39_mnemonic") == [BIP39_VECTORS[4]]


def _numbered(words: list[str], style: str) -> str:
    return {
        "lines": "\n".join(f"{i}. {w}" for i, w in enumerate(words, 1)),
        "padded": "\r\n".join(f"{i:02d}.{w}" for i, w in enumerate(words, 1)),
        "paren": " ".join(f"{i}) {w}" for i, w in enumerate(words, 1)),
        "json": "[" + ", ".join(f'"{w}"' for w in words) + "]",
        "hyphens": "-".join(words),
        "bars": " | ".join(words),
    }[style]


@pytest.mark.parametrize("style", ["lines", "padded", "paren", "json", "hyphens", "bars"])
@pytest.mark.parametrize("engine", ENGINES)
def test_bip39_numbered_and_listed(scan, style: str, engine: str) -> None:
    """Seeds as wallets show them and people copy them: numbered, or as a list; near misses still refused."""
    for seed in (BIP39_VECTORS[1], BIP39_VECTORS[6]):
        text = f"My recovery phrase:\n{_numbered(seed.split(), style)}\nkeep safe\n"
        assert values(scan(text.encode(), engine=engine), "bip39_mnemonic") == [seed]
        assert values(scan(text.encode("utf-16-le"), engine=engine), "bip39_mnemonic") == [seed]
    bad = BIP39_VECTORS[1].split()[:-1] + ["year"]  # checksum fails
    assert values(scan(f"phrase:\n{_numbered(bad, style)}\n".encode(), engine=engine), "bip39_mnemonic") == []


def test_private_keys(scan) -> None:
    keys = ["5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ",
            "Kwd5dveLtvhVcSE7HiNGf1WV26UZozx1U9gLXetiHisTg97tGvsp",
            "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"]
    near = "Kwd5dveLtvhVcSE7HiNGg1WV26UZozx1U9gLXetiHisTg97tGvsp"
    arts = [a for a in scan((" ".join(keys + [near]) + "\n").encode()) if a.type == "crypto_private_key"]
    assert [a.value for a in arts] == keys
    assert [a.extra["kind"] for a in arts] == ["wif", "wif", "xprv"]
