"""``triage export --format dfxml``: the file inventory as Digital Forensics XML.

DFXML is what fiwalk writes and what DFXML consumers (the dfxml Python
library, idifference, BitCurator tools) read. The output validates against
DFXML schema 1.1.0rfc1 (dfxml-working-group/dfxml_schema; the tests keep the
XSD and run ``xmllint --schema`` on it). One file, ``case.dfxml``:

- ``metadata``: one Dublin Core ``dc:type`` (the schema allows exactly one
  element there).
- ``creator``: triage and its version; ``build_environment`` libraries
  (Python, The Sleuth Kit, every plugin@version) from the last scan run's
  recorded versions; ``execution_environment`` (OS, host, user, command
  line, start time) of that scan run. Every run of the case, the audit trail,
  follows as XML comments (the schema has one execution environment only).
- ``source``: ``image_filename`` for every segment of every exhibit. The
  schema has no element for an image's size or its hashes, so each exhibit's
  format, media size, stored (acquisition) MD5/SHA-1, recomputed hashes and
  verification result are an XML comment inside ``source``.
- ``volume`` per file system (partition or whole media): ``offset``,
  ``partition_offset`` (omitted at 0: the schema wants a positive integer),
  ``block_size``, ``ftype_str``, ``block_count``, and the volume's files.
- ``fileobject`` per file row: ``parent_object`` (the container's inode, for
  an archive member), ``filename`` (the path from the volume root; a member's
  path carries ``!/``), ``id`` (``files.id``), ``name_type``, ``filesize``,
  ``unalloc``/``alloc``, ``orphan``, ``inode``, MACB times, ``libmagic``,
  ``hashdigest`` MD5/SHA-1/SHA-256. No ``byte_runs``: the case does not
  record where a file's blocks lie.

Evidence names can hold characters XML 1.0 cannot carry at all (most C0
controls) or that a parser rewrites (CR becomes LF). Every C0 control
(U+0000-U+001F, tab, LF and CR included), DEL, U+FFFE, U+FFFF and any lone
surrogate is written as ``\\xNN`` (``\\uNNNN`` above U+00FF), and a backslash
as ``\\x5c``, the escape triage uses everywhere else (``triage.text``): the
text is well-formed, one line, and decodes back to the name exactly.

Streamed: files come from one ordered cursor and go out through
``xml.sax.saxutils.XMLGenerator``; memory does not grow with the case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

from triage import __version__
from triage.export import ExportOptions

if TYPE_CHECKING:
    from triage.case.reader import CaseReader, EvidenceRow, FileRow, RunRow, VolumeRow

__all__ = ["DFXML_NS", "DFXML_VERSION", "OUTPUT_NAME", "export", "xml_text"]

DFXML_NS = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
DC_NS = "http://purl.org/dc/elements/1.1/"
DFXML_VERSION = "1.1.0"
OUTPUT_NAME = "case.dfxml"

#: characters rewritten by xml_text(): C0 controls, DEL, the backslash, the two non-characters, surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f\\\\\ufffe\uffff\ud800-\udfff]")
#: xs:dateTime as the case writes times (years of four digits only: older spellings are left out)
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_NAME_TYPES = {"regular": "r", "dir": "d", "virtual_dir": "d", "link": "l", "virtual": "v", "fifo": "p",
               "char": "c", "block": "b", "socket": "s"}
#: volumes that hold a file system (or could): partition-table entries and gaps are not DFXML volumes
_FS_KINDS = ("partition", "whole")


def _esc(match: re.Match[str]) -> str:
    c = ord(match.group(0))
    return f"\\x{c:02x}" if c <= 0xFF else f"\\u{c:04x}"


def xml_text(value: object) -> str:
    """Text XML 1.0 can carry unchanged: see the module docstring for the escape."""
    text = str(value)
    return _UNSAFE.sub(_esc, text) if _UNSAFE.search(text) else text


def _comment_text(value: str) -> str:
    """Text for inside an XML comment: escaped, and never ``--`` (which would end or break it)."""
    text = xml_text(value)
    while "--" in text:  # the second hyphen in the escape of xml_text, so the text still decodes exactly
        text = text.replace("--", "-\\x2d")
    return text[:-1] + "\\x2d" if text.endswith("-") else text


class _Writer:
    """XMLGenerator with indentation and the two helpers every element here needs."""

    def __init__(self, fh: Any) -> None:
        self.gen = XMLGenerator(fh, encoding="utf-8", short_empty_elements=True)
        self.fh = fh
        self.depth = 0

    def _indent(self) -> None:
        self.gen.ignorableWhitespace("\n" + "  " * self.depth)

    def start(self, name: str, attrs: dict[str, str] | None = None) -> None:
        self._indent()
        self.gen.startElement(name, AttributesImpl({k: xml_text(v) for k, v in (attrs or {}).items()}))
        self.depth += 1

    def end(self, name: str, inline: bool = False) -> None:
        self.depth -= 1
        if not inline:
            self._indent()
        self.gen.endElement(name)

    def leaf(self, name: str, text: object | None, attrs: dict[str, str] | None = None) -> None:
        """``<name>text</name>``; nothing when ``text`` is None."""
        if text is None:
            return
        self._indent()
        self.gen.startElement(name, AttributesImpl({k: xml_text(v) for k, v in (attrs or {}).items()}))
        self.gen.characters(xml_text(text))
        self.gen.endElement(name)

    def empty(self, name: str, attrs: dict[str, str]) -> None:
        self._indent()
        self.gen.startElement(name, AttributesImpl({k: xml_text(v) for k, v in attrs.items()}))
        self.gen.endElement(name)

    def comment(self, text: str) -> None:
        self._indent()
        self.gen._finish_pending_start_element()  # type: ignore[attr-defined]
        self.fh.write(f"<!-- {_comment_text(text)} -->")


def _time(value: str | None) -> str | None:
    return value if value and _DATETIME.match(value) else None


def _positive(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None


def _scan_run(runs: list[RunRow]) -> RunRow | None:
    """The last scan of the case (what wrote the files), else the last run."""
    scans = [r for r in runs if " scan " in f" {r.command} " or r.command.startswith("triage scan")]
    chosen = scans or runs
    return chosen[-1] if chosen else None


def _creator(w: _Writer, runs: list[RunRow]) -> None:
    run = _scan_run(runs)
    versions = (run.versions if run is not None and isinstance(run.versions, dict) else None) or {}
    w.start("creator", {"version": "1.0"})
    w.leaf("program", "triage")
    w.leaf("version", __version__)
    w.start("build_environment")
    libs: list[tuple[str, str]] = []
    if versions.get("python"):
        libs.append(("Python", str(versions["python"])))
    if versions.get("tsk"):
        libs.append(("The Sleuth Kit", str(versions["tsk"])))
    if versions.get("triage"):
        libs.append(("triage (scan)", str(versions["triage"])))
    for plugin in versions.get("plugins") or []:
        name, _, ver = str(plugin).partition("@")
        libs.append((f"plugin {name}", ver))
    for name, ver in libs:
        w.empty("library", {"name": name, "version": ver})
    w.end("build_environment")
    if run is not None:
        w.start("execution_environment")
        platform = str(versions.get("platform") or "")
        if platform:
            w.leaf("os_sysname", platform.split("-", 1)[0])
            w.leaf("os_release", platform.split("-", 2)[1] if platform.count("-") >= 2 else None)
        w.leaf("host", run.host)
        w.leaf("command_line", run.command)
        w.leaf("username", run.user)
        w.leaf("start_time", _time(run.started))
        w.end("execution_environment")
    w.end("creator")
    for r in runs:
        w.comment(f"run {r.id}: {r.command} | triage {r.tool_version} | {r.status} | started {r.started} | "
                  f"finished {r.finished or '-'} | examiner {r.examiner or '-'} | host {r.host or '-'} | "
                  f"user {r.user or '-'}")


def _source(w: _Writer, evidence: list[EvidenceRow]) -> None:
    w.start("source")
    for ev in evidence:
        for seg in ev.segments or [ev.path]:
            w.leaf("image_filename", seg)
        w.comment(f"evidence {ev.id}: format {ev.format}, size {ev.size} bytes, "
                  f"case number {ev.case_number or '-'}, evidence number {ev.evidence_number or '-'}, "
                  f"acquisition md5 {ev.stored_md5 or '-'} sha1 {ev.stored_sha1 or '-'}, "
                  f"computed md5 {ev.computed_md5 or '-'} sha1 {ev.computed_sha1 or '-'}, "
                  f"verified {ev.verified or 'never'}")
    w.end("source")


def _start_volume(w: _Writer, vol: VolumeRow) -> None:
    w.comment(f"evidence {vol.evidence_id}, volume {vol.addr} ({vol.kind}, {vol.description or '-'})")
    w.start("volume", {"offset": str(vol.offset)})
    w.leaf("partition_offset", _positive(vol.offset))
    block = _positive(vol.block_size)
    w.leaf("block_size", block)
    w.leaf("ftype_str", vol.fs_type)
    if block and vol.length and vol.length // block > 0:
        w.leaf("block_count", vol.length // block)


def _fileobject(w: _Writer, f: FileRow, parent_inode: int | None) -> None:
    w.start("fileobject")
    if parent_inode is not None:
        w.start("parent_object")
        w.leaf("inode", parent_inode)
        w.end("parent_object")
    w.leaf("filename", f.path)
    w.leaf("id", f.id)
    w.leaf("name_type", _NAME_TYPES.get(f.type, "-"))
    w.leaf("filesize", f.size)
    if f.deleted:
        w.leaf("unalloc", 1)
    w.leaf("alloc", 0 if f.deleted else 1)
    if f.orphan:
        w.leaf("orphan", 1)
    w.leaf("inode", f.inode if f.inode is not None and f.inode >= 0 else None)
    for name in ("mtime", "ctime", "atime", "crtime"):
        w.leaf(name, _time(getattr(f, name)))
    w.leaf("libmagic", f.magic)
    for algo in ("md5", "sha1", "sha256"):
        digest = getattr(f, algo)
        if digest:
            w.leaf("hashdigest", digest, {"type": algo})
    w.end("fileobject")


def _files(reader: CaseReader, options: ExportOptions) -> Iterator[FileRow]:
    file_ids = sorted(reader.tagged_file_ids(options.evidence_ids)) if options.tagged_only else None
    return reader.iter_files(options.evidence_ids, file_ids=file_ids, order_by="volume")


def export(reader: CaseReader, out_dir: Path, options: ExportOptions,
           counts: dict[str, int | None] | None = None) -> list[Path]:
    """Write ``out_dir/case.dfxml``; returns the one path written (``counts``: fileobjects written)."""
    written = 0
    out = Path(out_dir) / OUTPUT_NAME
    evidence = reader.evidence(options.evidence_ids)
    volumes = [v for ev in evidence for v in reader.volumes(ev.id)]
    by_id = {v.id: v for v in volumes}
    pending = sorted((v for v in volumes if v.kind in _FS_KINDS), key=lambda v: v.id)
    parent_inodes: dict[int, int | None] = {}  # containers of archive members met so far (few)
    with open(out, "w", encoding="utf-8", newline="\n") as fh:
        w = _Writer(fh)
        w.gen.startDocument()
        w.gen.startElement("dfxml", AttributesImpl({"xmlns": DFXML_NS, "xmlns:dc": DC_NS, "version": DFXML_VERSION}))
        w.depth = 1
        w.start("metadata")
        w.leaf("dc:type", "File system inventory exported from a triage case")
        w.end("metadata")
        _creator(w, reader.runs())
        _source(w, evidence)
        current: int | None = None
        in_volume = False

        def open_volume(vol: VolumeRow) -> None:
            nonlocal in_volume
            _start_volume(w, vol)
            in_volume = True

        def close_volume() -> None:
            nonlocal in_volume
            if in_volume:
                w.end("volume")
                in_volume = False

        for f in _files(reader, options):
            if f.volume_id != current or (f.volume_id is None and in_volume):
                close_volume()
                # volumes without files (in id order) before this one
                while pending and (f.volume_id is None or pending[0].id < f.volume_id):
                    open_volume(pending.pop(0))
                    close_volume()
                current = f.volume_id
                if f.volume_id is not None and f.volume_id in by_id:
                    if pending and pending[0].id == f.volume_id:
                        pending.pop(0)
                    open_volume(by_id[f.volume_id])
            parent_inode = None
            if f.parent_id is not None:
                if f.parent_id not in parent_inodes:
                    if len(parent_inodes) > 10000:
                        parent_inodes.clear()
                    parent = reader.file(f.parent_id)
                    parent_inodes[f.parent_id] = parent.inode if parent is not None else None
                parent_inode = parent_inodes[f.parent_id]
            _fileobject(w, f, parent_inode)
            written += 1
        close_volume()
        for vol in pending:
            open_volume(vol)
            close_volume()
        w.depth = 0
        w.gen.ignorableWhitespace("\n")
        w.gen.endElement("dfxml")
        w.gen.endDocument()
        fh.write("\n")
    if counts is not None:
        counts[OUTPUT_NAME] = written
    return [out]
