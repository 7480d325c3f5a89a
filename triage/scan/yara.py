"""YARA rule compilation, caching and streaming matching.

Why this module looks the way it does:

* Rule sets are compiled **once** in the parent process and saved with
  ``Rules.save``; worker processes ``yara.load`` the saved file. Compiling a
  public rule set (thousands of rules) takes seconds, loading takes
  milliseconds, and a compiled ``yara.Rules`` object cannot be pickled.
* The compiled file is cached, keyed by a SHA-256 over the YARA version, every
  rule file's namespace, path and content, and the external variables, so a
  second run with the same rules does not recompile at all.
* Every rule file gets its own **namespace** so two public sets that both
  define ``rule Suspicious_PowerShell`` do not collide. The namespace is the
  file's path relative to the directory it was found under (``/`` separated,
  e.g. ``apt/apt_foo.yar``); a file given directly uses its file name stem.
  Bundled rules use their path relative to the ``triage_rules`` package,
  prefixed ``triage/``. Duplicates get ``#2``, ``#3``... appended.
* The external variables that LOKI and THOR-Lite define (``filename``,
  ``filepath``, ``extension``, ``filetype``, ``owner``, ``md5``) are declared
  at compile time with empty defaults, because public rule sets reference them
  and do not compile without them.
* Evidence files arrive as a stream of chunks (one read pass feeds hashing,
  magic, YARA and the extractors). Files up to ``whole_file_max_bytes`` are
  buffered and matched once; larger files are matched in overlapping windows
  so memory stays bounded. See docs/yara.md for what windowing changes.
* Nothing here raises during matching: YARA errors and timeouts become
  :class:`~triage.records.ScanError` records so one pathological file cannot
  stop a triage run.
"""

from __future__ import annotations

import hashlib
import math
import importlib.resources
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yara

from triage.cache import atomic_write_bytes, cache_dir
from triage.records import Entry, ScanError, YaraMatch, YaraString
from triage.text import escape_bytes

__all__ = [
    "RuleCompileError",
    "RuleFileResult",
    "CompiledRules",
    "YaraEngine",
    "YaraStream",
    "check_rules",
    "compile_rules",
    "default_cache_dir",
    "bundled_rules_dir",
    "filetype_from_magic",
    "escape_excerpt",
    "EXTERNALS",
    "RULE_SUFFIXES",
    "WHOLE_FILE_MAX_BYTES",
    "WINDOW_BYTES",
    "WINDOW_OVERLAP_BYTES",
    "TIMEOUT_SECONDS",
    "compile_count",
]

RULE_SUFFIXES = (".yar", ".yara")

#: External variables as LOKI/THOR define them, with the defaults used at
#: compile time. Values are replaced per file at match time.
EXTERNALS: dict[str, str] = {
    "filename": "",
    "filepath": "",
    "extension": "",
    "filetype": "",
    "owner": "",
    "md5": "",
}

WHOLE_FILE_MAX_BYTES = 32 * 1024 * 1024
WINDOW_BYTES = 16 * 1024 * 1024
WINDOW_OVERLAP_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 60
EXCERPT_BYTES = 64
MAX_STRINGS_PER_MATCH = 100

_CACHE_FORMAT = 1  # bump when the cache layout changes
_compile_counter = 0


def compile_count() -> int:
    """How many times this process really ran ``yara.compile`` for a rule set.

    Exposed so tests (and curious users) can prove the cache was used without
    relying on timings.
    """
    return _compile_counter


class RuleCompileError(Exception):
    """One or more rule files failed to compile.

    The message has one ``<file>:<line>: <yara message>`` line per bad file so
    an examiner can go straight to the problem; ``results`` carries the
    structured per-file outcome.
    """

    def __init__(self, results: Sequence[RuleFileResult]):
        self.results = [r for r in results if not r.ok]
        super().__init__("\n".join(r.message or r.path for r in self.results))


@dataclass(frozen=True)
class RuleFileResult:
    """Outcome of compiling one rule file on its own (``rules check``)."""

    path: str
    ok: bool
    message: str | None
    rule_count: int


