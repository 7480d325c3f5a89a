"""The multi-pattern engine: chunking, UTF-16LE, isolation, engines agree, bounded memory."""

from __future__ import annotations

import os
import random

import pytest

from tests.plugins.conftest import ENGINES, values
from triage.plugins.api import Hit, Pattern
from triage.plugins.manager import discover
from triage.scan.content import ContentMatcher, MatchStream, hyperscan_available
from triage.text import escape_bytes
from triage.records import Artefact

EXPECTED_SCANNERS = {"cards", "banking", "identity", "selectors", "credentials", "bitcoin", "ethereum",
                     "litecoin", "tron", "monero", "bip39", "crypto_keys"}

SAMPLE = (
    b"junk \x00\x01 card 4111 1111 1111 1111 then IBAN GB82 WEST 1234 5698 7654 32.\n"
    b"mail bob.smith@example.co.uk, visit https://www.example.org/a?b=c.\n"
    b"BTC bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 and 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa\n"
    b"victim@example.com:Summer2024!\n"
    b"NINO JG103759A phone 020 7946 0018 ip 203.0.113.45\n"
)


def _key(arts: list[Artefact]) -> list[tuple]:
    return [(a.type, a.value, a.offset, a.encoding) for a in arts]


def test_discover_includes_every_shipped_scanner(scanners) -> None:
    names = {s.name for s in scanners}
    assert EXPECTED_SCANNERS <= names
    for s in scanners:
        if s.name in EXPECTED_SCANNERS:
            assert s.kind == "content" and s.emits and s.patterns


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_chunk_size_does_not_change_results(scan, engine: str, chunk: int) -> None:
    data = os.urandom(3000) + SAMPLE + os.urandom(5000) + SAMPLE
    ref = _key(scan(data, engine=engine, chunk=1 << 20))
    assert _key(scan(data, engine=engine, chunk=chunk)) == ref
    assert ("payment_card", "4111111111111111", 3000 + SAMPLE.index(b"4111"), "ascii") in ref


@pytest.mark.parametrize("engine", ENGINES)
def test_hit_spanning_a_chunk_boundary(scan, engine: str) -> None:
    data = b"x" * 100 + b" 4111111111111111 " + b"y" * 100
    for cut in range(100, 120):
        st_arts = []
        m = ContentMatcher([s for s in discover(entry_points=False).scanners if s.name == "cards"], engine=engine)
        st = m.stream()
        st.feed(data[:cut])
        st.feed(data[cut:])
        st_arts, errs = st.close()
        assert [(a.value, a.offset) for a in st_arts] == [("4111111111111111", 101)], cut


@pytest.mark.parametrize("engine", ENGINES)
def test_utf16le_hit_has_original_offset(scan, engine: str) -> None:
    prefix = os.urandom(1001)
    text = "Card: 4000 0566 5566 5556 mail a.user@example.com\r\n".encode("utf-16le")
    data = prefix + text + b"\x00\xff" * 10
    arts = scan(data, engine=engine, chunk=333)
    cards = [a for a in arts if a.type == "payment_card"]
    assert [(a.value, a.offset, a.encoding) for a in cards] == [
        ("4000056655665556", 1001 + text.index("4".encode("utf-16le")), "utf-16le")
    ]
    assert cards[0].raw == "4000 0566 5566 5556"
    assert "a.user@example.com" in values(arts, "email")


@pytest.mark.parametrize("engine", ENGINES)
def test_long_utf16_run_across_many_chunks(scan, engine: str) -> None:
    body = ("lorem ipsum " * 5000 + " 4111111111111111 " + "dolor " * 3000).encode("utf-16le")
    arts = scan(b"\x01\x02\x03" + body, engine=engine, chunk=65536)
    cards = [a for a in arts if a.type == "payment_card"]
    assert len(cards) == 1 and cards[0].encoding == "utf-16le"
    assert cards[0].offset == 3 + body.index("4111".encode("utf-16le"))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("chunk", [7, 4093, 65536, 1 << 20, None])
def test_utf16_run_in_zeros_found_at_both_alignments(scan, matchers, engine: str, chunk: int | None) -> None:
    # zero-filled areas (unallocated space, sparse files): the UTF-16LE run
    # detector skips the inside of long NUL runs, yet must find every run in
    # them, at even and odd offsets, with a NUL or non-NUL terminator, and
    # across chunk boundaries (the 4096 and 65536 offsets straddle chunks)
    text = "Card: 4000 0566 5566 5556 mail a.user@example.com".encode("utf-16le")
    card_at = text.index("4".encode("utf-16le"))
    data = bytearray(300_000)
    starts = [1000, 2001, 4096 - 20, 4096 * 3 - 41, 65536 - 30, 65536 * 2 - 55, 200_000 + 7]
    for i, p in enumerate(starts):
        data[p : p + len(text)] = text
        if i % 2:
            data[p + len(text)] = 0xFF
    data = bytes(data)
    if chunk is None:
        arts, errs = matchers[engine].scan_bytes(data)
        assert errs == []
    else:
        arts = scan(data, engine=engine, chunk=chunk)
    cards = [(a.value, a.offset, a.encoding) for a in arts if a.type == "payment_card"]
    assert cards == [("4000056655665556", p + card_at, "utf-16le") for p in starts]
    assert values(arts, "email").count("a.user@example.com") == len(starts)


