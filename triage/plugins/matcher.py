"""The multi-pattern engine that runs every content scanner over a byte stream.

Why it is built this way:

* **One pass, all patterns.** Every scanner's :class:`~triage.plugins.api.Pattern`
  is compiled once into a single Hyperscan database in streaming mode, so a
  file's bytes are looked at once however many scanners are enabled, and a
  match spanning two chunks is still found.
* **Hyperscan finds *where*, Python ``re`` says *what*.** Hyperscan reports
  only end offsets (start-of-match tracking does not compile for patterns with
  large bounded repeats, and it would report every end of ``\\d{13,19}``).
  Each reported end marks a region; the pattern's Python regex is run over
  that small region with ``finditer`` (leftmost-first, non-overlapping, resumed
  after the previous match of the same pattern). The candidates are therefore
  exactly those a pure-Python scan of the whole stream would give, which is
  what the fallback engine (no Hyperscan, or ``TRIAGE_NO_HYPERSCAN=1``) does.
  Overlapping candidates of one pattern are deduplicated by construction.
  When a pattern's matches can only hold some bytes (worked out from its
  parsed regex: digits and separators, base58, letters...), the region is
  the run of such bytes around the end offset: no match crosses a run's
  ends, so that is exact and far smaller than ``max_len`` either side.
* **Deferred validation.** A candidate is validated only once the stream has
  gone ``max_len + HIT_CONTEXT_BYTES`` past it (or at :meth:`MatchStream.close`),
  so the validator always sees its full context and no longer match can
  still appear. The rolling buffer keeps only what pending candidates need:
  memory is bounded whatever the stream size.
* **UTF-16LE.** A Hyperscan pattern, in a database and stream of its own,
  reports the end of every run of at least six ``<printable>\\x00`` pairs
  (one callback per run, not per character). Its stream skips the inside of
  long runs of zero bytes, which cannot hold a run (see :data:`_ZRUN`):
  ``\\x00`` being the pattern's only literal, zero-filled space would
  otherwise crawl. The run is squeezed to 8-bit (``buf[a:b:2]``, no per-byte
  Python) and fed to a second lane that runs the same patterns; a segment map
  turns positions back into original offsets. Runs are joined by ``\\n`` so
  patterns cannot join unrelated strings. Long runs crossing chunk
  boundaries are fed piecewise and stay contiguous.
* **Virtual newlines.** Each lane starts and ends with a virtual ``\\n`` so
  line-anchored patterns (combo lists) work on a file's first and last line
  without ``^``/``$`` (whose meaning differs between the engines and chunks).
* **Small files in one call.** A stream's first chunk (up to
  :data:`ONE_SHOT_MAX`) is held back; when ``close()`` follows it (a file
  that fits one chunk: most files), the lane ``\n + data + \n`` is scanned
  with one Hyperscan call, in block mode (the same expressions compiled a
  second time: no stream to open and close), and processed once. The UTF-16
  lane is made, and opens its Hyperscan stream, only when a run reaches it;
  one per-thread scratch serves every stream. Results are those of the
  chunked path.
* **Isolation.** A validator that raises becomes a :class:`ScanError`; the
  other scanners go on.
"""

from __future__ import annotations

import bisect
import os
import re
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from triage.plugins.api import HEAD_BYTES, HIT_CONTEXT_BYTES, ContentScanner, Hit, Pattern
from triage.plugins.hscache import compile_db
from triage.records import Artefact, ScanError
from triage.text import escape_decoded, find_escapes

_hs: Any
try:  # pragma: no cover - exercised by whichever engine is present
    import hyperscan as _hs
except Exception:  # noqa: BLE001 - any import failure means "no hyperscan"
    _hs = None

#: Printable UTF-16LE code units (plus tab, CR, LF) that make a "run".
_U16_CHARS = rb"\t\n\r\x20-\x7e"
#: Hyperscan pattern reporting once at the end of each run of >= 6 pairs.
_U16_RUN_END = rb"(?:[" + _U16_CHARS + rb"]\x00){6}(?:[^" + _U16_CHARS + rb"]|[" + _U16_CHARS + rb"][^\x00])"
#: Python pattern for the fallback engine's run search.
_U16_RUN = re.compile(rb"(?:[" + _U16_CHARS + rb"]\x00){6,}")
#: Reversed run: matched on a reversed slice to find where a run began.
_U16_REV = re.compile(rb"(?:\x00[" + _U16_CHARS + rb"])+")
_U16_PAIRS = re.compile(rb"(?:[" + _U16_CHARS + rb"]\x00)+")
_U16_MIN_PAIRS = 6
#: The run detector is a Hyperscan database of its own, and the stream it
#: scans leaves out the inside of long runs of zero bytes: ``\x00`` is its
#: only literal, so Hyperscan would stop at every zero byte (zero-filled
#: areas are everywhere on disk images). Exact: a match (pairs, then the
#: terminator) holds two consecutive NULs only as its last two bytes, so
#: dropping every NUL after the first two of a run of NULs changes no match.
#: Runs of at least this many NULs are cut (shorter ones cost nothing).
_ZRUN = 64
_ZEROS = bytes(_ZRUN)
_ZBLOCKS = (bytes(1 << 16), bytes(1 << 12), bytes(1 << 8))
_NULS = re.compile(rb"\x00*")


def _zero_end(data: bytes, k: int) -> int:
    """The first index from ``k`` on whose byte is not NUL (or ``len(data)``)."""
    n = len(data)
    for z in _ZBLOCKS:  # memcmp in big steps, then a short regex
        step = len(z)
        while k + step <= n and data.startswith(z, k):
            k += step
    return _NULS.match(data, k).end()  # type: ignore[union-attr]  # the pattern matches the empty string

