"""The saved Hyperscan databases: reused when good, rebuilt when not, never a different answer."""

from __future__ import annotations

import hashlib

import pytest

from triage.scan.content import ContentMatcher, hyperscan_available

pytestmark = pytest.mark.skipif(not hyperscan_available(), reason="hyperscan not importable on this platform")

DATA = (b"card 4111 1111 1111 1111, mail bob.smith@example.co.uk, NINO JG103759A\n"
        + "utf16 alice@example.org here\n".encode("utf-16-le"))


def _found(m: ContentMatcher) -> list[tuple]:
    arts, errs = m.scan_bytes(DATA)
    assert errs == []
    return sorted((a.type, a.value, a.offset, a.encoding) for a in arts)


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "hyperscan"


@pytest.fixture()
def compiles(monkeypatch):
    """Counts the real Hyperscan databases made (each is then compiled)."""
    import hyperscan

    made = []
    real = hyperscan.Database

    def counting(*a, **kw):
        made.append(kw.get("mode"))
        return real(*a, **kw)

    monkeypatch.setattr(hyperscan, "Database", counting)
    return made


def _files(cache):
    return sorted(cache.glob("*.hsdb"))


def test_second_matcher_loads_what_the_first_compiled(scanners, cache, compiles):
    first = ContentMatcher(scanners, engine="hyperscan")
    # the main database (stream and block mode) and the UTF-16LE run detector
    assert sorted(compiles) == [1, 2, 2]  # hyperscan's HS_MODE_BLOCK is 1, HS_MODE_STREAM 2
    assert len(_files(cache)) == 3
    for f in _files(cache):
        raw = f.read_bytes()
        assert hashlib.sha256(raw[32:]).digest() == raw[:32]
    second = ContentMatcher(scanners, engine="hyperscan")
    assert len(compiles) == 3  # nothing compiled again
    expected = _found(first)
    assert ("payment_card", "4111111111111111", 5, "ascii") in expected
    assert any(t == "email" and e == "utf-16le" for t, _, _, e in expected)
    assert _found(second) == expected


@pytest.mark.parametrize("damage", ["flip", "truncate", "valid digest, not a database"])
def test_a_damaged_copy_is_compiled_again_and_replaced(scanners, cache, compiles, damage):
    expected = _found(ContentMatcher(scanners, engine="hyperscan"))
    main = max(_files(cache), key=lambda f: f.stat().st_size)
    raw = main.read_bytes()
    if damage == "flip":
        bad = raw[:1000] + bytes([raw[1000] ^ 0xFF]) + raw[1001:]
    elif damage == "truncate":
        bad = raw[: len(raw) // 2]
    else:
        body = b"not a hyperscan database" * 10
        bad = hashlib.sha256(body).digest() + body
    main.write_bytes(bad)
    compiles.clear()
    again = ContentMatcher(scanners, engine="hyperscan")
    assert len(compiles) == 1  # the main database alone was rebuilt
    assert _found(again) == expected
    assert main.read_bytes() != bad  # and saved again
    fixed = main.read_bytes()
    assert hashlib.sha256(fixed[32:]).digest() == fixed[:32]


def test_an_unwritable_cache_only_costs_the_compile(scanners, tmp_path, monkeypatch, compiles):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(blocker))
    m = ContentMatcher(scanners, engine="hyperscan")
    assert len(compiles) == 3
    assert ("payment_card", "4111111111111111", 5, "ascii") in _found(m)


def test_other_patterns_get_their_own_database(scanners, cache):
    ContentMatcher(scanners, engine="hyperscan")
    before = set(_files(cache))
    fewer = [s for s in scanners if s.name != "cards"]
    m = ContentMatcher(fewer, engine="hyperscan")
    after = set(_files(cache))
    assert after > before  # new databases beside the first set, which stays for the full set's next use
    assert not any(t == "payment_card" for t, *_ in _found(m))