@pytest.mark.parametrize("engine", ENGINES)
def test_utf16_run_right_after_zeros_in_previous_chunk(scanners, engine: str) -> None:
    # the NUL run ends exactly at a chunk end; the run starts the next chunk
    text = " 4111111111111111 ".encode("utf-16le")
    for lead in (0, 1, 2, 3):
        m = ContentMatcher(scanners, engine=engine)
        st = m.stream()
        st.feed(bytes(2 << 20))
        st.feed(bytes(lead) + text + bytes(100))
        st.feed(bytes(5000))
        arts, _ = st.close()
        got = [(a.value, a.offset) for a in arts if a.type == "payment_card"]
        assert got == [("4111111111111111", (2 << 20) + lead + 2)], lead


class _Boom:
    name = "boom"
    version = "0.1"
    kind = "content"
    emits = ("payment_card",)
    patterns = (Pattern("digits", rb"\b\d{16}\b", max_len=16),)

    def validate(self, hit: Hit):
        raise RuntimeError("validator bug")


@pytest.mark.parametrize("engine", ENGINES)
def test_raising_validator_becomes_scan_error_others_go_on(scanners, engine: str) -> None:
    m = ContentMatcher([_Boom(), *scanners], engine=engine)
    st = m.stream()
    st.feed(b"card 4111111111111111 and 5555555555554444\n")
    arts, errs = st.close()
    assert {a.value for a in arts if a.type == "payment_card"} == {"4111111111111111", "5555555555554444"}
    assert len(errs) == 2
    assert all(e.stage == "plugin" and e.plugin == "boom" and e.plugin_version == "0.1" for e in errs)
    assert "validator bug" in errs[0].message and errs[0].offset == 5


def test_broken_pattern_drops_only_its_scanner(scanners) -> None:
    class Bad(_Boom):
        name = "bad"
        patterns = (Pattern("x", rb"(unclosed", max_len=4),)

    m = ContentMatcher([Bad(), *scanners])
    assert [e.plugin for e in m.errors] == ["bad"]
    st = m.stream()
    st.feed(b"4111111111111111\n")
    assert values(st.close()[0], "payment_card") == ["4111111111111111"]


@pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not installed")
def test_python_fallback_matches_hyperscan(scan) -> None:
    rnd = random.Random(7)
    parts = []
    for _ in range(200):
        parts.append(os.urandom(rnd.randrange(0, 300)))
        parts.append(SAMPLE)
        parts.append(SAMPLE.decode().encode("utf-16le"))
    data = b"".join(parts)
    hs = _key(scan(data, engine="hyperscan", chunk=10_000))
    py = _key(scan(data, engine="python", chunk=10_000))
    assert hs == py
    assert len(hs) > 2000


def test_env_var_forces_python_engine(monkeypatch, scanners) -> None:
    monkeypatch.setenv("TRIAGE_NO_HYPERSCAN", "1")
    assert ContentMatcher(scanners).engine == "python"


@pytest.mark.parametrize("engine", ENGINES)
def test_overlapping_candidates_are_deduplicated(scan, engine: str) -> None:
    # one card reported once, not once per overlapping digit window
    arts = scan(b"xx 4111-1111-1111-1111 yy 4111111111111111\n", engine=engine)
    assert values(arts, "payment_card") == ["4111111111111111", "4111111111111111"]
    assert len({a.offset for a in arts if a.type == "payment_card"}) == 2


@pytest.mark.parametrize("engine", ENGINES)
def test_memory_stays_bounded(scanners, engine: str) -> None:
    m = ContentMatcher(scanners, engine=engine)
    st: MatchStream = m.stream()
    text = "mail bob@example.com and more words\n".encode("utf-16-le") * 50
    block = os.urandom((1 << 20) - len(text)) + text
    for _ in range(6):
        st.feed(block)
    assert len(st.raw.buf) < 2 << 20
    assert st.utf16 is not None and st.utf16.lane is not None and len(st.utf16.lane.buf) < 1 << 20
    st.close()


