"""The one writer of a case database.

Workers hand it records; it turns them into rows inside batched
transactions (WAL mode), keyed on natural keys so a rescan updates instead of
duplicating. Everything about one file (its row, matches, hits, artefacts and
errors) lands in the same transaction, so a killed scan never leaves half a
file behind: the file is simply done again on resume.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import socket
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from triage import __version__
from triage.case.schema import SchemaError, ensure_schema
from triage.records import Artefact, Evidence, FileResult, ScanError, Volume
from triage.text import iso_utc

__all__ = ["CaseWriter", "artefact_key", "entry_key", "iso_utc", "utc_now"]

#: files per transaction; a kill loses at most this many files' work, redone on resume
BATCH_FILES = 500
#: and at most this many seconds of work
BATCH_SECONDS = 2.0


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_key(volume_addr: int, inode: int | None, path: str) -> str:
    """Natural key of an entry within its evidence: survives rescans and resumes."""
    return f"{volume_addr}|{'' if inode is None else inode}|{path}"


_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=str)
#: JSON of small flat ``extra`` dicts (a phone's region, a card's brand: the
#: same few recur in most artefact rows), keyed by their items with each
#: value's type (1, 1.0 and True are equal keys but not the same JSON)
_JSON_SEEN: dict[tuple[tuple[Any, type, Any], ...], str] = {}
_JSON_SEEN_MAX = 4096
_SCALARS = frozenset((str, int, float, bool, type(None)))


def _json(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is dict and len(value) <= 4:
        items = tuple((k, type(v), v) for k, v in value.items())
        if all(t in _SCALARS and type(k) is str for k, t, _v in items):
            got = _JSON_SEEN.get(items)
            if got is None:
                got = _JSON.encode(value)
                if len(_JSON_SEEN) < _JSON_SEEN_MAX:
                    _JSON_SEEN[items] = got
            return got
    return _JSON.encode(value)


def _key_text(*parts: object) -> bytes:
    return ("\x1f".join(map(repr, parts)) + "\x1f" if parts else "").encode("utf-8", "surrogatepass")


def _key(*parts: object) -> str:
    """SHA-1 of each part's repr followed by a 0x1f separator (one hash call)."""
    return hashlib.sha1(_key_text(*parts), usedforsecurity=False).hexdigest()


def artefact_key(evidence_id: str, volume_id: int | None, file_id: int | None, a: Artefact) -> str:
    """Identical content hits in one file collapse to one row; parsed records
    (encoding None) stay distinct by time and fields (each history visit is a row)."""
    if a.encoding is None:
        return _key(evidence_id, volume_id, file_id, a.type, a.value, a.timestamp, _json(a.extra), a.plugin)
    if file_id is None:  # unallocated space: one row per value and searched range (extra["region"])
        return _key(evidence_id, volume_id, file_id, a.type, a.value, a.extra.get("region"))
    return _key(evidence_id, volume_id, file_id, a.type, a.value)


def _artefact_keys(evidence_id: str, volume_id: int | None, file_id: int | None,
                   artefacts: Sequence[Artefact]) -> list[str]:
    """``artefact_key`` of each of one file's artefacts, the shared head hashed once.

    A content hit's key is the file's three parts then its type and value:
    the head's SHA-1 state is copied instead of hashed again (half the cost
    of a key, and a file's rows often number in the hundreds).
    """
    if file_id is None or len(artefacts) < 2:
        return [artefact_key(evidence_id, volume_id, file_id, a) for a in artefacts]
    head = hashlib.sha1(_key_text(evidence_id, volume_id, file_id), usedforsecurity=False)
    out = []
    for a in artefacts:
        if a.encoding is None:
            out.append(artefact_key(evidence_id, volume_id, file_id, a))
            continue
        h = head.copy()
        h.update(f"{a.type!r}\x1f{a.value!r}\x1f".encode("utf-8", "surrogatepass"))
        out.append(h.hexdigest())
    return out


