"""The UTF-16LE pass: runs of ``<printable>\\x00`` pairs found in a stream's bytes, squeezed into a lane of their own.

A Hyperscan pattern, in a database and stream of its own, reports the end of
every run of at least six ``<printable>\\x00`` pairs (one callback per run,
not per character). Its stream skips the inside of long runs of zero bytes,
which cannot hold a run (see :data:`ZRUN`): ``\\x00`` being the pattern's only
literal, zero-filled space would otherwise crawl.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from triage.scan.content.lanes import Lane

__all__ = ["U16_CHARS", "U16_MIN_PAIRS", "U16_RUN_END", "Utf16Pass", "ZEROS", "ZRUN", "minus_one", "zero_end"]


def minus_one(q: int) -> int:
    """The raw lane's offset map: lane position 0 is the virtual leading newline."""
    return q - 1


#: Printable UTF-16LE code units (plus tab, CR, LF) that make a "run".
U16_CHARS = rb"\t\n\r\x20-\x7e"
#: Hyperscan pattern reporting once at the end of each run of >= 6 pairs.
U16_RUN_END = rb"(?:[" + U16_CHARS + rb"]\x00){6}(?:[^" + U16_CHARS + rb"]|[" + U16_CHARS + rb"][^\x00])"
#: Python pattern for the fallback engine's run search.
U16_RUN = re.compile(rb"(?:[" + U16_CHARS + rb"]\x00){6,}")
#: Reversed run: matched on a reversed slice to find where a run began.
U16_REV = re.compile(rb"(?:\x00[" + U16_CHARS + rb"])+")
U16_PAIRS = re.compile(rb"(?:[" + U16_CHARS + rb"]\x00)+")
U16_MIN_PAIRS = 6
#: The run detector is a Hyperscan database of its own, and the stream it
#: scans leaves out the inside of long runs of zero bytes: ``\x00`` is its
#: only literal, so Hyperscan would stop at every zero byte (zero-filled
#: areas are everywhere on disk images). Exact: a match (pairs, then the
#: terminator) holds two consecutive NULs only as its last two bytes, so
#: dropping every NUL after the first two of a run of NULs changes no match.
#: Runs of at least this many NULs are cut (shorter ones cost nothing).
ZRUN = 64
ZEROS = bytes(ZRUN)
_ZBLOCKS = (bytes(1 << 16), bytes(1 << 12), bytes(1 << 8))
_NULS = re.compile(rb"\x00*")


def zero_end(data: bytes, k: int) -> int:
    """The first index from ``k`` on whose byte is not NUL (or ``len(data)``)."""
    n = len(data)
    for z in _ZBLOCKS:  # memcmp in big steps, then a short regex
        step = len(z)
        while k + step <= n and data.startswith(z, k):
            k += step
    return _NULS.match(data, k).end()  # type: ignore[union-attr]  # the pattern matches the empty string



