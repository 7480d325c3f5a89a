"""Compiled Hyperscan stream databases, kept in the cache folder (triage.cache).

Compiling the shipped scanners' patterns takes about 0.2 s of CPU; loading
the saved database takes well under a millisecond. Every process that scans
(the parent and each worker of a scan, each dask worker, each ``triage``
command) builds its own matcher, so without this each paid the compile.

A saved database is only ever a copy of what this module would compile:
the file name is a SHA-256 over the Hyperscan binding's version, the
machine type, the mode and every expression with its id and flags, and the
file holds a SHA-256 of its own body. A file that is missing, truncated,
corrupt, made for another platform or unreadable is compiled again (and
rewritten when the folder is writable); the cache never decides a result.
"""

from __future__ import annotations

import hashlib
import logging
import platform
from collections.abc import Sequence
from typing import Any

from triage.cache import atomic_write_bytes, cache_dir

log = logging.getLogger(__name__)

#: bump when the file layout or the key changes
CACHE_FORMAT = 1
_DIGEST = 32  # bytes of SHA-256 before the serialized database


def _key(hs: Any, mode: int, exprs: Sequence[bytes], ids: Sequence[int], flags: Sequence[int]) -> str:
    h = hashlib.sha256()
    version = getattr(hs, "__version__", "?")
    h.update(f"triage-hs-cache/{CACHE_FORMAT}/{version}/{platform.machine()}/{mode}\0".encode())
    for expr, i, f in zip(exprs, ids, flags, strict=True):
        h.update(f"{i}/{f}/{len(expr)}\0".encode() + expr)
    return h.hexdigest()


def compile_db(hs: Any, mode: int, exprs: Sequence[bytes], ids: Sequence[int], flags: Sequence[int]) -> Any:
    """A Hyperscan database for these expressions: from the cache when a good copy is there.

    Compile errors propagate exactly as from ``Database.compile`` (the
    matcher's fallback relies on them to find a bad pattern).
    """
    path = cache_dir("hyperscan") / f"{_key(hs, mode, exprs, ids, flags)}.hsdb"
    try:
        raw = path.read_bytes()
    except OSError:
        raw = b""
    if len(raw) > _DIGEST and hashlib.sha256(raw[_DIGEST:]).digest() == raw[:_DIGEST]:
        try:
            db = hs.loadb(raw[_DIGEST:], mode=mode)
            db.scratch = hs.Scratch(db)  # compile() makes one; the matcher clones it per thread
            return db
        except Exception as exc:  # noqa: BLE001 - another platform's or a damaged copy: compile instead
            log.debug("hyperscan cache %s not usable: %s", path, exc)
    db = hs.Database(mode=mode)
    db.compile(expressions=list(exprs), ids=list(ids), elements=len(exprs), flags=list(flags))
    try:
        body = hs.dumpb(db)
        atomic_write_bytes(path, hashlib.sha256(body).digest() + body)
    except Exception as exc:  # noqa: BLE001 - a read-only or full disk only costs the next compile
        log.debug("hyperscan cache %s not written: %s", path, exc)
    return db
