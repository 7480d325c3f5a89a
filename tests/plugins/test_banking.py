"""IBANs (published examples, generated, near misses) and UK sort code/account pairs."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from stdnum import iban

from tests.plugins.conftest import ENGINES, values
from triage_plugins._common import boring_digits

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
    # planted before modulus checking: a labelled pair that fails it is kept, marked (KEEP_LABELLED_FAILURES)
    assert arts[0].extra == {"sort_code": "40-47-84", "account_number": "71234568", "modulus": "fail"}
    assert arts[0].confidence == 0.3
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


_SORT_NAMES = ["sort_code", "sortCode", "SortCode", "SORT_CODE", "Sort Code (6 digits)", "sort-code",
               "Sort Code [xx-xx-xx]", "Bank Sort Code", "S/C", "sort", "SORTCODE", "Branch Sort No."]
_ACCT_NAMES = ["account_number", "accountNumber", "ACCOUNT_NO", "Account No.", "Account Number (8 digits)", "acct",
               "A/C No", "Account #", "Bank Account Number", "acc_num", "AccountNo"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sort_name=st.sampled_from(_SORT_NAMES), acct_name=st.sampled_from(_ACCT_NAMES),
       quote=st.sampled_from(["", '"']), delim=st.sampled_from([",", "\t", ";", "|"]),
       title=st.sampled_from(["", "Payees export 2024\r\n", "Mule accounts,,,\r\n\r\n"]),
       engine=st.sampled_from(ENGINES))
def test_header_naming_styles_of_real_exports(scan, sort_name: str, acct_name: str, quote: str, delim: str,
                                              title: str, engine: str) -> None:
    """snake_case, camelCase, upper case, qualifiers in brackets, quoted cells, a title line above the header."""
    head = delim.join(f"{quote}{c}{quote}" for c in ["Payee", sort_name, acct_name, "Amount"])
    text = title + head + "\r\n" + delim.join(["K Jones", "404784", "71234568", "1.00"]) + "\r\n"
    assert values(scan(text.encode(), engine=engine), "uk_bank_account") == ["404784-71234568"]


@pytest.mark.parametrize("sort_name,acct_name", [("sort_code_ref", "account_number"), ("Sort Code", "Account Name"),
                                                 ("Code", "Account Number"), ("sorted", "account"),
                                                 ("Resort Code", "Account No")])
def test_header_names_that_only_resemble_the_columns(scan, sort_name: str, acct_name: str) -> None:
    text = f"Payee,{sort_name},{acct_name}\r\nK Jones,404784,71234568\r\n"
    assert values(scan(text.encode()), "uk_bank_account") == []


def test_modulus_result_is_recorded_on_every_pair(scan) -> None:
    data = b"sort code 08-99-99 account 66374958\nsort code 20-09-15 a/c 41011166\n"
    arts = {a.value: a for a in scan(data) if a.type == "uk_bank_account"}
    assert arts["089999-66374958"].extra["modulus"] == "pass"
    assert arts["200915-41011166"].extra["modulus"] == "foreign"


@pytest.mark.parametrize("engine", ENGINES)
def test_bare_pairs_in_a_banking_context_are_reported_when_they_pass(scan, engine: str) -> None:
    """The specification's valid pairs, bare on a line under a banking word; their one-digit-off twins never."""
    good = [("089999", "66374958"), ("107999", "88837491"), ("202959", "63748472"), ("118765", "64371389")]
    bad = [("089999", "66374959"), ("107999", "88837493"), ("203099", "66831036"), ("118765", "64371388")]
    lines = ["Payments to Barclays:"] + [f"{s} {a}" for s, a in good] + ["Transfer to account:"] + \
            [f"{s} {a}" for s, a in bad]
    got = [a for a in scan(("\n".join(lines) + "\n").encode(), engine=engine) if a.type == "uk_bank_account"]
    assert [a.value for a in got] == [f"{s}-{a}" for s, a in good]
    assert {a.extra["modulus"] for a in got} == {"pass"}


def test_bare_passing_pairs_without_a_banking_context_are_not_reported(scan) -> None:
    data = b"log 2024-01-01\nbuild 089999 66374958 ok\nrun 107999\n88837491 done\n"
    assert values(scan(data), "uk_bank_account") == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=st.text("0123456789", min_size=7, max_size=7), sep=st.sampled_from([" ", "  ", " / ", "\t", " - "]),
       sc_form=st.sampled_from(["{}{}{}", "{}-{}-{}", "{} {} {}"]), flip=st.booleans())
def test_generated_modulus_11_pairs_and_their_near_misses(scan, account: str, sep: str, sc_form: str,
                                                          flip: bool) -> None:
    """107999 is plain modulus 11 (weights 8..1 over the account): a generated valid account, bare under a
    banking word in the written forms the scanner reads, is reported; the same with its last digit changed never."""
    total = sum(int(d) * w for d, w in zip(account, (8, 7, 6, 5, 4, 3, 2)))
    last = (-total) % 11
    if last == 10:
        return
    acct = account + str(last)
    assume(not boring_digits(acct))
    wrong = account + str((last + 1) % 10)
    sc = sc_form.format("10", "79", "99")
    for a, want in ((acct, ["107999-" + acct]), (wrong, [])):
        pair = f"{a}{sep}{sc}" if flip else f"{sc}{sep}{a}"
        assert values(scan(f"Beneficiary bank details\n{pair}\n".encode()), "uk_bank_account") == want
