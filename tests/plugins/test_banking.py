"""IBANs (published examples, generated, near misses) and UK sort code/account pairs."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import iban

from tests.plugins.conftest import ENGINES, values

PUBLISHED = ["GB82WEST12345698765432", "DE89370400440532013000", "GB29NWBK60161331926819",
             "FR1420041010050500013M02606", "NL91ABNA0417164300", "ES9121000418450200051332", "BE71096123456769"]


def test_published_examples_compact_and_grouped(scan) -> None:
    data = " ".join(PUBLISHED).encode() + b"\nIBAN: GB82 WEST 1234 5698 7654 32 ok\n"
    assert values(scan(data), "iban") == PUBLISHED + ["GB82WEST12345698765432"]


def test_grouped_iban_followed_by_words(scan) -> None:
    assert values(scan(b"to GB82 WEST 1234 5698 7654 32 REF 1234\n"), "iban") == ["GB82WEST12345698765432"]


@settings(max_examples=50, deadline=None)
@given(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=4, max_size=4), st.text("0123456789", min_size=14, max_size=14),
       st.integers(0, 13))
def test_random_gb_ibans_and_near_misses(scan, bank, digits, pos) -> None:
    body = bank + digits
    value = "GB" + iban.calc_check_digits("GB00" + body) + body
    assert iban.is_valid(value)
    assert values(scan(b"iban " + value.encode() + b"\n"), "iban") == [value]
    i = 8 + pos
    bad = value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :]
    assert values(scan(b"iban " + bad.encode() + b"\n"), "iban") == []


def test_uk_account_with_key_words(scan) -> None:
    data = (b"Sort code: 40-47-84  Account number: 71234568\n"
            b"a/c 70872490 sort code 20 00 00\n"
            b"dates 12-05-19 and 20190512 mean nothing\n"
            b"account holder JG 10 37 59 A\n")
    arts = [a for a in scan(data) if a.type == "uk_bank_account"]
    assert [a.value for a in arts] == ["404784-71234568", "200000-70872490"]
    assert arts[0].extra == {"sort_code": "40-47-84", "account_number": "71234568"}
    assert arts[0].offset == data.index(b"40-47-84")


def test_uk_account_after_bare_sort_key_word(scan) -> None:
    data = b"Account: 55779911, Sort: 20-00-00\nsorted 20-01-24 batch 12345678\n"
    assert values(scan(data), "uk_bank_account") == ["200000-55779911"]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("delim", [",", "\t", ";", "|"])
def test_uk_accounts_in_a_table_under_named_columns(scan, engine: str, delim: str) -> None:
    """A payee or mule-account export: the header row names the columns, the rows hold bare pairs."""
    rows = [["Payee", "Sort Code", "Account Number", "Amount"],
            ["Smith, J", "20-00-00", "55779911", "100.00"],
            ["K Jones", "404784", "71234568", "2,500.00"]]
    out = io.StringIO()
    csv.writer(out, delimiter=delim, lineterminator="\r\n").writerows(rows)
    text = "Exported 2024-03-01\r\n" + out.getvalue()
    want = ["200000-55779911", "404784-71234568"]
    assert values(scan(text.encode(), engine=engine), "uk_bank_account") == want
    assert values(scan(text.encode("utf-16-le"), engine=engine), "uk_bank_account") == want
    if delim != ",":
        return
    # a long table, streamed: the header is far behind the last rows (the engine keeps it for them)
    body = text + "".join(f"Payee {i}{delim}11-22-33{delim}{10000000 + i}{delim}1.00\r\n" for i in range(12000))
    got = values(scan(body.encode(), engine=engine, chunk=65536), "uk_bank_account")
    assert len(got) == 12002 and got[-1] == "112233-10011999"


def test_uk_account_table_near_misses(scan) -> None:
    # the header names other columns; a pair's cells under the wrong names; a pair inside one cell
    data = (b"Date,Ref,Amount\n20-00-00,55779911,1.00\n"
            b"Account Number,Sort Code\n20-00-00,55779911\n"
            b"Payee,Sort Code,Account Number\nx,note 20-00-00 55779911,\n")
    assert values(scan(data), "uk_bank_account") == []
