"""Members of archives and compressed streams, streamed with bomb limits.

An archive is only ever opened from the pipeline's private temporary copy,
never from the evidence. Every limit that trips is reported as a
``ScanError(stage="limit")`` and the rest of the archive is still used.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import lzma
import re
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any

from triage.records import Entry, ScanError

CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_depth: int = 4  # archives inside archives
    max_members: int = 10_000  # per archive
    max_total_bytes: int = 2 * 1024**3  # expanded, per archive
    max_ratio: int = 200  # expanded / compressed, per member (zip), stream, or whole 7z archive
    max_member_bytes: int = 512 * 1024**2


ZIP_MIMES = {"application/zip", "application/java-archive", "application/vnd.android.package-archive",
             "application/x-zip-compressed"}
COMPRESSED = {
    "application/gzip": "gzip", "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
}
TAR_MIMES = {"application/x-tar"}
SEVEN_ZIP_MIMES = {"application/x-7z-compressed"}


MAIL_MIMES = {"message/rfc822", "application/mbox", "message/news"}
MAIL_EXTENSIONS = (".eml", ".mbox", ".mbx", ".mbs")
#: the name of the member that holds a document's extracted text (a PDF's
#: pages, a Word document's paragraphs): never expanded again
TEXT_MEMBER = "(text)"
_HEADER_LINE = re.compile(rb"(?m)^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]")


def archive_kind(mime: str | None, head: bytes, name: str | None = None) -> str | None:
    """Which expander applies, from libmagic's MIME type, the first bytes and the name.

    ``zip`` also covers OOXML and ODF documents (their text member is added
    by the ZIP expander when the parts are there); ``pdf`` and ``mail`` add
    derived members (the page text; decoded MIME parts).
    """
    if name == TEXT_MEMBER:
        return None  # derived text is scanned, never expanded again
    if head.startswith(b"PK\x03\x04") or mime in ZIP_MIMES or (mime or "").startswith(
        ("application/vnd.openxmlformats", "application/vnd.oasis.opendocument")
    ):
        return "zip" if head.startswith(b"PK") else None
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    if mime == "application/pdf" or head.startswith(b"%PDF-") or (
            name and name.lower().endswith(".pdf") and b"%PDF-" in head[:1024]):  # junk before the header
        return "pdf"
    if _looks_like_mail(mime, head, name):
        return "mail"
    return None


def _looks_like_mail(mime: str | None, head: bytes, name: str | None) -> bool:
    """An RFC 822 message or an mbox: libmagic says so, or the head does.

    libmagic calls an mbox whose first message has no header it knows at the
    start ``text/plain``, and an .eml without Received/Return-Path first may be
    ``text/plain`` too: a ``From `` envelope line followed by header lines, or
    a mail extension with a header block, is enough.
    """
    if mime in MAIL_MIMES:
        return True
    if mime is not None and not mime.startswith("text/"):
        return False
    # every text file of a scan comes here: the header count only when it can matter
    if head.startswith(b"From "):
        return len(_HEADER_LINE.findall(head[:4096])) >= 2
    return bool(name and name.lower().endswith(MAIL_EXTENSIONS) and _HEADER_LINE.match(head)
                and len(_HEADER_LINE.findall(head[:4096])) >= 2)


class Budget:
    """What one container has expanded so far (members, bytes), against its limits.

    Shared by the expanders of real archives and of derived members
    (``pdf_text``, ``mime_parts``, ``office_text``), as are ``member_entry``,
    ``bounded``, ``peek`` and ``admit`` below.
    """

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.total = 0
        self.members = 0


def safe_name(name: str) -> str:
    # member names are hostile: they only ever become part of a recorded path
    name = name.replace("\\", "/").lstrip("/")
    return "/".join(p for p in name.split("/") if p not in ("", ".", "..")) or "(unnamed)"


def member_entry(parent: Entry, name: str, size: int, mtime: float | None) -> Entry:
    clean = safe_name(name)
    return Entry(
        path=f"{parent.path}!/{clean}",
        name=clean.rsplit("/", 1)[-1],
        inode=None,
        size=size,
        type="regular",
        deleted=parent.deleted,
        allocated=parent.allocated,
        mtime=mtime,
        parent_path=parent.path,
        depth=parent.depth + 1,
    )


def bounded_file(fh: IO[bytes], budget: Budget, errors: list[ScanError], where: str,
                 compressed: int | None) -> Iterator[bytes]:
    """An open member's bytes in CHUNK_BYTES pieces, cut at the limits (see ``bounded``)."""
    return bounded(iter(partial(fh.read, CHUNK_BYTES), b""), budget, errors, where, compressed)