# ---------------------------------------------------------------------------
# file types
# ---------------------------------------------------------------------------

# Header signatures in the spirit of LOKI's signature-base
# misc/file-type-signatures.txt: longest/most specific first, LOKI's names.
# PE files are all "EXE" (LOKI and THOR do not distinguish DLLs by header and
# public rules test ``filetype == "EXE"``); OOXML/JAR/APK are "ZIP" for the
# same reason.
_HEADER_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "DOC"),  # OLE2: DOC/XLS/PPT/MSI
    (b"Rar!\x1a\x07", "RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7Z"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"MDMP\x93\xa7", "MDMP"),
    (b"PAGEDU64", "DMP"),
    (b"PAGEDUMP", "DMP"),
    (b"SQLite format 3\x00", "SQLITE"),
    (b"regf", "REGISTRY"),
    (b"ElfFile\x00", "EVTX"),
    (b"\x7fELF", "ELF"),
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"%PDF", "PDF"),
    (b"{\\rtf", "RTF"),
    (b"GIF8", "GIF"),
    (b"MSCF", "CAB"),
    (b"ITSF", "CHM"),
    (b"\xca\xfe\xba\xbe", "JAVA"),
    (b"\xfe\xed\xfa\xce", "MACHO"),
    (b"\xfe\xed\xfa\xcf", "MACHO"),
    (b"\xce\xfa\xed\xfe", "MACHO"),
    (b"\xcf\xfa\xed\xfe", "MACHO"),
    (b"L\x00\x00\x00\x01\x14\x02\x00", "LNK"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x1f\x8b", "GZIP"),
    (b"BZh", "BZIP2"),
    (b"\xfd7zXZ\x00", "XZ"),
    (b"MZ", "EXE"),
)

_SCRIPT_MIMES = {
    "text/x-php", "application/x-php", "text/x-shellscript", "application/x-sh",
    "text/x-python", "text/x-script.python", "application/javascript", "text/javascript",
    "text/x-perl", "application/x-perl", "text/x-ruby", "text/x-msdos-batch", "text/x-bat",
    "application/x-powershell", "text/x-powershell", "text/x-vbscript", "text/x-lua",
    "text/x-tcl", "application/x-awk",
}
_SCRIPT_MAGIC = re.compile(
    r"\b(script|php|javascript|powershell|batch|visual basic|vbscript|perl|python|ruby)\b", re.I
)


def filetype_from_magic(mime: str, magic: str, head: bytes) -> str:
    """Short upper-case file type for the ``filetype`` external.

    The header decides first, as in LOKI (``get_file_type`` compares the first
    bytes with signature-base's signature list), so rules written for LOKI/THOR
    see the same values: ``EXE`` (any MZ/PE, DLLs included), ``ELF``, ``ZIP``
    (OOXML, JAR, APK included), ``RAR``, ``7Z``, ``GZIP``, ``PDF``, ``DOC``
    (any OLE2 compound file), ``JPEG``, ``PNG``, ``GIF``, ``RTF``, ``CAB``,
    ``CHM``, ``JAVA``, ``MDMP`` ... Where the header says nothing, libmagic's
    MIME type/description refine it to ``SCRIPT`` (shell, PHP, JS, PowerShell,
    batch, VBS, Python...), ``HTML``, ``XML`` or ``TEXT``; otherwise
    ``UNKNOWN`` (LOKI's own fallback value).
    """
    for sig, name in _HEADER_SIGNATURES:
        if head.startswith(sig):
            return name
    if head.startswith(b"#!"):
        return "SCRIPT"
    mime = (mime or "").split(";", 1)[0].strip().lower()
    magic = magic or ""
    if mime in _SCRIPT_MIMES or (mime.startswith("text/") and _SCRIPT_MAGIC.search(magic)):
        return "SCRIPT"
    if mime in ("text/html", "application/xhtml+xml"):
        return "HTML"
    if mime in ("text/xml", "application/xml"):
        return "XML"
    if mime.startswith("text/"):
        return "TEXT"
    return "UNKNOWN"


# ---------------------------------------------------------------------------
# rule discovery and compilation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _RuleFile:
    namespace: str
    path: Path


