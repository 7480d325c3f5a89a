"""Open a SQLite database safely from a parser's temporary copy (not a plugin).

Why a second copy: browsers keep recent rows only in the ``-wal`` file until
a checkpoint, and SQLite cannot replay a WAL on a ``mode=ro`` connection
(it needs to create the ``-shm`` index). The copy the engine hands a parser
must be treated as read-only too, so the database and its companions are
copied into a private directory that we own and may let SQLite write to.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SQLITE_MAGIC = b"SQLite format 3\x00"
COMPANIONS = ("-wal", "-journal")


class DatabaseError(Exception):
    """A database that is not SQLite, is truncated, or cannot be read."""


def is_sqlite(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16) == SQLITE_MAGIC


def _check_header(path: Path) -> None:
    """Fail early and clearly on a non-SQLite or truncated file.

    A truncated database often opens and answers its first query, then
    returns partial rows; comparing the header's page count with the file
    size catches that before anything is reported as complete.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or header[:16] != SQLITE_MAGIC:
        raise DatabaseError(f"{path.name}: not a SQLite 3 database")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, page_count = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    if page_count and valid_for == change_counter and size < page_count * page_size:
        raise DatabaseError(
            f"{path.name}: truncated SQLite database ({size} bytes, header says "
            f"{page_count} pages of {page_size})"
        )
    if size % page_size:
        raise DatabaseError(f"{path.name}: truncated SQLite database (size not a multiple of the page size)")


@contextmanager
def open_copy(path: Path, companions: Sequence[str] = COMPANIONS) -> Iterator[sqlite3.Connection]:
    """Yield a connection to a private copy of ``path`` (with its -wal/-journal)."""
    _check_header(path)
    with tempfile.TemporaryDirectory(prefix="triage-sqlite-") as tmp:
        target = Path(tmp) / path.name
        shutil.copyfile(path, target)
        for suffix in companions:
            side = path.with_name(path.name + suffix)
            if side.is_file():
                shutil.copyfile(side, Path(tmp) / (path.name + suffix))
        conn = sqlite3.connect(str(target))
        try:
            conn.row_factory = sqlite3.Row
            # Forces the schema (and the WAL) to be read now, so a broken file
            # fails here with the file's name rather than mid-iteration.
            conn.execute("PRAGMA schema_version").fetchone()
            conn.execute("PRAGMA query_only = ON")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{path.name}: {exc}") from exc
        finally:
            conn.close()


def tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """Column names of ``table`` (empty when it does not exist)."""
    return {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}


def select(
    conn: sqlite3.Connection,
    table: str,
    wanted: Sequence[str],
    order_by: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows of ``table`` as dicts of the wanted columns; absent columns read None.

    Browser schemas change with every few releases, so a parser asks for the
    columns it understands and copes with the ones a given version lacks.
    """
    have = columns(conn, table)
    if not have:
        return
    present = [c for c in wanted if c in have]
    if not present:
        return
    quoted = ", ".join('"' + c + '"' for c in present)
    sql = f'SELECT {quoted} FROM "{table}"'
    if order_by and all(part.strip().split()[0] in have for part in order_by.split(",")):
        sql += f" ORDER BY {order_by}"
    for row in conn.execute(sql):
        out = {c: None for c in wanted}
        out.update({c: row[c] for c in present})
        yield out
