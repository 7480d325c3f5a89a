"""Compilation, caching, externals, windowing and error mapping of triage.scan.yara."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yara

from triage.records import Entry, ScanError
from triage.scan import yara as ty
from triage.scan.yara import (
    CompiledRules,
    RuleCompileError,
    YaraEngine,
    check_rules,
    compile_rules,
    escape_excerpt,
    filetype_from_magic,
)


def entry(path: str = "/var/www/html/index.php", size: int = 0) -> Entry:
    return Entry(path=path, name=path.rsplit("/", 1)[-1], inode=1, size=size, type="regular")


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


GOOD = 'rule good_{n} {{ strings: $a = "needle{n}" condition: $a }}\n'
BAD = 'rule broken {\n  strings:\n    $a = "x"\n  condition:\n    $a and $nope }\n'


# -- check / compile errors ---------------------------------------------------


def test_check_reports_bad_file_with_line(tmp_path: Path) -> None:
    write(tmp_path / "rules" / "a.yar", GOOD.format(n=1))
    bad = write(tmp_path / "rules" / "sub" / "b.yara", BAD)
    write(tmp_path / "rules" / "notes.txt", "not a rule")
    results = {Path(r.path).name: r for r in check_rules([tmp_path / "rules"])}
    assert set(results) == {"a.yar", "b.yara"}
    assert results["a.yar"].ok and results["a.yar"].rule_count == 1
    b = results["b.yara"]
    assert not b.ok and b.rule_count == 0
    assert b.message.startswith(f"{bad}:5: ")
    assert "$nope" in b.message


def test_compile_raises_listing_every_bad_file(tmp_path: Path) -> None:
    write(tmp_path / "r" / "a.yar", BAD)
    write(tmp_path / "r" / "b.yar", "rule x { condition: true and }\n")
    write(tmp_path / "r" / "c.yar", GOOD.format(n=3))
    with pytest.raises(RuleCompileError) as ei:
        compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "cache")
    lines = str(ei.value).splitlines()
    assert len(lines) == 2
    assert any("a.yar:5:" in ln for ln in lines) and any("b.yar:1:" in ln for ln in lines)


def test_skip_bad_compiles_the_rest(tmp_path: Path) -> None:
    write(tmp_path / "r" / "a.yar", BAD)
    write(tmp_path / "r" / "c.yar", GOOD.format(n=3))
    cr = compile_rules([tmp_path / "r"], bundled=False, skip_bad=True, cache_dir=tmp_path / "cache")
    assert [Path(s.path).name for s in cr.skipped] == ["a.yar"]
    assert cr.skipped[0].message and ":5:" in cr.skipped[0].message
    assert cr.rule_count == 1
    m, errs = cr.load().match_bytes(entry(), b"xx needle3 xx")
    assert [x.rule for x in m] == ["good_3"] and errs == []
    # the skipped list survives the cache
    again = compile_rules([tmp_path / "r"], bundled=False, skip_bad=True, cache_dir=tmp_path / "cache")
    assert again.from_cache and [Path(s.path).name for s in again.skipped] == ["a.yar"]


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        compile_rules([tmp_path / "nope"], bundled=False, cache_dir=tmp_path / "c")


# -- namespaces ---------------------------------------------------------------


def test_namespaces_relative_to_root_or_stem(tmp_path: Path) -> None:
    write(tmp_path / "set" / "apt" / "one.yar", 'rule dup { strings: $a = "zzz" condition: $a }')
    write(tmp_path / "set" / "two.yar", 'rule dup { strings: $a = "zzz" condition: $a }')
    single = write(tmp_path / "loose" / "three.yara", 'rule dup { strings: $a = "zzz" condition: $a }')
    cr = compile_rules([tmp_path / "set", single], bundled=False, cache_dir=tmp_path / "c")
    assert cr.namespaces == ["apt/one.yar", "two.yar", "three"]
    m, _ = cr.load().match_bytes(entry(), b"zzz")
    assert sorted(x.namespace for x in m) == ["apt/one.yar", "three", "two.yar"]


def test_bundled_namespace_prefix(tmp_path: Path) -> None:
    cr = compile_rules(cache_dir=tmp_path)
    assert cr.rule_count >= 20
    assert all(ns.startswith("triage/") for ns in cr.namespaces)


# -- cache ----------------------------------------------------------------------


def test_cache_reused_and_invalidated(tmp_path: Path) -> None:
    rf = write(tmp_path / "r" / "a.yar", GOOD.format(n=1))
    cache = tmp_path / "cache"
    n0 = ty.compile_count()
    first = compile_rules([tmp_path / "r"], bundled=False, cache_dir=cache)
    assert ty.compile_count() == n0 + 1 and not first.from_cache
    mtime = first.path.stat().st_mtime_ns
    second = compile_rules([tmp_path / "r"], bundled=False, cache_dir=cache)
    assert ty.compile_count() == n0 + 1  # no recompilation
    assert second.from_cache and second.path == first.path and second.path.stat().st_mtime_ns == mtime
    assert second.rule_count == first.rule_count == 1
    rf.write_text(GOOD.format(n=1) + GOOD.format(n=2))
    third = compile_rules([tmp_path / "r"], bundled=False, cache_dir=cache)
    assert ty.compile_count() == n0 + 2 and third.path != first.path and third.rule_count == 2


def test_cache_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_CACHE_DIR", str(tmp_path / "envcache"))
    write(tmp_path / "r" / "a.yar", GOOD.format(n=1))
    cr = compile_rules([tmp_path / "r"], bundled=False)
    assert cr.path.parent == tmp_path / "envcache" / "yara"


def test_compiled_rules_pickle_and_load_in_worker(tmp_path: Path) -> None:
    write(tmp_path / "r" / "a.yar", GOOD.format(n=7))
    cr = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c")
    clone: CompiledRules = pickle.loads(pickle.dumps(cr))
    m, _ = clone.load().match_bytes(entry(), b"needle7")
    assert m[0].rule == "good_7"


# -- externals ------------------------------------------------------------------

EXT_RULE = r'''
rule php_index { condition: extension == ".php" and filename matches /index/ }
rule in_www { condition: filepath contains "/var/www" }
rule exe_type { condition: filetype == "EXE" }
rule owned { condition: owner == "alice" }
'''


def test_externals_compile_without_definitions_and_behave(tmp_path: Path) -> None:
    write(tmp_path / "r" / "ext.yar", EXT_RULE)
    assert check_rules([tmp_path / "r"])[0].ok
    eng = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c").load()
    m, _ = eng.match_bytes(entry("/var/www/html/index.php"), b"<?php", filetype="SCRIPT")
    assert {x.rule for x in m} == {"php_index", "in_www"}
    m, _ = eng.match_bytes(entry("/home/alice/index.PHP"), b"<?php", owner="alice")
    assert {x.rule for x in m} == {"php_index", "owned"}
    m, _ = eng.match_bytes(entry("/tmp/x.dll"), b"MZ\x90", filetype=filetype_from_magic("", "", b"MZ\x90"))
    assert {x.rule for x in m} == {"exe_type"}


def test_filetype_from_magic() -> None:
    assert filetype_from_magic("application/x-dosexec", "PE32 executable", b"MZ\x90\x00") == "EXE"
    assert filetype_from_magic("", "", b"\x7fELF\x02") == "ELF"
    assert filetype_from_magic("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "",
                               b"PK\x03\x04") == "ZIP"
    assert filetype_from_magic("application/pdf", "", b"%PDF-1.7") == "PDF"
    assert filetype_from_magic("", "", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") == "DOC"
    assert filetype_from_magic("", "", b"Rar!\x1a\x07\x01\x00") == "RAR"
    assert filetype_from_magic("", "", b"7z\xbc\xaf\x27\x1c") == "7Z"
    assert filetype_from_magic("", "", b"\x1f\x8b\x08") == "GZIP"
    assert filetype_from_magic("", "", b"\xff\xd8\xff\xe0") == "JPEG"
    assert filetype_from_magic("", "", b"\x89PNG\r\n\x1a\n") == "PNG"
    assert filetype_from_magic("", "", b"GIF89a") == "GIF"
    assert filetype_from_magic("text/x-php", "PHP script, ASCII text", b"<?php") == "SCRIPT"
    assert filetype_from_magic("text/plain", "ASCII text", b"#!/bin/sh\n") == "SCRIPT"
    assert filetype_from_magic("text/html", "HTML document", b"<html>") == "HTML"
    assert filetype_from_magic("text/plain", "ASCII text", b"hello") == "TEXT"
    assert filetype_from_magic("application/octet-stream", "data", b"\x00\x01") == "UNKNOWN"


# -- matching, strings, windows -------------------------------------------------


def test_strings_and_excerpts(tmp_path: Path) -> None:
    write(tmp_path / "r" / "s.yar", 'rule s { meta: score = 50 strings: $a = "ab\\x00cd" $b = "needle" '
          'condition: all of them }')
    eng = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c").load()
    data = b"..ab\x00cd..needle..needle"
    m, errs = eng.match_bytes(entry(), data)
    assert errs == [] and len(m) == 1
    assert m[0].meta == {"score": 50} and m[0].namespace == "s.yar"
    assert [(s.identifier, s.offset, s.excerpt) for s in m[0].strings] == [
        ("$a", 2, "ab\\x00cd"), ("$b", 9, "needle"), ("$b", 17, "needle")]


def test_escape_excerpt() -> None:
    assert escape_excerpt(b"A\\B\n\xff") == "A\\x5cB\\x0a\\xff"
    assert len(escape_excerpt(b"x" * 200)) == 64


def test_window_scan_finds_string_across_boundary(tmp_path: Path) -> None:
    write(tmp_path / "r" / "w.yar", 'rule w { strings: $a = "BOUNDARYNEEDLE" condition: $a }\n'
          'rule first { condition: uint16(0) == 0x5A4D }')
    cr = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c")
    eng = cr.load(whole_file_max_bytes=1000, window_bytes=400, overlap_bytes=50)
    data = bytearray(b"MZ" + b"." * 3998)
    pos = 400 - 7  # straddles the end of window 0 (0..400)
    data[pos:pos + 14] = b"BOUNDARYNEEDLE"
    pos2 = 3000
    data[pos2:pos2 + 14] = b"BOUNDARYNEEDLE"
    s = eng.stream(entry(size=len(data)), "EXE")
    for i in range(0, len(data), 123):  # odd chunk sizes
        s.feed(bytes(data[i:i + 123]))
    m, errs = s.close()
    assert errs == []
    byrule = {x.rule: x for x in m}
    assert set(byrule) == {"w", "first"}
    assert [s.offset for s in byrule["w"].strings] == [pos, pos2]  # file offsets, deduplicated


def test_small_file_matched_whole(tmp_path: Path) -> None:
    write(tmp_path / "r" / "w.yar", 'rule size { condition: filesize == 5000 }')
    eng = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c").load(
        whole_file_max_bytes=8000, window_bytes=400, overlap_bytes=50)
    s = eng.stream(entry(), "")
    for _ in range(50):
        s.feed(b"x" * 100)
    assert [x.rule for x in s.close()[0]] == ["size"]


def test_empty_file(tmp_path: Path) -> None:
    write(tmp_path / "r" / "e.yar", 'rule empty { condition: filesize == 0 }')
    eng = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c").load()
    assert [x.rule for x in eng.stream(entry(), "").close()[0]] == ["empty"]


def test_max_strings_per_match(tmp_path: Path) -> None:
    write(tmp_path / "r" / "m.yar", 'rule many { strings: $a = "ab" condition: $a }')
    eng = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c").load(max_strings_per_match=10)
    m, _ = eng.match_bytes(entry(), b"ab" * 1000)
    assert len(m[0].strings) == 10


# -- errors never raise -----------------------------------------------------------


class _FakeRules:
    def __init__(self, exc: Exception):
        self.exc = exc
        self.timeouts: list[int] = []

    def match(self, *, data: bytes, externals: dict, timeout: int, warnings_callback=None):  # noqa: ANN201
        self.timeouts.append(timeout)
        raise self.exc


def test_timeout_becomes_scan_error() -> None:
    fake = _FakeRules(yara.TimeoutError("timed out"))
    eng = YaraEngine(fake, timeout=7)  # type: ignore[arg-type]
    m, errs = eng.match_bytes(entry(), b"data")
    assert m == [] and fake.timeouts == [7]
    assert errs == [ScanError(stage="yara", message="timeout after 7s", path="/var/www/html/index.php", offset=0)]


def test_timeout_stops_window_scanning() -> None:
    fake = _FakeRules(yara.TimeoutError("timed out"))
    eng = YaraEngine(fake, timeout=1, whole_file_max_bytes=10, window_bytes=20, overlap_bytes=5)  # type: ignore[arg-type]
    s = eng.stream(entry(), "")
    for _ in range(20):
        s.feed(b"x" * 10)
    _, errs = s.close()
    assert len(fake.timeouts) == 1 and len(errs) == 1 and errs[0].message == "timeout after 1s"


def test_real_timeout_with_slow_rule(tmp_path: Path) -> None:
    """A genuinely slow rule on big data: YARA's own timeout fires, we record it."""
    write(tmp_path / "r" / "slow.yar",
          'rule slow { strings: $a = "aa" condition: for all i in (1..#a) : '
          '(for all j in (1..#a) : (@a[i] + @a[j] >= 0)) }')
    eng = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c").load(timeout=1)
    m, errs = eng.match_bytes(entry(), b"a" * 2_000_000)
    assert [e.message for e in errs if e.message.startswith("timeout")] == ["timeout after 1s"]
    assert all(e.stage == "yara" for e in errs)
    assert m == []


def test_too_many_matches_recorded_once(tmp_path: Path) -> None:
    write(tmp_path / "r" / "many.yar", 'rule many { strings: $a = "ab" condition: #a > 5 }')
    eng = compile_rules([tmp_path / "r"], bundled=False, cache_dir=tmp_path / "c").load()
    m, errs = eng.match_bytes(entry(), b"ab" * 1_100_000)
    assert [x.rule for x in m] == ["many"]
    assert len(errs) == 1 and "too many matches" in errs[0].message and "$a" in errs[0].message


def test_yara_error_becomes_scan_error() -> None:
    eng = YaraEngine(_FakeRules(yara.Error("internal error: 30")))  # type: ignore[arg-type]
    m, errs = eng.match_bytes(entry(), b"data")
    assert m == [] and errs[0].stage == "yara" and "internal error: 30" in errs[0].message
