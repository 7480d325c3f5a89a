"""Readers for hash-set files: detect the format, stream (algorithm, value) rows.

Why streaming generators: NSRL RDS sets hold hundreds of millions of hashes;
every reader yields one row at a time and the store batches them, so memory
stays bounded whatever the input size. Why never raise on a bad line: a hash
list from a partner agency with a few corrupt lines is still evidence-grade
reference data; bad lines are counted and a few examples are kept so the
examiner can judge the list.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("auto", "nsrl", "list", "hashdeep", "md5sum", "csv", "tlsh")

ALGO_BY_LEN = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX = re.compile(r"^[0-9a-fA-F]+$")
_TLSH = re.compile(r"^(T1)?[0-9A-Fa-f]{70}$")
_MD5SUM = re.compile(r"^(?P<hash>[0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})\s+\*?(?P<name>.*)$")
_BSD = re.compile(r"^(?P<algo>MD5|SHA1|SHA256|SHA-1|SHA-256) ?\((?P<name>.*)\) ?= ?(?P<hash>[0-9a-fA-F]+)$", re.I)
_SQLITE_MAGIC = b"SQLite format 3\x00"
MAX_EXAMPLES = 5


@dataclass
class ParseStats:
    """Malformed-line bookkeeping shared between a reader and the store."""

    malformed: int = 0
    examples: list[str] = field(default_factory=list)

    def bad(self, lineno: int | str, text: str, why: str = "") -> None:
        self.malformed += 1
        if len(self.examples) < MAX_EXAMPLES:
            snippet = text.strip()
            snippet = snippet if len(snippet) <= 80 else snippet[:77] + "..."
            self.examples.append(f"line {lineno}: {snippet!r}" + (f" ({why})" if why else ""))


def classify(value: str) -> str | None:
    """Algorithm for a hex digest by its length, or None if it is not one."""
    value = value.strip()
    algo = ALGO_BY_LEN.get(len(value))
    return algo if algo and _HEX.match(value) else None


def normalise_tlsh(value: str) -> str | None:
    """Upper-case TLSH digest with the ``T1`` prefix, or None."""
    value = value.strip()
    if not _TLSH.match(value):
        return None
    value = value.upper()
    return value if value.startswith("T1") else "T1" + value


# ---------------------------------------------------------------------------
# detection
# ---------------------------------------------------------------------------


def _data_lines(path: Path, limit: int = 50) -> list[str]:
    out: list[str] = []
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for line in fh:
            s = line.strip().lstrip("\ufeff")
            if s:
                out.append(s)
            if len(out) >= limit:
                break
    return out


def detect_format(path: Path) -> str:
    """Guess the format from content, not the file name (names lie).

    Order matters: SQLite header → ``nsrl``; ``%%%% HASHDEEP`` → ``hashdeep``;
    a header row naming a hash column → ``csv``; ``<hash>  <name>`` or BSD
    ``MD5 (name) = hash`` → ``md5sum``; TLSH digests → ``tlsh``; else ``list``.
    """
    with path.open("rb") as fh:
        if fh.read(16) == _SQLITE_MAGIC:
            return "nsrl"
    lines = _data_lines(path)
    if not lines:
        return "list"
    if lines[0].startswith("%%%% HASHDEEP"):
        return "hashdeep"
    data = [ln for ln in lines if not ln.startswith("#")]
    if not data:
        return "list"
    first = data[0]
    if _csv_hash_columns(_split_header(first)):
        return "csv"
    votes = {"md5sum": 0, "tlsh": 0, "list": 0}
    for ln in data[:20]:
        if _MD5SUM.match(ln) or _BSD.match(ln):
            votes["md5sum"] += 1
        elif normalise_tlsh(ln.split(None, 1)[0]):
            votes["tlsh"] += 1
        else:
            votes["list"] += 1
    return max(votes, key=lambda k: (votes[k], k == "list"))


def _delimiter(header: str) -> str:
    return max(",\t;|", key=header.count)


def _split_header(header: str) -> list[str]:
    return next(csv.reader([header], delimiter=_delimiter(header)))


def _norm_col(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


_COLS = {
    "md5": "md5", "md5hash": "md5", "md5sum": "md5",
    "sha1": "sha1", "sha1hash": "sha1",
    "sha256": "sha256", "sha256hash": "sha256",
    "hash": "*", "hashvalue": "*", "digest": "*",
}


def _csv_hash_columns(header: list[str]) -> dict[int, str]:
    """Column index → algorithm (``*`` = decide by length) for hash columns."""
    return {i: _COLS[_norm_col(h)] for i, h in enumerate(header) if _norm_col(h) in _COLS}


# ---------------------------------------------------------------------------
# readers: yield (algorithm, lower-case hex value)
# ---------------------------------------------------------------------------

Row = tuple[str, str]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        for n, line in enumerate(fh, 1):
            yield n, line.rstrip("\r\n").lstrip("\ufeff") if n == 1 else line.rstrip("\r\n")


def read_list(path: Path, stats: ParseStats) -> Iterator[Row]:
    """One hash per line; md5/sha1/sha256 by length; ``#`` comments, blanks ok."""
    for n, line in _lines(path):
        s = line.split("#", 1)[0].strip()
        if not s:
            continue
        algo = classify(s)
        if algo is None:
            stats.bad(n, line, "not an md5/sha1/sha256 hex digest")
            continue
        yield algo, s.lower()


