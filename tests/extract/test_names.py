"""Host-safe names: no traversal, no separators, no controls, no device names, bounded, collisions numbered."""

from __future__ import annotations

import pytest

from triage.extract.names import MAX_NAME_BYTES, NameAllocator, safe_name


@pytest.mark.parametrize("name, expected", [
    ("report.pdf", "report.pdf"),
    ("..", "unnamed"),
    (".", "unnamed"),
    ("../../etc/passwd", "_._.._etc_passwd"),
    ("..%2f..%2fetc%2fpasswd", "_.%2f..%2fetc%2fpasswd"),
    ("a\\b", "a_b"),
    ("line1\nline2\ttab\r.txt", "line1_line2_tab_.txt"),
    ("CON", "_CON"),
    ("aux.txt", "_aux.txt"),
    ("NUL.log", "_NUL.log"),
    ("com1", "_com1"),
    ("LPT9.tar.gz", "_LPT9.tar.gz"),
    ("CONSOLE.txt", "CONSOLE.txt"),  # only the exact device names
    ("trailing. . ", "trailing"),
    ("file:stream", "file_stream"),
    ('<img src=x onerror=alert(1)>.txt', "_img src=x onerror=alert(1)_.txt"),
    ("invoice\u202egpj.exe", "invoice_gpj.exe"),
    ("", "unnamed"),
    ("café £.txt", "café £.txt"),
])
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_long_names_keep_their_extension_within_the_bound() -> None:
    name = "L" * 240 + ".txt"
    out = safe_name(name)
    assert out.endswith(".txt") and len(out.encode("utf-8")) <= MAX_NAME_BYTES
    wide = "é" * 300 + ".docx"  # two bytes each: cut on a character boundary
    out = safe_name(wide)
    assert out.endswith(".docx") and len(out.encode("utf-8")) <= MAX_NAME_BYTES
    out.encode("utf-8").decode("utf-8")


def test_collisions_are_numbered_case_insensitively() -> None:
    names = NameAllocator({"taken.txt"})
    assert names.allocate("a.txt") == "a.txt"
    assert names.allocate("A.TXT") == "A (2).TXT"
    assert names.allocate("a.txt") == "a (3).txt"
    assert names.allocate("taken.txt") == "taken (2).txt"
    long = "L" * 240 + ".txt"
    first, second = names.allocate(long), names.allocate(long)
    assert first != second and second.endswith(" (2).txt")
    assert len(second.encode("utf-8")) <= MAX_NAME_BYTES
