"""UK modulus checking against the specification's own published test cases.

The cases are those listed in VocaLink's "Validating account numbers"
specification (its test-case table, one per exception), as reproduced in
public implementations' test suites: taken here from ModulusChecking's
``VocalinkTestCases.cs`` (C#, "These are the test cases included in the
Vocalink Validating Account Numbers document"), which also names each.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage_plugins import _modulus
from triage_plugins._modulus import ModulusTableError, check, load_tables

SPEC_CASES = [
    ("089999", "66374958", True, "pass modulus 10"),
    ("107999", "88837491", True, "pass modulus 11"),
    ("202959", "63748472", True, "pass modulus 11 and double alternate"),
    ("203099", "66831036", False, "pass modulus 11, fail double alternate"),
    ("203099", "58716970", False, "fail modulus 11, pass double alternate"),
    ("089999", "66374959", False, "fail modulus 10"),
    ("107999", "88837493", False, "fail modulus 11"),
    ("871427", "46238510", True, "exception 10 & 11, first passes, second fails"),
    ("872427", "46238510", True, "exception 10 & 11, first fails, second passes"),
    ("871427", "09123496", True, "exception 10, ab = 09 and g = 9"),
    ("871427", "99123496", True, "exception 10, ab = 99 and g = 9"),
    ("820000", "73688637", True, "exception 3, c = 6: second check ignored"),
    ("827999", "73988638", True, "exception 3, c = 9: second check ignored"),
    ("827101", "28748352", True, "exception 3, c neither 6 nor 9: both checks"),
    ("134020", "63849203", True, "exception 4, remainder equals the check digits"),
    ("118765", "64371389", True, "exception 1, 27 added"),
    ("118765", "64371388", False, "exception 1, fails double alternate"),
    ("200915", "41011166", True, "exception 6, foreign currency account"),
    ("938611", "07806039", True, "exception 5, passes"),
    ("938600", "42368003", True, "exception 5, passes with substitution"),
    ("938063", "55065200", True, "exception 5, both remainders 0"),
    ("938063", "15764273", False, "exception 5, first check digit right, second wrong"),
    ("938063", "15764264", False, "exception 5, first check digit wrong, second right"),
    ("938063", "15763217", False, "exception 5, first remainder 1"),
    ("772798", "99345694", True, "exception 7, passes where the standard check fails"),
    ("086090", "06774744", True, "exception 8"),
    ("309070", "02355688", True, "exception 2 & 9, first passes, second fails"),
    ("309070", "12345668", True, "exception 2 & 9, first fails, second passes with substitution"),
    ("309070", "12345677", True, "exception 2 & 9, a != 0 and g != 9"),
    ("309070", "99345694", True, "exception 2 & 9, a != 0 and g = 9"),
    ("074456", "12345112", True, "exception 12 & 13, passes modulus 11 (would fail modulus 10)"),
    ("070116", "34012583", True, "exception 12 & 13, passes modulus 11 (would pass modulus 10)"),
    ("074456", "11104102", True, "exception 12 & 13, fails modulus 11, passes modulus 10"),
    ("180002", "00000190", True, "exception 14, first fails, second passes"),
    ("180002", "98093517", True, "exception 14, first passes"),
]


@pytest.mark.parametrize("sort_code,account,valid,what", SPEC_CASES, ids=[c[3] for c in SPEC_CASES])
def test_specification_test_cases(sort_code: str, account: str, valid: bool, what: str) -> None:
    assert (check(sort_code, account) in ("pass", "foreign")) is valid, what


def test_foreign_and_unknown_are_told_apart() -> None:
    assert check("200915", "41011166") == "foreign"
    assert check("000001", "12345678") == "unknown"  # no range holds 000001
    assert check("08999", "66374958") == "fail" and check("089999", "6637495x") == "fail"


def test_shipped_tables_are_the_edition_the_sidecar_names() -> None:
    import hashlib
    import json
    from importlib import resources

    pkg = resources.files("triage_plugins").joinpath("uk_modulus")
    meta = json.loads(pkg.joinpath("tables.json").read_text("utf-8"))
    for name, info in meta["files"].items():
        assert hashlib.sha256(pkg.joinpath(name).read_bytes()).hexdigest() == info["sha256"], name
    tables = load_tables()
    assert tables.edition == meta["edition"] and len(tables.rows) == meta["files"]["valacdos.txt"]["rows"]


def test_a_newer_table_replaces_the_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TRIAGE_UK_MODULUS_DIR: a table of one row (all of 089999 by MOD11) changes the answer, no code change."""
    (tmp_path / "valacdos.txt").write_text("089999 089999 MOD11    0    0    0    0    0    0    8    7    6    5"
                                           "    4    3    2    1\r\n")
    monkeypatch.setenv(_modulus.ENV_DIR, str(tmp_path))
    load_tables.cache_clear()
    try:
        tables = load_tables()
        assert len(tables.rows) == 1 and tables.edition.startswith("user table")
        assert check("089999", "66374958") == "fail"  # passes modulus 10 only
        assert check("107999", "88837491") == "unknown"
    finally:
        monkeypatch.delenv(_modulus.ENV_DIR)
        load_tables.cache_clear()
    assert check("089999", "66374958") == "pass"


def test_a_broken_table_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "valacdos.txt").write_text("089999 089999 MOD12 1 2 3\n")
    with pytest.raises(ModulusTableError, match="line 1"):
        load_tables(str(tmp_path))


@settings(max_examples=300, deadline=None)
@given(account=st.text("0123456789", min_size=8, max_size=8), pos=st.integers(0, 7), delta=st.integers(1, 9))
def test_one_digit_changed_fails_a_modulus_11_range(account: str, pos: int, delta: int) -> None:
    """Generated: in 107999 (plain modulus 11, weights 8..1 over the account), a valid account with one
    digit changed always fails (every weight is prime to 11)."""
    total = sum(int(d) * w for d, w in zip(account, (8, 7, 6, 5, 4, 3, 2, 1)))
    valid = account[:7] + str((int(account[7]) - total) % 11) if (int(account[7]) - total) % 11 < 10 else None
    if valid is None:
        return
    assert check("107999", valid) == "pass"
    bad = valid[:pos] + str((int(valid[pos]) + delta) % 10) + valid[pos + 1 :]
    assert check("107999", bad) == "fail"