def read_md5sum(path: Path, stats: ParseStats) -> Iterator[Row]:
    """``<hash>  <path>`` (md5sum/sha*sum/md5deep) or BSD ``MD5 (path) = <hash>``."""
    for n, line in _lines(path):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = _MD5SUM.match(s) or _BSD.match(s)
        algo = classify(m.group("hash")) if m else None
        if m is None or algo is None:
            stats.bad(n, line, "expected '<hash>  <path>'")
            continue
        yield algo, m.group("hash").lower()


def read_hashdeep(path: Path, stats: ParseStats) -> Iterator[Row]:
    """hashdeep: ``%%%% size,md5,sha256,filename`` names the columns."""
    cols: list[str] | None = None
    for n, line in _lines(path):
        s = line.strip()
        if not s or s.startswith("##") or s.startswith("#"):
            continue
        if s.startswith("%%%%"):
            body = s[4:].strip()
            if not body.upper().startswith("HASHDEEP"):
                cols = [c.strip().lower() for c in body.split(",")]
            continue
        if cols is None:
            stats.bad(n, line, "data before the %%%% column line")
            continue
        parts = s.split(",", len(cols) - 1)
        if len(parts) != len(cols):
            stats.bad(n, line, f"expected {len(cols)} fields")
            continue
        found = False
        for col, val in zip(cols, parts):
            if col in ("md5", "sha1", "sha256"):
                if classify(val) == col:
                    found = True
                    yield col, val.strip().lower()
        if not found:
            stats.bad(n, line, "no valid md5/sha1/sha256 field")


def read_csv(path: Path, stats: ParseStats) -> Iterator[Row]:
    """CSV/TSV with a header naming md5/sha1/sha256/hash columns (any case)."""
    with path.open("r", encoding="utf-8", errors="replace", newline="") as fh:
        first = fh.readline()
        header_text = first.lstrip("\ufeff").strip()
        delim = _delimiter(header_text)
        header = next(csv.reader([header_text], delimiter=delim))
        cols = _csv_hash_columns(header)
        if not cols:
            raise ValueError(f"{path}: no md5/sha1/sha256/hash column in the CSV header")
        reader = csv.reader(fh, delimiter=delim)
        for row in reader:
            n = reader.line_num + 1
            if not row or all(not c.strip() for c in row):
                continue
            found = False
            bad = False
            for i, algo in cols.items():
                val = row[i].strip().strip('"') if i < len(row) else ""
                if not val:
                    continue
                got = classify(val)
                if got is None or (algo != "*" and got != algo):
                    bad = True
                    continue
                found = True
                yield got, val.lower()
            if bad or not found:
                stats.bad(n, delim.join(row), "no valid hash in the hash column(s)")


def read_nsrl(path: Path, stats: ParseStats) -> Iterator[Row]:
    """NSRL RDS v3 (SQLite): the ``FILE`` table (sha256, sha1, md5, file_name,
    file_size, package_id). Opened read-only; duplicates across packages are
    removed by the store's primary key."""
    uri = f"file:{path.resolve()}?mode=ro"
    con = sqlite3.connect(uri, uri=True)
    try:
        tables = {r[0].upper() for r in con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
        if "FILE" not in tables:
            raise ValueError(f"{path}: SQLite file without an RDS v3 FILE table")
        cur = con.execute("SELECT sha256, sha1, md5 FROM FILE")
        n = 0
        while True:
            rows = cur.fetchmany(10_000)
            if not rows:
                break
            for row in rows:
                n += 1
                good = False
                for algo, val in zip(("sha256", "sha1", "md5"), row):
                    if isinstance(val, str) and classify(val) == algo:
                        good = True
                        yield algo, val.lower()
                if not good:
                    stats.bad(f"FILE row {n}", repr(row), "no valid hash")
    finally:
        con.close()


def read_tlsh(path: Path, stats: ParseStats) -> Iterator[tuple[str, str]]:
    """``<tlsh digest> [label]`` per line; yields (digest, label)."""
    for n, line in _lines(path):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split(None, 1)
        digest = normalise_tlsh(parts[0])
        if digest is None:
            stats.bad(n, line, "not a TLSH digest")
            continue
        yield digest, parts[1].strip() if len(parts) > 1 else ""


READERS = {
    "list": read_list,
    "md5sum": read_md5sum,
    "hashdeep": read_hashdeep,
    "csv": read_csv,
    "nsrl": read_nsrl,
}