def _iter_rule_files(root: Path) -> Iterable[Path]:
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.suffix.lower() in RULE_SUFFIXES:
            yield p


def bundled_rules_dir() -> Path:
    """Directory of the shipped rule pack (the ``triage_rules`` package)."""
    return Path(str(importlib.resources.files("triage_rules")))


_bundled_root = bundled_rules_dir  # short internal alias


def _discover(paths: Sequence[Path], bundled: bool) -> list[_RuleFile]:
    """Expand directories and assign a unique namespace to every file."""
    found: list[_RuleFile] = []
    if bundled:
        root = _bundled_root()
        found += [_RuleFile("triage/" + p.relative_to(root).as_posix(), p) for p in _iter_rule_files(root)]
    for given in paths:
        given = Path(given)
        if given.is_dir():
            found += [_RuleFile(p.relative_to(given).as_posix(), p) for p in _iter_rule_files(given)]
        elif given.is_file():
            found.append(_RuleFile(given.stem, given))
        else:
            raise FileNotFoundError(f"{given}: no such rule file or directory")
    seen: dict[str, int] = {}
    unique: list[_RuleFile] = []
    for rf in found:
        n = seen.get(rf.namespace, 0) + 1
        seen[rf.namespace] = n
        unique.append(rf if n == 1 else _RuleFile(f"{rf.namespace}#{n}", rf.path))
    return unique


_YARA_ERR = re.compile(r"^(?P<file>.*)\((?P<line>\d+)\): (?:error: )?(?P<msg>.*)$", re.S)


def _format_error(path: Path, exc: BaseException) -> str:
    """``yara`` says ``/x/y.yar(12): syntax error...``; we say ``/x/y.yar:12: syntax error...``."""
    text = str(exc).strip()
    m = _YARA_ERR.match(text)
    if m:
        return f"{m.group('file')}:{m.group('line')}: {m.group('msg')}"
    return f"{path}: {text}"


def _error_file(exc: BaseException) -> str | None:
    m = _YARA_ERR.match(str(exc).strip())
    return m.group("file") if m else None


def _count_rules(rules: yara.Rules) -> int:
    return sum(1 for _ in rules)


def check_rules(paths: Sequence[Path]) -> list[RuleFileResult]:
    """Compile each rule file on its own and report per file (a linter).

    Directories are searched recursively for ``.yar``/``.yara``. Files are
    compiled separately so every bad file is reported, not just the first one
    YARA stops at, and with the LOKI/THOR externals declared so rules using
    them are not reported as broken.
    """
    results: list[RuleFileResult] = []
    for rf in _discover(paths, bundled=False):
        try:
            rules = yara.compile(filepath=str(rf.path), externals=EXTERNALS)
        except yara.Error as exc:
            results.append(RuleFileResult(str(rf.path), False, _format_error(rf.path, exc), 0))
        except OSError as exc:
            results.append(RuleFileResult(str(rf.path), False, f"{rf.path}: {exc}", 0))
        else:
            results.append(RuleFileResult(str(rf.path), True, None, _count_rules(rules)))
    return results


def default_cache_dir() -> Path:
    """``$TRIAGE_CACHE_DIR/yara``, else ``$XDG_CACHE_HOME/triage/yara``, else ``~/.cache/triage/yara``."""
    return cache_dir("yara")


def _cache_key(files: Sequence[_RuleFile], skip_bad: bool) -> str:
    h = hashlib.sha256()
    h.update(f"triage-yara-cache/{_CACHE_FORMAT}/{yara.__version__}/{yara.YARA_VERSION}\0".encode())
    h.update(json.dumps(EXTERNALS, sort_keys=True).encode() + b"\0")
    h.update(b"skip_bad\0" if skip_bad else b"strict\0")
    for rf in files:
        h.update(rf.namespace.encode() + b"\0" + str(rf.path.resolve()).encode() + b"\0")
        data = rf.path.read_bytes()
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()


