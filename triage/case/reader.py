"""The one read API of a case database, shared by every consumer of the case.

Reports, exports, extraction, review, correlation and validation read the
case through this module and nowhere else, so the SQL that knows the schema
lives in one place (``docs/schema.md`` documents the tables) and every
consumer sees the same rows the same way.

The case is opened read-only: a report or an export never changes what it
describes. Every ``iter_*`` method streams rows from a cursor, so a
million-file case is read in bounded memory; the aggregate methods return
small results computed by SQLite.

Everything a row carries that came from the evidence (paths, names, values,
context, rule strings) is hostile: the consumer escapes it for its medium.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from triage.case.schema import KNOWN_MIGRATIONS, MIGRATION_SET, SCHEMA_VERSION, SchemaError
from triage.records import Entry

__all__ = [
    "ArtefactRow", "CaseReader", "ErrorRow", "EvidenceRow", "ExtensionMismatch", "FileRow", "HashHitRow", "RunRow",
    "TagRow", "TypeCount", "ValueCount", "VolumeRow", "YaraRow", "open_case", "CARD_TYPES",
]

#: artefact types whose value is a payment card number (masked unless asked otherwise)
CARD_TYPES = frozenset({"payment_card", "card_track", "saved_card"})
#: rows fetched from SQLite at a time by the streaming iterators
FETCH_ROWS = 2000
#: ... and by iter_volume_entries, which runs inside a scan: the scanning parent's memory for a
#: tree analyser's entries is this batch, whatever the volume holds
ENTRY_FETCH_ROWS = 256

T = TypeVar("T")


def _decode_json(text: Any) -> Any:
    if text is None or not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


class _Row:
    """Built from a ``sqlite3.Row``: known columns only, JSON columns decoded."""

    JSON_COLUMNS: frozenset[str] = frozenset()

    @classmethod
    def from_row(cls: type[T], row: sqlite3.Row) -> T:
        keys = row.keys()
        values: dict[str, Any] = {}
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name in keys:
                v = row[f.name]
                values[f.name] = _decode_json(v) if f.name in cls.JSON_COLUMNS else v  # type: ignore[attr-defined]
        return cls(**values)


@dataclass(frozen=True)
class RunRow(_Row):
    """One invocation of triage against the case: the audit trail."""

    JSON_COLUMNS = frozenset({"evidence_ids", "options", "versions"})
    id: int
    started: str
    command: str
    tool_version: str
    status: str
    finished: str | None = None
    examiner: str | None = None
    host: str | None = None
    user: str | None = None
    evidence_ids: list[str] | None = None
    files: int | None = 0
    bytes: int | None = 0
    errors: int | None = 0
    options: dict[str, Any] | None = None
    versions: dict[str, Any] | None = None


@dataclass(frozen=True)
class EvidenceRow(_Row):
    JSON_COLUMNS = frozenset({"segments", "extra"})
    id: str
    path: str
    format: str
    size: int
    segments: list[str] | None = None
    stored_md5: str | None = None
    stored_sha1: str | None = None
    computed_md5: str | None = None
    computed_sha1: str | None = None
    verified: str | None = None
    verified_at: str | None = None
    case_number: str | None = None
    evidence_number: str | None = None
    examiner: str | None = None
    description: str | None = None
    notes: str | None = None
    acquired: str | None = None
    acquiry_software: str | None = None
    volume_system: str | None = None
    status: str | None = None
    first_scanned: str | None = None
    last_scanned: str | None = None
    last_run_id: int | None = None
    extra: dict[str, Any] | None = None


@dataclass(frozen=True)
class VolumeRow(_Row):
    id: int
    evidence_id: str
    addr: int
    offset: int
    length: int
    kind: str
    fs_type: str | None = None
    description: str | None = None
    block_size: int | None = None
    volume_system: str | None = None


@dataclass(frozen=True)
class FileRow(_Row):
    id: int
    evidence_id: str
    entry_key: str
    path: str
    name: str
    size: int
    type: str
    status: str
    volume_id: int | None = None
    parent_id: int | None = None
    extension: str | None = None
    inode: int | None = None
    stream: str | None = None
    deleted: int = 0
    allocated: int = 1
    orphan: int = 0
    depth: int = 0
    mtime: str | None = None
    atime: str | None = None
    ctime: str | None = None
    crtime: str | None = None
    mtime_raw: float | None = None
    atime_raw: float | None = None
    ctime_raw: float | None = None
    crtime_raw: float | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    tlsh: str | None = None
    mime: str | None = None
    magic: str | None = None
    bytes_read: int | None = None
    known: int = 0
    notable: int = 0
    run_id: int | None = None


@dataclass(frozen=True)
class ArtefactRow(_Row):
    """An artefact with the path and SHA-256 of the file that holds it (None for unallocated space)."""

    JSON_COLUMNS = frozenset({"extra"})
    id: int
    evidence_id: str
    type: str
    value: str
    plugin: str
    volume_id: int | None = None
    file_id: int | None = None
    raw: str | None = None
    offset: int | None = None
    encoding: str | None = None
    context: str | None = None
    plugin_version: str | None = None
    confidence: float | None = None
    count: int = 1
    timestamp: str | None = None
    extra: Any = None
    artefact_key: str | None = None
    run_id: int | None = None
    file_path: str | None = None
    file_sha256: str | None = None


@dataclass(frozen=True)
class YaraRow(_Row):
    JSON_COLUMNS = frozenset({"tags", "meta", "strings"})
    id: int
    evidence_id: str
    file_id: int
    rule: str
    namespace: str
    tags: list[str] | None = None
    meta: dict[str, Any] | None = None
    strings: list[dict[str, Any]] | None = None
    run_id: int | None = None
    file_path: str | None = None
    file_sha256: str | None = None


@dataclass(frozen=True)
class HashHitRow(_Row):
    id: int
    evidence_id: str
    file_id: int
    set_name: str
    kind: str
    algorithm: str
    value: str
    distance: int | None = None
    run_id: int | None = None
    file_path: str | None = None
    file_sha256: str | None = None


@dataclass(frozen=True)
class ErrorRow(_Row):
    id: int
    stage: str
    message: str
    error_key: str
    created: str
    evidence_id: str | None = None
    volume_id: int | None = None
    file_id: int | None = None
    run_id: int | None = None
    path: str | None = None
    plugin: str | None = None
    plugin_version: str | None = None
    offset: int | None = None


@dataclass(frozen=True)
class TagRow(_Row):
    id: int
    target: str
    target_id: int
    tag: str
    created: str
    evidence_id: str | None = None
    note: str | None = None
    examiner: str | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class TypeCount:
    """How many of one kind (artefact type, MIME type, rule), and on how many files."""

    name: str
    count: int
    files: int = 0


@dataclass(frozen=True)
class ValueCount:
    """One value of an artefact type: hits (summing ``count``), files and exhibits holding it."""

    type: str
    value: str
    hits: int
    files: int
    evidence: int
    first_id: int


# -- extension mismatch (a derived finding: files.mime against files.extension) ---------------

#: the content classes whose type, found by libmagic, an extension can clearly contradict; text,
#: OLE, audio, video and every other type are never flagged (docs/schema.md, "Extension mismatch")
_MIME_CLASS: dict[str, str] = {
    **dict.fromkeys(("application/x-dosexec", "application/x-executable", "application/x-sharedlib",
                     "application/x-pie-executable", "application/x-mach-binary", "application/x-elf",
                     "application/vnd.microsoft.portable-executable", "application/x-msdownload"), "executable"),
    **dict.fromkeys(("application/zip", "application/x-zip-compressed", "application/java-archive",
                     "application/epub+zip", "application/vnd.android.package-archive"), "zip"),
    "application/pdf": "pdf",
    **dict.fromkeys(("image/jpeg", "image/png", "image/gif", "image/bmp", "image/x-ms-bmp", "image/tiff",
                     "image/webp", "image/heic", "image/heif", "image/x-icon", "image/vnd.microsoft.icon",
                     "image/x-canon-cr2", "image/x-nikon-nef", "image/jp2"), "image"),
}
#: MIME prefixes of ZIP containers libmagic names by their contents (OOXML, ODF)
_ZIP_PREFIXES = ("application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
                 "application/vnd.ms-excel.sheet.macroenabled", "application/vnd.ms-word.document.macroenabled",
                 "application/vnd.ms-powerpoint.presentation.macroenabled")


def _exts(words: str) -> frozenset[str]:
    return frozenset("." + w for w in words.split())


#: the extensions of each class; an extension in none of them (.dat, .bin, .tmp...) is never flagged
_EXT_CLASS: dict[str, frozenset[str]] = {
    "executable": _exts("exe dll sys scr com cpl ocx drv efi mui ax acm tlb tsp rll winmd mun pyd so o ko elf out "
                        "dylib node bundle fon ime flt vxd 386 msstyles"),
    "zip": _exts("zip jar war ear apk aab aar docx docm dotx dotm xlsx xlsm xltx xltm pptx pptm potx ppsx odt ods odp "
                 "odg odf ott epub xpi crx kmz whl nupkg vsix ipa 3mf cbz appx msix appxbundle egg xps oxps idml "
                 "pkpass sketch"),
    "pdf": _exts("pdf ai"),
    "image": _exts("jpg jpeg jpe jfif png gif bmp dib tif tiff webp heic heif ico cur dng nef cr2 arw orf rw2 raf "
                   "jp2 j2k"),
    "text": _exts("txt csv tsv log ini cfg conf xml json html htm md yaml yml js css py sh bat ps1 eml"),
    "document": _exts("doc xls ppt rtf msg pst ost"),
    "audio": _exts("mp3 wav flac ogg m4a wma aac"),
    "video": _exts("mp4 avi mkv mov wmv flv webm mpg mpeg 3gp m4v"),
    "archive": _exts("gz tgz 7z rar tar bz2 xz cab iso"),
}
_EXT_TO_CLASS = {e: c for c, exts in _EXT_CLASS.items() for e in exts}
_STRONG_MIMES = tuple(_MIME_CLASS)


def mime_class(mime: str | None) -> str | None:
    """The content class of a libmagic MIME type that an extension can contradict, else None."""
    if not mime:
        return None
    mime = mime.split(";", 1)[0].strip().lower()
    return _MIME_CLASS.get(mime) or ("zip" if mime.startswith(_ZIP_PREFIXES) else None)


def extension_mismatch(mime: str | None, extension: str | None) -> tuple[str, str] | None:
    """(content class, extension class) when the content type clearly contradicts the extension, else None.

    Conservative, as an examiner needs it: only an executable, ZIP, PDF or
    image under an extension of another known class (an ELF named .jpg, a
    ZIP named .txt, a JPEG named .docx); a PNG named .jpg is one class, an
    unknown extension contradicts nothing, text is never flagged.
    """
    got = mime_class(mime)
    want = _EXT_TO_CLASS.get((extension or "").lower())
    if got is None or want is None or got == want:
        return None
    return got, want


@dataclass(frozen=True)
class ExtensionMismatch:
    """A file whose content type contradicts its extension (derived from files.mime and files.extension)."""

    file_id: int
    evidence_id: str
    path: str
    extension: str
    mime: str
    content_class: str
    extension_class: str


_MISMATCH_SQL = ("SELECT id, evidence_id, path, extension, mime FROM files WHERE type NOT IN ('dir', 'virtual_dir') "
                 "AND mime IS NOT NULL AND extension IS NOT NULL AND (mime IN ({strong}) OR {zips})").format(
    strong=", ".join("?" * len(_STRONG_MIMES)), zips=" OR ".join("mime LIKE ?" for _ in _ZIP_PREFIXES))
_MISMATCH_PARAMS = (*_STRONG_MIMES, *(p + "%" for p in _ZIP_PREFIXES))


def iter_extension_mismatches(conn: sqlite3.Connection, evidence_id: str | None = None) -> Iterator[ExtensionMismatch]:
    """Stream the mismatches of a case (one exhibit, or all), in file order, from an open connection.

    A function of the connection, not only a reader method, because the
    scan's terminal summary counts them on the writer's connection.
    """
    sql, params = _MISMATCH_SQL, list(_MISMATCH_PARAMS)
    if evidence_id is not None:
        sql += " AND evidence_id = ?"
        params.append(evidence_id)
    cur = conn.execute(sql + " ORDER BY id", params)
    while rows := cur.fetchmany(FETCH_ROWS):
        for fid, ev, path, ext, mime in rows:
            hit = extension_mismatch(mime, ext)
            if hit is not None:
                yield ExtensionMismatch(int(fid), ev, path, ext, mime, hit[0], hit[1])


@dataclass
class _Where:
    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def any_of(self, column: str, values: Iterable[Any] | None) -> None:
        if values is None:
            return
        values = list(values)
        if not values:
            self.clauses.append("0")
            return
        self.clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
        self.params.extend(values)

    def sql(self) -> str:
        return (" WHERE " + " AND ".join(self.clauses)) if self.clauses else ""


def open_case(path: str | Path) -> CaseReader:
    """Open a case database for reading; a clear :class:`SchemaError` when it is not one this triage reads."""
    return CaseReader(path)


class CaseReader:
    """Read-only access to one case database."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise SchemaError(f"{self.path}: no such case database")
        if self.path.is_dir():
            raise SchemaError(f"{self.path}: is a directory, not a case database")
        self.conn = self._connect()
        self.schema_version, self.applied_migrations = self._check_schema()
        self._tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _connect(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:
            raise SchemaError(f"{self.path}: not a usable SQLite case database: {exc}") from None
        conn.execute("PRAGMA query_only = ON")
        conn.row_factory = sqlite3.Row
        return conn

    def _check_schema(self) -> tuple[int, list[str]]:
        try:
            tables = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise SchemaError(f"{self.path}: not a usable SQLite case database: {exc}") from None
        if "_sqlite_migrations" not in tables:
            raise SchemaError(f"{self.path}: not a triage case database (no triage schema record)")
        applied = [r[0] for r in self.conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY id", (MIGRATION_SET,))]
        unknown = [n for n in applied if n not in KNOWN_MIGRATIONS]
        if unknown:
            raise SchemaError(
                f"{self.path}: case database was written by a newer triage (schema migration {unknown[-1]!r}); "
                f"this triage reads schema version {SCHEMA_VERSION}: upgrade triage to open it")
        if not applied:
            raise SchemaError(f"{self.path}: not a triage case database (no triage schema record)")
        return len(applied), applied

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> CaseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        return name in self._tables

    def _stream(self, cls: type[T], sql: str, params: Sequence[Any] = ()) -> Iterator[T]:
        cur = self.conn.execute(sql, tuple(params))
        while True:
            batch = cur.fetchmany(FETCH_ROWS)
            if not batch:
                return
            for row in batch:
                yield cls.from_row(row)  # type: ignore[attr-defined]

    def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, tuple(params)).fetchone()
        return None if row is None else row[0]

    def columns(self, table: str) -> list[str]:
        """The columns of a case table, in schema order (for exports that copy a table whole)."""
        if table not in self._tables:
            return []
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({_ident(table)})")]

    def iter_table(self, table: str, evidence_ids: Sequence[str] | None = None,
                   order_by: str = "id") -> Iterator[dict[str, Any]]:
        """Every row of one case table as a dict of raw column values (JSON columns left as text), streamed."""
        if table not in self._tables:
            return
        cols = self.columns(table)
        w = _Where()
        if evidence_ids is not None and "evidence_id" in cols:
            w.any_of("evidence_id", evidence_ids)
        order = f" ORDER BY {_ident(order_by)}" if order_by in cols else ""
        cur = self.conn.execute(f"SELECT * FROM {_ident(table)}{w.sql()}{order}", w.params)
        while True:
            batch = cur.fetchmany(FETCH_ROWS)
            if not batch:
                return
            for row in batch:
                yield dict(zip(cols, tuple(row)))

    # -- the case as a whole ------------------------------------------------------
    def runs(self) -> list[RunRow]:
        return list(self._stream(RunRow, "SELECT * FROM runs ORDER BY id"))

    def evidence(self, ids: Sequence[str] | None = None) -> list[EvidenceRow]:
        w = _Where()
        w.any_of("id", ids)
        return list(self._stream(EvidenceRow, f"SELECT * FROM evidence{w.sql()} ORDER BY id", w.params))

    def evidence_ids(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT id FROM evidence ORDER BY id")]

    def unknown_evidence(self, ids: Sequence[str]) -> list[str]:
        """The ids asked for that the case does not hold (a typo on ``--evidence``)."""
        have = set(self.evidence_ids())
        return [i for i in ids if i not in have]

    def interrupted(self) -> list[str]:
        """Why the case may be incomplete: runs still marked running, evidence whose scan did not finish."""
        reasons = [f"run {r[0]} ({r[1]}) did not finish" for r in self.conn.execute(
            "SELECT id, started FROM runs WHERE status = 'running' ORDER BY id")]
        reasons += [f"evidence {r[0]}: scan {r[1]}" for r in self.conn.execute(
            "SELECT id, status FROM evidence WHERE status IN ('scanning', 'failed') ORDER BY id")]
        return reasons

    def volumes(self, evidence_id: str | None = None) -> list[VolumeRow]:
        w = _Where()
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return list(self._stream(VolumeRow, f"SELECT * FROM volumes{w.sql()} ORDER BY evidence_id, offset, addr",
                                 w.params))

    # -- files ------------------------------------------------------------------
    def file(self, file_id: int) -> FileRow | None:
        return next(self._stream(FileRow, "SELECT * FROM files WHERE id = ?", (file_id,)), None)

    def iter_files(self, evidence_ids: Sequence[str] | None = None, *, file_ids: Iterable[int] | None = None,
                   sha256: Iterable[str] | None = None, regular_only: bool = False,
                   with_content_only: bool = False, order_by: str = "id") -> Iterator[FileRow]:
        """Files of the case, streamed; ``with_content_only`` keeps rows whose bytes were hashed."""
        w = _Where()
        w.any_of("evidence_id", evidence_ids)
        w.any_of("id", file_ids)
        if sha256 is not None:
            w.any_of("sha256", [h.lower() for h in sha256])
        if regular_only:
            w.add("type NOT IN ('dir', 'virtual_dir')")
        if with_content_only:
            w.add("sha256 IS NOT NULL")
        # "volume": grouped by volume (in volume id order), files of no volume last: DFXML nests files in volumes
        order = {"id": "id", "path": "evidence_id, path, id",
                 "volume": "volume_id IS NULL, volume_id, id"}.get(order_by, "id")
        return self._stream(FileRow, f"SELECT * FROM files{w.sql()} ORDER BY {order}", w.params)

    def iter_volume_entries(self, volume_id: int) -> Iterator[Entry]:
        """The file-system entries of one volume (no archive or derived members) as walked, in path
        order (a folder before what it holds), streamed: what a tree analyser looks at, read back
        from the case instead of kept in memory through the walk. Times are the raw seconds."""
        cur = self.conn.execute(
            "SELECT path, name, inode, size, type, deleted, allocated, mtime_raw, atime_raw, ctime_raw,"
            " crtime_raw, stream, orphan FROM files WHERE volume_id = ? AND parent_id IS NULL"
            " ORDER BY path, entry_key", (volume_id,))
        while True:
            batch = cur.fetchmany(ENTRY_FETCH_ROWS)
            if not batch:
                return
            for r in batch:
                yield Entry(path=r[0], name=r[1], inode=r[2], size=r[3] or 0, type=r[4], deleted=bool(r[5]),
                            allocated=bool(r[6]), mtime=r[7], atime=r[8], ctime=r[9], crtime=r[10], stream=r[11],
                            orphan=bool(r[12]))

    def count_volume_entries(self, volume_id: int) -> int:
        """How many rows :meth:`iter_volume_entries` streams."""
        return int(self._scalar("SELECT count(*) FROM files WHERE volume_id = ? AND parent_id IS NULL",
                                (volume_id,)))

    def volume_file_id(self, volume_id: int, path: str) -> int | None:
        """The file-system entry at ``path`` on a volume (an allocated one before a deleted one of the
        same path, then the first by natural key): where a tree analyser's finding belongs."""
        row = self.conn.execute(
            "SELECT id FROM files WHERE volume_id = ? AND path = ? AND parent_id IS NULL"
            " ORDER BY deleted, entry_key LIMIT 1", (volume_id, path)).fetchone()
        return None if row is None else int(row[0])

    def count_files(self, evidence_ids: Sequence[str] | None = None) -> int:
        w = _Where()
        w.any_of("evidence_id", evidence_ids)
        return int(self._scalar(f"SELECT count(*) FROM files{w.sql()}", w.params))

    def file_counts(self, evidence_id: str) -> dict[str, int]:
        """The inventory of one exhibit: files, directories, deleted, archive members, known, notable, errors."""
        row = self.conn.execute(
            """SELECT
                 sum(type NOT IN ('dir', 'virtual_dir')), sum(type IN ('dir', 'virtual_dir')), sum(deleted = 1),
                 sum(parent_id IS NOT NULL), sum(known = 1), sum(notable = 1), sum(status = 'error'),
                 coalesce(sum(CASE WHEN parent_id IS NULL AND type NOT IN ('dir', 'virtual_dir')
                                   THEN size END), 0)
               FROM files WHERE evidence_id = ?""", (evidence_id,)).fetchone()
        keys = ("files", "directories", "deleted", "archive_members", "known", "notable", "unreadable", "bytes")
        out = {k: int(v or 0) for k, v in zip(keys, tuple(row))}
        out["errors"] = int(self._scalar("SELECT count(*) FROM errors WHERE evidence_id = ?", (evidence_id,)))
        return out

    def extension_mismatches(self, evidence_id: str | None = None) -> Iterator[ExtensionMismatch]:
        """Files whose content type contradicts their extension (see :func:`extension_mismatch`), streamed."""
        return iter_extension_mismatches(self.conn, evidence_id)

    def count_extension_mismatches(self, evidence_id: str | None = None) -> int:
        return sum(1 for _ in iter_extension_mismatches(self.conn, evidence_id))

    def mime_counts(self, evidence_id: str | None = None, limit: int = 20) -> list[TypeCount]:
        """The most common content types (libmagic MIME), files without a type as ``(none)``."""
        w = _Where()
        w.add("type NOT IN ('dir', 'virtual_dir')")
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return [TypeCount(r[0] or "(none)", int(r[1]), int(r[1])) for r in self.conn.execute(
            f"SELECT mime, count(*) FROM files{w.sql()} GROUP BY mime ORDER BY 2 DESC, 1 LIMIT ?",
            (*w.params, limit))]

    def file_time_histogram(self, evidence_id: str | None = None, column: str = "mtime",
                            bucket_chars: int = 7) -> list[tuple[str, int]]:
        """Files per period of one MACB time: ``bucket_chars`` 7 is months (``2024-03``), 10 days, 4 years."""
        if column not in ("mtime", "atime", "ctime", "crtime"):
            raise ValueError(f"not a file time: {column}")
        w = _Where()
        w.add(f"{column} IS NOT NULL")
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return [(r[0], int(r[1])) for r in self.conn.execute(
            f"SELECT substr({column}, 1, ?), count(*) FROM files{w.sql()} GROUP BY 1 ORDER BY 1",
            (bucket_chars, *w.params))]

    # -- findings -----------------------------------------------------------------
    _ARTEFACT_SELECT = ("SELECT a.*, f.path AS file_path, f.sha256 AS file_sha256 "
                        "FROM artefacts a LEFT JOIN files f ON f.id = a.file_id")

    def iter_artefacts(self, evidence_ids: Sequence[str] | None = None, *, types: Iterable[str] | None = None,
                       file_ids: Iterable[int] | None = None, ids: Iterable[int] | None = None,
                       value: str | None = None, dated_only: bool = False,
                       order_by: str = "id") -> Iterator[ArtefactRow]:
        w = _Where()
        w.any_of("a.evidence_id", evidence_ids)
        w.any_of("a.type", types)
        w.any_of("a.file_id", file_ids)
        w.any_of("a.id", ids)
        if value is not None:
            w.add("a.value = ?", value)
        if dated_only:
            w.add("a.timestamp IS NOT NULL")
        order = {"id": "a.id", "type": "a.type, a.value, a.id", "timestamp": "a.timestamp, a.id"}.get(order_by, "a.id")
        return self._stream(ArtefactRow, f"{self._ARTEFACT_SELECT}{w.sql()} ORDER BY {order}", w.params)

    def artefact_type_counts(self, evidence_id: str | None = None) -> list[TypeCount]:
        """Artefact rows per type (and how many files hold them), most first."""
        w = _Where()
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return [TypeCount(r[0], int(r[1]), int(r[2])) for r in self.conn.execute(
            f"SELECT type, count(*), count(DISTINCT file_id) FROM artefacts{w.sql()} GROUP BY type "
            "ORDER BY 2 DESC, 1", w.params)]

    def artefact_type_counts_by_evidence(self) -> dict[str, list[TypeCount]]:
        """``{evidence_id: [TypeCount(type, rows, files)]}`` in one pass (per-exhibit counts without a scan each)."""
        out: dict[str, list[TypeCount]] = {}
        for ev, typ, n, files in self.conn.execute(
                "SELECT evidence_id, type, count(*), count(DISTINCT file_id) FROM artefacts "
                "GROUP BY evidence_id, type"):
            out.setdefault(ev, []).append(TypeCount(typ, int(n), int(files)))
        for counts in out.values():
            counts.sort(key=lambda c: (-c.count, c.name))
        return out

    def artefact_counts_by_evidence(self) -> dict[str, dict[str, int]]:
        """``{evidence_id: {type: rows}}`` for the whole case (findings per type per exhibit)."""
        out: dict[str, dict[str, int]] = {}
        for ev, typ, n in self.conn.execute(
                "SELECT evidence_id, type, count(*) FROM artefacts GROUP BY evidence_id, type ORDER BY 1, 2"):
            out.setdefault(ev, {})[typ] = int(n)
        return out

    def top_values(self, artefact_type: str, evidence_id: str | None = None, limit: int = 10) -> list[ValueCount]:
        """The most frequent values of one type: what an examiner looks at first."""
        w = _Where()
        w.add("type = ?", artefact_type)
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return [ValueCount(artefact_type, r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in self.conn.execute(
            f"SELECT value, sum(count), count(DISTINCT file_id), count(DISTINCT evidence_id), min(id) "
            f"FROM artefacts{w.sql()} GROUP BY value ORDER BY 2 DESC, 5 LIMIT ?", (*w.params, limit))]

    def artefact_time_histogram(self, types: Iterable[str], evidence_id: str | None = None,
                                bucket_chars: int = 7) -> list[tuple[str, int]]:
        """Dated artefacts of these types per period of ``timestamp`` (browser visits, message dates)."""
        w = _Where()
        w.any_of("type", types)
        w.add("timestamp IS NOT NULL")
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return [(r[0], int(r[1])) for r in self.conn.execute(
            f"SELECT substr(timestamp, 1, ?), count(*) FROM artefacts{w.sql()} GROUP BY 1 ORDER BY 1",
            (bucket_chars, *w.params))]

    def count_artefacts(self, evidence_ids: Sequence[str] | None = None, types: Iterable[str] | None = None) -> int:
        w = _Where()
        w.any_of("evidence_id", evidence_ids)
        w.any_of("type", types)
        return int(self._scalar(f"SELECT count(*) FROM artefacts{w.sql()}", w.params))

    def artefact_extra_keys(self, evidence_ids: Sequence[str] | None = None) -> dict[str, list[str]]:
        """``{type: [top-level extra keys, by name]}``: the columns a per-type table of artefacts needs."""
        w = _Where()
        w.any_of("a.evidence_id", evidence_ids)
        w.add("json_valid(a.extra) AND json_type(a.extra) = 'object'")
        out: dict[str, list[str]] = {}
        for typ, key in self.conn.execute(
                f"SELECT DISTINCT a.type, j.key FROM artefacts a, json_each(a.extra) j{w.sql()} ORDER BY 1, 2",
                w.params):
            out.setdefault(typ, []).append(key)
        return out

    def iter_yara_matches(self, evidence_ids: Sequence[str] | None = None, *, rules: Iterable[str] | None = None,
                          file_ids: Iterable[int] | None = None) -> Iterator[YaraRow]:
        w = _Where()
        w.any_of("y.evidence_id", evidence_ids)
        w.any_of("y.rule", rules)
        w.any_of("y.file_id", file_ids)
        return self._stream(YaraRow, "SELECT y.*, f.path AS file_path, f.sha256 AS file_sha256 FROM yara_matches y "
                                     f"LEFT JOIN files f ON f.id = y.file_id{w.sql()} ORDER BY y.id", w.params)

    def yara_rule_counts(self, evidence_id: str | None = None) -> list[TypeCount]:
        """Files matched per rule, highest rule ``score`` meta first, then most files."""
        w = _Where()
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return [TypeCount(r[0], int(r[1]), int(r[1])) for r in self.conn.execute(
            f"SELECT rule, count(DISTINCT file_id), max(coalesce(json_extract(meta, '$.score'), 0)) "
            f"FROM yara_matches{w.sql()} GROUP BY rule ORDER BY 3 DESC, 2 DESC, 1", w.params)]

    def iter_hash_hits(self, evidence_ids: Sequence[str] | None = None, *,
                       kind: str | None = None) -> Iterator[HashHitRow]:
        w = _Where()
        w.any_of("h.evidence_id", evidence_ids)
        if kind is not None:
            w.add("h.kind = ?", kind)
        return self._stream(HashHitRow, "SELECT h.*, f.path AS file_path, f.sha256 AS file_sha256 FROM hash_hits h "
                                        f"LEFT JOIN files f ON f.id = h.file_id{w.sql()} ORDER BY h.id", w.params)

    def hash_set_counts(self, evidence_id: str | None = None, kind: str | None = None) -> list[TypeCount]:
        """Hash-set hits per set (``name`` = set, ``count`` = hits, ``files`` = distinct files), most files first."""
        w = _Where()
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        if kind is not None:
            w.add("kind = ?", kind)
        return [TypeCount(r[0], int(r[1]), int(r[2])) for r in self.conn.execute(
            f"SELECT set_name, count(*), count(DISTINCT file_id) FROM hash_hits{w.sql()} GROUP BY set_name "
            "ORDER BY 3 DESC, 1", w.params)]

    def iter_errors(self, evidence_ids: Sequence[str] | None = None,
                    stages: Iterable[str] | None = None) -> Iterator[ErrorRow]:
        w = _Where()
        w.any_of("evidence_id", evidence_ids)
        w.any_of("stage", stages)
        return self._stream(ErrorRow, f"SELECT * FROM errors{w.sql()} ORDER BY id", w.params)

    def error_stage_counts(self, evidence_id: str | None = None) -> list[TypeCount]:
        w = _Where()
        if evidence_id is not None:
            w.add("evidence_id = ?", evidence_id)
        return [TypeCount(r[0], int(r[1]), int(r[2])) for r in self.conn.execute(
            f"SELECT stage, count(*), count(DISTINCT file_id) FROM errors{w.sql()} GROUP BY stage ORDER BY 2 DESC",
            w.params)]

    # -- tags ---------------------------------------------------------------------
    def iter_tags(self, target: str | None = None, evidence_ids: Sequence[str] | None = None) -> Iterator[TagRow]:
        if "tags" not in self._tables:  # a case of schema version 1, not upgraded yet: nothing tagged
            return iter(())
        w = _Where()
        if target is not None:
            w.add("target = ?", target)
        w.any_of("evidence_id", evidence_ids)
        return self._stream(TagRow, f"SELECT * FROM tags{w.sql()} ORDER BY id", w.params)

    def tagged_file_ids(self, evidence_ids: Sequence[str] | None = None) -> set[int]:
        """Files tagged themselves, or holding a tagged artefact or YARA match."""
        if "tags" not in self._tables:
            return set()
        w = _Where()
        w.any_of("t.evidence_id", evidence_ids)
        extra = (" AND " + " AND ".join(w.clauses)) if w.clauses else ""
        sql = (f"SELECT t.target_id FROM tags t WHERE t.target = 'file'{extra} "
               f"UNION SELECT a.file_id FROM tags t JOIN artefacts a ON a.id = t.target_id "
               f"WHERE t.target = 'artefact' AND a.file_id IS NOT NULL{extra} "
               f"UNION SELECT y.file_id FROM tags t JOIN yara_matches y ON y.id = t.target_id "
               f"WHERE t.target = 'yara_match'{extra}")
        return {int(r[0]) for r in self.conn.execute(sql, w.params * 3)}

    def tagged_artefact_ids(self, evidence_ids: Sequence[str] | None = None) -> set[int]:
        """Artefacts tagged themselves, or found in a tagged file."""
        if "tags" not in self._tables:
            return set()
        w = _Where()
        w.any_of("t.evidence_id", evidence_ids)
        extra = (" AND " + " AND ".join(w.clauses)) if w.clauses else ""
        sql = (f"SELECT t.target_id FROM tags t WHERE t.target = 'artefact'{extra} "
               f"UNION SELECT a.id FROM tags t JOIN artefacts a ON a.file_id = t.target_id "
               f"WHERE t.target = 'file'{extra}")
        return {int(r[0]) for r in self.conn.execute(sql, w.params * 2)}


    # -- rows by natural keys ------------------------------------------------------
    def iter_natural(self, table: str, evidence_ids: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
        """One table's rows in an order that does not depend on the run that wrote them: sorted by
        natural keys (``_NATURAL``), each surrogate reference joined to its natural one (``volume_addr``
        and ``volume_offset`` for ``volume_id``, ``file_key``/``parent_key`` = the ``entry_key`` of
        ``file_id``/``parent_id``). Raw column values, JSON left as text; the ids are still there for
        the caller to drop. What the canonical export compares two cases by."""
        if table not in self._tables or table not in _NATURAL:
            return
        sql, alias = _NATURAL[table]
        w = _Where()
        if evidence_ids is not None:
            w.any_of(f"{alias}.evidence_id" if table != "evidence" else f"{alias}.id", evidence_ids)
        select, order = sql
        cur = self.conn.execute(f"{select}{w.sql()} ORDER BY {order}", w.params)
        cols = [d[0] for d in cur.description]
        while True:
            batch = cur.fetchmany(FETCH_ROWS)
            if not batch:
                return
            for row in batch:
                yield dict(zip(cols, tuple(row)))


_VOL = "v.addr AS volume_addr, v.offset AS volume_offset"
#: table -> ((SELECT ... FROM ... joins, ORDER BY natural keys then every column), alias of the table)
_NATURAL: dict[str, tuple[tuple[str, str], str]] = {
    "evidence": (("SELECT e.* FROM evidence e", "e.id"), "e"),
    "volumes": (("SELECT v.* FROM volumes v", "v.evidence_id, v.addr, v.offset"), "v"),
    "files": ((f"SELECT f.*, {_VOL}, p.entry_key AS parent_key FROM files f "
               "LEFT JOIN volumes v ON v.id = f.volume_id LEFT JOIN files p ON p.id = f.parent_id",
               "f.evidence_id, f.entry_key"), "f"),
    "artefacts": ((f"SELECT a.*, {_VOL}, f.entry_key AS file_key FROM artefacts a "
                   "LEFT JOIN volumes v ON v.id = a.volume_id LEFT JOIN files f ON f.id = a.file_id",
                   "a.evidence_id, v.addr, v.offset, f.entry_key, a.type, a.value, a.offset, a.plugin, "
                   "a.timestamp, a.extra, a.raw, a.context, a.encoding, a.count, a.confidence"), "a"),
    "yara_matches": (("SELECT y.*, f.entry_key AS file_key FROM yara_matches y "
                      "LEFT JOIN files f ON f.id = y.file_id",
                      "y.evidence_id, f.entry_key, y.namespace, y.rule"), "y"),
    "hash_hits": (("SELECT h.*, f.entry_key AS file_key FROM hash_hits h LEFT JOIN files f ON f.id = h.file_id",
                   "h.evidence_id, f.entry_key, h.set_name, h.algorithm, h.value"), "h"),
    "errors": ((f"SELECT r.*, {_VOL}, f.entry_key AS file_key FROM errors r "
                "LEFT JOIN volumes v ON v.id = r.volume_id LEFT JOIN files f ON f.id = r.file_id",
                "r.evidence_id, v.addr, v.offset, f.entry_key, r.path, r.stage, r.message, r.plugin, r.offset"),
               "r"),
    "progress": (("SELECT g.* FROM progress g", "g.evidence_id, g.unit"), "g"),
    # a tag's target by its natural reference: the file's entry_key; an artefact's file, type, value, offset;
    # a YARA match's file, namespace, rule
    "tags": (("SELECT t.*, coalesce(tf.entry_key, af.entry_key, yf.entry_key) AS file_key, "
              "ta.type AS artefact_type, ta.value AS artefact_value, ta.offset AS artefact_offset, "
              "ty.namespace AS yara_namespace, ty.rule AS yara_rule FROM tags t "
              "LEFT JOIN files tf ON t.target = 'file' AND tf.id = t.target_id "
              "LEFT JOIN artefacts ta ON t.target = 'artefact' AND ta.id = t.target_id "
              "LEFT JOIN files af ON af.id = ta.file_id "
              "LEFT JOIN yara_matches ty ON t.target = 'yara_match' AND ty.id = t.target_id "
              "LEFT JOIN files yf ON yf.id = ty.file_id",
              "t.evidence_id, t.target, file_key, artefact_type, artefact_value, artefact_offset, yara_namespace, "
              "yara_rule, t.tag"), "t"),
}


def _ident(name: str) -> str:
    """A table or column name for SQL: only names of the schema get here, quoted anyway."""
    return '"' + name.replace('"', '""') + '"'