class CaseWriter:
    """Owns the case database connection for one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.exists() and self.path.is_dir():
            raise SchemaError(f"{self.path}: is a directory, not a case database")
        try:
            self.db = Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 30000")
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous = NORMAL")
            # 8 MiB of page cache instead of SQLite's 2 MiB: the unique-key and
            # lookup indexes of files and artefacts outgrow 2 MiB within a
            # gigabyte of evidence, and every insert then touches pages it
            # had to drop (about 20% of the artefact writes' time). Not more:
            # the cache fills as the case grows, so it is the parent's one
            # memory cost that follows the evidence up to its bound; 32 MiB
            # cost the bench GiB's parent 143 MiB of peak RSS against 114 MiB
            # with 8, and its CPU time 3.7 s against 3.8 s
            self.db.execute("PRAGMA cache_size = -8192")
            # checkpoint the WAL every 8192 pages (32 MiB) instead of 1000: an
            # index page changed by many batches is copied back once, not
            # once per batch (the commits' time falls by half on a GiB scan)
            self.db.execute("PRAGMA wal_autocheckpoint = 8192")
            ensure_schema(self.db)
        except sqlite3.DatabaseError as exc:
            raise SchemaError(f"{self.path}: not a usable SQLite case database: {exc}") from None
        self.conn = self.db.conn
        self.run_id: int | None = None
        #: file ids above this have no findings anywhere: a new row needs no
        #: clearing of old ones (three DELETEs a file saved on a first scan)
        self._clean_above = max(
            int(self.conn.execute(f"SELECT coalesce(max({col}), 0) FROM {table}").fetchone()[0])
            for table, col in (("files", "id"), ("artefacts", "file_id"), ("yara_matches", "file_id"),
                               ("hash_hits", "file_id"))
        )
        #: the highest file id this writer has seen: a row above it is new (SQLite gives a new row
        #: the highest id plus one), so it has no findings to clear; one at or below it may (written
        #: before this scan, or earlier in it). One integer instead of a set of every id written:
        #: the writer's memory does not grow with the number of files
        self._seen_max = self._clean_above
        self._pending = 0
        self._batch_started = time.monotonic()

    # -- transactions -------------------------------------------------------
    def _begin(self) -> None:
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
            self._batch_started = time.monotonic()

    def commit(self) -> None:
        if self.conn.in_transaction:
            self.conn.commit()
        self._pending = 0

    def _maybe_commit(self) -> None:
        self._pending += 1
        if self._pending >= BATCH_FILES or time.monotonic() - self._batch_started >= BATCH_SECONDS:
            self.commit()

    def close(self) -> None:
        self.commit()
        self.db.close()

    # -- runs ---------------------------------------------------------------
    def begin_run(self, command: str, examiner: str | None, options: dict[str, Any], versions: dict[str, Any]) -> int:
        self.commit()
        cur = self.conn.execute(
            "INSERT INTO runs (started, command, tool_version, examiner, host, user, status, options, versions)"
            " VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)",
            (utc_now(), command, __version__, examiner, socket.gethostname(), _user(), _json(options), _json(versions)),
        )
        self.conn.commit()
        self.run_id = int(cur.lastrowid or 0)
        return self.run_id

    def finish_run(self, status: str, evidence_ids: Iterable[str], files: int, nbytes: int, errors: int) -> None:
        self.commit()
        self.conn.execute(
            "UPDATE runs SET finished = ?, status = ?, evidence_ids = ?, files = ?, bytes = ?, errors = ? WHERE id = ?",
            (utc_now(), status, _json(list(evidence_ids)), files, nbytes, errors, self.run_id),
        )
        self.conn.commit()

    # -- evidence and volumes -----------------------------------------------
    def upsert_evidence(self, ev: Evidence, examiner: str | None, status: str,
                        volume_system: str | None = None) -> None:
        self.commit()
        now = utc_now()
        self.conn.execute(
            """INSERT INTO evidence (id, path, format, size, segments, stored_md5, stored_sha1, case_number,
                   evidence_number, examiner, description, notes, acquired, acquiry_software, volume_system,
                   status, first_scanned, last_scanned, last_run_id, extra)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(id) DO UPDATE SET path=excluded.path, format=excluded.format, size=excluded.size,
                   segments=excluded.segments, stored_md5=excluded.stored_md5, stored_sha1=excluded.stored_sha1,
                   case_number=excluded.case_number, evidence_number=excluded.evidence_number,
                   examiner=COALESCE(excluded.examiner, evidence.examiner), description=excluded.description,
                   notes=excluded.notes, acquired=excluded.acquired, acquiry_software=excluded.acquiry_software,
                   volume_system=COALESCE(excluded.volume_system, evidence.volume_system),
                   status=excluded.status, last_scanned=excluded.last_scanned, last_run_id=excluded.last_run_id,
                   extra=excluded.extra""",
            (
                ev.id, ev.path, ev.format, ev.size, _json(list(ev.segments)), ev.stored_md5, ev.stored_sha1,
                ev.case_number, ev.evidence_number, ev.examiner or examiner, ev.description, ev.notes, ev.acquired,
                ev.acquiry_software, volume_system, status, now, now, self.run_id, _json(ev.extra or None),
            ),
        )
        self.conn.commit()

    def evidence_status(self, evidence_id: str) -> str | None:
        row = self.conn.execute("SELECT status FROM evidence WHERE id = ?", (evidence_id,)).fetchone()
        return row[0] if row else None

    def set_evidence_status(self, evidence_id: str, status: str) -> None:
        self.commit()
        self.conn.execute("UPDATE evidence SET status = ? WHERE id = ?", (status, evidence_id))
        self.conn.commit()

    def record_verification(self, evidence_id: str, md5: str, sha1: str, verdict: str) -> None:
        self.commit()
        self.conn.execute(
            "UPDATE evidence SET computed_md5 = ?, computed_sha1 = ?, verified = ?, verified_at = ? WHERE id = ?",
            (md5, sha1, verdict, utc_now(), evidence_id),
        )
        self.conn.commit()

    def upsert_volume(self, vol: Volume) -> int:
        self._begin()
        row = self.conn.execute(
            """INSERT INTO volumes (evidence_id, addr, offset, length, kind, fs_type, description, block_size,
                   volume_system) VALUES (?,?,?,?,?,?,?,?,?)
               ON CONFLICT(evidence_id, addr, offset) DO UPDATE SET length=excluded.length, kind=excluded.kind,
                   fs_type=excluded.fs_type, description=excluded.description, block_size=excluded.block_size,
                   volume_system=excluded.volume_system
               RETURNING id""",
            (vol.evidence_id, vol.addr, vol.offset, vol.length, vol.kind, vol.fs_type, vol.description,
             vol.block_size, vol.volume_system),
        ).fetchone()
        return int(row[0])

    # -- progress (resume) --------------------------------------------------
    def is_done(self, evidence_id: str, key: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM files WHERE evidence_id = ? AND entry_key = ? AND status = 'done'", (evidence_id, key)
        ).fetchone()
        return row is not None

    def file_id(self, evidence_id: str, key: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM files WHERE evidence_id = ? AND entry_key = ?", (evidence_id, key)
        ).fetchone()
        return int(row[0]) if row else None

    def unit_done(self, evidence_id: str, unit: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM progress WHERE evidence_id = ? AND unit = ?", (evidence_id, unit)
        ).fetchone()
        return row is not None

    def mark_unit(self, evidence_id: str, unit: str) -> None:
        self._begin()
        self.conn.execute(
            "INSERT OR REPLACE INTO progress (evidence_id, unit, status, run_id) VALUES (?, ?, 'done', ?)",
            (evidence_id, unit, self.run_id),
        )
        self.commit()

    def clear_progress(self, evidence_id: str) -> None:
        self.commit()
        self.conn.execute("DELETE FROM progress WHERE evidence_id = ?", (evidence_id,))
        self.conn.commit()

    # -- files and findings -------------------------------------------------
    def write_file(
        self,
        evidence_id: str,
        volume_id: int | None,
        result: FileResult,
        parent_id: int | None = None,
    ) -> int:
        """One file with everything found in it, in the current batch."""
        self._begin()
        e = result.entry
        h = result.hashes
        key = entry_key(result.volume_addr, e.inode, e.path)
        # a file whose bytes were not all read, or whose worker died on it, is
        # recorded (so nothing is lost) but not "done": a resume tries it again
        status = "error" if any(err.stage in ("read", "worker") for err in result.errors) else "done"
        row = self.conn.execute(
            """INSERT INTO files (evidence_id, volume_id, parent_id, entry_key, path, name, extension, inode, stream,
                   size, deleted, allocated, orphan, type, depth, mtime, atime, ctime, crtime,
                   mtime_raw, atime_raw, ctime_raw, crtime_raw, md5, sha1, sha256, tlsh, mime, magic, bytes_read,
                   known, notable, status, run_id)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(evidence_id, entry_key) DO UPDATE SET volume_id=excluded.volume_id,
                   parent_id=excluded.parent_id, name=excluded.name, extension=excluded.extension,
                   stream=excluded.stream, size=excluded.size, deleted=excluded.deleted,
                   allocated=excluded.allocated, orphan=excluded.orphan, type=excluded.type, depth=excluded.depth,
                   mtime=excluded.mtime, atime=excluded.atime, ctime=excluded.ctime, crtime=excluded.crtime,
                   mtime_raw=excluded.mtime_raw, atime_raw=excluded.atime_raw, ctime_raw=excluded.ctime_raw,
                   crtime_raw=excluded.crtime_raw, md5=excluded.md5, sha1=excluded.sha1, sha256=excluded.sha256,
                   tlsh=excluded.tlsh, mime=excluded.mime, magic=excluded.magic, bytes_read=excluded.bytes_read,
                   known=excluded.known, notable=excluded.notable, status=excluded.status, run_id=excluded.run_id
               RETURNING id""",
            (
                evidence_id, volume_id, parent_id, key, e.path, e.name, e.extension or None, e.inode, e.stream,
                e.size, int(e.deleted), int(e.allocated), int(e.orphan), e.type, e.depth,
                *(result.times or (iso_utc(e.mtime), iso_utc(e.atime), iso_utc(e.ctime), iso_utc(e.crtime))),
                e.mtime, e.atime, e.ctime, e.crtime,
                h.md5 if h else None, h.sha1 if h else None, h.sha256 if h else None, h.tlsh if h else None,
                result.mime, result.magic, result.bytes_read, int(result.known), int(result.notable), status,
                self.run_id,
            ),
        ).fetchone()
        file_id = int(row[0])
        # a rescan replaces this file's findings rather than piling them up
        if file_id <= self._seen_max:
            for table in ("yara_matches", "hash_hits", "artefacts"):
                self.conn.execute(f"DELETE FROM {table} WHERE file_id = ?", (file_id,))
        else:
            self._seen_max = file_id
        for m in result.yara:
            self.conn.execute(
                """INSERT OR REPLACE INTO yara_matches (evidence_id, file_id, rule, namespace, tags, meta, strings,
                       run_id) VALUES (?,?,?,?,?,?,?,?)""",
                (evidence_id, file_id, m.rule, m.namespace, _json(list(m.tags)), _json(m.meta),
                 _json([asdict(s) for s in m.strings]), self.run_id),
            )
        for hit in result.hash_hits:
            self.conn.execute(
                """INSERT OR REPLACE INTO hash_hits (evidence_id, file_id, set_name, kind, algorithm, value, distance,
                       run_id) VALUES (?,?,?,?,?,?,?,?)""",
                (evidence_id, file_id, hit.set_name, hit.kind, hit.algorithm, hit.value, hit.distance, self.run_id),
            )
        self._write_artefacts(evidence_id, volume_id, file_id, result.artefacts)
        for err in result.errors:
            self._write_error(evidence_id, volume_id, file_id, err)
        self._maybe_commit()
        return file_id

    def _write_artefacts(
        self, evidence_id: str, volume_id: int | None, file_id: int | None, artefacts: Iterable[Artefact]
    ) -> None:
        arts = artefacts if isinstance(artefacts, (list, tuple)) else list(artefacts)
        self.conn.executemany(
            """INSERT INTO artefacts (evidence_id, volume_id, file_id, type, value, raw, offset, encoding, context,
                   plugin, plugin_version, confidence, count, timestamp, extra, artefact_key, run_id)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(artefact_key) DO UPDATE SET count=excluded.count, raw=excluded.raw,
                   offset=excluded.offset, context=excluded.context, confidence=excluded.confidence,
                   extra=excluded.extra, run_id=excluded.run_id""",
            [(evidence_id, volume_id, file_id, a.type, a.value, a.raw, a.offset, a.encoding, a.context,
              a.plugin, a.plugin_version, a.confidence, a.count, a.timestamp, _json(a.extra or None),
              key, self.run_id) for a, key in zip(arts, _artefact_keys(evidence_id, volume_id, file_id, arts))],
        )

    def write_volume_artefacts(self, evidence_id: str, volume_id: int | None, artefacts: Iterable[Artefact]) -> None:
        """Artefacts of unallocated space (no owning file)."""
        self._begin()
        self._write_artefacts(evidence_id, volume_id, None, artefacts)
        self._maybe_commit()

    def write_file_artefacts(self, evidence_id: str, volume_id: int | None, file_id: int,
                             artefacts: Iterable[Artefact]) -> None:
        """Artefacts attributed to a file after its own pass (tree analysers)."""
        self._begin()
        self._write_artefacts(evidence_id, volume_id, file_id, artefacts)
        self._maybe_commit()

    def _write_error(self, evidence_id: str | None, volume_id: int | None, file_id: int | None, err: ScanError) -> None:
        key = _key(evidence_id, volume_id, err.path, err.stage, err.message, err.plugin, err.offset)
        self.conn.execute(
            """INSERT INTO errors (evidence_id, volume_id, file_id, run_id, stage, message, path, plugin,
                   plugin_version, offset, error_key, created) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
               ON CONFLICT(error_key) DO UPDATE SET run_id=excluded.run_id, file_id=excluded.file_id,
                   created=excluded.created""",
            (evidence_id, volume_id, file_id, self.run_id, err.stage, err.message, err.path, err.plugin,
             err.plugin_version, err.offset, key, utc_now()),
        )

    def record_error(self, evidence_id: str | None, volume_id: int | None, err: ScanError,
                     file_id: int | None = None) -> None:
        self._begin()
        self._write_error(evidence_id, volume_id, file_id, err)
        self._maybe_commit()

    # -- tags -----------------------------------------------------------------
    def add_tag(self, target: str, target_id: int, tag: str, note: str | None = None,
                examiner: str | None = None) -> int:
        """Mark a file, artefact or YARA match; the same tag again updates its note and who set it."""
        table = {"file": "files", "artefact": "artefacts", "yara_match": "yara_matches"}.get(target)
        if table is None:
            raise ValueError(f"cannot tag a {target!r}: file, artefact or yara_match")
        row = self.conn.execute(f"SELECT evidence_id FROM {table} WHERE id = ?", (target_id,)).fetchone()
        if row is None:
            raise ValueError(f"no {target} with id {target_id} in this case")
        self.commit()
        self.conn.execute(
            "INSERT INTO tags (evidence_id, target, target_id, tag, note, examiner, created, run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target, target_id, tag) DO UPDATE SET"
            " note = excluded.note, examiner = excluded.examiner, created = excluded.created,"
            " run_id = excluded.run_id",
            (row[0], target, target_id, tag, note, examiner, utc_now(), self.run_id))
        self.conn.commit()
        return int(self.conn.execute("SELECT id FROM tags WHERE target = ? AND target_id = ? AND tag = ?",
                                     (target, target_id, tag)).fetchone()[0])

    def count(self, table: str, where: str = "", params: tuple[Any, ...] = ()) -> int:
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(self.conn.execute(sql, params).fetchone()[0])


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return os.environ.get("USER")


def _library_versions() -> dict[str, str]:
    """The libraries whose behaviour decides findings, as the running process loaded them.

    A report's cover and a validation record quote these: a result is only
    reproducible with the same libyal, YARA, libmagic and Hyperscan builds.
    A library that cannot be loaded is left out, never guessed.
    """
    import importlib
    from importlib import metadata

    probes: dict[str, tuple[str, Any]] = {
        "yara": ("yara", lambda m: m.YARA_VERSION),
        "libmagic": ("magic", lambda m: str(m.version())),
        "hyperscan": ("hyperscan", lambda m: metadata.version("hyperscan")),
        "libewf": ("pyewf", lambda m: m.get_version()),
        "libqcow": ("pyqcow", lambda m: m.get_version()),
        "libvmdk": ("pyvmdk", lambda m: m.get_version()),
        "libvhdi": ("pyvhdi", lambda m: m.get_version()),
        "sqlite": ("sqlite3", lambda m: m.sqlite_version),
        "pypdf": ("pypdf", lambda m: m.__version__),
    }
    out: dict[str, str] = {}
    for name, (module, get) in probes.items():
        try:
            out[name] = str(get(importlib.import_module(module)))
        except Exception:  # an optional library missing or without a version call
            continue
    return out


def host_versions() -> dict[str, str]:
    import pytsk3

    return {
        "triage": __version__,
        "python": platform.python_version(),
        "tsk": str(pytsk3.TSK_VERSION_STR),
        "platform": platform.platform(),
        **_library_versions(),
    }