@dataclass
class CompiledRules:
    """A compiled, saved rule set: cheap to pickle to worker processes.

    ``path`` is the ``Rules.save`` file in the cache; each worker calls
    :meth:`load` once and keeps the :class:`YaraEngine`.
    """

    path: Path
    skipped: list[RuleFileResult] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    rule_count: int = 0
    namespaces: list[str] = field(default_factory=list)
    from_cache: bool = False

    def load(
        self,
        *,
        whole_file_max_bytes: int = WHOLE_FILE_MAX_BYTES,
        window_bytes: int = WINDOW_BYTES,
        overlap_bytes: int = WINDOW_OVERLAP_BYTES,
        timeout: int = TIMEOUT_SECONDS,
        max_strings_per_match: int = MAX_STRINGS_PER_MATCH,
    ) -> YaraEngine:
        """Load the saved rules into a matching engine (one per process)."""
        return YaraEngine(
            yara.load(str(self.path)),
            whole_file_max_bytes=whole_file_max_bytes,
            window_bytes=window_bytes,
            overlap_bytes=overlap_bytes,
            timeout=timeout,
            max_strings_per_match=max_strings_per_match,
        )


def _atomic_save(rules: yara.Rules, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name, suffix=".tmp", dir=dest.parent)
    os.close(fd)
    try:
        rules.save(tmp)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_write_text(dest: Path, text: str) -> None:
    atomic_write_bytes(dest, text.encode("utf-8"))


def compile_rules(
    paths: Sequence[Path] = (),
    *,
    bundled: bool = True,
    skip_bad: bool = False,
    cache_dir: Path | None = None,
) -> CompiledRules:
    """Compile the bundled pack plus ``paths`` into one saved rule set.

    With ``skip_bad=False`` any broken file raises :class:`RuleCompileError`
    listing every broken file. With ``skip_bad=True`` broken files are left out
    and listed in ``CompiledRules.skipped`` (the examiner must be told: a
    silently missing rule is a missed finding). Raises ``FileNotFoundError``
    for a path that does not exist. An empty rule set is allowed (it never
    matches) so ``--no-bundled`` with only bad files still yields a usable,
    explicit result.
    """
    files = _discover(paths, bundled)
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = _cache_key(files, skip_bad)
    compiled_path = cache_dir / f"{key}.yarc"
    meta_path = cache_dir / f"{key}.json"

    if compiled_path.is_file() and meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            return CompiledRules(
                path=compiled_path,
                skipped=[RuleFileResult(**r) for r in meta["skipped"]],
                sources=list(meta["sources"]),
                rule_count=int(meta["rule_count"]),
                namespaces=list(meta["namespaces"]),
                from_cache=True,
            )
        except (ValueError, KeyError, TypeError):
            pass  # corrupt sidecar: recompile and overwrite

    global _compile_counter
    skipped: list[RuleFileResult] = []
    active = list(files)
    while True:
        try:
            rules = yara.compile(
                filepaths={rf.namespace: str(rf.path) for rf in active}, externals=EXTERNALS
            )
            _compile_counter += 1
            break
        except yara.Error as exc:
            # Find every bad file (not just the first YARA tripped over).
            bad = [r for r in check_rules([rf.path for rf in active]) if not r.ok]
            if not bad:
                # Each file compiles alone but not together: blame the file YARA names.
                culprit = _error_file(exc)
                owner = next((rf for rf in active if str(rf.path) == culprit), None)
                if owner is None:
                    raise RuleCompileError(
                        [RuleFileResult(culprit or "?", False, _format_error(Path(culprit or "?"), exc), 0)]
                    ) from exc
                bad = [RuleFileResult(str(owner.path), False, _format_error(owner.path, exc), 0)]
            if not skip_bad:
                raise RuleCompileError(bad) from exc
            skipped += bad
            bad_paths = {r.path for r in bad}
            active = [rf for rf in active if str(rf.path) not in bad_paths]

    rule_count = _count_rules(rules)
    _atomic_save(rules, compiled_path)
    result = CompiledRules(
        path=compiled_path,
        skipped=skipped,
        sources=[str(rf.path) for rf in active],
        rule_count=rule_count,
        namespaces=[rf.namespace for rf in active],
        from_cache=False,
    )
    _atomic_write_text(
        meta_path,
        json.dumps(
            {
                "skipped": [r.__dict__ for r in skipped],
                "sources": result.sources,
                "rule_count": rule_count,
                "namespaces": result.namespaces,
                "yara": yara.__version__,
            }
        ),
    )
    return result