class Utf16Pass:
    """The UTF-16LE text of one stream, squeezed out of its raw lane into a lane of its own.

    The raw lane reports where runs of ``<printable>\\x00`` pairs end (Hyperscan
    events, or :meth:`python_scan` for the fallback engine); each run is
    squeezed to 8-bit (``buf[a:b:2]``) and fed to the UTF-16 lane, which the
    stream makes on the first run (``make_lane``, given :meth:`offset`: most
    files hold none). The segment map (``seg_*``: a segment's start in the
    UTF-16 lane, where its data starts, its raw lane position) turns UTF-16
    lane positions back into offsets of the original bytes. Runs are joined by
    ``\\n`` so patterns cannot join unrelated strings; a long run crossing chunk
    boundaries is fed piecewise and stays contiguous (``cont``).
    """

    def __init__(self, raw: Lane, make_lane: Callable[[Callable[[int], int]], Lane]) -> None:
        self.raw = raw
        self.make_lane: Callable[[Callable[[int], int]], Lane] | None = make_lane
        #: made when the first UTF-16LE run is found
        self.lane: Lane | None = None
        # segment map: seg_sep[i] <= q uses segment i
        self.seg_sep: list[int] = []
        self.seg_data: list[int] = []
        self.seg_raw: list[int] = []
        self.done = 0  # raw lane position: bytes before it are handled
        self.cont = False  # last piece ended at done inside a run

    def keep_from(self) -> int:
        """What the raw lane must keep: a run may still start there."""
        return self.done - 2

    def release(self) -> None:
        """Cut the references back to the stream once it is closed (reference counting frees it)."""
        self.make_lane = None
        if self.lane is not None:
            self.lane.to_offset = minus_one

    def offset(self, q: int) -> int:
        i = bisect.bisect_right(self.seg_sep, q) - 1
        if i < 0:
            return -1
        return self.seg_raw[i] + 2 * (q - self.seg_data[i])

    def emit_piece(self, s: int, r: int, contiguous: bool) -> None:
        """Squeeze raw lane bytes [s, r) (whole pairs) into the UTF-16 lane."""
        lane = self.lane
        if lane is None:
            lane = self.lane = self.make_lane(self.offset)  # type: ignore[misc]
        raw = self.raw
        text = bytes(raw.buf[s - raw.base : r - raw.base : 2])
        q = lane.pos
        if contiguous:
            self.seg_sep.append(q)
            self.seg_data.append(q)
        else:
            self.seg_sep.append(q)
            self.seg_data.append(q + 1)
            text = b"\n" + text
        self.seg_raw.append(raw.to_offset(s))
        # forget segments wholly before what the UTF-16 lane still keeps
        if len(self.seg_sep) > 64:
            k = bisect.bisect_right(self.seg_sep, lane.base) - 2
            if k > 0:
                del self.seg_sep[:k], self.seg_data[:k], self.seg_raw[:k]
        lane.feed(text)

    def run_start(self, r: int) -> int:
        """Start (raw lane position) of the run of pairs ending at ``r``."""
        raw = self.raw
        lo = max(self.done, raw.base)
        if r <= lo:
            return r
        rb = r - raw.base
        # a short look first: most runs are short and the slice is copied
        width = min(rb - (lo - raw.base), 512)
        m = U16_REV.match(raw.buf[rb - width : rb][::-1])
        n = m.end() if m else 0
        if n >= width - 1 and width < rb - (lo - raw.base):
            m = U16_REV.match(raw.buf[lo - raw.base : rb][::-1])
            n = m.end() if m else 0
        return r - n

    def runs(self, ends: Iterable[int]) -> None:
        """Handle run-end events (raw lane positions just past the terminator)."""
        raw = self.raw
        buf = raw.buf
        base = raw.base
        for e in ends:
            r = e - 1 if buf[e - 2 - base] == 0 else e - 2
            if r <= self.done:
                if r == self.done:
                    self.cont = False
                continue
            s = self.run_start(r)
            contiguous = self.cont and s == self.done
            if contiguous or r - s >= 2 * U16_MIN_PAIRS:
                self.emit_piece(s, r, contiguous)
            self.done = r
            self.cont = False

    def python_scan(self, final: bool) -> None:
        """Fallback engine: find UTF-16LE runs with Python ``re`` (slow, exact)."""
        raw = self.raw
        base = raw.base
        lo = max(self.done, base)
        if self.cont:  # a long run fed in pieces: its continuation may be short
            m = U16_PAIRS.match(raw.buf, lo - base)
            r = m.end() + base if m else lo
            if r < raw.pos - 1:
                if r > lo:
                    self.emit_piece(lo, r, True)
                self.done = lo = r
                self.cont = False
        for m in U16_RUN.finditer(raw.buf, lo - base):
            r = m.end() + base
            if r >= raw.pos - 1:
                break
            s = m.start() + base
            self.emit_piece(s, r, False)
            self.done = r
            self.cont = False
        self.tail(final)

    def tail(self, final: bool) -> None:
        """A run reaching the end of what has arrived: feed it now (bounded buffer)."""
        raw = self.raw
        buf = raw.buf
        pos = raw.pos
        base = raw.base
        if pos - base < 2:
            return
        if buf[-1] == 0:
            te = pos
        elif buf[-2] == 0 or final:
            te = pos - 1
        else:
            self.done = max(self.done, pos - 1)
            self.cont = False
            return
        if te <= self.done:
            return
        # no run can end at te unless the byte before it is a NUL
        ts = self.run_start(te) if buf[te - 1 - base] == 0 else te
        contiguous = self.cont and ts == self.done
        if ts == te:
            self.done = max(self.done, pos - 1 if buf[-1] != 0 else pos)
            self.cont = False
            return
        if contiguous or te - ts >= 2 * U16_MIN_PAIRS:
            self.emit_piece(ts, te, contiguous)
            self.done = te
            self.cont = not final
        else:
            self.done = max(self.done, ts)
            self.cont = False
