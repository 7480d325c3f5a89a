"""``triage extract``: copy selected files out of the evidence, re-verified against the case.

Selection is by file id, SHA-256, artefact type (the files holding one),
YARA rule (the files it matched) or tag (``reader.tagged_file_ids``), the
union of what is given, within ``--evidence`` when given. Each file is read
back from its evidence read-only (:mod:`triage.extract.source`) and written
under ``DIR/files/`` with a host-safe name (:mod:`triage.extract.names`),
hashed while it is written: a file whose SHA-256 (or length) differs from
what the case recorded is removed again and reported, as the evidence has
changed or is not the image that was scanned.

``DIR`` then holds ``extracted.csv`` and ``extracted.json`` (per selected
file: original path, exhibit, volume, inode, size, MD5/SHA-1/SHA-256 from the
case, whether the copy was verified, the new name, or why there is none),
and the shared export manifests ``manifest.json`` and ``MANIFEST.sha256``
(``sha256sum -c MANIFEST.sha256`` from inside ``DIR`` re-checks every copy).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.extract.names import NameAllocator
from triage.extract.source import EvidenceSource, NotExtractable, SourceUnavailable
from triage.text import one_line

if TYPE_CHECKING:
    from triage.case.reader import CaseReader, EvidenceRow, FileRow

__all__ = ["FILES_DIR", "CSV_NAME", "JSON_NAME", "ExtractedFile", "Selection", "extract", "select_files",
           "display"]

FILES_DIR = "files"
CSV_NAME = "extracted.csv"
JSON_NAME = "extracted.json"
#: ids per SQL query (SQLite's variable limit is far above; small batches keep statements short)
_ID_BATCH = 500

EXTRACTED = "extracted"
MISMATCH = "hash mismatch"
NOT_EXTRACTABLE = "not extractable"
UNAVAILABLE = "evidence unavailable"


@dataclass(frozen=True)
class Selection:
    """What the examiner asked for: the union of every criterion given, within ``evidence_ids``."""

    file_ids: tuple[int, ...] = ()
    sha256: tuple[str, ...] = ()
    artefact_types: tuple[str, ...] = ()
    yara_rules: tuple[str, ...] = ()
    tagged: bool = False
    evidence_ids: tuple[str, ...] | None = None

    def empty(self) -> bool:
        return not (self.file_ids or self.sha256 or self.artefact_types or self.yara_rules or self.tagged)


@dataclass(frozen=True)
class ExtractedFile:
    """One selected file and what became of it (a row of the extraction manifest)."""

    file_id: int
    exhibit: str
    evidence_number: str | None
    volume: int | None
    volume_offset: int | None
    inode: int | None
    original_path: str
    size: int
    md5: str | None
    sha1: str | None
    sha256: str | None
    status: str
    verified: bool
    new_name: str | None
    reason: str | None = None
    computed_sha256: str | None = None


@dataclass
class ExtractResult:
    files: list[ExtractedFile] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)  # evidence id -> why

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)


def _batches(ids: Iterable[int]) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in sorted(set(ids)):
        batch.append(i)
        if len(batch) >= _ID_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def select_files(reader: CaseReader, sel: Selection) -> list[FileRow]:
    """The selected file rows, each once, in file id order."""
    ev = list(sel.evidence_ids) if sel.evidence_ids else None
    ids: set[int] = set(sel.file_ids)
    if sel.artefact_types:
        ids.update(a.file_id for a in reader.iter_artefacts(ev, types=sel.artefact_types) if a.file_id is not None)
    if sel.yara_rules:
        ids.update(y.file_id for y in reader.iter_yara_matches(ev, rules=sel.yara_rules))
    if sel.tagged:
        ids.update(reader.tagged_file_ids(ev))
    rows: dict[int, FileRow] = {}
    for batch in _batches(ids):
        for f in reader.iter_files(ev, file_ids=batch):
            rows[f.id] = f
    if sel.sha256:
        for f in reader.iter_files(ev, sha256=sel.sha256):
            rows[f.id] = f
    return [rows[i] for i in sorted(rows)]


def display(text: str, limit: int = 300) -> str:
    """Evidence text on one terminal line: what is not printable as ``\\xNN``/``\\uNNNN``, bounded."""
    out = "".join(ch if ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) <= 0xFF else f"\\u{ord(ch):04x}")
                  for ch in text)
    return out if len(out) <= limit else out[:limit - 1] + "…"


def _copy_name(f: FileRow) -> str:
    """The name a copy starts from: the file's own, or for a document's derived text ``<document> (text).txt``."""
    from triage.scan.members import TEXT_MEMBER

    if f.name == TEXT_MEMBER and "!/" in f.path:
        container = f.path.rsplit("!/", 1)[0].rsplit("/", 1)[-1].rsplit("!/", 1)[-1]
        return f"{container} (text).txt"
    return f.name or f.path.rsplit("/", 1)[-1]


def _record(f: FileRow, ev: EvidenceRow, volume: Any, status: str, new_name: str | None = None,
            reason: str | None = None, computed: str | None = None) -> ExtractedFile:
    return ExtractedFile(
        file_id=f.id, exhibit=f.evidence_id, evidence_number=ev.evidence_number,
        volume=volume.addr if volume is not None else None,
        volume_offset=volume.offset if volume is not None else None,
        inode=f.inode, original_path=f.path, size=f.size, md5=f.md5, sha1=f.sha1, sha256=f.sha256,
        status=status, verified=status == EXTRACTED, new_name=new_name, reason=reason, computed_sha256=computed)


def _copy(chunks: Iterator[bytes], dst: Path) -> tuple[int, str, str, str]:
    """Write the chunks to a new file (never an existing one), hashing as they pass."""
    md5, sha1, sha256 = hashlib.md5(), hashlib.sha1(), hashlib.sha256()
    n = 0
    with open(dst, "xb") as fh:
        for chunk in chunks:
            fh.write(chunk)
            md5.update(chunk)
            sha1.update(chunk)
            sha256.update(chunk)
            n += len(chunk)
    return n, md5.hexdigest(), sha1.hexdigest(), sha256.hexdigest()


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _times(dst: Path, f: FileRow) -> None:
    """The copy carries the original's modification and access times (its ctime is the copy's own)."""
    if f.mtime_raw is None:
        return
    try:
        os.utime(dst, (f.atime_raw if f.atime_raw is not None else f.mtime_raw, f.mtime_raw))
    except (OSError, OverflowError, ValueError):
        pass


def extract(reader: CaseReader, rows: list[FileRow], out_dir: Path,
            evidence_paths: dict[str, str] | None = None) -> ExtractResult:
    """Copy ``rows`` into ``out_dir/files`` and record each outcome; the caller writes the manifests."""
    result = ExtractResult()
    files_dir = out_dir / FILES_DIR
    files_dir.mkdir(exist_ok=True)
    root = files_dir.resolve()
    # an earlier extraction's files (--force) are never overwritten: their names count as taken
    names = NameAllocator({p.name for p in files_dir.iterdir()})
    evidence = {e.id: e for e in reader.evidence()}
    volumes = {v.id: v for v in reader.volumes()}
    with EvidenceSource(reader, evidence_paths) as source:
        for f in rows:
            ev = evidence[f.evidence_id]
            vol = volumes.get(f.volume_id) if f.volume_id is not None else None
            if f.type in ("dir", "virtual_dir"):
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason="a directory"))
                continue
            if not f.sha256:
                why = (f"not read in full by the scan (status {f.status})" if f.status != "done"
                       else "the case holds no SHA-256 for it")
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE,
                                            reason=f"{why}: nothing to verify a copy against"))
                continue
            try:
                chunks = source.chunks(ev, f)
            except SourceUnavailable as exc:
                result.unavailable.setdefault(ev.id, str(exc))
                result.files.append(_record(f, ev, vol, UNAVAILABLE, reason=str(exc)))
                continue
            except NotExtractable as exc:
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason=str(exc)))
                continue
            except Exception as exc:  # pytsk3 raises plain IOError/OSError and more
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason=f"cannot read: {one_line(exc)}"))
                continue
            name = names.allocate(_copy_name(f))
            dst = files_dir / name
            if dst.resolve().parent != root:  # cannot happen with safe_name; checked all the same
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason="no safe name inside the folder"))
                continue
            try:
                n, _md5, _sha1, sha256 = _copy(chunks, dst)
            except SourceUnavailable as exc:
                _remove(dst)
                result.unavailable.setdefault(ev.id, str(exc))
                result.files.append(_record(f, ev, vol, UNAVAILABLE, reason=str(exc)))
                continue
            except NotExtractable as exc:
                _remove(dst)
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason=str(exc)))
                continue
            except FileExistsError:
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason=f"{name} appeared in the folder "
                                                                                "while extracting"))
                continue
            except OSError as exc:
                _remove(dst)
                if exc.errno is not None:  # the output side: disk full, permissions
                    raise
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason=f"read failed: {one_line(exc)}"))
                continue
            except Exception as exc:
                _remove(dst)
                result.files.append(_record(f, ev, vol, NOT_EXTRACTABLE, reason=f"read failed: {one_line(exc)}"))
                continue
            except BaseException:  # interrupted: no unverified part-copy is left behind
                _remove(dst)
                raise
            if n != f.size or sha256 != f.sha256.lower():
                _remove(dst)
                result.files.append(_record(
                    f, ev, vol, MISMATCH, computed=sha256,
                    reason=f"{n} bytes with SHA-256 {sha256} read now, the case recorded {f.size} bytes with "
                           f"SHA-256 {f.sha256}: the evidence changed or is not the image scanned; copy removed"))
                continue
            _times(dst, f)
            result.written.append(dst)
            result.files.append(_record(f, ev, vol, EXTRACTED, new_name=f"{FILES_DIR}/{name}", computed=sha256))
    return result


_CSV_COLUMNS = [k for k in ExtractedFile.__dataclass_fields__]


def write_records(out_dir: Path, result: ExtractResult) -> list[Path]:
    """``extracted.csv`` (formula-neutralised) and ``extracted.json`` (exact values)."""
    from triage.export.safe import neutralise_csv

    csv_path = out_dir / CSV_NAME
    with open(csv_path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(_CSV_COLUMNS)
        for rec in result.files:
            row = asdict(rec)
            w.writerow([neutralise_csv("yes" if row[c] else "no") if c == "verified" else
                        ("" if row[c] is None else neutralise_csv(row[c])) for c in _CSV_COLUMNS])
    json_path = out_dir / JSON_NAME
    doc = {
        "selected": len(result.files),
        "extracted": result.count(EXTRACTED),
        "hash_mismatch": result.count(MISMATCH),
        "not_extractable": result.count(NOT_EXTRACTABLE),
        "evidence_unavailable": result.unavailable,
        "files": [asdict(r) for r in result.files],
    }
    json_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [csv_path, json_path]
