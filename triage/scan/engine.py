"""The read pass: one stream of bytes in, one FileResult out.

Every consumer (hashes, libmagic, hash-set lookup, YARA, the content matcher,
file parsers, archive expansion) is fed from the same chunks, so each file's
bytes are read from the evidence exactly once. Small files are held in memory
until their hashes are known, so a file found in a *known* hash set skips
YARA and extraction without a second read; larger files are streamed.

One ``ScanEngine`` per process: libmagic handles, compiled YARA rules and the
Hyperscan database are not shareable across processes.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.extractors.api import FileParser
from triage.records import Artefact, Entry, FileResult, HashHit, ScanError, YaraMatch
from triage.text import iso_utc, one_line
from triage.scan.members import ArchiveLimits, archive_kind, iter_members
from triage.scan.filetype import MAGIC_PREFIX_BYTES, FileTyper
from triage.scan.hashing import Hasher

if TYPE_CHECKING:
    from triage.extractors.manager import PluginSet
    from triage.hashsets.store import HashSetStore

log = logging.getLogger(__name__)

#: files up to this size are held in memory through the read pass, so a
#: known-file verdict (which needs the finished hash) can still skip YARA
#: and extraction without reading the evidence twice
HOLD_MAX_BYTES = 32 * 1024 * 1024
#: files the pipeline copies out for parsers or expansion are capped here
SPOOL_MAX_BYTES = 1024 * 1024 * 1024
#: reads a file beside the current one by name; None when there is none
Sibling = Callable[[str], bytes | None]

#: identical content hits in one file: one row, counted
ARTEFACT_ROWS_PER_FILE_MAX = 100_000


@dataclass
class ScanOptions:
    """Everything that changes what a scan finds; recorded in ``runs.options``."""

    yara: bool = True
    rules: list[str] = field(default_factory=list)
    bundled_rules: bool = True
    skip_bad_rules: bool = False
    plugins: bool = True
    plugin_dirs: list[str] = field(default_factory=list)
    enable: list[str] = field(default_factory=list)
    disable: list[str] = field(default_factory=list)
    hashset_db: str | None = None
    scan_known: bool = False
    #: TLSH costs more than MD5+SHA-1+SHA-256 together and only serves near-copy
    #: matching: None (auto) computes it when the hash-set database holds TLSH lists
    tlsh: bool | None = None
    unallocated: bool = True
    archives: bool = True
    #: libmagic type identification (files.mime, files.magic); off for a
    #: hashes-only inventory, where libmagic would cost more than the hashes
    filetype: bool = True
    utf16: bool = True
    yara_whole_max_bytes: int = 32 * 1024 * 1024
    yara_window_bytes: int = 16 * 1024 * 1024
    yara_timeout_s: int = 60
    workers: int = 1

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


@dataclass
class FileOutcome:
    """A FileResult with the archive members found inside it."""

    result: FileResult
    children: list[FileOutcome] = field(default_factory=list)


def aggregate_artefacts(artefacts: Iterable[Artefact]) -> list[Artefact]:
    """Identical content hits (same type and value) in one file become one record with a count."""
    out: dict[tuple[str, str], Artefact] = {}
    parsed: list[Artefact] = []
    for a in artefacts:
        if a.encoding is None:
            parsed.append(a)
            continue
        key = (a.type, a.value)
        prev = out.get(key)
        if prev is None:
            out[key] = a
        else:
            out[key] = replace(prev, count=prev.count + a.count)
    return [*out.values(), *parsed]


@dataclass(frozen=True)
class EngineParts:
    """What an engine is handed rather than fetching: the extractors discovered, the hash-set database opened.

    The job opens them once for the parent (``triage.job.prepare.build_engine``);
    a worker, which gets only the picklable options, opens its own with
    :func:`engine_parts`, the one place that knows how.
    """

    plugins: PluginSet | None = None  # None: no extractors
    hashsets: HashSetStore | None = None  # read-only; None: no hash-set lookups


def engine_parts(options: ScanOptions) -> EngineParts:
    """The extractors and hash-set database ``options`` ask for (raises ``PluginLoadError`` on a bad set)."""
    plugin_set: PluginSet | None = None
    hashsets: HashSetStore | None = None
    if options.plugins:
        from triage.extractors.manager import discover

        plugin_set = discover(
            extra_dirs=[Path(d) for d in options.plugin_dirs], enable=options.enable, disable=options.disable
        )
    if options.hashset_db and Path(options.hashset_db).exists():
        from triage.hashsets.store import HashSetStore

        hashsets = HashSetStore(Path(options.hashset_db), readonly=True)
    return EngineParts(plugin_set, hashsets)


class ScanEngine:
    def __init__(self, options: ScanOptions, compiled_rules: Any = None, parts: EngineParts | None = None) -> None:
        self.options = options
        parts = engine_parts(options) if parts is None else parts
        self.typer = FileTyper() if options.filetype else None
        self.archive_limits = ArchiveLimits()
        self.load_errors: list[str] = []
        self.yara = None
        if options.yara and compiled_rules is not None:
            # compiled once by the parent (triage.scan.yara.compile_rules), loaded per process
            self.yara = compiled_rules.load(
                whole_file_max_bytes=options.yara_whole_max_bytes,
                window_bytes=options.yara_window_bytes,
                timeout=options.yara_timeout_s,
            )
        self.matcher = None
        self.parsers: tuple[FileParser, ...] = ()
        self.analysers: tuple[Any, ...] = ()
        self.plugin_names: list[str] = []
        plugin_set = parts.plugins if options.plugins else None
        if plugin_set is not None:
            self.load_errors.extend(plugin_set.load_errors)
            self.plugin_names = [f"{p.name}@{p.version}" for p in plugin_set.all]
            self.parsers = plugin_set.parsers
            self.analysers = plugin_set.analysers
            if plugin_set.scanners:
                from triage.scan.content import ContentMatcher

                self.matcher = ContentMatcher(plugin_set.scanners, utf16=options.utf16)
                # a scanner whose patterns do not compile is left out: the case must say so
                self.load_errors.extend(f"{e.plugin}: {e.message}" for e in self.matcher.errors)
        self.hashsets = parts.hashsets
        self.tlsh = options.tlsh if options.tlsh is not None else (
            self.hashsets is not None and self.hashsets.has_fuzzy())

    # -- the read pass -------------------------------------------------------
    def process(self, entry: Entry, volume_addr: int, chunks: Iterable[bytes],
                sibling: Sibling | None = None) -> FileOutcome:
        """Read ``chunks`` once and run every consumer; never raises for bad data.

        ``sibling(name)`` returns the bytes of a file beside this one (None when
        absent): parsers that declare companions (a SQLite ``-wal``) get them.
        """
        errors: list[ScanError] = []
        hasher = Hasher(tlsh=self.tlsh)
        iterator = iter(chunks)
        held: list[bytes] | None = []
        held_bytes = 0
        prefix = b""
        mime = desc = None
        typed = False
        yara_stream = match_stream = None
        spool = None
        spool_path: Path | None = None
        tmpdir: str | None = None
        wanted: list[FileParser] = []
        akind: str | None = None
        total = 0
        parsed = False  # a parser added artefacts beside the matcher's (then they need aggregating)

        def start_streams(md5: str = "") -> None:
            nonlocal yara_stream, match_stream
            if self.yara is not None:
                from triage.scan.yara import filetype_from_magic

                yara_stream = self.yara.stream(
                    entry, filetype_from_magic(mime or "", desc or "", prefix[:64]), md5=md5
                )
            if self.matcher is not None:
                match_stream = self.matcher.stream(aggregate=True)

        def type_now() -> None:
            nonlocal mime, desc, typed
            if not typed:
                if self.typer is not None:
                    mime, desc = self.typer.identify(prefix)
                typed = True

        def decide_spool() -> None:
            nonlocal wanted, akind, tmpdir, spool_path, spool
            type_now()
            wanted, akind = self._spool_decision(entry, mime, prefix)
            if wanted or akind:
                tmpdir, spool_path, spool = self._open_spool(entry)
                for c in held or ():
                    spool.write(c)

        try:
            for chunk in iterator:
                if not typed:
                    prefix += chunk[: MAGIC_PREFIX_BYTES - len(prefix)]
                    if len(prefix) >= MAGIC_PREFIX_BYTES:
                        type_now()
                total += len(chunk)
                hasher.update(chunk)
                if held is not None:
                    held.append(chunk)
                    held_bytes += len(chunk)
                    if held_bytes > HOLD_MAX_BYTES:
                        # too big to hold: decide what it needs and stream from now on
                        decide_spool()
                        start_streams()
                        for c in held:
                            self._feed(yara_stream, match_stream, c)
                        held = None
                else:
                    if spool is not None and total <= SPOOL_MAX_BYTES:
                        spool.write(chunk)
                    self._feed(yara_stream, match_stream, chunk)
        except Exception as exc:  # a read error inside the evidence
            errors.append(ScanError("read", f"read failed after {total} bytes: {one_line(exc)}", entry.path))

        if held is not None:
            decide_spool()
        type_now()
        hashes = hasher.digest()
        hits: list[HashHit] = []
        if self.hashsets is not None:
            try:
                hits = list(self.hashsets.lookup(hashes.md5, hashes.sha1, hashes.sha256))
                if hashes.tlsh:
                    hits.extend(self.hashsets.lookup_tlsh(hashes.tlsh))
            except Exception as exc:
                errors.append(ScanError("hashset", f"lookup failed: {one_line(exc)}", entry.path))
        known = any(h.kind == "known" and h.algorithm != "tlsh" for h in hits)
        notable = any(h.kind == "notable" for h in hits)
        skip = known and not self.options.scan_known

        yara_matches: list[YaraMatch] = []
        artefacts: list[Artefact] = []
        children: list[FileOutcome] = []
        try:
            if held is not None and not skip:
                start_streams(hashes.md5)
                for c in held:
                    self._feed(yara_stream, match_stream, c)
            held = None
            if yara_stream is not None:
                try:
                    m, e = yara_stream.close()
                    if not skip:
                        yara_matches.extend(m)
                    errors.extend(e)
                except Exception as exc:
                    errors.append(ScanError("yara", one_line(exc), entry.path))
            if match_stream is not None:
                try:
                    a, e = match_stream.close()
                    if not skip:
                        artefacts.extend(a)
                    errors.extend(e)
                except Exception as exc:
                    errors.append(ScanError("plugin", f"content matcher: {one_line(exc)}", entry.path))
            if spool is not None and spool_path is not None:
                spool.close()
                spool = None
                if total > SPOOL_MAX_BYTES:
                    errors.append(ScanError("limit", f"larger than {SPOOL_MAX_BYTES} bytes; not parsed or expanded",
                                            entry.path))
                elif not skip:
                    os.chmod(spool_path, 0o400)
                    for parser in wanted:
                        self._copy_companions(parser, spool_path, entry, sibling, errors)
                        artefacts.extend(self._run_parser(parser, spool_path, entry, errors))
                        parsed = True
                    if akind and self.options.archives:
                        children = self._expand(spool_path, akind, entry, volume_addr, errors)
        finally:
            if spool is not None:
                spool.close()
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)

        if len(artefacts) > ARTEFACT_ROWS_PER_FILE_MAX:
            errors.append(ScanError("limit", f"more than {ARTEFACT_ROWS_PER_FILE_MAX} artefacts; rest dropped",
                                    entry.path))
            artefacts = artefacts[:ARTEFACT_ROWS_PER_FILE_MAX]
        read_failed = any(e.stage == "read" for e in errors)
        result = FileResult(
            entry=entry if entry.size >= 0 else replace(entry, size=total),
            volume_addr=volume_addr,
            # hashes of a partial read would pass for the file's: only whole reads are hashed
            hashes=None if read_failed else hashes,
            mime=mime,
            magic=desc,
            bytes_read=total,
            # the content matcher's own hits come aggregated: only a parser's add to them needs a pass
            artefacts=tuple(aggregate_artefacts(artefacts) if parsed else artefacts),
            yara=tuple(yara_matches),
            hash_hits=tuple(hits),
            errors=tuple(errors),
            known=known,
            notable=notable,
            times=(iso_utc(entry.mtime), iso_utc(entry.atime), iso_utc(entry.ctime), iso_utc(entry.crtime)),
        )
        return FileOutcome(result, children)

    def describe_only(self, entry: Entry, volume_addr: int) -> FileOutcome:
        """Directories, links and empty entries: recorded, not hashed."""
        return FileOutcome(FileResult(entry=entry, volume_addr=volume_addr))

    # -- helpers ----------------------------------------------------------------
    @staticmethod
    def _feed(yara_stream: Any, match_stream: Any, chunk: bytes) -> None:
        if yara_stream is not None:
            yara_stream.feed(chunk)
        if match_stream is not None:
            match_stream.feed(chunk)

    def _spool_decision(self, entry: Entry, mime: str | None, prefix: bytes) -> tuple[list[FileParser], str | None]:
        wanted: list[FileParser] = []
        for parser in self.parsers:
            try:
                if entry.size <= parser.max_bytes and parser.wants(entry, mime):
                    wanted.append(parser)
            except Exception as exc:
                log.debug("%s.wants raised %s", parser.name, exc)
        akind = archive_kind(mime, prefix, entry.name) if self.options.archives else None
        return wanted, akind

    @staticmethod
    def _open_spool(entry: Entry) -> tuple[str, Path, Any]:
        tmpdir = tempfile.mkdtemp(prefix="triage-")
        # the copy keeps a sanitised version of the entry's own name: parsers
        # (and libraries) look for companions such as "History-wal" beside it
        name = _safe_basename(entry.name)
        path = Path(tmpdir) / name
        return tmpdir, path, open(path, "wb")

    def _run_parser(self, parser: FileParser, path: Path, entry: Entry, errors: list[ScanError]) -> list[Artefact]:
        out: list[Artefact] = []
        try:
            for a in parser.parse(path, entry):
                out.append(a)
                if len(out) >= ARTEFACT_ROWS_PER_FILE_MAX:
                    break
        except Exception as exc:
            # a library's message names the private copy (/tmp/triage-XXXX/name): say the entry's
            # path instead, so no host path reaches the case and the same error keys the same row
            message = one_line(exc).replace(str(path), entry.path).replace(str(path.parent), "<copy>")
            errors.append(ScanError("plugin", f"{type(exc).__name__}: {message}", entry.path,
                                    plugin=parser.name, plugin_version=parser.version))
        return out

    def _expand(self, path: Path, kind: str, entry: Entry, volume_addr: int, errors: list[ScanError]
                ) -> list[FileOutcome]:
        children: list[FileOutcome] = []
        for member, chunks in iter_members(path, kind, entry, self.archive_limits, errors):
            children.append(self.process(member, volume_addr, chunks))
        return children

    @staticmethod
    def _copy_companions(parser: FileParser, spool_path: Path, entry: Entry, sibling: Sibling | None,
                         errors: list[ScanError]) -> None:
        suffixes = getattr(parser, "companion_suffixes", ()) or ()
        if not suffixes or sibling is None or entry.depth:
            return
        for suffix in suffixes:
            target = spool_path.with_name(spool_path.name + suffix)
            if target.exists():
                continue
            try:
                data = sibling(entry.name + suffix)
            except Exception as exc:
                errors.append(ScanError("read", f"companion {suffix}: {one_line(exc)}", entry.path))
                continue
            if data is not None:
                target.write_bytes(data)
                os.chmod(target, 0o400)


def _safe_basename(name: str) -> str:
    """A host-safe file name from a hostile one (keeps a readable form)."""
    name = name.replace("/", "_").replace("\\", "_").replace("\x00", "_").replace(":", "_")
    name = "".join(ch if ch.isprintable() else "_" for ch in name).strip(". ") or "file"
    return name[:120]
