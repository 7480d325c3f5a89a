"""File type from libmagic over a bounded prefix.

libmagic's cost grows with the buffer it is given and dominates small-file
scans, so it only ever sees the first ``MAGIC_PREFIX_BYTES`` of a file, which
is also all that its signature tests look at for all but a few formats.
"""

from __future__ import annotations

import magic

#: bytes of each file handed to libmagic
MAGIC_PREFIX_BYTES = 4096


class FileTyper:
    """One libmagic handle per process for MIME type, one for the description."""

    def __init__(self) -> None:
        self._mime = magic.Magic(mime=True)
        self._desc = magic.Magic()

    def identify(self, prefix: bytes) -> tuple[str | None, str | None]:
        if not prefix:
            return "inode/x-empty", "empty"
        buf = prefix[:MAGIC_PREFIX_BYTES]
        try:
            mime = self._mime.from_buffer(buf)
        except Exception:
            mime = None
        try:
            desc = self._desc.from_buffer(buf)
        except Exception:
            desc = None
        return mime, desc