def bounded(chunks: Iterable[bytes], budget: Budget, errors: list[ScanError], where: str,
             compressed: int | None) -> Iterator[bytes]:
    """One member's bytes, cut at the member, archive and ratio limits (each cut recorded)."""
    produced = 0
    lim = budget.limits
    for chunk in chunks:
        if not chunk:
            continue
        produced += len(chunk)
        budget.total += len(chunk)
        if produced > lim.max_member_bytes:
            errors.append(ScanError("limit", f"member larger than {lim.max_member_bytes} bytes; truncated", where))
            return
        if budget.total > lim.max_total_bytes:
            errors.append(ScanError("limit", f"archive expands past {lim.max_total_bytes} bytes; rest skipped", where))
            return
        if compressed is not None and produced > 1024 * 1024 and produced > lim.max_ratio * max(compressed, 1):
            errors.append(ScanError("limit", f"compression ratio above {lim.max_ratio}; member truncated", where))
            return
        yield chunk


def peek(chunks: Iterator[bytes]) -> Iterator[bytes] | None:
    """The same chunks with the first non-empty one read ahead; None when there is none.

    A derived member (a document's text) is only recorded when it has content.
    """
    for chunk in chunks:
        if chunk:
            return itertools.chain((chunk,), chunks)
    return None


def admit(budget: Budget, errors: list[ScanError], parent: Entry) -> bool:
    """Count one more member; False (and the limit recorded) once there are too many."""
    budget.members += 1
    if budget.members > budget.limits.max_members:
        errors.append(ScanError("limit", f"more than {budget.limits.max_members} members; rest skipped",
                                parent.path))
        return False
    return True


def iter_members(
    path: Path, kind: str, parent: Entry, limits: ArchiveLimits, errors: list[ScanError]
) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    """Yield (member entry, its chunks) in order; the chunks must be consumed before the next member."""
    if parent.depth >= limits.max_depth:
        errors.append(ScanError("limit", f"archive nested deeper than {limits.max_depth}; not expanded", parent.path))
        return
    budget = Budget(limits)
    try:
        if kind == "zip":
            yield from _zip_members(path, parent, budget, errors)
        elif kind in ("gzip", "bzip2", "xz"):
            yield from _compressed_member(path, kind, parent, budget, errors)
        elif kind == "tar":
            yield from _tar_members(path, parent, budget, errors)
        elif kind == "7z":
            yield from _7z_members(path, parent, budget, errors)
        elif kind == "pdf":
            from triage.scan.pdf_text import pdf_text_member

            yield from pdf_text_member(path, parent, budget, errors)
        elif kind == "mail":
            from triage.scan.mime_parts import mail_part_members

            yield from mail_part_members(path, parent, budget, errors)
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, lzma.LZMAError, ValueError, RuntimeError,
            NotImplementedError) as exc:
        errors.append(ScanError("archive", f"{kind}: {type(exc).__name__}: {exc}", parent.path))


def _zip_members(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
                 ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            budget.members += 1
            if budget.members > budget.limits.max_members:
                errors.append(ScanError("limit", f"more than {budget.limits.max_members} members; rest skipped",
                                        parent.path))
                return
            import calendar

            try:
                mtime = float(calendar.timegm((*info.date_time, 0, 0, 0)))
            except (ValueError, OverflowError):
                mtime = None
            entry = member_entry(parent, info.filename, info.file_size, mtime)
            if info.flag_bits & 0x1:
                errors.append(ScanError("archive", "encrypted member; not expanded", entry.path))
                continue
            try:
                fh = zf.open(info)
            except (NotImplementedError, zipfile.BadZipFile, RuntimeError) as exc:
                errors.append(ScanError("archive", f"cannot expand member: {exc}", entry.path))
                continue
            with fh:
                yield entry, bounded_file(fh, budget, errors, entry.path, info.compress_size)
        # a Word, Excel, PowerPoint or OpenDocument file: its text, runs joined
        from triage.scan.office_text import office_text_member

        yield from office_text_member(zf, parent, budget, errors)


def _compressed_member(path: Path, kind: str, parent: Entry, budget: Budget, errors: list[ScanError]
                       ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    opener: Any = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}[kind]
    name = parent.name
    for suffix in (".gz", ".tgz", ".bz2", ".xz", ".z"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)] + (".tar" if suffix == ".tgz" else "")
            break
    else:
        name = name + ".out"
    compressed = path.stat().st_size
    with opener(path, "rb") as fh:
        entry = member_entry(parent, name, -1, parent.mtime)
        yield entry, bounded_file(fh, budget, errors, entry.path, compressed)


