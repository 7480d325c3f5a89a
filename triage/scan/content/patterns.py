"""Content scanners' patterns as the matcher uses them: compiled, analysed, and what validation needs.

A pattern's Python regex says *what* a match is (Hyperscan only says
*where* one ends); :func:`run_alphabet` works out from the parsed regex
which bytes a match can hold (digits and separators, base58, letters...),
so the matcher can look only at the run of such bytes around an event.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from triage.extractors.api import ContentScanner, Hit, Pattern
from triage.records import Artefact, ScanError

__all__ = ["CompiledPattern", "PatternInfo", "compile_patterns", "pattern_info", "python_regex", "run_alphabet",
           "run_regex",
           "scanner_error", "validator_for"]


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """One compiled pattern and the scanner that owns it.

    ``run`` matches a run of the bytes a match of the pattern can contain
    (None when that is every byte): see :meth:`triage.scan.content.lanes.Lane.candidates_hs`.
    """

    scanner: int
    pattern: Pattern
    rx: re.Pattern[bytes]
    max_len: int
    run: re.Pattern[bytes] | None = None
    #: the same alphabet as bytes, for ``rstrip`` (the run's start, looking back)
    alpha: bytes = b""


def python_regex(p: Pattern) -> re.Pattern[bytes]:
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


def run_alphabet(p: Pattern) -> bytes | None:
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


def run_regex(alpha: bytes | None) -> re.Pattern[bytes] | None:
    """``[alphabet]*``, or None."""
    if alpha is None:
        return None
    return re.compile(b"[" + b"".join(b"\\x%02x" % c for c in alpha) + b"]*")


def validator_for(scanner: ContentScanner, pattern_id: str) -> Callable[[Hit], Iterable[Artefact]]:
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


class PatternInfo(NamedTuple):
    """What validating one pattern's candidates needs, looked up once per pattern (the hot path unpacks it)."""

    pattern_id: str
    validate: Callable[[Hit], Iterable[Artefact]]
    scanner: int            # index of the owning scanner in the matcher's list
    emits: frozenset[str]   # the artefact types the scanner may return
    name: str               # the scanner's name and version, for the artefacts it returns
    version: str
    reach: int | None       # Pattern.reach: how far either side of a match its validator reads


def scanner_error(scanner: ContentScanner, message: str) -> ScanError:
    """A scanner's setup failure as the case records it (stage ``plugin``)."""
    return ScanError(stage="plugin", message=message, plugin=getattr(scanner, "name", "?"),
                     plugin_version=getattr(scanner, "version", "?"))


def compile_patterns(scanners: Sequence[ContentScanner],
                     ) -> tuple[list[ContentScanner], list[CompiledPattern], list[ScanError]]:
    """The scanners whose patterns all compile, their patterns, and an error for each scanner dropped.

    A pattern that does not compile, or matches the empty string, drops its
    scanner, never the whole matcher: one bad plugin must not hide the
    others' findings.
    """
    kept: list[ContentScanner] = []
    pats: list[CompiledPattern] = []
    errors: list[ScanError] = []
    for scanner in scanners:
        try:
            compiled = []
            for p in scanner.patterns:
                rx = python_regex(p)
                if rx.match(b""):
                    raise ValueError(f"pattern {p.id!r} matches the empty string")
                compiled.append((p, rx))
        except Exception as exc:  # noqa: BLE001 - a broken plugin is recorded, not fatal
            errors.append(scanner_error(scanner, f"pattern does not compile: {type(exc).__name__}: {exc}"))
            continue
        idx = len(kept)
        kept.append(scanner)
        for p, rx in compiled:
            alpha = run_alphabet(p)
            pats.append(CompiledPattern(idx, p, rx, max(1, int(p.max_len)), run_regex(alpha), alpha or b""))
    return kept, pats, errors


def pattern_info(scanners: Sequence[ContentScanner], pats: Sequence[CompiledPattern]) -> list[PatternInfo]:
    """Per pattern, what validation needs."""
    out = []
    for p in pats:
        sc = scanners[p.scanner]
        out.append(PatternInfo(p.pattern.id, validator_for(sc, p.pattern.id), p.scanner, frozenset(sc.emits),
                               sc.name, sc.version, p.pattern.reach))
    return out