def test_context_is_escaped_and_short(scan) -> None:
    arts = scan(b"\x00" * 200 + b"card 4111111111111111 \xff\n" + b"z" * 300)
    card = next(a for a in arts if a.type == "payment_card")
    before, _, rest = card.context.partition("[")
    hit, _, after = rest.partition("]")
    assert hit == "4111111111111111"
    assert len(before) <= 80 and len(after) <= 80
    assert "\\x00" in before and "\\xff" in after
    assert card.plugin == "cards" and card.plugin_version


def _reference_context(data: bytes, start: int, end: int) -> str:
    """The context rule spelled out slowly: escape each side, keep 80 characters, never half an escape."""
    def side(raw: bytes, tail: bool) -> str:
        pieces = [escape_bytes(raw[i:i + 1]) for i in range(len(raw))]
        kept: list[str] = []
        for p in reversed(pieces) if tail else pieces:
            if sum(map(len, kept)) + len(p) > 80:
                break
            kept.append(p)
        return "".join(reversed(kept) if tail else kept)

    return f"{side(data[max(0, start - 80):start], True)}[{escape_bytes(data[start:end][:256])}]" \
           f"{side(data[end:end + 80], False)}"


def test_context_matches_its_rule_on_hostile_bytes() -> None:
    # the one-pass excerpt (one escape search for all three pieces) against the rule itself
    from triage.scan.content.context import hit_context as _context

    rnd = random.Random(7)
    # line breaks alone are the excerpt's quick path: many of them, and a few
    alphabets = [b"a\n\\\x00\xffZ 1", b"aZ 1", bytes(range(256)), b"aZ 1\n\n\n", b"aZ 1 aZ 1 aZ 1\n"]
    for _ in range(5000):
        alpha = rnd.choice(alphabets)
        data = bytes(rnd.choice(alpha) for _ in range(rnd.randrange(0, 700)))
        start = rnd.randrange(0, len(data) + 1)
        end = rnd.randrange(start, min(len(data), start + 400) + 1)
        assert _context(data, start, end) == _reference_context(data, start, end)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("reach", [None, 0, 1])
def test_reach_validates_a_repeated_candidate_once(engine: str, reach: int | None) -> None:
    # with a reach, a repeat of the same bytes (and the bytes around them, as
    # far as the reach goes) is counted into the first answer, not validated
    calls: list[bytes] = []

    class Tokens:
        name, version, kind, emits = "tokens", "1", "content", ("credential",)
        patterns = (Pattern("tok", rb"\btok-\d\d\b", max_len=6, reach=reach),)

        def validate(self, hit: Hit):  # noqa: ANN201
            calls.append(hit.match)
            if hit.match != b"tok-00":
                yield Artefact(type="credential", value=hit.match.decode())

    data = b"tok-11 tok-11 tok-00 tok-11,tok-11 tok-00\n" * 3
    st = ContentMatcher([Tokens()], engine=engine).stream(aggregate=True)
    st.feed(data)
    arts, errs = st.close()
    assert errs == []
    assert [(a.value, a.count, a.offset) for a in arts] == [("tok-11", 12, 0)]
    if reach is None:
        assert len(calls) == 18
    elif reach == 0:
        assert sorted(calls) == [b"tok-00", b"tok-11"]  # one call per distinct match
    else:  # one byte each side: " tok-11 ", " tok-11,", ",tok-11 ", "\ntok-11 ", ...
        assert 2 < len(calls) < 18


def test_escape_bytes() -> None:
    assert escape_bytes(b"a\\b\x00\n") == "a\\x5cb\\x00\\x0a"