def _tar_members(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
                 ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    with tarfile.open(path, mode="r:") as tf:
        for info in tf:
            if not info.isfile():
                continue
            budget.members += 1
            if budget.members > budget.limits.max_members:
                errors.append(ScanError("limit", f"more than {budget.limits.max_members} members; rest skipped",
                                        parent.path))
                return
            entry = member_entry(parent, info.name, info.size, float(info.mtime) if info.mtime else None)
            fh = tf.extractfile(info)
            if fh is None:
                continue
            yield entry, bounded_file(fh, budget, errors, entry.path, None)


class _RatioExceeded(Exception):
    """Raised from inside py7zr's write callback to stop a 7z bomb's decompression."""


def _7z_members(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
                ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    try:
        import py7zr
    except ImportError:
        errors.append(ScanError("archive", "7z support needs py7zr, which is not installed", parent.path))
        return
    import tempfile

    limit = budget.limits.max_member_bytes
    # 7z compresses members together (solid blocks), so the ratio is bounded
    # for the archive as a whole: everything written so far against its size
    ratio_cap = max(budget.limits.max_ratio * max(path.stat().st_size, 1), 1024 * 1024)
    expanded = [0]

    class _Spool(py7zr.Py7zIO):  # type: ignore[misc]
        """Where py7zr writes one member: a private temporary file, cut at the member and ratio limits."""

        def __init__(self) -> None:
            self.file = tempfile.TemporaryFile()
            self.written = 0
            self.truncated = False
            self.ratio_hit = False

        def write(self, s: bytes | bytearray) -> int:
            room = limit - self.written
            if len(s) > room:
                self.truncated = True
                s = s[: max(room, 0)]
            if expanded[0] + len(s) > ratio_cap:
                self.ratio_hit = True
                s = s[: max(ratio_cap - expanded[0], 0)]
            self.file.write(s)
            self.written += len(s)
            expanded[0] += len(s)
            if self.ratio_hit:
                raise _RatioExceeded  # stops the decompression itself, not just the copy
            return len(s)

        def read(self, size: int | None = None) -> bytes:
            return self.file.read(-1 if size is None else size)

        def seek(self, offset: int, whence: int = 0) -> int:
            return self.file.seek(offset, whence)

        def flush(self) -> None:
            self.file.flush()

        def size(self) -> int:
            return self.written

    class _Factory(py7zr.WriterFactory):  # type: ignore[misc]
        def __init__(self) -> None:
            self.spools: dict[str, _Spool] = {}

        def create(self, filename: str) -> _Spool:
            spool = _Spool()
            self.spools[filename] = spool
            return spool

    with py7zr.SevenZipFile(path, mode="r") as sz:
        if sz.needs_password():
            errors.append(ScanError("archive", "encrypted 7z archive; not expanded", parent.path))
            return
        infos = [i for i in sz.list() if not i.is_directory]
        for info in infos:
            budget.members += 1
            if budget.members > budget.limits.max_members:
                errors.append(ScanError("limit", f"more than {budget.limits.max_members} members; rest skipped",
                                        parent.path))
                return
            entry = member_entry(parent, info.filename, info.uncompressed, None)
            factory = _Factory()
            sz.reset()
            try:
                sz.extract(targets=[info.filename], factory=factory)
            except _RatioExceeded:
                pass
            spool = factory.spools.get(info.filename)
            if spool is None:
                continue
            if spool.truncated:
                errors.append(ScanError("limit", f"member larger than {limit} bytes; truncated", entry.path))
            if spool.ratio_hit:
                errors.append(ScanError("limit", f"compression ratio above {budget.limits.max_ratio}; member "
                                                 "truncated, rest skipped", entry.path))
            spool.file.seek(0)
            try:
                yield entry, bounded_file(spool.file, budget, errors, entry.path, None)
            finally:
                spool.file.close()
            if spool.ratio_hit:
                return
