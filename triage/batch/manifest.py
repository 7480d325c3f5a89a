"""What a batch is made of: a CSV manifest, or a folder of images found by their content.

A lab hands over a spreadsheet (evidence id, path, case, examiner) or just a
folder of acquisitions. Either way every item ends up as a ``BatchItem``;
relative paths are resolved against the manifest's own folder so the
manifest travels with the evidence.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from triage.evidence.containers import (
    EWF_SIGNATURES,
    EvidenceError,
    default_evidence_id,
    detect_format,
)

#: characters a case name keeps in its database file name; others become "_"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
_VMDK_EXTENT = re.compile(rb'^\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+\S+\s+"([^"]+)"', re.M)
_SPLIT_NUM = re.compile(r"^(?P<stem>.*\.)(?P<num>\d{3})$")
_SPLIT_ALPHA = re.compile(r"^(?P<stem>.*\.)(?P<alpha>[a-z]{2})$")


class ManifestError(Exception):
    """The manifest cannot be used; one line for the examiner."""


@dataclass(frozen=True)
class BatchItem:
    evidence_id: str
    path: Path
    case: str  # sanitised: safe as a file name
    examiner: str | None = None


def sanitise_case_name(name: str) -> str:
    """A case name as a portable file name: no separators, no dot files, no DOS device names."""
    safe = _UNSAFE.sub("_", name.strip()).strip("._")[:100] or "case"
    if safe.split(".")[0].upper() in _WINDOWS_RESERVED:
        safe = f"case_{safe}"
    return safe


def safe_file_name(name: str) -> str:
    """An evidence id as a log file name."""
    return _UNSAFE.sub("_", name).strip("._")[:150] or "item"


def read_manifest(path: Path, default_case: str | None = None) -> list[BatchItem]:
    """Items of a CSV manifest (header: evidence_id, path, case, examiner) or of a folder of images."""
    if path.is_dir():
        case = sanitise_case_name(default_case or path.resolve().name)
        images = discover_images(path)
        ids = [default_evidence_id(p) for p in images]
        # "disk.E01" beside "disk.raw": the same default id would merge two items into one
        clash = {i for i in ids if ids.count(i) > 1}
        ids = [str(p.relative_to(path)) if i in clash else i for i, p in zip(ids, images)]
        return [BatchItem(i, p, case) for i, p in zip(ids, images)]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    reader = csv.DictReader(text.splitlines())
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if "path" not in fields:
        raise ManifestError(f"{path}: a manifest needs a 'path' column (and evidence_id, case, examiner)")
    items: list[BatchItem] = []
    seen: dict[tuple[str, str], int] = {}
    for n, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        if not any(row.values()):
            continue
        if not row.get("path"):
            raise ManifestError(f"{path}:{n}: empty path")
        p = Path(row["path"]).expanduser()
        if not p.is_absolute():
            p = path.parent / p
        evidence_id = row.get("evidence_id") or default_evidence_id(p)
        case = sanitise_case_name(row.get("case") or default_case or path.stem)
        if (case, evidence_id) in seen:
            raise ManifestError(f"{path}:{n}: evidence id {evidence_id!r} already used on line "
                                f"{seen[(case, evidence_id)]} of case {case!r}")
        seen[(case, evidence_id)] = n
        items.append(BatchItem(evidence_id, p, case, row.get("examiner") or None))
    if not items:
        raise ManifestError(f"{path}: no items")
    return items


def discover_images(folder: Path) -> list[Path]:
    """Image files in ``folder`` (recursively), one per evidence item, judged by content.

    Skipped: non-first segments of split raw and EWF sets, VMDK extent files a
    descriptor names, and raw files in which The Sleuth Kit sees neither a
    volume system nor a file system (a note, a hash list, a PDF report).
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    extents: set[Path] = set()
    for p in files:
        try:
            head = p.read_bytes()[:4096] if p.stat().st_size < 1_000_000 else b""
        except OSError:
            continue
        if b"# Disk DescriptorFile" in head[:1024]:
            named = {p.parent / m.decode("utf-8", "replace") for m in _VMDK_EXTENT.findall(head)}
            extents.update(named - {p})  # a sparse VMDK's embedded descriptor names the file itself
    out: list[Path] = []
    for p in files:
        if p in extents or _later_segment(p):
            continue
        try:
            fmt = detect_format(p)
        except EvidenceError:
            continue
        if fmt == "raw" and not _looks_like_media(p):
            continue
        out.append(p)
    return out


def _later_segment(p: Path) -> bool:
    """Second and later pieces of a set: the first piece names the whole item."""
    m = _SPLIT_NUM.match(p.name)
    if m:
        num = int(m.group("num"))
        first = p.with_name(f"{m.group('stem')}{0:03d}")
        return num > 1 or (num == 1 and first.exists())
    m = _SPLIT_ALPHA.match(p.name)
    if m and m.group("alpha") != "aa" and p.with_name(f"{m.group('stem')}aa").exists():
        return True
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    if head[:8] == EWF_SIGNATURES[0]:
        return int.from_bytes(head[9:11], "little") > 1  # EWF1: segment number after the signature
    if head[:8] == EWF_SIGNATURES[1]:
        return int.from_bytes(head[12:16], "little") > 1  # EWF2 (Ex01)
    return False


def _looks_like_media(p: Path) -> bool:
    """A raw file The Sleuth Kit finds a partition table or a file system in."""
    import pytsk3

    try:
        img = pytsk3.Img_Info(str(p))
    except Exception:
        return False
    try:
        pytsk3.Volume_Info(img)
        return True
    except Exception:
        pass
    try:
        pytsk3.FS_Info(img, offset=0)
        return True
    except Exception:
        return False