#: Validate lazily: a lane processes its pending work once this many new
#: bytes have arrived (or at close), so tiny chunks cost no regex passes.
PROCESS_EVERY = 256 * 1024
#: A stream's first chunk up to this size is held back: when close() comes
#: next (a small file, the common case) the whole lane is scanned in one
#: Hyperscan call with its virtual newlines.
ONE_SHOT_MAX = 1 << 20
#: How far back from an event a run of a pattern's bytes is followed.
_MAX_RUN_BACK = 64 * 1024
#: Errors kept per scanner per stream; the rest are counted in one last error.
MAX_ERRORS_PER_SCANNER = 10
#: Validator answers remembered per lane (see Pattern.reach); beyond this
#: many, new candidates are validated without being remembered.
MEMO_MAX = 65536
#: A pattern's memo is judged at its this-many-th miss (ContentMatcher._memo_probe).
MEMO_PROBE = 512
#: Characters of escaped context kept on each side of a hit.
CONTEXT_CHARS = 80

def _cut_side(full: str, tail: bool) -> str:
    """Escaped text cut to CONTEXT_CHARS (its end when ``tail``), never inside an escape."""
    n = len(full)
    if n <= CONTEXT_CHARS:
        return full
    cut = n - CONTEXT_CHARS if tail else CONTEXT_CHARS
    j = full.rfind("\\", max(0, cut - 3), cut)
    if j != -1 and j + 4 > cut:
        cut = j + 4 if tail else j
    return full[cut:] if tail else full[:cut]


_LF, _LF_ESC = "\n", "\\x0a"


def _context(data: bytes, start: int, end: int) -> str:
    """``before[match]after``, escaped, at most CONTEXT_CHARS each side (the match at most 256 bytes).

    One escape search and one decode over the whole excerpt: every accepted
    hit gets a context, so this is on the matcher's hot path.
    """
    lo = max(0, start - CONTEXT_CHARS)
    if end - start > 256:  # the match is cut: the excerpt is not one piece
        region = data[lo:start] + data[start:start + 256] + data[end:end + CONTEXT_CHARS]
        b = start - lo + 256
    else:
        region = data[lo:end + CONTEXT_CHARS]
        b = end - lo
    a = start - lo
    text = region.decode("latin-1")
    found = find_escapes(region)
    if not found:  # every side is at most CONTEXT_CHARS characters already
        return f"{text[:a]}[{text[a:b]}]{text[b:]}"
    if found.count(10) == len(found):  # line breaks alone (text, logs: the usual case)
        before = text[:a].replace(_LF, _LF_ESC)
        after = text[b:].replace(_LF, _LF_ESC)
        if len(before) > CONTEXT_CHARS:
            before = _cut_side(before, True)
        if len(after) > CONTEXT_CHARS:
            after = _cut_side(after, False)
        return f"{before}[{text[a:b].replace(_LF, _LF_ESC)}]{after}"
    before = _cut_side(escape_decoded(text[:a], found), True)
    after = _cut_side(escape_decoded(text[b:], found), False)
    return f"{before}[{escape_decoded(text[a:b], found)}]{after}"


@dataclass(frozen=True, slots=True)
class _Pat:
    """One compiled pattern and the scanner that owns it.

    ``run`` matches a run of the bytes a match of the pattern can contain
    (None when that is every byte): see :meth:`_Lane._candidates_hs`.
    """

    scanner: int
    pattern: Pattern
    rx: re.Pattern[bytes]
    max_len: int
    run: re.Pattern[bytes] | None = None
    #: the same alphabet as bytes, for ``rstrip`` (the run's start, looking back)
    alpha: bytes = b""


def _python_regex(p: Pattern) -> re.Pattern[bytes]:
    return re.compile(p.regex, re.IGNORECASE if p.caseless else 0)


