"""The content matcher: every content scanner's patterns over a byte stream, in one pass.

:class:`ContentMatcher` compiles the scanners' patterns once
(:mod:`~triage.scan.content.patterns`, :mod:`~triage.scan.content.database`);
:meth:`ContentMatcher.stream` makes a :class:`MatchStream` per file (or run
of unallocated space), fed in chunks of any size and closed for its
artefacts and errors. The stream holds a raw lane
(:mod:`~triage.scan.content.lanes`) and, when UTF-16LE is on, the
UTF-16LE pass (:mod:`~triage.scan.content.utf16`).

* **Small files in one call.** A stream's first chunk (up to
  :data:`ONE_SHOT_MAX`) is held back; when ``close()`` follows it (a file
  that fits one chunk: most files), the lane ``\\n + data + \\n`` is scanned
  with one Hyperscan call in block mode and processed once. The UTF-16 lane
  is made, and opens its Hyperscan stream, only when a run reaches it; one
  per-thread scratch serves every stream. Results are those of the chunked
  path.
* **Isolation.** A validator that raises becomes a :class:`ScanError`; the
  other scanners go on. Patterns that fail to compile drop their scanner
  (recorded in :attr:`ContentMatcher.errors`), never the whole matcher.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from triage.extractors.api import HIT_CONTEXT_BYTES, ContentScanner
from triage.records import Artefact, ScanError
from triage.scan.content.database import HyperscanDatabases, hs, hyperscan_available
from triage.scan.content.lanes import Lane, MemoStats
from triage.scan.content.patterns import (CompiledPattern, PatternInfo, compile_patterns, pattern_info,
                                          scanner_error)
from triage.scan.content.utf16 import Utf16Pass, minus_one

__all__ = ["MAX_ERRORS_PER_SCANNER", "ONE_SHOT_MAX", "ContentMatcher", "MatchStream", "hyperscan_available"]

#: A stream's first chunk up to this size is held back: when close() comes
#: next (a small file, the common case) the whole lane is scanned in one
#: Hyperscan call with its virtual newlines.
ONE_SHOT_MAX = 1 << 20
#: Errors kept per scanner per stream; the rest are counted in one last error.
MAX_ERRORS_PER_SCANNER = 10


class ContentMatcher:
    """All content scanners' patterns, compiled once; make a stream per file.

    ``engine`` forces ``"hyperscan"`` or ``"python"``; by default Hyperscan is
    used when importable and ``TRIAGE_NO_HYPERSCAN`` is not set. Patterns that
    fail to compile drop their scanner (recorded in :attr:`errors`), never the
    whole matcher: one bad plugin must not hide the others' findings.
    """

    def __init__(self, scanners: Sequence[ContentScanner], *, utf16: bool = True, engine: str | None = None) -> None:
        self.utf16 = utf16
        if engine is None:
            engine = "hyperscan" if hyperscan_available() else "python"
        if engine == "hyperscan" and hs is None:
            raise RuntimeError("hyperscan engine requested but hyperscan is not importable")
        if engine not in ("hyperscan", "python"):
            raise ValueError(f"unknown engine {engine!r}")
        self.engine = engine
        kept, pats, errors = compile_patterns(scanners)
        self.scanners: list[ContentScanner] = kept
        self.errors: list[ScanError] = errors
        #: the Hyperscan databases; None with the Python engine
        self.hs: HyperscanDatabases | None = None
        if engine == "hyperscan":
            self.hs, pats, dropped = HyperscanDatabases.build(pats, utf16)
            self.errors += [scanner_error(kept[idx], message) for idx, message in dropped]
        #: every pattern kept, in scanner order (a lane's pattern index is an index here)
        self.patterns: list[CompiledPattern] = pats
        #: per pattern, what validation needs, looked up once
        self.pattern_info: list[PatternInfo] = pattern_info(self.scanners, pats)
        self.max_len = max((p.max_len for p in pats), default=1)
        #: bytes that hold any match with the whole window its validator reads:
        #: what a lane keeps behind it, and the zeros around a skipped stretch
        #: (triage.scan.zero_skip) that keep hits as they were
        self.context_span = self.max_len + 2 * HIT_CONTEXT_BYTES + 2
        #: per pattern: are validator answers remembered (see MemoStats.probe)
        self.memo_stats = MemoStats(len(pats))
        #: can any pattern match inside a lone newline (an empty lane's content)?
        self.nl_matters = any(p.rx.search(b"\n") for p in pats)

    def stream(self, aggregate: bool = False) -> MatchStream:
        """A new stream for one file (or one run of unallocated space).

        ``aggregate``: identical hits (same type and value) come back as one
        artefact, the earliest, with their total ``count``, which is what the
        case database stores. The later copies then skip building their
        context and artefact, a large share of the cost on dense data.
        """
        return MatchStream(self, aggregate)

    def scan_bytes(self, data: bytes) -> tuple[list[Artefact], list[ScanError]]:
        """Artefacts and errors of one whole file (or run of bytes) held in memory.

        The same as ``stream()``, ``feed(data)``, ``close()``: up to
        :data:`ONE_SHOT_MAX` bytes it is one Hyperscan call, larger buffers are
        fed in 1 MiB pieces so memory stays bounded.
        """
        st = MatchStream(self)
        mv = memoryview(data)
        n = len(mv)
        if n <= ONE_SHOT_MAX:
            if n:
                st.hold(data)
        else:
            step = 1 << 20
            for i in range(0, n, step):
                st.feed(bytes(mv[i : i + step]))
        return st.close()


class MatchStream:
    """Feed one file's bytes in order, in chunks of any size; then close."""

    def __init__(self, matcher: ContentMatcher, aggregate: bool = False) -> None:
        self.matcher = matcher
        self.artefacts: list[Artefact] = []
        #: (type, value) -> index in artefacts, when aggregating
        self.agg: dict[tuple[str, str], int] | None = {} if aggregate else None
        #: index -> count of the identical hits folded into it
        self.more: dict[int, int] = {}
        self.errors: list[ScanError] = []
        self._err_count: dict[int, int] = {}
        self._closed = False
        self.raw = Lane(self, "ascii", minus_one, detects_u16=matcher.utf16)
        #: first chunk held back (see ONE_SHOT_MAX); the virtual leading
        #: newline goes in front of it when the lane starts
        self._pending: bytes | None = None
        self._started = False
        #: the UTF-16LE pass over the raw lane (None when the matcher has it off)
        self.utf16: Utf16Pass | None = Utf16Pass(self.raw, self._utf16_lane) if matcher.utf16 else None

    # -- public --------------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        """Scan the next bytes of the stream (any size, in order)."""
        if self._closed:
            raise ValueError("stream is closed")
        if not chunk:
            return
        if not self._started:
            if self._pending is None and len(chunk) <= ONE_SHOT_MAX:
                self._pending = chunk if type(chunk) is bytes else bytes(chunk)
                return
            self._start()
        self.raw.feed(chunk)

    def hold(self, data: bytes) -> None:
        """A whole stream of at most ONE_SHOT_MAX bytes, given at once (then ``close()``): one Hyperscan call."""
        if self._closed or self._started or self._pending is not None or len(data) > ONE_SHOT_MAX:
            raise ValueError("hold() takes the whole of a fresh stream, at most ONE_SHOT_MAX bytes")
        self._pending = data if type(data) is bytes else bytes(data)

    def _utf16_lane(self, to_offset: Callable[[int], int]) -> Lane:
        return Lane(self, "utf-16le", to_offset)

    def _start(self) -> None:
        """Start the raw lane: virtual leading newline, then any held chunk."""
        self._started = True
        p = self._pending
        self._pending = None
        if p is not None and len(p) <= 65536:
            self.raw.feed(b"\n" + p)
        else:
            self.raw.feed(b"\n")  # virtual leading newline at lane position 0
            if p is not None:
                self.raw.feed(p)

    def close(self) -> tuple[list[Artefact], list[ScanError]]:
        """Flush everything pending; artefacts sorted by offset."""
        if not self._closed:
            self._closed = True
            if self._started:
                self.raw.finish()
            else:  # one chunk at most: the whole lane in one call
                p = self._pending
                self._pending = None
                self._started = True
                self.raw.finish_with(b"".join((b"\n", p, b"\n")) if p else b"\n\n")  # one copy, not two
            u16 = self.utf16
            if u16 is not None and u16.lane is not None:
                u16.lane.finish()
            for idx, n in self._err_count.items():
                if n > MAX_ERRORS_PER_SCANNER:
                    sc = self.matcher.scanners[idx]
                    self.errors.append(
                        ScanError(
                            stage="plugin",
                            message=f"{n - MAX_ERRORS_PER_SCANNER} further errors not recorded",
                            plugin=sc.name,
                            plugin_version=sc.version,
                        )
                    )
            for slot, n in self.more.items():
                a = self.artefacts[slot]
                self.artefacts[slot] = replace(a, count=a.count + n)
            self.more = {}
            self.artefacts.sort(key=lambda a: (a.offset if a.offset is not None else -1, a.type, a.value))
            # the lanes point back at this stream (owner, the UTF-16 offset map): cut the
            # cycle, so reference counting frees a file's buffers and memos with the stream
            # rather than the garbage collector, which walked them all first (and left the
            # memory to fresh pages meanwhile)
            for lane in (self.raw, u16.lane if u16 is not None else None):
                if lane is not None:
                    lane.owner = None  # type: ignore[assignment]
                    lane.to_offset = minus_one
            if u16 is not None:
                u16.release()
        return self.artefacts, self.errors

    # -- errors --------------------------------------------------------------
    def plugin_error(self, idx: int, message: str, offset: int | None) -> None:
        """A scanner's failure on this stream; past MAX_ERRORS_PER_SCANNER only counted."""
        n = self._err_count.get(idx, 0) + 1
        self._err_count[idx] = n
        if n <= MAX_ERRORS_PER_SCANNER:
            sc = self.matcher.scanners[idx]
            self.errors.append(
                ScanError(stage="plugin", message=message, plugin=sc.name, plugin_version=sc.version, offset=offset)
            )

    # -- UTF-16LE ------------------------------------------------------------
