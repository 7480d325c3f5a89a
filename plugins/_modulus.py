"""UK bank account modulus checking, per VocaLink's (Pay.UK's) published specification (not a plugin module).

"Validating account numbers" defines, for each range of sort codes in its
weight table (``valacdos.txt``), one or two checks over the fourteen digits
sort code + account number (u v w x y z a b c d e f g h): standard
modulus 10, modulus 11, or double alternate (the digits of each product
summed), and the exceptions 1-14 that bend them. The tables ship with the
package (``uk_modulus/``, edition and SHA-256 in ``uk_modulus/tables.json``);
a newer edition replaces them without a code change: point the environment
variable ``TRIAGE_UK_MODULUS_DIR`` at a directory holding the new
``valacdos.txt`` and ``scsubtab.txt``.

The answer is one of ``pass``, ``fail``, ``unknown`` (the sort code is in
no range of the table: the spec calls such an account valid, as it cannot
be checked) and ``foreign`` (exception 6: a foreign-currency account, not
checkable, also presumed valid).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

ENV_DIR = "TRIAGE_UK_MODULUS_DIR"
#: bounds on a table read from a user-named file: the published one has about 1,200 rows
_MAX_TABLE_BYTES = 4 << 20
_MAX_ROWS = 50_000

_EX2_WEIGHTS_G_NOT_9 = (0, 0, 1, 2, 5, 3, 6, 4, 8, 7, 10, 9, 3, 1)
_EX2_WEIGHTS_G_9 = (0, 0, 0, 0, 0, 0, 0, 0, 8, 7, 10, 9, 3, 1)
# positions in the fourteen digits
_A, _B, _C, _G, _H = 6, 7, 8, 12, 13


class ModulusTableError(ValueError):
    """The weight table (or substitution table) cannot be read: names the file and the line."""


@dataclass(frozen=True, slots=True)
class WeightRow:
    """One row of valacdos.txt: a sort-code range, the method, fourteen weights, the exception (0: none)."""

    start: int
    end: int
    method: str  # MOD10, MOD11, DBLAL
    weights: tuple[int, ...]
    exception: int


@dataclass(frozen=True, slots=True)
class Tables:
    """The weight rows by sort code, the substitutions, and where they came from (for the finding)."""

    rows: tuple[WeightRow, ...]
    substitutes: dict[str, str]
    edition: str
    sha256: str
    starts: tuple[int, ...] = ()  # the rows' range starts, for the binary search (set by make_tables)

    def rows_for(self, sort_code: str) -> list[WeightRow]:
        """The (at most two) rows whose range holds the sort code, in the table's order.

        The table is sorted by range start and its ranges do not overlap but
        for a range's two rows: a binary search, then a look at the rows just
        before (once per pair found, over a thousand rows).
        """
        sc = int(sort_code)
        i = bisect.bisect_right(self.starts, sc)
        found = [self.rows[j] for j in range(max(0, i - 4), i) if self.rows[j].end >= sc]
        return found[-2:]


def _read_bounded(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_TABLE_BYTES + 1)
    except OSError as exc:
        raise ModulusTableError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > _MAX_TABLE_BYTES:
        raise ModulusTableError(f"{path}: larger than {_MAX_TABLE_BYTES} bytes, not a modulus table")
    return data


def parse_valacdos(data: bytes, name: str = "valacdos.txt") -> tuple[WeightRow, ...]:
    """The rows of a weight table: ``start end method w1..w14 [exception]`` per line."""
    rows: list[WeightRow] = []
    for n, line in enumerate(data.decode("ascii", "replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(rows) >= _MAX_ROWS:
            raise ModulusTableError(f"{name}: more than {_MAX_ROWS} rows")
        try:
            if len(parts) not in (17, 18) or parts[2] not in ("MOD10", "MOD11", "DBLAL"):
                raise ValueError
            if len(parts[0]) != 6 or len(parts[1]) != 6:
                raise ValueError
            weights = tuple(int(w) for w in parts[3:17])
            rows.append(WeightRow(int(parts[0]), int(parts[1]), parts[2], weights,
                                  int(parts[17]) if len(parts) == 18 else 0))
        except ValueError:
            raise ModulusTableError(f"{name} line {n}: not a weight row (start end method 14 weights [exception])") \
                from None
    if not rows:
        raise ModulusTableError(f"{name}: no weight rows")
    return tuple(sorted(rows, key=lambda r: r.start))  # stable: a range's two rows keep their order


def parse_scsubtab(data: bytes, name: str = "scsubtab.txt") -> dict[str, str]:
    subs: dict[str, str] = {}
    for n, line in enumerate(data.decode("ascii", "replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not all(len(p) == 6 and p.isdigit() for p in parts):
            raise ModulusTableError(f"{name} line {n}: not a substitution (original substitute)")
        subs[parts[0]] = parts[1]
    return subs


@lru_cache(maxsize=4)
def load_tables(directory: str | None = None) -> Tables:
    """The tables from ``directory``, else $TRIAGE_UK_MODULUS_DIR, else the shipped edition.

    Cached per directory: read once per process, not per pair.
    """
    directory = directory or os.environ.get(ENV_DIR) or None
    if directory:
        base = Path(directory)
        val = _read_bounded(base / "valacdos.txt")
        sub_path = base / "scsubtab.txt"
        sub = _read_bounded(sub_path) if sub_path.exists() else b""
        edition = f"user table {base.name}"
    else:
        pkg = resources.files("triage_plugins").joinpath("uk_modulus")
        val = pkg.joinpath("valacdos.txt").read_bytes()
        sub = pkg.joinpath("scsubtab.txt").read_bytes()
        edition = str(json.loads(pkg.joinpath("tables.json").read_text("utf-8")).get("edition", "?"))
    rows = parse_valacdos(val)
    return Tables(rows, parse_scsubtab(sub), edition, hashlib.sha256(val).hexdigest(), tuple(r.start for r in rows))


def _total(digits: list[int], weights: tuple[int, ...], method: str) -> int:
    if method == "DBLAL":
        return sum(sum(divmod(d * w, 10)) for d, w in zip(digits, weights))  # products are < 100
    return sum(d * w for d, w in zip(digits, weights))


def _one(row: WeightRow, sort_code: str, account: str, tables: Tables) -> bool:
    """One check of one row, with the row's exception applied."""
    ex = row.exception
    if ex == 5:
        sort_code = tables.substitutes.get(sort_code, sort_code)
    elif ex == 8:
        sort_code = "090126"
    elif ex == 9:
        sort_code = "309634"
    digits = [int(c) for c in sort_code + account]
    weights = row.weights
    if ex == 2 and digits[_A] != 0:
        weights = _EX2_WEIGHTS_G_9 if digits[_G] == 9 else _EX2_WEIGHTS_G_NOT_9
    if (ex == 7 and digits[_G] == 9) or (ex == 10 and account[:2] in ("09", "99") and digits[_G] == 9):
        weights = (0,) * 8 + weights[8:]
    total = _total(digits, weights, row.method)
    if ex == 1:
        total += 27
    if ex == 4:
        return total % 11 == int(account[6:8])
    if ex == 5:
        if row.method == "DBLAL":
            rem = total % 10
            return (rem == 0 and digits[_H] == 0) or (rem != 0 and 10 - rem == digits[_H])
        rem = total % 11
        return (rem == 0 and digits[_G] == 0) or (rem > 1 and 11 - rem == digits[_G])
    return total % (10 if row.method in ("MOD10", "DBLAL") else 11) == 0


