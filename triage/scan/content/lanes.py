"""A lane: one byte stream the patterns run over (a file's bytes, or its squeezed UTF-16LE text).

* **Hyperscan finds *where*, Python ``re`` says *what*.** Hyperscan reports
  only end offsets (start-of-match tracking does not compile for patterns
  with large bounded repeats, and it would report every end of
  ``\\d{13,19}``). Each reported end marks a region; the pattern's Python
  regex is run over that small region with ``finditer`` (leftmost-first,
  non-overlapping, resumed after the previous match of the same pattern).
  The candidates are therefore exactly those a pure-Python scan of the whole
  stream would give, which is what the fallback engine does. When a
  pattern's matches can only hold some bytes, the region is the run of such
  bytes around the end offset (:mod:`triage.scan.content.patterns`).
* **Deferred validation.** A candidate is validated only once the stream has
  gone ``max_len + HIT_CONTEXT_BYTES`` past it (or at the end), so the
  validator always sees its full context and no longer match can still
  appear. The rolling buffer keeps only what pending candidates need: memory
  is bounded whatever the stream size.
* **Virtual newlines.** Each lane starts and ends with a virtual ``\\n`` so
  line-anchored patterns (combo lists) work on a file's first and last line
  without ``^``/``$`` (whose meaning differs between the engines and chunks).

A lane reads its matcher's public parts (``patterns``, ``hs``,
``pattern_info``, ``memo_stats``) and writes what it finds into its owner,
the :class:`~triage.scan.content.matcher.MatchStream` (``artefacts``,
``agg``, ``more``, ``plugin_error``); the raw lane also drives the owner's
UTF-16LE pass (``owner.utf16``).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from triage.extractors.api import HEAD_BYTES, HIT_CONTEXT_BYTES, Hit
from triage.records import Artefact
from triage.scan.content.context import hit_context
from triage.scan.content.utf16 import ZEROS, minus_one, zero_end

if TYPE_CHECKING:
    from triage.scan.content.matcher import MatchStream

__all__ = ["MAX_RUN_BACK", "MEMO_MAX", "MEMO_PROBE", "PROCESS_EVERY", "Lane", "MemoStats"]

#: Validate lazily: a lane processes its pending work once this many new
#: bytes have arrived (or at close), so tiny chunks cost no regex passes.
PROCESS_EVERY = 256 * 1024
#: How far back from an event a run of a pattern's bytes is followed.
MAX_RUN_BACK = 64 * 1024
#: Validator answers remembered per lane (see Pattern.reach); beyond this
#: many, new candidates are validated without being remembered.
MEMO_MAX = 65536
#: A pattern's memo is judged at its this-many-th miss (MemoStats.probe).
MEMO_PROBE = 512


class MemoStats:
    """Per pattern, in this process: are validator answers remembered, and how often that paid."""

    __slots__ = ("hits", "misses", "on")

    def __init__(self, n: int) -> None:
        self.on = [True] * n
        self.hits = [0] * n
        self.misses = [0] * n

    def probe(self, pid: int) -> None:
        """A pattern whose candidates do not recur (each e-mail address is new) stops being remembered.

        Called at a pattern's MEMO_PROBE-th miss in this process: when its
        memo hit fewer than once for every three misses, its answers are not
        kept any more. Each kept answer is a few tuples that live as long as
        the file's stream, and the lookups cost a copy and a hash each. Only
        speed depends on this, never what is found.
        """
        if 3 * self.hits[pid] < self.misses[pid]:
            self.on[pid] = False




#: a lane's events before its Hyperscan stream opens (never appended to)
_NO_EVENTS: dict[int, list[int]] = {}


def _hs_callback(hid: int, _from: int, to: int, _flags: int, events: defaultdict[int, list[int]]) -> None:
    events[hid].append(to)


def _u16_callback(hid: int, _from: int, to: int, _flags: int, ctx: list) -> None:
    """Detector event: ``ctx`` is [events, delta from detector to raw lane position]."""
    ctx[0][hid].append(to + ctx[1])


class Lane:
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
        self.pats = m.patterns
        #: the matcher's Hyperscan databases (None: the Python engine)
        self.hs = m.hs
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
        self.z_on = detects_u16 and m.hs is not None and m.hs.u16_db is not None
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
        hs = self.hs
        assert hs is not None
        self.events = defaultdict(list)
        self.hs_stream = hs.db.stream(match_event_handler=_hs_callback, context=self.events)
        self.hs_stream.__enter__()
        self.scratch = hs.scratch()
        self._open_z()

    def _open_z(self) -> None:
        """The UTF-16LE run detector's stream (when this lane drives detection)."""
        hs = self.hs
        if self.z_on and hs is not None:
            self.z_ctx = [self.events, 0]
            self.z_stream = hs.u16_db.stream(match_event_handler=_u16_callback, context=self.z_ctx)
            self.z_stream.__enter__()
            self.z_scratch = hs.u16_scratch()

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
            i = zero_end(data, 0)
        k = data.find(ZEROS, i)
        while k != -1:
            k += 2 - zt if k == 0 else 2  # a run's first two NULs are scanned
            j = zero_end(data, k)
            if k > i:
                ctx[1] = at + i - self.z_pos
                scan(data[i:k], scratch=scratch)
                self.z_pos += k - i
            i = j
            k = data.find(ZEROS, i)
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
        if self.hs is not None:
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
        if self.pos == 0 and not self.m.nl_matters:
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
        hs = self.hs
        if hs is not None and hs.block_db is not None:
            events: defaultdict[int, list[int]] = defaultdict(list)
            self.events = events
            hs.block_db.scan(data, match_event_handler=_hs_callback, context=events, scratch=hs.block_scratch())
            if self.z_on:
                self._open_z()
                self._z_scan(data, 0)
                self._close_hs()
        elif hs is not None:  # no block-mode copy: stream the whole lane
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
            with self.hs.lock:  # type: ignore[union-attr]  # close() uses the database's own scratch
                if self.hs_stream is not None:
                    self.hs_stream.close()
                if self.z_stream is not None:
                    self.z_stream.close()
            self.hs_stream = None
            self.z_stream = None

    def feed_tail(self) -> None:
        if self.hs is not None:
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
        u16 = owner.utf16 if self is owner.raw else None  # the raw lane drives the UTF-16LE pass
        if self.hs is not None:
            candidates = self._candidates_hs(final)
            if u16 is not None:
                u16.tail(final)
        else:
            if u16 is not None:
                u16.python_scan(final)
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
        hs = self.hs
        assert hs is not None
        u16 = self.owner.utf16
        if u16 is not None:
            u16_ends = events.pop(hs.u16_id, None)
            if u16_ends:
                u16_ends.sort()
                u16.runs(u16_ends)
        pats = self.pats
        targets = hs.targets
        margin = hs.margins
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
                    floor = e0 - MAX_RUN_BACK
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
        u16 = self.owner.utf16
        if u16 is not None and self is self.owner.raw:  # a UTF-16LE run may still start there
            keep_from = min(keep_from, u16.keep_from())
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
        vinfo = self.m.pattern_info
        # bytes for a one-shot lane, else a bytearray whose slices are copied to bytes
        buf: bytes = self.buf  # type: ignore[assignment]
        base = self.base
        enc = self.encoding
        to_offset = self.to_offset
        agg = owner.agg
        arts = owner.artefacts
        more = owner.more
        memo = self.memo
        # after the leading newline (lane position 0)
        head = self.head if base else bytes(buf[1 : HEAD_BYTES + 1])
        hc = HIT_CONTEXT_BYTES
        as_bytes = type(buf) is bytes  # a one-shot lane: slices are bytes already
        memo_stats = self.m.memo_stats
        memo_on = memo_stats.on
        memo_hits = memo_stats.hits
        memo_misses = memo_stats.misses
        raw_lane = to_offset is minus_one
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
                    memo_stats.probe(pid)
            data = buf[wlo - base : e + hc - base]
            if not as_bytes:
                data = bytes(data)
            start = s - wlo
            end = e - wlo
            offset = s - 1 if raw_lane else to_offset(s)
            try:
                found = list(validate(Hit(pattern_id, data, start, end, offset, enc, head)))
            except Exception as exc:  # noqa: BLE001 - a broken validator is recorded, not fatal
                owner.plugin_error(sidx, f"validate() raised {type(exc).__name__}: {exc}", offset)
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
                    owner.plugin_error(sidx, f"artefact type {a.type!r} not in emits", offset)
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
                        ctx = (hit_context(data[1:], start - 1, end - 1) if wlo == 0 and start > 0
                               else hit_context(data, start, end))
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
