"""Payment cards and track data: scheme rules, Luhn, grouping, near misses."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.plugins.conftest import values
from triage_plugins._codecs import luhn_check_digit, luhn_ok
from triage_plugins.cards import card_brand, pan_ok

# (IIN prefix, length, brand)
SCHEMES = [
    ("4", 16, "visa"), ("4", 13, "visa"), ("4", 19, "visa"), ("51", 16, "mastercard"), ("55", 16, "mastercard"),
    ("2221", 16, "mastercard"), ("2720", 16, "mastercard"), ("34", 15, "amex"), ("37", 15, "amex"),
    ("6011", 16, "discover"), ("65", 16, "discover"), ("3528", 16, "jcb"), ("3589", 19, "jcb"),
    ("62", 16, "unionpay"), ("36", 14, "diners"), ("300", 14, "diners"), ("6759", 16, "maestro"),
]


def make_pan(prefix: str, length: int, body: str) -> str:
    partial = (prefix + body)[: length - 1]
    return partial + luhn_check_digit(partial)


def test_known_test_numbers(scan) -> None:
    data = (b"4111111111111111 5555-5555-5555-4444 3782 822463 10005 6011111111111117 "
            b"3530111333300000 30569309025904 2223003122003222 6200000000000005\n")
    found = {a.value: a.extra["brand"] for a in scan(data) if a.type == "payment_card"}
    assert found == {
        "4111111111111111": "visa", "5555555555554444": "mastercard", "378282246310005": "amex",
        "6011111111111117": "discover", "3530111333300000": "jcb", "30569309025904": "diners",
        "2223003122003222": "mastercard", "6200000000000005": "unionpay",
    }


def test_rejects_boring_and_mixed_separators(scan) -> None:
    data = b"0000000000000000 4444444444444448 1234567890123452 4111 1111-1111 1111 41 11 11 11 11 11 11 11\n"
    assert values(scan(data), "payment_card") == []


def test_brand_rules() -> None:
    assert card_brand("2720990000000000") == "mastercard"
    assert card_brand("2721000000000000") is None
    assert card_brand("341111111111111") == "amex"
    assert card_brand("3411111111111111") is None  # amex is 15 digits
    # UnionPay cards co-branded for Discover acceptance (found by hypothesis)
    assert card_brand("6222000000000009") == "unionpay"
    assert card_brand("6011000000000004") == "discover"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SCHEMES), st.text("0123456789", min_size=19, max_size=19), st.integers(0, 18))
def test_random_valid_pans_found_and_near_misses_not(scan, scheme, body, pos) -> None:
    prefix, length, brand = scheme
    pan = make_pan(prefix, length, body)
    if pan_ok(pan) is None:  # a boring run by chance
        return
    assert pan_ok(pan) == brand
    arts = scan(b"pay " + pan.encode() + b" now\n")
    assert values(arts, "payment_card") == [pan]
    i = pos % length
    bad = pan[:i] + str((int(pan[i]) + 1 + pos % 9) % 10) + pan[i + 1 :]
    assert not luhn_ok(bad)
    assert values(scan(b"pay " + bad.encode() + b" now\n"), "payment_card") == []


def test_track_data(scan) -> None:
    data = (b"%B4111111111111111^DOE/JOHN^2712101000000000000?\n"
            b";5555555555554444=28011010000000000?\n"
            b"4111111111111112=27121010000\n")  # bad Luhn
    tracks = [a for a in scan(data) if a.type == "card_track"]
    assert [(a.value, a.extra["track"], a.extra["expiry"]) for a in tracks] == [
        ("4111111111111111", 1, "2027-12"), ("5555555555554444", 2, "2028-01")]
    assert tracks[0].extra["name"] == "DOE/JOHN" and tracks[0].extra["service_code"] == "101"