_ALL = frozenset(range(256))
_CATEGORIES = {
    "CATEGORY_DIGIT": frozenset(b"0123456789"),
    "CATEGORY_SPACE": frozenset(b" \t\n\r\f\v"),
    "CATEGORY_WORD": frozenset(b"0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
}


def _class_bytes(items: list) -> frozenset[int] | None:
    out: set[int] = set()
    negate = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            out.add(av)
        elif name == "RANGE":
            out.update(range(av[0], av[1] + 1))
        elif name == "CATEGORY":
            cat = str(av)
            neg = cat.startswith("CATEGORY_NOT_")
            got = _CATEGORIES.get(cat.replace("CATEGORY_NOT_", "CATEGORY_"))
            if got is None:
                return None
            out.update(_ALL - got if neg else got)
        else:
            return None
    return frozenset(_ALL - out) if negate else frozenset(out)


def _node_bytes(nodes) -> frozenset[int] | None:  # noqa: ANN001 - sre_parse tree
    """Every byte a match of the parsed regex can contain (None: unknown)."""
    out: set[int] = set()
    for op, av in nodes:
        name = str(op)
        if name == "AT":
            continue
        if name == "LITERAL":
            got: frozenset[int] | None = frozenset((av,))
        elif name == "NOT_LITERAL":
            got = _ALL - {av}
        elif name == "ANY":
            got = _ALL
        elif name == "IN":
            got = _class_bytes(av)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            got = _node_bytes(av[2])
        elif name == "SUBPATTERN":
            if av[1] or av[2]:  # inline flags: give up
                return None
            got = _node_bytes(av[3])
        elif name == "BRANCH":
            acc: set[int] = set()
            for sub in av[1]:
                b = _node_bytes(sub)
                if b is None:
                    return None
                acc |= b
            got = frozenset(acc)
        else:
            return None
        if got is None:
            return None
        out |= got
    return frozenset(out)


def _run_alphabet(p: Pattern) -> bytes | None:
    """The bytes a match of ``p.regex`` can hold, or None (unknown, or nearly every byte)."""
    try:
        import re._parser as sre_parse  # Python >= 3.11
    except ImportError:  # pragma: no cover
        import sre_parse  # type: ignore[no-redef]
    try:
        alpha = _node_bytes(sre_parse.parse(p.regex, 0))
    except Exception:  # noqa: BLE001 - unknown construct: no run restriction
        return None
    if alpha is None:
        return None
    if p.caseless:
        alpha = alpha | {c ^ 0x20 for c in alpha if 0x41 <= (c & ~0x20) <= 0x5A}
    if len(alpha) >= 200:  # hardly restricts anything: the window is enough
        return None
    return bytes(sorted(alpha))


def _run_regex(alpha: bytes | None) -> re.Pattern[bytes] | None:
    """``[alphabet]*``, or None."""
    if alpha is None:
        return None
    return re.compile(b"[" + b"".join(b"\\x%02x" % c for c in alpha) + b"]*")


def _validator(scanner: ContentScanner, pattern_id: str) -> Callable[[Hit], Iterable[Artefact]]:
    """The scanner's own validator for one pattern (``validator_for``), else its ``validate``."""
    pick = getattr(scanner, "validator_for", None)
    if pick is not None:
        try:
            fn = pick(pattern_id)
        except Exception:  # noqa: BLE001 - a broken hook costs only the shortcut
            fn = None
        if callable(fn):
            return fn  # type: ignore[no-any-return]
    return scanner.validate


def hyperscan_available() -> bool:
    """True when the Hyperscan engine will be used by default."""
    return _hs is not None and os.environ.get("TRIAGE_NO_HYPERSCAN", "") not in ("1", "true", "yes")


class ContentMatcher:
    """All content scanners' patterns, compiled once; make a stream per file.

    ``engine`` forces ``"hyperscan"`` or ``"python"``; by default Hyperscan is
    used when importable and ``TRIAGE_NO_HYPERSCAN`` is not set. Patterns that
    fail to compile drop their scanner (recorded in :attr:`errors`), never the
    whole matcher: one bad plugin must not hide the others' findings.
    """

    def __init__(self, scanners: Sequence[ContentScanner], *, utf16: bool = True, engine: str | None = None) -> None:
        self.utf16 = utf16
        self.errors: list[ScanError] = []
        if engine is None:
            engine = "hyperscan" if hyperscan_available() else "python"
        if engine == "hyperscan" and _hs is None:
            raise RuntimeError("hyperscan engine requested but hyperscan is not importable")
        if engine not in ("hyperscan", "python"):
            raise ValueError(f"unknown engine {engine!r}")
        self.engine = engine
        self.scanners: list[ContentScanner] = []
        self._pats: list[_Pat] = []
        for scanner in scanners:
            try:
                compiled = []
                for p in scanner.patterns:
                    rx = _python_regex(p)
                    if rx.match(b""):
                        raise ValueError(f"pattern {p.id!r} matches the empty string")
                    compiled.append((p, rx))
            except Exception as exc:  # noqa: BLE001 - a broken plugin is recorded, not fatal
                self._error(scanner, f"pattern does not compile: {type(exc).__name__}: {exc}")
                continue
            idx = len(self.scanners)
            self.scanners.append(scanner)
            for p, rx in compiled:
                alpha = _run_alphabet(p)
                self._pats.append(_Pat(idx, p, rx, max(1, int(p.max_len)), _run_regex(alpha), alpha or b""))
        self._db: Any = None
        self._bdb: Any = None
        self._hs_targets: list[tuple[int, ...]] = []
        self._hs_margin: list[int] = []
        self._u16_hid = -1
        #: the UTF-16LE run detector's own database (see _ZRUN); None when
        #: the detector is in the main database (no other pattern) or off
        self._u16_db: Any = None
        if engine == "hyperscan":
            self._compile_hyperscan()
        self._lock = threading.Lock()
        self._tls = threading.local()
        #: per pattern, what validation needs, looked up once: (pattern id,
        #: the scanner's bound validate, scanner index, emits, name, version)
        self._vinfo = [
            (p.pattern.id, _validator(self.scanners[p.scanner], p.pattern.id), p.scanner,
             frozenset(self.scanners[p.scanner].emits),
             self.scanners[p.scanner].name, self.scanners[p.scanner].version, p.pattern.reach)
            for p in self._pats
        ]
        self.max_len = max((p.max_len for p in self._pats), default=1)
        #: bytes that hold any match with the whole window its validator reads:
        #: what a lane keeps behind it, and the zeros around a skipped stretch
        #: (triage.scan.zero_skip) that keep hits as they were
        self.context_span = self.max_len + 2 * HIT_CONTEXT_BYTES + 2
        #: per pattern: are validator answers remembered (see _memo_probe)
        self._memo_on = [True] * len(self._pats)
        self._memo_hits = [0] * len(self._pats)
        self._memo_misses = [0] * len(self._pats)
        #: can any pattern match inside a lone newline (an empty lane's content)?
        self._nl_matters = any(p.rx.search(b"\n") for p in self._pats)

    def _memo_probe(self, pid: int) -> None:
        """A pattern whose candidates do not recur (each e-mail address is new) stops being remembered.

        Called at a pattern's MEMO_PROBE-th miss in this process: when its
        memo hit fewer than once for every three misses, its answers are not
        kept any more. Each kept answer is a few tuples that live as long as
        the file's stream, and the lookups cost a copy and a hash each. Only
        speed depends on this, never what is found.
        """
        if 3 * self._memo_hits[pid] < self._memo_misses[pid]:
            self._memo_on[pid] = False

    def _error(self, scanner: ContentScanner, message: str) -> None:
        self.errors.append(
            ScanError(
                stage="plugin",
                message=message,
                plugin=getattr(scanner, "name", "?"),
                plugin_version=getattr(scanner, "version", "?"),
            )
        )

    def _hs_flags(self, p: Pattern) -> int:
        assert _hs is not None
        return _hs.HS_FLAG_CASELESS if p.caseless else 0

    def _try_compile(self, pats: list[_Pat]) -> object:
        """One database; identical prefilters share one expression (one callback)."""
        assert _hs is not None
        key_to_id: dict[tuple[bytes, bool], int] = {}
        exprs: list[bytes] = []
        flags: list[int] = []
        targets: list[tuple[int, ...]] = []
        for pid, p in enumerate(pats):
            key = (p.pattern.prefilter or p.pattern.regex, p.pattern.caseless)
            hid = key_to_id.get(key)
            if hid is None:
                hid = key_to_id[key] = len(exprs)
                exprs.append(key[0])
                flags.append(self._hs_flags(p.pattern))
                targets.append(())
            targets[hid] = (*targets[hid], pid)
        self._u16_db = None
        if self.utf16:
            if exprs:
                self._u16_db = compile_db(_hs, _hs.HS_MODE_STREAM, [_U16_RUN_END], [len(exprs)], [0])
            else:  # a database needs an expression: the detector is it
                exprs.append(_U16_RUN_END)
                flags.append(0)
        db = compile_db(_hs, _hs.HS_MODE_STREAM, exprs, range(len(exprs)), flags)
        # the same expressions for a whole file in one block scan (most files): no stream
        # to open and close, which was a third of a small file's cost. Only a shortcut:
        # should block mode refuse what stream mode took, one-shot files stream too
        try:
            self._bdb = compile_db(_hs, _hs.HS_MODE_BLOCK, exprs, range(len(exprs)), flags)
        except Exception:  # noqa: BLE001 - the streaming database serves every file
            self._bdb = None
        self._hs_targets = targets
        #: an expression's events are all consumed once this far behind
        self._hs_margin = [max(pats[pid].max_len for pid in t) + HIT_CONTEXT_BYTES for t in targets]
        self._u16_hid = len(targets)
        return db

    def _compile_hyperscan(self) -> None:
        assert _hs is not None
        try:
            self._db = self._try_compile(self._pats)
            return
        except Exception:  # noqa: BLE001 - find the culprit(s) below
            pass
        bad_scanners: set[int] = set()
        for p in self._pats:
            try:
                db = _hs.Database(mode=_hs.HS_MODE_STREAM)
                db.compile(
                    expressions=[p.pattern.prefilter or p.pattern.regex],
                    ids=[0],
                    elements=1,
                    flags=[self._hs_flags(p.pattern)],
                )
            except Exception as exc:  # noqa: BLE001
                if p.scanner not in bad_scanners:
                    self._error(self.scanners[p.scanner], f"pattern {p.pattern.id!r} rejected by hyperscan: {exc}")
                bad_scanners.add(p.scanner)
        self._pats = [p for p in self._pats if p.scanner not in bad_scanners]
        self._db = self._try_compile(self._pats)

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
            st._pending = bytes(data) if type(data) is not bytes else data
        else:
            step = 1 << 20
            for i in range(0, n, step):
                st.feed(bytes(mv[i : i + step]))
        return st.close()

    def _thread_scratch(self) -> object:
        """This thread's Hyperscan scratch (a scan call never nests in another)."""
        scr = getattr(self._tls, "scratch", None)
        if scr is None:
            scr = self._tls.scratch = self._db.scratch.clone()  # type: ignore[union-attr]
        return scr

    def _thread_block_scratch(self) -> object:
        """This thread's scratch for the block-mode database."""
        scr = getattr(self._tls, "block_scratch", None)
        if scr is None:
            scr = self._tls.block_scratch = self._bdb.scratch.clone()  # type: ignore[union-attr]
        return scr

    def _thread_u16_scratch(self) -> object:
        """This thread's scratch for the UTF-16LE run detector's database."""
        scr = getattr(self._tls, "u16_scratch", None)
        if scr is None:
            scr = self._tls.u16_scratch = self._u16_db.scratch.clone()  # type: ignore[union-attr]
        return scr


#: a lane's events before its Hyperscan stream opens (never appended to)
_NO_EVENTS: dict[int, list[int]] = {}


def _hs_callback(hid: int, _from: int, to: int, _flags: int, events: defaultdict[int, list[int]]) -> None:
    events[hid].append(to)


def _u16_callback(hid: int, _from: int, to: int, _flags: int, ctx: list) -> None:
    """Detector event: ``ctx`` is [events, delta from detector to raw lane position]."""
    ctx[0][hid].append(to + ctx[1])


class _Lane:
    """One byte stream (the file's bytes, or its squeezed UTF-16LE text).

    Positions are lane positions: position 0 is the virtual leading newline.
    """

    def __init__(
        self,
        owner: MatchStream,
        encoding: str,
        to_offset: Callable[[int], int],
        detects_u16: bool = False,
    ) -> None:
        m = owner.matcher
        self.owner = owner
        self.m = m
        self.pats = m._pats
        self.encoding = encoding
        self.to_offset = to_offset
        self.buf = bytearray()
        self.base = 0  # lane position of buf[0]
        self.pos = 0  # lane position just past the last byte fed
        self.processed_at = 0
        #: end offsets reported by Hyperscan, by expression id (made when
        #: the Hyperscan stream opens; a list per id that fired: most files
        #: fire a few of the expressions, and a list for each cost more than
        #: the callback's dict lookup)
        self.events: dict[int, list[int]] = _NO_EVENTS
        self.resume = [0] * len(self.pats)
        #: (pattern, validator's input) -> what it found, for patterns with a
        #: ``reach`` (see Pattern.reach); aggregating streams only
        self.memo: dict[tuple[int, int, bytes], tuple[tuple[tuple[str, str], int], ...]] = {}
        #: the Hyperscan stream is opened on the first byte (a UTF-16 lane
        #: usually never gets any)
        self.hs_stream: Any = None
        self.closed = False
        #: the raw lane also feeds the UTF-16LE run detector's own stream
        self.z_on = detects_u16 and m._u16_db is not None
        self.z_stream: Any = None
        self.z_ctx: list = []
        self.z_pos = 0  # bytes fed to the detector stream
        self.z_trail = 0  # NULs (at most 2 counted) at the end of the lane so far
        #: the lane's first bytes, kept when trimming first cuts them (Hit.head)
        self.head = b""

    def _open(self) -> None:
        # the hyperscan binding (0.9) keeps no reference to the handler or the
        # context it is given: a temporary one (a lambda, a list made in the call)
        # is freed under it and the next match crashes the process. The handler is
        # a module function and the context a lane attribute, alive while it scans
        m = self.m
        self.events = defaultdict(list)
        self.hs_stream = m._db.stream(match_event_handler=_hs_callback, context=self.events)  # type: ignore[attr-defined]
        self.hs_stream.__enter__()
        self.scratch = m._thread_scratch()
        self._open_z()

    def _open_z(self) -> None:
        """The UTF-16LE run detector's stream (when this lane drives detection)."""
        m = self.m
        if self.z_on:
            self.z_ctx = [self.events, 0]
            self.z_stream = m._u16_db.stream(match_event_handler=_u16_callback, context=self.z_ctx)  # type: ignore[attr-defined]
            self.z_stream.__enter__()
            self.z_scratch = m._thread_u16_scratch()

    def _z_scan(self, data: bytes, at: int) -> None:
        """Feed the run detector ``data`` (lane position ``at``) minus long NUL runs' insides.

        Of each run of NULs only the first two are scanned when it is long
        (see :data:`_ZRUN`); events are mapped back to lane positions.
        """
        n = len(data)
        if not n:
            return
        if type(data) is not bytes and type(data) is not bytearray:
            data = bytes(data)
        scan = self.z_stream.scan
        scratch = self.z_scratch
        ctx = self.z_ctx
        zt = self.z_trail
        i = 0  # data[:i] is fed or dropped
        if zt >= 2 and data[0] == 0:  # the lane's NUL run goes on: drop it all
            i = _zero_end(data, 0)
        k = data.find(_ZEROS, i)
        while k != -1:
            k += 2 - zt if k == 0 else 2  # a run's first two NULs are scanned
            j = _zero_end(data, k)
            if k > i:
                ctx[1] = at + i - self.z_pos
                scan(data[i:k], scratch=scratch)
                self.z_pos += k - i
            i = j
            k = data.find(_ZEROS, i)
        if i < n:
            ctx[1] = at + i - self.z_pos
            scan(data if i == 0 else data[i:], scratch=scratch)
            self.z_pos += n - i
        if data[-1] != 0:
            self.z_trail = 0
        elif n == 1:
            self.z_trail = min(zt + 1, 2)
        else:
            self.z_trail = 2 if data[-2] == 0 else 1

    # -- feeding -----------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if not data:
            return
        if self.m._db is not None:
            if self.hs_stream is None:
                self._open()
            self.hs_stream.scan(data, scratch=self.scratch)
            if self.z_on:
                self._z_scan(data, self.pos)
        self.buf += data
        self.pos += len(data)
        if self.pos - self.processed_at >= PROCESS_EVERY:
            self.process(final=False)

    def finish(self) -> None:
        """Virtual trailing newline, end the Hyperscan stream, process all."""
        if self.pos == 0 and not self.m._nl_matters:
            # nothing was fed: the lane would hold only its trailing newline,
            # where no pattern matches
            self.closed = True
            return
        self.feed_tail()
        self._close_hs()
        self.process(final=True)
        self.closed = True

    def finish_with(self, data: bytes) -> None:
        """A fresh lane's whole content (trailing newline included), then finish.

        One Hyperscan call instead of a call per piece; ``data`` becomes the
        buffer as is (no copy).
        """
        assert self.pos == 0
        if self.z_on and b"\x00" not in data:  # memchr: no NUL, no UTF-16LE pair, nothing to detect
            self.z_on = False
        m = self.m
        if m._bdb is not None:
            events: defaultdict[int, list[int]] = defaultdict(list)
            self.events = events
            m._bdb.scan(data, match_event_handler=_hs_callback, context=events, scratch=m._thread_block_scratch())
            if self.z_on:
                self._open_z()
                self._z_scan(data, 0)
                self._close_hs()
        elif m._db is not None:  # no block-mode copy: stream the whole lane
            self._open()
            self.hs_stream.scan(data, scratch=self.scratch)
            if self.z_on:
                self._z_scan(data, 0)
            self._close_hs()
        self.buf = data  # type: ignore[assignment]  # bytes until trimmed
        self.pos = len(data)
        self.process(final=True)
        self.closed = True

    def _close_hs(self) -> None:
        if self.hs_stream is not None or self.z_stream is not None:
            with self.m._lock:  # close() uses the database's own scratch
                if self.hs_stream is not None:
                    self.hs_stream.close()
                if self.z_stream is not None:
                    self.z_stream.close()
            self.hs_stream = None
            self.z_stream = None

    def feed_tail(self) -> None:
        if self.m._db is not None:
            if self.hs_stream is None:
                self._open()
            self.hs_stream.scan(b"\n", scratch=self.scratch)
            if self.z_on:
                self._z_scan(b"\n", self.pos)
        self.buf += b"\n"
        self.pos += 1

    # -- processing ----------------------------------------------------------
    def process(self, final: bool) -> None:
        """Turn ready events into candidates, validate them, trim the buffer.

        The raw lane also drives UTF-16LE detection here: run ends are
        Hyperscan events (handled inside :meth:`_candidates_hs`), and a run
        still open at the end of the data is fed on at once, so the buffer
        never has to hold a long run.
        """
        self.processed_at = self.pos
        owner = self.owner
        drives_u16 = self is owner.raw and owner.u16_wanted
        if self.m._db is not None:
            candidates = self._candidates_hs(final)
            if drives_u16:
                owner._u16_tail(final)
        else:
            if drives_u16:
                owner._py_u16_scan(final)
            candidates = self._candidates_py(final)
        if candidates:
            self._validate(candidates)
        if not final:  # a finished lane is dropped whole: trimming it only copied bytes
            self._trim()

    def _candidates_hs(self, final: bool) -> list[tuple[int, int, int]]:
        """Candidates around the Hyperscan events that are ready.

        An event is ready once the stream has gone ``max_len + HIT_CONTEXT_BYTES``
        past it. Each pattern's Python regex then runs over a small region:

        * when the pattern's matches can only hold some bytes (digits and
          separators, base58, letters...), over the whole *run* of such bytes
          around the event (plus the byte after it, for a final ``\\b``). A
          match cannot cross a run's ends, so scanning the run from its start
          gives exactly the matches a scan of the whole stream gives there;
        * otherwise over ``max_len`` bytes either side of the events (merged
          when close), as far back as the previous match of that pattern.
        """
        events = self.events
        if not events:
            return []
        pos = self.pos
        u16_hid = self.m._u16_hid
        if self.m.utf16:
            u16_ends = events.pop(u16_hid, None)
            if u16_ends:
                u16_ends.sort()
                self.owner._u16_runs(u16_ends)
        pats = self.pats
        targets = self.m._hs_targets
        margin = self.m._hs_margin
        work: list[tuple[int, list[int]]] = []
        for hid in sorted(events):  # expression order: candidates come out as they always did
            evs = events[hid]
            if not evs:
                del events[hid]
                continue
            evs.sort()
            if final:
                for pid in targets[hid]:
                    work.append((pid, evs))
                del events[hid]
                continue
            for pid in targets[hid]:
                k = bisect.bisect_right(evs, pos - pats[pid].max_len - HIT_CONTEXT_BYTES)
                if k:
                    work.append((pid, evs[:k]))
            k = bisect.bisect_right(evs, pos - margin[hid])
            if k:  # ready for every pattern sharing this expression
                del evs[:k]
        if not work:
            return []
        out: list[tuple[int, int, int]] = []
        buf = self.buf
        base = self.base
        nbuf = len(buf)
        resumes = self.resume
        for pid, ends in work:
            p = pats[pid]
            ml = p.max_len
            finditer = p.rx.finditer
            run = p.run
            alpha = p.alpha
            resume = resumes[pid]
            i = 0
            n = len(ends)
            while i < n:
                e0 = ends[i]
                if e0 <= resume or e0 <= base:
                    i += 1
                    continue
                last = e0
                i += 1
                if run is not None:
                    rb = e0 - 1 - base
                    r_end = run.match(buf, rb).end()  # type: ignore[union-attr]  # the pattern matches the empty string
                    if r_end == rb:  # no match can hold the event's last byte
                        continue
                    r_end += base
                    while i < n and ends[i] - 1 < r_end:
                        last = ends[i]
                        i += 1
                    # (conditionals, not min()/max(): this runs for every event)
                    floor = e0 - _MAX_RUN_BACK
                    if floor < resume:
                        floor = resume
                    if floor < base:
                        floor = base
                    floor -= base
                    width = rb - floor
                    if width > 512:
                        width = 512
                    # the run's length back from rb: what rstrip takes off (a short look first)
                    k = width - len(buf[rb - width : rb].rstrip(alpha))
                    if k == width and width < rb - floor:
                        k = rb - floor - len(buf[floor:rb].rstrip(alpha))
                    start = rb - k + base
                    if start - base == floor and floor + base != resume and start < e0 - ml - 1:
                        start = e0 - ml - 1  # very long run: a window
                    hi = r_end + 1 if r_end < pos else pos
                else:
                    lo = e0 - ml - 1
                    while i < n and ends[i] - ml - 1 <= last + ml + 1:
                        last = ends[i]
                        i += 1
                    hi = last + ml + 1
                    if hi > pos:
                        hi = pos
                    start = lo if lo > resume else resume
                    if start < base:
                        start = base
                if start >= last:
                    continue
                hb = hi - base
                for mt in finditer(buf, start - base, hb if hb < nbuf else nbuf):
                    s = mt.start() + base
                    if s >= last:
                        break
                    e = mt.end() + base
                    if e == s:
                        continue
                    resume = e
                    out.append((pid, s, e))
            resumes[pid] = resume
        return out

    def _candidates_py(self, final: bool) -> list[tuple[int, int, int]]:
        out: list[tuple[int, int, int]] = []
        buf = self.buf
        base = self.base
        pos = self.pos
        for pid, p in enumerate(self.pats):
            frontier = pos if final else pos - p.max_len - 1 - HIT_CONTEXT_BYTES
            resume = max(self.resume[pid], base)
            if resume >= frontier:
                continue
            nxt = frontier
            for mt in p.rx.finditer(buf, resume - base, pos - base):
                s = mt.start() + base
                if s > frontier:
                    nxt = s
                    break
                e = mt.end() + base
                if e == s:
                    continue
                resume = e
                out.append((pid, s, e))
            self.resume[pid] = max(resume, min(nxt, frontier + 1))
        return out

    def _trim(self) -> None:
        margin = self.m.context_span
        keep_from = self.pos - margin
        firsts = [evs[0] for evs in self.events.values() if evs]
        if firsts:
            keep_from = min(keep_from, min(firsts) - margin)
        keep_from = min(keep_from, self.owner._lane_keep_from(self))
        cut = keep_from - self.base
        if cut > 0:
            if self.base == 0:  # the lane's start leaves the buffer: keep what Hit.head needs
                self.head = bytes(self.buf[1 : HEAD_BYTES + 1])
            if type(self.buf) is bytes:
                self.buf = bytearray(self.buf[cut:])
            else:
                del self.buf[:cut]
            self.base += cut

    # -- validation ----------------------------------------------------------
    def _validate(self, candidates: list[tuple[int, int, int]]) -> None:
        owner = self.owner
        vinfo = self.m._vinfo
        # bytes for a one-shot lane, else a bytearray whose slices are copied to bytes
        buf: bytes = self.buf  # type: ignore[assignment]
        base = self.base
        enc = self.encoding
        to_offset = self.to_offset
        agg = owner._agg
        arts = owner.artefacts
        more = owner._more
        memo = self.memo
        # after the leading newline (lane position 0)
        head = self.head if base else bytes(buf[1 : HEAD_BYTES + 1])
        hc = HIT_CONTEXT_BYTES
        as_bytes = type(buf) is bytes  # a one-shot lane: slices are bytes already
        memo_on = self.m._memo_on
        memo_hits = self.m._memo_hits
        memo_misses = self.m._memo_misses
        raw_lane = to_offset is _minus_one
        for pid, s, e in candidates:
            pattern_id, validate, sidx, emits, sname, sversion, reach = vinfo[pid]
            wlo = s - hc
            if wlo < base:
                wlo = base
            key = None
            if reach is not None and agg is not None and memo_on[pid]:
                # the validator's whole input (its promised reach), clipped as it sees it, cut
                # from the buffer itself: a repeat (most of them) needs no window copied
                kb = s - reach
                if kb < base:
                    kb = base
                piece = buf[kb - base : e + reach - base]
                key = (pid, s - kb, piece if as_bytes else bytes(piece))
                seen = memo.get(key)
                if seen is not None:
                    # the same answer as before, for a later copy: count it in
                    memo_hits[pid] += 1
                    for tv, n in seen:
                        k = agg[tv]
                        more[k] = more.get(k, 0) + n
                    continue
                memo_misses[pid] += 1
                if memo_misses[pid] == MEMO_PROBE:
                    self.m._memo_probe(pid)
            data = buf[wlo - base : e + hc - base]
            if not as_bytes:
                data = bytes(data)
            start = s - wlo
            end = e - wlo
            offset = s - 1 if raw_lane else to_offset(s)
            try:
                found = list(validate(Hit(pattern_id, data, start, end, offset, enc, head)))
            except Exception as exc:  # noqa: BLE001 - a broken validator is recorded, not fatal
                owner._plugin_error(sidx, f"validate() raised {type(exc).__name__}: {exc}", offset)
                continue
            if not found:  # most candidates: a rejection, remembered as such
                if key is not None and len(memo) < MEMO_MAX:
                    memo[key] = ()
                continue
            if key is not None and len(memo) < MEMO_MAX:
                if len(found) == 1:  # no generators for the usual single answer
                    a = found[0]
                    if a.type in emits:
                        memo[key] = (((a.type, a.value), a.count),)
                elif all(a.type in emits for a in found):
                    memo[key] = tuple(((a.type, a.value), a.count) for a in found)
            ctx = None
            for a in found:
                if a.type not in emits:
                    owner._plugin_error(sidx, f"artefact type {a.type!r} not in emits", offset)
                    continue
                slot = None
                if agg is not None:
                    slot = agg.get((a.type, a.value))
                    if slot is not None:
                        prev = arts[slot]
                        if (offset if a.offset is None else a.offset) >= prev.offset:  # type: ignore[operator]
                            more[slot] = more.get(slot, 0) + a.count
                            continue
                        more[slot] = more.get(slot, 0) + prev.count  # an earlier copy takes its place
                context = a.context
                if not context:
                    if ctx is None:  # lane position 0 is the virtual newline: not shown
                        ctx = (_context(data[1:], start - 1, end - 1) if wlo == 0 and start > 0
                               else _context(data, start, end))
                    context = ctx
                if type(a) is Artefact:  # dataclasses.replace(), without its introspection (positional: fields' order)
                    a = Artefact(
                        a.type,
                        a.value,
                        a.raw or data[start:end].decode("latin-1"),
                        offset if a.offset is None else a.offset,
                        a.encoding or enc,
                        context,
                        a.plugin or sname,
                        a.plugin_version or sversion,
                        a.confidence,
                        a.timestamp,
                        a.count,
                        a.extra,
                    )
                else:
                    a = replace(
                        a,
                        offset=offset if a.offset is None else a.offset,
                        encoding=a.encoding or enc,
                        raw=a.raw or data[start:end].decode("latin-1"),
                        context=context,
                        plugin=a.plugin or sname,
                        plugin_version=a.plugin_version or sversion,
                    )
                if slot is not None:
                    arts[slot] = a
                else:
                    if agg is not None:
                        agg[(a.type, a.value)] = len(arts)
                    arts.append(a)


def _minus_one(q: int) -> int:
    return q - 1


class MatchStream:
    """Feed one file's bytes in order, in chunks of any size; then close."""

    def __init__(self, matcher: ContentMatcher, aggregate: bool = False) -> None:
        self.matcher = matcher
        self.artefacts: list[Artefact] = []
        #: (type, value) -> index in artefacts, when aggregating
        self._agg: dict[tuple[str, str], int] | None = {} if aggregate else None
        #: index -> count of the identical hits folded into it
        self._more: dict[int, int] = {}
        self.errors: list[ScanError] = []
        self._err_count: dict[int, int] = {}
        self._closed = False
        self.raw = _Lane(self, "ascii", _minus_one, detects_u16=matcher.utf16)
        #: first chunk held back (see ONE_SHOT_MAX); the virtual leading
        #: newline goes in front of it when the lane starts
        self._pending: bytes | None = None
        self._started = False
        # UTF-16 lane and its segment map: sep_starts[i] <= q uses segment i
        #: made when the first UTF-16LE run is found (most files hold none)
        self.u16: _Lane | None = None
        self.u16_wanted = matcher.utf16
        self._seg_sep: list[int] = []
        self._seg_data: list[int] = []
        self._seg_raw: list[int] = []
        self._u16_done = 0  # raw lane position: bytes before it are handled
        self._u16_cont = False  # last piece ended at _u16_done inside a run

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
            if self.u16 is not None:
                self.u16.finish()
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
            for slot, n in self._more.items():
                a = self.artefacts[slot]
                self.artefacts[slot] = replace(a, count=a.count + n)
            self._more = {}
            self.artefacts.sort(key=lambda a: (a.offset if a.offset is not None else -1, a.type, a.value))
            # the lanes point back at this stream (owner, the UTF-16 offset map): cut the
            # cycle, so reference counting frees a file's buffers and memos with the stream
            # rather than the garbage collector, which walked them all first (and left the
            # memory to fresh pages meanwhile)
            for lane in (self.raw, self.u16):
                if lane is not None:
                    lane.owner = None  # type: ignore[assignment]
                    lane.to_offset = _minus_one
        return self.artefacts, self.errors

    # -- errors --------------------------------------------------------------
    def _plugin_error(self, idx: int, message: str, offset: int | None) -> None:
        n = self._err_count.get(idx, 0) + 1
        self._err_count[idx] = n
        if n <= MAX_ERRORS_PER_SCANNER:
            sc = self.matcher.scanners[idx]
            self.errors.append(
                ScanError(stage="plugin", message=message, plugin=sc.name, plugin_version=sc.version, offset=offset)
            )

    # -- UTF-16LE ------------------------------------------------------------
    def _u16_offset(self, q: int) -> int:
        i = bisect.bisect_right(self._seg_sep, q) - 1
        if i < 0:
            return -1
        return self._seg_raw[i] + 2 * (q - self._seg_data[i])

    def _lane_keep_from(self, lane: _Lane) -> int:
        if lane is self.raw and self.u16_wanted:
            return self._u16_done - 2
        return lane.pos

    def _emit_piece(self, s: int, r: int, contiguous: bool) -> None:
        """Squeeze raw lane bytes [s, r) (whole pairs) into the UTF-16 lane."""
        lane = self.u16
        if lane is None:
            lane = self.u16 = _Lane(self, "utf-16le", self._u16_offset)
        raw = self.raw
        text = bytes(raw.buf[s - raw.base : r - raw.base : 2])
        q = lane.pos
        if contiguous:
            self._seg_sep.append(q)
            self._seg_data.append(q)
        else:
            self._seg_sep.append(q)
            self._seg_data.append(q + 1)
            text = b"\n" + text
        self._seg_raw.append(raw.to_offset(s))
        # forget segments wholly before what the UTF-16 lane still keeps
        if len(self._seg_sep) > 64:
            k = bisect.bisect_right(self._seg_sep, lane.base) - 2
            if k > 0:
                del self._seg_sep[:k], self._seg_data[:k], self._seg_raw[:k]
        lane.feed(text)

    def _run_start(self, r: int) -> int:
        """Start (raw lane position) of the run of pairs ending at ``r``."""
        raw = self.raw
        lo = max(self._u16_done, raw.base)
        if r <= lo:
            return r
        rb = r - raw.base
        # a short look first: most runs are short and the slice is copied
        width = min(rb - (lo - raw.base), 512)
        m = _U16_REV.match(raw.buf[rb - width : rb][::-1])
        n = m.end() if m else 0
        if n >= width - 1 and width < rb - (lo - raw.base):
            m = _U16_REV.match(raw.buf[lo - raw.base : rb][::-1])
            n = m.end() if m else 0
        return r - n

    def _u16_runs(self, ends: Iterable[int]) -> None:
        """Handle run-end events (raw lane positions just past the terminator)."""
        raw = self.raw
        buf = raw.buf
        base = raw.base
        for e in ends:
            r = e - 1 if buf[e - 2 - base] == 0 else e - 2
            if r <= self._u16_done:
                if r == self._u16_done:
                    self._u16_cont = False
                continue
            s = self._run_start(r)
            contiguous = self._u16_cont and s == self._u16_done
            if contiguous or r - s >= 2 * _U16_MIN_PAIRS:
                self._emit_piece(s, r, contiguous)
            self._u16_done = r
            self._u16_cont = False

    def _py_u16_scan(self, final: bool) -> None:
        """Fallback engine: find UTF-16LE runs with Python ``re`` (slow, exact)."""
        raw = self.raw
        base = raw.base
        lo = max(self._u16_done, base)
        if self._u16_cont:  # a long run fed in pieces: its continuation may be short
            m = _U16_PAIRS.match(raw.buf, lo - base)
            r = m.end() + base if m else lo
            if r < raw.pos - 1:
                if r > lo:
                    self._emit_piece(lo, r, True)
                self._u16_done = lo = r
                self._u16_cont = False
        for m in _U16_RUN.finditer(raw.buf, lo - base):
            r = m.end() + base
            if r >= raw.pos - 1:
                break
            s = m.start() + base
            self._emit_piece(s, r, False)
            self._u16_done = r
            self._u16_cont = False
        self._u16_tail(final)

    def _u16_tail(self, final: bool) -> None:
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
            self._u16_done = max(self._u16_done, pos - 1)
            self._u16_cont = False
            return
        if te <= self._u16_done:
            return
        # no run can end at te unless the byte before it is a NUL
        ts = self._run_start(te) if buf[te - 1 - base] == 0 else te
        contiguous = self._u16_cont and ts == self._u16_done
        if ts == te:
            self._u16_done = max(self._u16_done, pos - 1 if buf[-1] != 0 else pos)
            self._u16_cont = False
            return
        if contiguous or te - ts >= 2 * _U16_MIN_PAIRS:
            self._emit_piece(ts, te, contiguous)
            self._u16_done = te
            self._u16_cont = not final
        else:
            self._u16_done = max(self._u16_done, ts)
            self._u16_cont = False


# -- measurement -------------------------------------------------------------
def _dense_text(size: int, seed: int = 1) -> bytes:
    import random

    rnd = random.Random(seed)
    parts: list[bytes] = []
    n = 0
    words = [b"payment", b"ref", b"account", b"total", b"the", b"invoice", b"call", b"sent"]
    while n < size:
        k = rnd.randrange(8)
        if k == 0:
            s = b"%s.%s%d@example%d.co.uk" % (rnd.choice(words), rnd.choice(words), rnd.randrange(999),
                                               rnd.randrange(50))
        elif k == 1:
            s = b"07%03d %06d" % (rnd.randrange(1000), rnd.randrange(10**6))
        elif k == 2:
            s = b"%016d" % rnd.randrange(10**16)
        elif k == 3:
            s = b"%d.%d.%d.%d" % tuple(rnd.randrange(256) for _ in range(4))
        elif k == 4:
            s = b"https://www.example.com/p?id=%d" % rnd.randrange(10**6)
        else:
            s = b"%s %d" % (rnd.choice(words), rnd.randrange(10**rnd.randrange(1, 9)))
        parts.append(s)
        parts.append(b" " if rnd.randrange(6) else b"\n")
        n += len(s) + 1
    return b"".join(parts)[:size]


def benchmark(kind: str = "random", size_mib: int = 64, chunk: int = 1 << 20, engine: str | None = None) -> float:
    """MB/s (MiB/s) of the shipped scanners over ``size_mib`` of data.

    ``kind`` is ``random`` (os.urandom) or ``text`` (text dense with
    numbers, e-mails, URLs and IPs). No timing is asserted in tests; run
    ``python -m triage.plugins.matcher random 64`` to measure.
    """
    from triage.plugins.manager import discover

    scanners = discover(entry_points=False).scanners
    m = ContentMatcher(scanners, engine=engine)
    unit = os.urandom(16 << 20) if kind == "random" else _dense_text(16 << 20)
    t0 = time.perf_counter()
    st = m.stream()
    done = 0
    total = size_mib << 20
    while done < total:
        for i in range(0, len(unit), chunk):
            st.feed(unit[i : i + chunk])
        done += len(unit)
    arts, _errs = st.close()
    dt = time.perf_counter() - t0
    print(f"{kind}: {size_mib} MiB in {dt:.2f}s = {size_mib / dt:.1f} MiB/s, {len(arts)} artefacts, engine={m.engine}")
    return size_mib / dt


if __name__ == "__main__":  # pragma: no cover
    benchmark(sys.argv[1] if len(sys.argv) > 1 else "random", int(sys.argv[2]) if len(sys.argv) > 2 else 64)