def check(sort_code: str, account: str, tables: Tables | None = None) -> str:
    """``pass``, ``fail``, ``unknown`` or ``foreign`` for a six-digit sort code and an eight-digit account.

    The order of the specification: exception 6 first (not checkable), then
    the first row's check; a second row is run when the first passes (both
    must), or when the first fails under the pairs where either suffices
    (2 and 9, 10 and 11, 12 and 13); exception 3 drops the second check
    when c is 6 or 9; exception 14 re-checks a failed account with its last
    digit dropped.
    """
    if len(sort_code) != 6 or len(account) != 8 or not (sort_code + account).isdigit():
        return "fail"
    tables = tables or load_tables()
    rows = tables.rows_for(sort_code)
    if not rows:
        return "unknown"
    digits = [int(c) for c in account]
    if rows[0].exception == 6 and 4 <= digits[0] <= 8 and digits[6] == digits[7]:
        return "foreign"
    first = _one(rows[0], sort_code, account, tables)
    if rows[0].exception == 14 and not first:
        if digits[7] not in (0, 1, 9):
            return "fail"
        first = _one(rows[0], sort_code, "0" + account[:7], tables)
    if len(rows) == 1:
        return "pass" if first else "fail"
    second_row = rows[1]
    either = {rows[0].exception, second_row.exception} in ({2, 9}, {10, 11}, {12, 13})
    if either:
        if first:
            return "pass"
        return "pass" if _one(second_row, sort_code, account, tables) else "fail"
    if not first:
        return "fail"
    if second_row.exception == 3 and digits[2] in (6, 9):
        return "pass"
    return "pass" if _one(second_row, sort_code, account, tables) else "fail"