# ---------------------------------------------------------------------------
# matching
# ---------------------------------------------------------------------------

def escape_excerpt(data: bytes, limit: int = EXCERPT_BYTES) -> str:
    """Up to ``limit`` bytes, printable ASCII kept, everything else ``\\xNN``."""
    return escape_bytes(data[:limit])


def _parent_dir(path: str) -> str:
    """THOR/LOKI's ``filepath`` is the directory part, without the file name."""
    idx = path.rfind("/")
    if idx <= 0:
        return "/" if idx == 0 else ""
    return path[:idx]


class YaraEngine:
    """Loaded rules plus matching settings. Create one per worker process.

    ``yara.Rules.match`` releases the GIL and YARA allows concurrent scans
    with one compiled rule set (up to 32 threads), so one engine may be
    shared by threads in a process; each :class:`YaraStream` must be used by
    one thread only.
    """

    def __init__(
        self,
        rules: yara.Rules,
        *,
        whole_file_max_bytes: int = WHOLE_FILE_MAX_BYTES,
        window_bytes: int = WINDOW_BYTES,
        overlap_bytes: int = WINDOW_OVERLAP_BYTES,
        timeout: int = TIMEOUT_SECONDS,
        max_strings_per_match: int = MAX_STRINGS_PER_MATCH,
    ):
        if window_bytes <= 0 or overlap_bytes < 0 or overlap_bytes >= window_bytes:
            raise ValueError("need window_bytes > overlap_bytes >= 0")
        if whole_file_max_bytes < 0:
            raise ValueError("whole_file_max_bytes must be >= 0")
        self.rules = rules
        self.whole_file_max_bytes = whole_file_max_bytes
        self.window_bytes = window_bytes
        self.overlap_bytes = overlap_bytes
        self.timeout = max(1, int(timeout))
        self.max_strings_per_match = max_strings_per_match

    @classmethod
    def from_path(cls, path: Path, **options: Any) -> YaraEngine:
        """Load a saved rule set (``CompiledRules.path``) directly."""
        return cls(yara.load(str(path)), **options)

    def stream(self, entry: Entry, filetype: str, owner: str = "", md5: str = "") -> YaraStream:
        """Start matching one file; feed its bytes in order, then ``close()``.

        ``filetype`` is the :func:`filetype_from_magic` value. ``md5`` is the
        LOKI/THOR ``md5`` external; the hash is usually not known until the
        read pass ends, so it is empty unless the caller already knows it.
        """
        externals = {
            "filename": entry.name,
            "filepath": _parent_dir(entry.path),
            "extension": entry.extension,
            "filetype": filetype or "",
            "owner": owner or "",
            "md5": (md5 or "").lower(),
        }
        return YaraStream(self, entry, externals)

    def match_bytes(self, entry: Entry, data: bytes, filetype: str = "", owner: str = "") -> tuple[
        list[YaraMatch], list[ScanError]
    ]:
        """Convenience: match a whole in-memory buffer (tests, small files)."""
        s = self.stream(entry, filetype, owner)
        s.feed(data)
        return s.close()


