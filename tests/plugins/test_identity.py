"""NINO prefix rules and ICAO 9303 MRZs (the specimen documents)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.plugins.conftest import ENGINES, values
from triage_plugins.identity import nino_ok

TD3 = b"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"
TD1 = b"I<UTOD231458907<<<<<<<<<<<<<<<\r\n7408122F1204159UTO<<<<<<<<<<<6\r\nERIKSSON<<ANNA<MARIA<<<<<<<<<<"
TD2 = b"I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<\nD231458907UTO7408122F1204159<<<<<<<6"


def test_nino(scan) -> None:
    data = b"JG103759A, AB 12 34 56 C, CE778899D; bad: DA123456A QQ123456C GB123456A NK123456B AO123456A AB123456E\n"
    assert values(scan(data), "uk_nino") == ["JG103759A", "AB123456C", "CE778899D"]


FIRST = "ABCEGHJKLMNOPRSTWXYZ"
SECOND = "ABCEGHJKLMNPRSTWXYZ"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FIRST), st.sampled_from(SECOND), st.text("0123456789", min_size=6, max_size=6),
       st.sampled_from("ABCD"))
def test_random_ninos(scan, a, b, digits, suffix) -> None:
    nino = a + b + digits + suffix
    expect = [] if a + b in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"} else [nino]
    assert values(scan(b"NI " + nino.encode() + b"\n"), "uk_nino") == expect
    assert nino_ok("D" + nino[1:]) is None and nino_ok(nino[:-1] + "E") is None


def test_td3_specimen(scan) -> None:
    arts = [a for a in scan(b"scan:\n" + TD3 + b"\n") if a.type == "passport_mrz"]
    assert len(arts) == 1
    a = arts[0]
    assert a.value == "L898902C3" and a.offset == 6
    assert a.extra["surname"] == "ERIKSSON" and a.extra["given_names"] == "ANNA MARIA"
    assert a.extra["nationality"] == "UTO" and a.extra["birth_date"] == "1974-08-12"
    assert a.extra["expiry_date"] == "2012-04-15" and a.extra["sex"] == "F" and a.extra["format"] == "TD3"


def test_td1_and_td2_specimens(scan) -> None:
    arts = [a for a in scan(TD1 + b"\n\n" + TD2 + b"\n") if a.type == "passport_mrz"]
    assert [(a.value, a.extra["format"]) for a in arts] == [("D23145890", "TD1"), ("D23145890", "TD2")]


def test_any_wrong_check_digit_is_rejected(scan) -> None:
    line2 = TD3.split(b"\n")[1]
    for pos in (9, 19, 27, 42, 43, 0, 14):  # check digits, then fields covered by them
        ch = line2[pos : pos + 1]
        repl = b"8" if ch != b"8" else b"7"
        if ch == b"<":
            repl = b"1"
        bad = TD3.replace(line2, line2[:pos] + repl + line2[pos + 1 :])
        assert values(scan(bad + b"\n"), "passport_mrz") == [], pos


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("joint", [b"\r\n", b" ", b""])
def test_zones_stored_on_one_line(scan, engine: str, joint: bytes) -> None:
    """A zone kept as one field (a KYC record, OCR output): lines joined by a space or nothing."""
    data = b"".join(b'{"mrz": "' + z.replace(b"\r\n", b"\n").replace(b"\n", joint) + b'"}\n' for z in (TD3, TD1, TD2))
    arts = [a for a in scan(data, engine=engine) if a.type == "passport_mrz"]
    assert [(a.value, a.extra["format"]) for a in arts] == [
        ("L898902C3", "TD3"), ("D23145890", "TD1"), ("D23145890", "TD2")]
    assert arts[0].offset == data.index(b"P<UTO")
    line2 = TD3.split(b"\n")[1]
    bad = TD3.replace(line2, line2[:9] + b"7" + line2[10:]).replace(b"\n", joint)  # document check digit
    assert values(scan(b"mrz " + bad + b"\n", engine=engine), "passport_mrz") == []


def _cd(field: str) -> str:
    """ICAO 9303 7-3-1 check digit, written out here (independent of the code under test)."""
    vals = [int(c) if c.isdigit() else (ord(c) - 55 if c.isalpha() else 0) for c in field]
    return str(sum(v * (7, 3, 1)[i % 3] for i, v in enumerate(vals)) % 10)


def _td3(names: str) -> bytes:
    doc, dob, exp, pers = "L898902C3", "740812", "320415", "ZE184226B12345"
    l2 = doc + _cd(doc) + "UTO" + dob + _cd(dob) + "F" + exp + _cd(exp) + pers + _cd(pers)
    l2 += _cd(l2[0:10] + l2[13:20] + l2[21:43])
    return ("P<UTO" + names + "\n" + l2).encode()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_zone_without_fillers_is_refused_by_both_engines(scan, engine: str) -> None:
    """The trigger is the fillers (``<<``): a zone without any is refused alike with or without Hyperscan."""
    with_sep = _td3("ABCDEFGHIJKLMNOPQRSTUVWXYZ<<CDEFGHIJKLM")
    without = _td3("ABCDEFGHIJKLMNOPQRSTUVWXYZ<BCDEFGHIJKLM")  # a name field filled to its end
    assert b"<<" not in without and len(without) == 89
    assert values(scan(with_sep + b"\n", engine=engine), "passport_mrz") == ["L898902C3"]
    assert values(scan(without + b"\n", engine=engine), "passport_mrz") == []