def test_virtual_newline_gives_line_start_at_offset_zero(scan) -> None:
    arts = scan(b"first@example.com:Passw0rd!")
    cred = [a for a in arts if a.type == "credential"]
    assert [(a.value, a.offset) for a in cred] == [("first@example.com:Passw0rd!", 0)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("chunk", [4093, 1 << 20])
def test_aggregating_stream_equals_aggregating_every_hit(matchers, engine: str, chunk: int) -> None:
    # the engine asks the stream to fold identical hits as it goes (skipping
    # their context); the rows must be those of folding the full hit list:
    # earliest copy, summed count, its own context - also when the earliest
    # copy is UTF-16LE text found after a later ASCII copy was validated
    from triage.scan.engine import aggregate_artefacts

    line = b"pay 4111 1111 1111 1111 to a.user@example.com or call +44 7700 900123\n"
    data = (b"x" * 50 + "card 4111111111111111 from b.user@example.org\n".encode("utf-16le")
            + bytes(100) + line * 40 + b"\x00" * 5000 + line.replace(b"a.user", b"c.user") * 3)

    def run(aggregate: bool) -> list:
        st = matchers[engine].stream(aggregate=aggregate)
        for i in range(0, len(data), chunk):
            st.feed(data[i : i + chunk])
        arts, errs = st.close()
        assert errs == []
        return arts

    folded = run(True)
    expected = aggregate_artefacts(run(False))
    key = lambda a: (a.type, a.value)  # noqa: E731
    assert sorted(folded, key=key) == sorted(expected, key=key)
    counts = {(a.type, a.value): a.count for a in folded}
    assert counts[("payment_card", "4111111111111111")] == 44
    assert counts[("email", "a.user@example.com")] == 40
    card = next(a for a in folded if a.type == "payment_card")
    assert card.encoding == "utf-16le" and card.offset == 50 + 10


def test_validator_for_is_called_directly_and_validate_otherwise() -> None:
    """A scanner's ``validator_for`` answer replaces ``validate`` for its pattern; None keeps ``validate``."""
    calls: list[str] = []

    class Both:
        name, version, kind, emits = "both", "1", "content", ("thing",)
        patterns = (Pattern("fast", rb"FAST\d", max_len=5), Pattern("slow", rb"SLOW\d", max_len=5))

        def validator_for(self, pattern_id: str):  # noqa: ANN201
            return self.fast if pattern_id == "fast" else None

        def fast(self, hit):  # noqa: ANN001, ANN201
            calls.append("fast")
            return [Artefact("thing", hit.match.decode())]

        def validate(self, hit):  # noqa: ANN001, ANN201
            calls.append("validate:" + hit.pattern_id)
            return [Artefact("thing", hit.match.decode())]

    arts, errs = ContentMatcher([Both()]).scan_bytes(b"FAST1 SLOW2")
    assert errs == [] and sorted(a.value for a in arts) == ["FAST1", "SLOW2"]
    assert sorted(calls) == ["fast", "validate:slow"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_closed_stream_is_freed_without_the_garbage_collector(scanners, engine: str) -> None:
    """No reference cycle is left between a stream and its lanes: its buffers go at once."""
    import gc
    import weakref

    m = ContentMatcher(scanners, engine=engine)
    was = gc.isenabled()
    gc.disable()
    try:
        for data, chunk in ((b"card 4111111111111111\n", 1 << 20),
                            (b"x" * 3_000_000 + "mail bob@example.com\n".encode("utf-16-le"), 1 << 20)):
            st = m.stream(aggregate=True)
            for i in range(0, len(data), chunk):
                st.feed(data[i : i + chunk])
            arts, errs = st.close()
            assert arts and errs == []
            u16 = st.utf16.lane if st.utf16 is not None else None
            refs = [weakref.ref(st), weakref.ref(st.raw)] + ([weakref.ref(u16), weakref.ref(st.utf16)] if u16 else [])
            del u16
            del st
            assert [r() for r in refs] == [None] * len(refs)
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize("engine", [e for e in ENGINES if e == "hyperscan"])
def test_without_a_block_database_one_shot_files_stream(scanners, monkeypatch, engine: str) -> None:
    """The block-mode copy is a shortcut: if it cannot be compiled, whole small files are streamed."""
    import triage.scan.content.database as matcher_module

    real = matcher_module.compile_db

    def no_block(hs, mode, *args):  # noqa: ANN001, ANN202
        if mode == hs.HS_MODE_BLOCK:
            raise RuntimeError("refused")
        return real(hs, mode, *args)

    data = b"card 4111111111111111 mail bob@example.com\n" + "x alice@example.org y".encode("utf-16-le")
    want, _ = ContentMatcher(scanners, engine=engine).scan_bytes(data)
    monkeypatch.setattr(matcher_module, "compile_db", no_block)
    m = ContentMatcher(scanners, engine=engine)
    assert m.hs is not None and m.hs.block_db is None and m.errors == []
    arts, errs = m.scan_bytes(data)
    assert errs == []
    assert [(a.type, a.value, a.offset, a.encoding) for a in arts] == [
        (a.type, a.value, a.offset, a.encoding) for a in want]
    assert {("payment_card", "ascii"), ("email", "utf-16le")} <= {(a.type, a.encoding) for a in arts}


def test_the_old_module_paths_still_import() -> None:
    """``triage.plugins.matcher`` and ``triage.plugins.hscache`` stay as aliases for one release."""
    import triage.plugins.hscache as old_cache
    import triage.plugins.matcher as old
    from triage.scan.content import hscache, matcher

    assert old.ContentMatcher is matcher.ContentMatcher and old.MatchStream is matcher.MatchStream
    assert old.ONE_SHOT_MAX == matcher.ONE_SHOT_MAX and old.compile_db is hscache.compile_db
    assert old_cache.compile_db is hscache.compile_db