class YaraStream:
    """Per-file matching state: buffers small files, windows large ones."""

    def __init__(self, engine: YaraEngine, entry: Entry, externals: dict[str, str]):
        self._e = engine
        self._entry = entry
        self._externals = externals
        self._buf = bytearray()
        self._base = 0  # file offset of _buf[0]
        self._windowing = False
        self._scanned_to = 0  # file offset up to which bytes have been matched
        self._started = time.monotonic()
        self._matches: dict[tuple[str, str], dict[str, Any]] = {}
        self._errors: list[ScanError] = []
        self._stopped = False
        self._closed = False
        self._warned: set[tuple[str, str, str]] = set()

    # -- feeding ---------------------------------------------------------
    def feed(self, chunk: bytes) -> None:
        """Add the next chunk of the file. Never raises for YARA problems."""
        if self._closed:
            raise RuntimeError("feed() after close()")
        if self._stopped or not chunk:
            return
        self._buf += chunk
        if not self._windowing and self._base + len(self._buf) > self._e.whole_file_max_bytes:
            self._windowing = True
        if self._windowing:
            self._drain_windows()

    def _drain_windows(self) -> None:
        win, ov = self._e.window_bytes, self._e.overlap_bytes
        while len(self._buf) >= win and not self._stopped:
            self._match(bytes(self._buf[:win]), self._base)
            self._scanned_to = self._base + win
            step = win - ov
            del self._buf[:step]
            self._base += step

    def close(self) -> tuple[list[YaraMatch], list[ScanError]]:
        """Match what is left and return (matches, errors) for the file."""
        if not self._closed:
            self._closed = True
            end = self._base + len(self._buf)
            if not self._stopped and (end > self._scanned_to or end == 0):
                self._match(bytes(self._buf), self._base)
            self._buf = bytearray()
        return self._result()

    # -- matching --------------------------------------------------------
    def _match(self, data: bytes, base: int) -> None:
        remaining = self._e.timeout - (time.monotonic() - self._started)
        if remaining <= 0:
            self._timeout(base)
            return
        try:
            found = self._e.rules.match(
                data=data,
                externals=self._externals,
                timeout=max(1, math.ceil(remaining)),
                warnings_callback=self._warning,
            )
        except yara.TimeoutError:
            self._timeout(base)
            return
        except yara.Error as exc:
            self._errors.append(
                ScanError(stage="yara", message=f"yara error: {exc}", path=self._entry.path, offset=base)
            )
            return
        except Exception as exc:  # noqa: BLE001 - a scan must never stop on one file
            self._errors.append(
                ScanError(stage="yara", message=f"{type(exc).__name__}: {exc}", path=self._entry.path,
                          offset=base)
            )
            return
        for m in found:
            self._add(m, base)

    def _warning(self, kind: int, data: Any) -> int:
        """YARA stops recording a string after 1,000,000 hits; say so once per string.

        Conditions counting that string (``#a``) may then be wrong, which the
        examiner needs to know; the scan itself goes on.
        """
        if kind == yara.CALLBACK_TOO_MANY_MATCHES:
            key = (getattr(data, "namespace", ""), getattr(data, "rule", ""), getattr(data, "string", ""))
            if key not in self._warned:
                self._warned.add(key)
                self._errors.append(
                    ScanError(
                        stage="yara",
                        message=f"too many matches for {key[2]} in rule {key[1]} ({key[0]}); matches truncated",
                        path=self._entry.path,
                    )
                )
        return yara.CALLBACK_CONTINUE

    def _timeout(self, base: int) -> None:
        self._stopped = True
        self._errors.append(
            ScanError(
                stage="yara",
                message=f"timeout after {self._e.timeout}s",
                path=self._entry.path,
                offset=base,
            )
        )

    def _add(self, m: Any, base: int) -> None:
        slot = self._matches.setdefault(
            (m.namespace, m.rule),
            {"rule": m.rule, "namespace": m.namespace, "tags": tuple(m.tags), "meta": dict(m.meta),
             "strings": {}},
        )
        strings: dict[tuple[str, int], YaraString] = slot["strings"]
        limit = self._e.max_strings_per_match
        for sm in m.strings:
            for inst in sm.instances:
                if len(strings) >= limit:
                    return
                off = base + inst.offset
                key = (sm.identifier, off)
                if key not in strings:
                    strings[key] = YaraString(sm.identifier, off, escape_excerpt(inst.matched_data))

    def _result(self) -> tuple[list[YaraMatch], list[ScanError]]:
        out = []
        for slot in self._matches.values():
            strs = tuple(sorted(slot["strings"].values(), key=lambda s: (s.offset, s.identifier)))
            out.append(YaraMatch(slot["rule"], slot["namespace"], slot["tags"], slot["meta"], strs))
        out.sort(key=lambda m: (m.namespace, m.rule))
        return out, list(self._errors)
