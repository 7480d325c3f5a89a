"""The case database schema, as numbered sqlite-utils migrations.

A case written by an older triage opens and is upgraded in place; one written
by a newer triage (a migration we do not know) is refused with a clear
message rather than half-understood. ``docs/schema.md`` documents every table
and must change with this file.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "triage"
migrations = Migrations(MIGRATION_SET)


class SchemaError(Exception):
    """The case database cannot be used by this version of triage."""


@migrations(name="0001_initial")
def m0001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started TEXT NOT NULL,
            finished TEXT,
            command TEXT NOT NULL,
            tool_version TEXT NOT NULL,
            examiner TEXT,
            host TEXT,
            user TEXT,
            status TEXT NOT NULL,          -- running, ok, partial, failed, interrupted
            evidence_ids TEXT,             -- JSON list
            files INTEGER DEFAULT 0,
            bytes INTEGER DEFAULT 0,
            errors INTEGER DEFAULT 0,
            options TEXT,                  -- JSON: every option that changes results
            versions TEXT                  -- JSON: python, tsk, yara, libmagic, plugins
        )"""
    )
    db.execute(
        """
        CREATE TABLE evidence (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            format TEXT NOT NULL,
            size INTEGER NOT NULL,
            segments TEXT,                 -- JSON list of segment paths
            stored_md5 TEXT,
            stored_sha1 TEXT,
            computed_md5 TEXT,
            computed_sha1 TEXT,
            verified TEXT,                 -- match, mismatch, no-stored-hash, NULL (not verified)
            verified_at TEXT,
            case_number TEXT,
            evidence_number TEXT,
            examiner TEXT,
            description TEXT,
            notes TEXT,
            acquired TEXT,
            acquiry_software TEXT,
            volume_system TEXT,
            status TEXT,                   -- scanning, complete, failed
            first_scanned TEXT,
            last_scanned TEXT,
            last_run_id INTEGER REFERENCES runs(id),
            extra TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE volumes (
            id INTEGER PRIMARY KEY,
            evidence_id TEXT NOT NULL REFERENCES evidence(id),
            addr INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            length INTEGER NOT NULL,
            kind TEXT NOT NULL,            -- partition, unallocated, meta, whole
            fs_type TEXT,
            description TEXT,
            block_size INTEGER,
            volume_system TEXT,
            UNIQUE (evidence_id, addr, offset)
        )"""
    )
    db.execute(
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            evidence_id TEXT NOT NULL REFERENCES evidence(id),
            volume_id INTEGER REFERENCES volumes(id),
            parent_id INTEGER REFERENCES files(id),   -- the archive a member came from
            entry_key TEXT NOT NULL,                   -- natural key within the evidence
            path TEXT NOT NULL,
            name TEXT NOT NULL,
            extension TEXT,
            inode INTEGER,
            stream TEXT,
            size INTEGER NOT NULL,
            deleted INTEGER NOT NULL DEFAULT 0,
            allocated INTEGER NOT NULL DEFAULT 1,
            orphan INTEGER NOT NULL DEFAULT 0,
            type TEXT NOT NULL,
            depth INTEGER NOT NULL DEFAULT 0,
            mtime TEXT, atime TEXT, ctime TEXT, crtime TEXT,
            mtime_raw REAL, atime_raw REAL, ctime_raw REAL, crtime_raw REAL,
            md5 TEXT, sha1 TEXT, sha256 TEXT, tlsh TEXT,
            mime TEXT,
            magic TEXT,
            bytes_read INTEGER,
            known INTEGER NOT NULL DEFAULT 0,
            notable INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL,                      -- done, error
            run_id INTEGER REFERENCES runs(id),
            UNIQUE (evidence_id, entry_key)
        )"""
    )
    db.execute("CREATE INDEX idx_files_sha256 ON files(sha256)")
    db.execute("CREATE INDEX idx_files_md5 ON files(md5)")
    db.execute("CREATE INDEX idx_files_sha1 ON files(sha1)")
    db.execute("CREATE INDEX idx_files_path ON files(path)")
    db.execute("CREATE INDEX idx_files_volume ON files(volume_id)")
    db.execute("CREATE INDEX idx_files_parent ON files(parent_id)")
    db.execute(
        """
        CREATE TABLE errors (
            id INTEGER PRIMARY KEY,
            evidence_id TEXT,
            volume_id INTEGER,
            file_id INTEGER,
            run_id INTEGER REFERENCES runs(id),
            stage TEXT NOT NULL,
            message TEXT NOT NULL,
            path TEXT,
            plugin TEXT,
            plugin_version TEXT,
            offset INTEGER,
            error_key TEXT NOT NULL UNIQUE,   -- the same error on a rescan is one row
            created TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_errors_evidence ON errors(evidence_id)")
    db.execute(
        """
        CREATE TABLE yara_matches (
            id INTEGER PRIMARY KEY,
            evidence_id TEXT NOT NULL,
            file_id INTEGER NOT NULL REFERENCES files(id),
            rule TEXT NOT NULL,
            namespace TEXT NOT NULL,
            tags TEXT,          -- JSON list
            meta TEXT,          -- JSON object
            strings TEXT,       -- JSON list of {identifier, offset, excerpt}
            run_id INTEGER,
            UNIQUE (file_id, namespace, rule)
        )"""
    )
    db.execute("CREATE INDEX idx_yara_rule ON yara_matches(rule)")
    db.execute(
        """
        CREATE TABLE hash_hits (
            id INTEGER PRIMARY KEY,
            evidence_id TEXT NOT NULL,
            file_id INTEGER NOT NULL REFERENCES files(id),
            set_name TEXT NOT NULL,
            kind TEXT NOT NULL,          -- known, notable
            algorithm TEXT NOT NULL,     -- md5, sha1, sha256, tlsh
            value TEXT NOT NULL,
            distance INTEGER,            -- TLSH distance for fuzzy hits
            run_id INTEGER,
            UNIQUE (file_id, set_name, algorithm)
        )"""
    )
    db.execute(
        """
        CREATE TABLE artefacts (
            id INTEGER PRIMARY KEY,
            evidence_id TEXT NOT NULL,
            volume_id INTEGER,
            file_id INTEGER REFERENCES files(id),   -- NULL for unallocated space
            type TEXT NOT NULL,
            value TEXT NOT NULL,
            raw TEXT,
            offset INTEGER,              -- within the file, or the volume when file_id is NULL
            encoding TEXT,               -- ascii, utf-16le, NULL for parsed records
            context TEXT,
            plugin TEXT NOT NULL,
            plugin_version TEXT,
            confidence REAL,
            count INTEGER NOT NULL DEFAULT 1,
            timestamp TEXT,
            extra TEXT,                  -- JSON object
            artefact_key TEXT NOT NULL UNIQUE,
            run_id INTEGER
        )"""
    )
    db.execute("CREATE INDEX idx_artefacts_type_value ON artefacts(type, value)")
    db.execute("CREATE INDEX idx_artefacts_file ON artefacts(file_id)")
    db.execute(
        """
        CREATE TABLE progress (
            evidence_id TEXT NOT NULL,
            unit TEXT NOT NULL,          -- e.g. 'volume:2:walk', 'volume:2:unallocated'
            status TEXT NOT NULL,        -- done
            run_id INTEGER,
            PRIMARY KEY (evidence_id, unit)
        )"""
    )


@migrations(name="0002_tags")
def m0002_tags(db: Database) -> None:
    """Tags and notes as rows of their own: who marked what, when, and why.

    Reports (``--tagged-only``), extraction (``--tagged``) and review read
    them; a tag is never a comment hidden in another row's blob.
    """
    db.execute(
        """
        CREATE TABLE tags (
            id INTEGER PRIMARY KEY,
            evidence_id TEXT,
            target TEXT NOT NULL,          -- file, artefact, yara_match
            target_id INTEGER NOT NULL,    -- files.id, artefacts.id or yara_matches.id
            tag TEXT NOT NULL,             -- e.g. relevant, notable, not-relevant, a category
            note TEXT,
            examiner TEXT,
            created TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            UNIQUE (target, target_id, tag)
        )"""
    )
    db.execute("CREATE INDEX idx_tags_target ON tags(target, target_id)")


KNOWN_MIGRATIONS = [m.name for m in migrations._migrations]
SCHEMA_VERSION = len(KNOWN_MIGRATIONS)


def ensure_schema(db: Database) -> int:
    """Create or upgrade the schema; refuse a case from a newer triage."""
    applied = [m.name for m in migrations.applied(db)]
    unknown = [name for name in applied if name not in KNOWN_MIGRATIONS]
    if unknown:
        raise SchemaError(
            f"case database was written by a newer triage (schema migration {unknown[-1]!r}); "
            f"this triage knows schema version {SCHEMA_VERSION}: upgrade triage to open it"
        )
    tables = set(db.table_names())
    if not applied and tables - {"_sqlite_migrations"}:
        raise SchemaError("not a triage case database (it has tables but no triage schema record)")
    migrations.apply(db)
    return SCHEMA_VERSION
