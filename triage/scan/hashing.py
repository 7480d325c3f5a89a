"""MD5, SHA-1, SHA-256 (and optionally TLSH) from one pass over a stream's chunks."""

from __future__ import annotations

import hashlib

from triage.records import Hashes

#: TLSH needs at least this many bytes (with enough variety) to give a digest
TLSH_MIN_BYTES = 50
#: TLSH costs more per byte than the three hashes together; beyond this the
#: digest is taken over the first this-many bytes only (recorded as such)
TLSH_MAX_BYTES = 16 * 1024 * 1024


class Hasher:
    """Feeds every chunk to each hash; ``update`` releases the GIL inside hashlib."""

    __slots__ = ("_md5", "_sha1", "_sha256", "_tlsh", "_tlsh_left")

    def __init__(self, tlsh: bool = False) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self._tlsh = None
        self._tlsh_left = 0
        if tlsh:
            import tlsh as tlsh_mod

            self._tlsh = tlsh_mod.Tlsh()
            self._tlsh_left = TLSH_MAX_BYTES

    def update(self, chunk: bytes | memoryview) -> None:
        self._md5.update(chunk)
        self._sha1.update(chunk)
        self._sha256.update(chunk)
        if self._tlsh is not None and self._tlsh_left > 0:
            part = chunk[: self._tlsh_left]
            self._tlsh.update(bytes(part))
            self._tlsh_left -= len(part)

    def digest(self) -> Hashes:
        tlsh_digest = None
        if self._tlsh is not None:
            try:
                self._tlsh.final()
                d = self._tlsh.hexdigest()
                tlsh_digest = d if d and d != "TNULL" else None
            except ValueError:  # too little data or too little variety
                tlsh_digest = None
        return Hashes(
            md5=self._md5.hexdigest(),
            sha1=self._sha1.hexdigest(),
            sha256=self._sha256.hexdigest(),
            tlsh=tlsh_digest,
        )
