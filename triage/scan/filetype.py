"""File type from libmagic over a bounded prefix.

libmagic's cost grows with the buffer it is given and dominates small-file
scans (a description of 4 KiB of text costs about a millisecond, several
times the cost of hashing a 64 KiB file), so it only ever sees the first
``MAGIC_PREFIX_BYTES`` of a file, which is all its signature tests look at
for all but a few formats.

MIME type and description are two separate libmagic runs over the same
magic entries. The description is always computed; the MIME type is
remembered per distinct description: the same description comes from the
same matched entries, whose ``!:mime`` annotation is the MIME type, so the
second libmagic run is only paid for descriptions not seen before.
"""

from __future__ import annotations

import magic

#: bytes of each file handed to libmagic
MAGIC_PREFIX_BYTES = 4096
#: distinct descriptions whose MIME type is remembered (per process)
MIME_MEMO_MAX = 8192


class FileTyper:
    """Per-process libmagic handles (they are not shareable across processes)."""

    def __init__(self, prefix_bytes: int = MAGIC_PREFIX_BYTES) -> None:
        self._mime = magic.Magic(mime=True)
        self._desc = magic.Magic()
        self.prefix_bytes = prefix_bytes
        self._memo: dict[str, str | None] = {}

    def identify(self, prefix: bytes) -> tuple[str | None, str | None]:
        if not prefix:
            return "inode/x-empty", "empty"
        buf = prefix[: self.prefix_bytes]
        try:
            desc = self._desc.from_buffer(buf)
        except Exception:
            desc = None
        if desc is not None and desc in self._memo:
            return self._memo[desc], desc
        try:
            mime = self._mime.from_buffer(buf)
        except Exception:
            mime = None
        if desc is not None:
            if len(self._memo) >= MIME_MEMO_MAX:
                self._memo.clear()
            self._memo[desc] = mime
        return mime, desc
