"""Content-scan a run of media bytes without crawling through long stretches of zeros.

Unallocated space is mostly zero-filled on fresh or wiped disks and virtual
machine images (the bench's ext4 image: 197 of its 210 MiB of unallocated
space), and a matcher pass over zeros still costs a Hyperscan scan, buffer
copies and the UTF-16LE detector's NUL handling for nothing: no pattern
matches inside zeros.

A stretch of at least :data:`SKIP_MIN_BYTES` zero bytes (whole
:data:`BLOCK_BYTES` blocks) is therefore cut out: the stream before it ends
after ``margin`` of its zeros, a new stream starts ``margin`` zeros before the
next non-zero block, and each stream's hits are placed at their absolute
offsets. The margin is the matcher's longest match plus a validator's
context on both sides, so every match and every window a validator sees is
exactly what one stream over all the bytes would give (a match cannot hold
``margin`` zero bytes, and no validator looks that far). What changes is only
where a stream starts, so ``Hit.head`` (a table's header line) is the first
bytes after the zeros: the start of whatever was written there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from triage.records import Artefact, ScanError

#: zeros are looked for in aligned blocks of this size (a memcmp each)
BLOCK_BYTES = 64 * 1024
#: a stretch of zero blocks at least this long is not scanned
SKIP_MIN_BYTES = 1024 * 1024
#: zero bytes fed at most in one piece
_FEED_MAX = 1024 * 1024
_ZERO_BLOCK = bytes(BLOCK_BYTES)
_NULS = re.compile(rb"\x00*")

Segment = tuple[int, list[Artefact], list[ScanError]]


class MediaReadError(Exception):
    """A read of the media failed; ``offset`` is where (absolute), ``__cause__`` why."""

    def __init__(self, offset: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.offset = offset


def scan_skipping_zeros(
    read: Callable[[int, int], bytes],
    first: int,
    last: int,
    new_stream: Callable[[], Any],
    margin: int,
    chunk_bytes: int = 4 * 1024 * 1024,
) -> list[Segment]:
    """``(absolute start, artefacts, errors)`` of each stream scanned over ``[first, last)``.

    ``read(offset, n)`` reads the media; ``new_stream()`` makes a matcher
    stream (``feed``/``close``). Offsets in a segment's artefacts and errors
    are relative to its start. A short read ends the scan where it happened
    (the caller sees how far segments reached); a failed read raises
    :class:`MediaReadError` with its offset.
    """
    chunk_bytes = max(BLOCK_BYTES, chunk_bytes - chunk_bytes % BLOCK_BYTES)
    margin = min(margin, SKIP_MIN_BYTES // 2)
    out: list[Segment] = []
    stream: Any = None
    seg_start = first
    zeros = 0  # zero bytes seen just before ``pos`` and not fed yet

    def feed_zeros(n: int) -> None:
        while n > 0:
            k = min(n, _FEED_MAX)
            stream.feed(_ZERO_BLOCK * (k // BLOCK_BYTES) + _ZERO_BLOCK[: k % BLOCK_BYTES])
            n -= k

    def finish() -> None:
        nonlocal stream
        if stream is not None:
            feed_zeros(min(zeros, margin))
            artefacts, errors = stream.close()
            out.append((seg_start, artefacts, errors))
            stream = None

    pos = first
    while pos < last:
        try:
            data = read(pos, min(chunk_bytes, last - pos))
        except Exception as exc:
            raise MediaReadError(pos, exc) from exc
        if not data:
            break
        n = len(data)
        i = 0
        while i < n:
            # the next zero block (whole, aligned to the chunk) from i
            j = i
            while j + BLOCK_BYTES <= n and not data.startswith(_ZERO_BLOCK, j):
                j += BLOCK_BYTES
            if j + BLOCK_BYTES > n:
                j = n  # the tail (a partial block) is scanned as data
            if j > i and (zeros >= SKIP_MIN_BYTES or stream is None):
                # a new stream: it starts just before the first non-zero byte, not at a block
                z = _NULS.match(data, i, j).end()  # type: ignore[union-attr]  # matches the empty string
                zeros += z - i
                i = z
            if j > i:  # data[i:j] holds bytes to scan
                if zeros >= SKIP_MIN_BYTES or stream is None:
                    finish()
                    stream = new_stream()
                    lead = min(zeros, margin)
                    seg_start = pos + i - lead
                    feed_zeros(lead)
                else:
                    feed_zeros(zeros)
                zeros = 0
                stream.feed(data[i:j] if i or j < n else data)
                i = j
            k = i
            while k + BLOCK_BYTES <= n and data.startswith(_ZERO_BLOCK, k):
                k += BLOCK_BYTES
            zeros += k - i
            i = k
        pos += n
    finish()
    return out
