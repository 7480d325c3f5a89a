"""The shared hash-set database: known (NSRL, gold builds) and notable sets.

Design notes (why):

* One SQLite file shared by all cases, so an NSRL import (hours, tens of GB)
  happens once per workstation, not once per case.
* ``hashes`` is ``WITHOUT ROWID`` with primary key ``(algorithm, value,
  set_id)``: the table *is* the index, so 100M+ rows cost one B-tree, a
  lookup is one O(log n) descent, and re-importing the same set is a no-op
  (``INSERT OR IGNORE``), which makes imports idempotent and resumable.
* Values are stored lower-case hex text; TLSH digests upper-case with ``T1``.
* Imports run in transactions of 50,000 rows from streaming readers, so memory
  is bounded and an interrupted import keeps what was committed (re-running
  it tops the set up).
* TLSH matching is a linear scan over the (small) fuzzy table with
  ``tlsh.diff``: TLSH distances are not indexable in SQLite. Fuzzy sets are
  expected to be thousands, not millions, of digests.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path

import tlsh

from triage.hashsets import importers
from triage.records import HashHit

KINDS = ("known", "notable")
BATCH_ROWS = 50_000

#: Default TLSH distance threshold. The TLSH paper (Oliver et al.) reports a
#: cut-off below 40 gives ~0.07% false positives at ~50% detection, while 100
#: gives ~6.4% false positives. For triage an examiner reviews each hit, but
#: 6% noise on thousands of files would bury real hits, so default to 40 and
#: let callers widen it.
TLSH_DEFAULT_MAX_DISTANCE = 40

SCHEMA = """
CREATE TABLE IF NOT EXISTS sets (
    id        INTEGER PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,
    kind      TEXT NOT NULL CHECK (kind IN ('known', 'notable')),
    source    TEXT,
    format    TEXT,
    imported  TEXT,
    count     INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS hashes (
    set_id    INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (algorithm, value, set_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fuzzy (
    set_id INTEGER NOT NULL,
    tlsh   TEXT NOT NULL,
    label  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (set_id, tlsh)
) WITHOUT ROWID;
"""


def default_db_path() -> Path:
    """``$TRIAGE_HASHSET_DB``, else ``$XDG_DATA_HOME/triage/hashsets.db``, else ``~/.local/share/...``."""
    env = os.environ.get("TRIAGE_HASHSET_DB")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "triage" / "hashsets.db"


@dataclass(frozen=True)
class SetInfo:
    id: int
    name: str
    kind: str
    source: str | None
    format: str | None
    imported: str | None
    count: int
    malformed: int


@dataclass
class ImportReport:
    """What one import did; ``duplicates`` counts rows already present
    (in this set from an earlier import, or repeated within the file)."""

    name: str
    kind: str
    format: str
    added: int = 0
    duplicates: int = 0
    malformed: int = 0
    malformed_examples: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FuzzyHit:
    """A TLSH hit with the label from the fuzzy list (``HashHit`` has no label field)."""

    hit: HashHit
    label: str


class HashSetStoreError(Exception):
    """A problem the user can fix (bad kind, name clash, missing DB...)."""


class HashSetStore:
    """Access to the hash-set database.

    Open ``readonly=True`` in scan workers: each process needs its own
    connection (sqlite3 connections must not cross processes, and by default
    not threads either).
    """

    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            if not self.path.is_file():
                raise HashSetStoreError(f"hash-set database not found: {self.path}")
            self._con = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._con = sqlite3.connect(self.path)
            self._con.execute("PRAGMA journal_mode=WAL")
            self._con.execute("PRAGMA synchronous=NORMAL")
            self._con.executescript(SCHEMA)
            self._con.commit()
        self._fuzzy_cache: list[tuple[str, str, str, str]] | None = None

    # -- lifecycle -------------------------------------------------------
    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> HashSetStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sets ------------------------------------------------------------
    def sets(self) -> list[SetInfo]:
        """All sets, by name."""
        try:
            rows = self._con.execute(
                "SELECT id, name, kind, source, format, imported, count, malformed FROM sets ORDER BY name"
            ).fetchall()
        except sqlite3.OperationalError:
            return []  # read-only DB without our schema
        return [SetInfo(*r) for r in rows]

    def _set_id(self, name: str, kind: str, source: str, fmt: str) -> tuple[int, bool]:
        """The set's id, creating the set if needed; ``(id, created)``."""
        if kind not in KINDS:
            raise HashSetStoreError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        row = self._con.execute("SELECT id, kind FROM sets WHERE name = ?", (name,)).fetchone()
        if row:
            if row[1] != kind:
                raise HashSetStoreError(f"set {name!r} already exists with kind {row[1]!r}")
            return int(row[0]), False
        cur = self._con.execute(
            "INSERT INTO sets(name, kind, source, format, imported) VALUES (?, ?, ?, ?, ?)",
            (name, kind, source, fmt, _now()),
        )
        self._con.commit()
        return int(cur.lastrowid or 0), True

    def _write_guard(self) -> None:
        if self.readonly:
            raise HashSetStoreError("hash-set database opened read-only")

    # -- import ----------------------------------------------------------
    def import_file(self, path: Path, name: str, kind: str, fmt: str = "auto") -> ImportReport:
        """Import one file into set ``name``; re-importing adds nothing twice.

        ``fmt`` is one of ``auto, nsrl, list, hashdeep, md5sum, csv, tlsh``.
        Malformed lines are counted (with up to five examples), never fatal.
        """
        self._write_guard()
        path = Path(path)
        if not path.is_file():
            raise HashSetStoreError(f"no such file: {path}")
        if fmt not in importers.FORMATS:
            raise HashSetStoreError(f"unknown format {fmt!r}; one of {', '.join(importers.FORMATS)}")
        if fmt == "auto":
            fmt = importers.detect_format(path)
        set_id, created = self._set_id(name, kind, str(path), fmt)
        stats = importers.ParseStats()
        report = ImportReport(name=name, kind=kind, format=fmt)
        try:
            if fmt == "tlsh":
                rows = ((set_id, d, label) for d, label in importers.read_tlsh(path, stats))
                sql = "INSERT OR IGNORE INTO fuzzy(set_id, tlsh, label) VALUES (?, ?, ?)"
            else:
                reader = importers.READERS[fmt]
                rows = ((set_id, a, v) for a, v in reader(path, stats))
                sql = "INSERT OR IGNORE INTO hashes(set_id, algorithm, value) VALUES (?, ?, ?)"
            self._insert_batches(sql, rows, report)
        except (ValueError, sqlite3.DatabaseError, UnicodeError) as exc:
            self._con.rollback()
            if created and report.added == 0:
                self._con.execute("DELETE FROM sets WHERE id = ?", (set_id,))
                self._con.commit()
            raise HashSetStoreError(f"import of {path} failed: {exc}") from exc
        report.malformed = stats.malformed
        report.malformed_examples = list(stats.examples)
        self._con.execute(
            "UPDATE sets SET count = count + ?, malformed = ?, imported = ?, source = ?, format = ?"
            " WHERE id = ?",
            (report.added, report.malformed, _now(), str(path), fmt, set_id),
        )
        self._con.commit()
        self._fuzzy_cache = None
        return report

    def _insert_batches(self, sql: str, rows, report: ImportReport) -> None:  # type: ignore[no-untyped-def]
        batch: list[tuple[int, str, str]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                self._flush(sql, batch, report)
                batch = []
        if batch:
            self._flush(sql, batch, report)

    def _flush(self, sql: str, batch: list[tuple[int, str, str]], report: ImportReport) -> None:
        before = self._con.total_changes
        with self._con:  # one transaction per batch
            self._con.executemany(sql, batch)
        added = self._con.total_changes - before
        report.added += added
        report.duplicates += len(batch) - added

    def add_fuzzy(self, name: str, digests: list[tuple[str, str]], kind: str = "notable") -> ImportReport:
        """Add ``(tlsh digest, label)`` pairs to fuzzy set ``name`` directly."""
        self._write_guard()
        set_id, _ = self._set_id(name, kind, "api", "tlsh")
        stats = importers.ParseStats()
        report = ImportReport(name=name, kind=kind, format="tlsh")

        def rows():  # type: ignore[no-untyped-def]
            for i, (digest, label) in enumerate(digests, 1):
                norm = importers.normalise_tlsh(digest)
                if norm is None:
                    stats.bad(i, digest, "not a TLSH digest")
                    continue
                yield set_id, norm, label or ""

        self._insert_batches("INSERT OR IGNORE INTO fuzzy(set_id, tlsh, label) VALUES (?, ?, ?)", rows(), report)
        report.malformed = stats.malformed
        report.malformed_examples = list(stats.examples)
        self._con.execute("UPDATE sets SET count = count + ?, imported = ? WHERE id = ?",
                          (report.added, _now(), set_id))
        self._con.commit()
        self._fuzzy_cache = None
        return report

    # -- lookup ----------------------------------------------------------
    def lookup(self, md5: str | None = None, sha1: str | None = None, sha256: str | None = None) -> list[HashHit]:
        """Every set holding any of the given hashes (one index probe each)."""
        hits: list[HashHit] = []
        for algo, value in (("md5", md5), ("sha1", sha1), ("sha256", sha256)):
            if not value:
                continue
            value = value.strip().lower()
            try:
                rows = self._con.execute(
                    "SELECT s.name, s.kind FROM hashes h JOIN sets s ON s.id = h.set_id"
                    " WHERE h.algorithm = ? AND h.value = ? ORDER BY s.name",
                    (algo, value),
                ).fetchall()
            except sqlite3.OperationalError:
                return []
            hits += [HashHit(set_name=n, kind=k, algorithm=algo, value=value) for n, k in rows]
        return hits

    def lookup_value(self, value: str) -> list[HashHit]:
        """Look up one hex digest of unknown algorithm (decided by length) or a TLSH digest."""
        algo = importers.classify(value)
        if algo:
            return self.lookup(**{algo: value})
        if importers.normalise_tlsh(value):
            return self.lookup_tlsh(value)
        raise HashSetStoreError(f"not an md5/sha1/sha256/TLSH digest: {value!r}")

    def _fuzzy(self) -> list[tuple[str, str, str, str]]:
        if self._fuzzy_cache is None:
            try:
                self._fuzzy_cache = self._con.execute(
                    "SELECT f.tlsh, f.label, s.name, s.kind FROM fuzzy f JOIN sets s ON s.id = f.set_id"
                ).fetchall()
            except sqlite3.OperationalError:
                self._fuzzy_cache = []
        return self._fuzzy_cache

    def has_fuzzy(self) -> bool:
        """Whether any TLSH list is loaded (a scan computes TLSH only then, unless asked)."""
        return bool(self._fuzzy())

    def lookup_tlsh_detailed(self, tlsh_digest: str, max_distance: int = TLSH_DEFAULT_MAX_DISTANCE) -> list[FuzzyHit]:
        """TLSH hits within ``max_distance`` (inclusive), nearest first, with labels."""
        digest = importers.normalise_tlsh(tlsh_digest or "")
        if digest is None:
            return []  # "TNULL" or empty: file too small/uniform for TLSH
        out: list[FuzzyHit] = []
        for known, label, name, kind in self._fuzzy():
            try:
                d = tlsh.diff(digest, known)
            except (ValueError, TypeError):
                continue
            if d <= max_distance:
                out.append(FuzzyHit(HashHit(set_name=name, kind=kind, algorithm="tlsh", value=known, distance=d),
                                    label))
        out.sort(key=lambda f: (f.hit.distance, f.hit.set_name))
        return out

    def lookup_tlsh(self, tlsh_digest: str, max_distance: int = TLSH_DEFAULT_MAX_DISTANCE) -> list[HashHit]:
        """TLSH hits within ``max_distance`` (inclusive), nearest first."""
        return [f.hit for f in self.lookup_tlsh_detailed(tlsh_digest, max_distance)]


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
