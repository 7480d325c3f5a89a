"""Evidence containers, detected by content signature and wrapped as ``pytsk3.Img_Info``.

Every format is opened read-only through its well-kept library (libewf,
libqcow, libvmdk, libvhdi) and presented to The Sleuth Kit as one flat
media; nothing here ever opens an evidence file for writing.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytsk3

from triage.records import Evidence
from triage.text import one_line

#: differencing chains deeper than this are refused (a loop or a hostile image)
MAX_PARENT_DEPTH = 16
#: a failed read is retried in pieces of this many bytes, to return what precedes the bad piece
READ_RETRY_BYTES = 4096
#: read failures remembered (with their offsets) per opened image; the rest are only counted
READ_FAILURES_KEPT = 16

EWF_SIGNATURES = (b"EVF\x09\x0d\x0a\xff\x00", b"EVF2\x0d\x0a\x81\x00")
QCOW_SIGNATURE = b"QFI\xfb"
VMDK_SPARSE_SIGNATURE = b"KDMV"
VMDK_COWD_SIGNATURE = b"COWD"
VMDK_DESCRIPTOR_MARK = b"# Disk DescriptorFile"
VHDX_SIGNATURE = b"vhdxfile"
VHD_COOKIE = b"conectix"


class EvidenceError(Exception):
    """The evidence cannot be opened; the message is one line for the examiner."""


class MissingParentError(EvidenceError):
    """A differencing image whose parent is not beside it."""


class _Backend(Protocol):
    def read_buffer_at_offset(self, size: int, offset: int) -> bytes: ...
    def get_media_size(self) -> int: ...
    def close(self) -> None: ...


class BackendImg(pytsk3.Img_Info):  # type: ignore[misc]
    """Presents any libyal-style handle (or our split-raw reader) to TSK.

    The handle is not thread-safe; one lock serialises reads so a progress
    thread or a verifier can share it.
    """

    def __init__(self, backend: _Backend, keepalive: tuple[Any, ...] = ()) -> None:
        self._backend = backend
        self._keepalive = keepalive  # parent handles must outlive the child
        self._size = backend.get_media_size()
        self._lock = threading.Lock()
        #: reads the container could not serve: (media offset, one-line reason), the first READ_FAILURES_KEPT
        self.read_failures: list[tuple[int, str]] = []
        self.read_failure_count = 0
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def close(self) -> None:
        self._backend.close()
        for handle in self._keepalive:
            handle.close()

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset``; short when part of the media cannot be read, never raising.

        A missing EWF segment, a corrupt QCOW2 table, a failing disk: the
        bytes before the first unreadable piece are returned (TSK sees a
        short read of that one request, not a failed image) and the failure
        is counted in ``read_failures``.
        """
        if offset >= self._size or size <= 0:
            return b""
        size = min(size, self._size - offset)
        with self._lock:
            try:
                return self._backend.read_buffer_at_offset(size, offset)
            except Exception as exc:
                self._failed(offset, exc)
            out = bytearray()
            pos, end = offset, offset + size
            while pos < end:  # what can be read before the bad piece
                n = min(READ_RETRY_BYTES - pos % READ_RETRY_BYTES, end - pos)
                try:
                    data = self._backend.read_buffer_at_offset(n, pos)
                except Exception:
                    break
                if not data:
                    break
                out += data
                pos += len(data)
            return bytes(out)

    def _failed(self, offset: int, exc: BaseException) -> None:
        self.read_failure_count += 1
        if len(self.read_failures) < READ_FAILURES_KEPT:
            self.read_failures.append((offset, one_line(exc)[:300]))

    def get_size(self) -> int:
        return self._size


class SplitRaw:
    """Concatenated raw segments (``.000/.001``, ``.001/.002``, ``.aa/.ab``)."""

    def __init__(self, paths: list[Path]) -> None:
        self._paths = paths
        self._files = [open(p, "rb") for p in paths]  # read-only, never "r+b"
        self._starts: list[int] = []
        total = 0
        for f in self._files:
            self._starts.append(total)
            total += os.fstat(f.fileno()).st_size
        self._size = total

    def get_media_size(self) -> int:
        return self._size

    def read_buffer_at_offset(self, size: int, offset: int) -> bytes:
        out = bytearray()
        idx = _segment_index(self._starts, offset)
        while size > 0 and idx < len(self._files):
            seg_off = offset - self._starts[idx]
            f = self._files[idx]
            f.seek(seg_off)
            data = f.read(size)
            if not data:
                idx += 1
                continue
            out += data
            size -= len(data)
            offset += len(data)
            idx = _segment_index(self._starts, offset)
        return bytes(out)

    def close(self) -> None:
        for f in self._files:
            f.close()


def _segment_index(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid - 1
    return lo


_SPLIT_NUMERIC = re.compile(r"^(?P<stem>.*\.)(?P<num>\d{3})$")
_SPLIT_ALPHA = re.compile(r"^(?P<stem>.*\.)(?P<alpha>[a-z]{2})$")
_SPLIT_ALPHA_BARE = re.compile(r"^(?P<stem>.+?)(?P<alpha>aa)$")


def split_segments(path: Path) -> list[Path] | None:
    """The ordered segments of a split raw set when ``path`` is its first one."""
    name = path.name
    m = _SPLIT_NUMERIC.match(name)
    if m:
        first = int(m.group("num"))
        if first not in (0, 1):
            return None
        segs = []
        n = first
        while True:
            p = path.with_name(f"{m.group('stem')}{n:03d}")
            if not p.exists():
                break
            segs.append(p)
            n += 1
        return segs if len(segs) > 1 else None
    # split(1)'s alphabetic suffixes: "image.raw.aa", or "xaa" / "imageaa" without a dot
    m = _SPLIT_ALPHA.match(name) or _SPLIT_ALPHA_BARE.match(name)
    if m and m.group("alpha") == "aa":
        segs = []
        for a in range(26):
            for b in range(26):
                p = path.with_name(f"{m.group('stem')}{chr(97 + a)}{chr(97 + b)}")
                if not p.exists():
                    return segs if len(segs) > 1 else None
                segs.append(p)
    return None


def detect_format(path: Path) -> str:
    """Container format from the file's own bytes (never its extension)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(4096)
            tail = b""
            if size >= 512:
                f.seek(size - 512)
                tail = f.read(512)
    except IsADirectoryError:
        raise EvidenceError(f"{path}: is a directory, not an image") from None
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if any(head.startswith(sig) for sig in EWF_SIGNATURES):
        return "ewf"
    if head.startswith(QCOW_SIGNATURE):
        return "qcow2"
    if head.startswith(VMDK_SPARSE_SIGNATURE) or head.startswith(VMDK_COWD_SIGNATURE):
        return "vmdk"
    if VMDK_DESCRIPTOR_MARK in head[:1024]:
        return "vmdk"
    if head.startswith(VHDX_SIGNATURE):
        return "vhdx"
    if head.startswith(VHD_COOKIE) or tail.startswith(VHD_COOKIE) or tail[1:].startswith(VHD_COOKIE):
        return "vhd"
    if split_segments(path):
        return "split_raw"
    if size == 0:
        raise EvidenceError(f"{path}: empty file, not an image")
    return "raw"


@dataclass
class OpenedEvidence:
    """An opened container: the TSK image plus what the container said."""

    evidence: Evidence
    img: pytsk3.Img_Info
    _closers: list[Callable[[], None]] = field(default_factory=list)
    #: what is wrong with the container but did not stop it opening (one line each: a missing segment)
    warnings: list[str] = field(default_factory=list)

    def close(self) -> None:
        for c in self._closers:
            try:
                c()
            except Exception:  # closing a handle that failed to open
                pass

    def __enter__(self) -> OpenedEvidence:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _ewf_metadata(handle: Any) -> dict[str, str | None]:
    def header(name: str) -> str | None:
        try:
            v = handle.get_header_value(name)
        except Exception:
            return None
        return v or None

    def hash_value(name: str) -> str | None:
        try:
            v = handle.get_hash_value(name)
        except Exception:
            return None
        return v.lower() if v else None

    return {
        "stored_md5": hash_value("MD5"),
        "stored_sha1": hash_value("SHA1"),
        "case_number": header("case_number"),
        "evidence_number": header("evidence_number"),
        "examiner": header("examiner_name"),
        "description": header("description"),
        "notes": header("notes"),
        "acquired": header("acquiry_date"),
        "acquiry_software": header("acquiry_software"),
    }


def _open_ewf(path: Path) -> tuple[Any, list[str], dict[str, str | None]]:
    import pyewf

    try:
        segments = pyewf.glob(str(path))
    except Exception as exc:
        raise EvidenceError(f"{path}: cannot find EWF segments: {one_line(exc)}") from None
    handle = pyewf.handle()
    try:
        handle.open(segments, "r")
    except Exception as exc:
        raise EvidenceError(f"{path}: cannot open EWF set ({len(segments)} segments): {one_line(exc)}") from None
    return handle, segments, _ewf_metadata(handle)


_EWF_SEGMENT = re.compile(r"^(?P<stem>.+)\.(?P<ext>[EeLs](?:x)?[0-9A-Za-z]{2})$")


def ewf_set_warnings(path: Path, handle: Any, segments: list[str]) -> list[str]:
    """What is wrong with an EWF set that libewf still opened: segments missing from it, an unreadable end.

    libewf's glob stops at the first missing segment, so ``.E01 .E02 .E04``
    opens as two segments and every read past ``.E02`` fails; the files
    beyond the gap are named so the examiner knows what to look for.
    """
    out: list[str] = []
    m = _EWF_SEGMENT.match(path.name)
    if m:
        found = {Path(s).name for s in segments}
        prefix = m.group("stem") + "."
        strays = sorted(p.name for p in path.parent.iterdir()
                        if p.name.startswith(prefix) and p.name not in found and _EWF_SEGMENT.match(p.name)
                        and p.name[len(prefix):][:1].lower() == m.group("ext")[:1].lower())
        if strays:
            out.append(f"EWF set incomplete: {len(segments)} segment(s) in sequence, then a gap; not used: "
                       f"{', '.join(strays[:8])}{' ...' if len(strays) > 8 else ''}")
    try:
        size = int(handle.get_media_size())
        if size > 0:
            handle.read_buffer_at_offset(min(512, size), max(0, size - 512))
    except Exception as exc:
        why = "a segment file is missing" if "missing segment" in str(exc) else one_line(exc)[:120]
        out.append(f"EWF set incomplete or damaged: the end of the media cannot be read ({len(segments)} "
                   f"segment(s) opened; {why})")
    return out


def _resolve_parent(child: Path, name: str) -> Path:
    """Find a differencing image's parent beside the child (names are often Windows paths)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    for candidate in (child.parent / name, child.parent / base):
        if candidate.is_file():
            return candidate
    raise MissingParentError(f"{child}: differencing image; parent {base!r} not found beside it")


def _open_layered(path: Path, make: Callable[[], Any], label: str, parent_of: Callable[[Any], str | None],
                  after_open: Callable[[Any, Path], None] | None = None, depth: int = 0) -> tuple[Any, tuple[Any, ...]]:
    """Open a libyal virtual disk and, for a differencing one, its chain of parents."""
    handle = make()
    try:
        handle.open(str(path), "r")
    except Exception as exc:
        raise EvidenceError(f"{path}: cannot open {label} image: {one_line(exc)}") from None
    if after_open is not None:
        after_open(handle, path)
    keep: tuple[Any, ...] = ()
    parent_name = parent_of(handle)
    if parent_name:
        if depth >= MAX_PARENT_DEPTH:
            raise EvidenceError(f"{path}: differencing chain deeper than {MAX_PARENT_DEPTH}")
        parent, pkeep = _open_layered(_resolve_parent(path, parent_name), make, label, parent_of, after_open,
                                      depth + 1)
        handle.set_parent(parent)
        keep = (parent, *pkeep)
    return handle, keep


def _open_qcow(path: Path) -> tuple[Any, tuple[Any, ...]]:
    import pyqcow

    return _open_layered(path, pyqcow.file, "QCOW", lambda h: h.get_backing_filename())


def _open_vmdk(path: Path) -> tuple[Any, tuple[Any, ...]]:
    import pyvmdk

    def extents(handle: Any, p: Path) -> None:
        try:
            handle.open_extent_data_files()
        except Exception as exc:
            raise EvidenceError(f"{p}: VMDK extent file missing or unreadable: {one_line(exc)}") from None

    return _open_layered(path, pyvmdk.handle, "VMDK", lambda h: h.get_parent_filename(), extents)


def _open_vhdi(path: Path) -> tuple[Any, tuple[Any, ...]]:
    import pyvhdi

    return _open_layered(path, pyvhdi.file, "VHD/VHDX", lambda h: h.get_parent_filename())


class _RawFile:
    """A single raw image read with plain ``pread``: no TSK type guessing by extension."""

    def __init__(self, path: Path) -> None:
        self._f = open(path, "rb")
        self._size = os.fstat(self._f.fileno()).st_size

    def get_media_size(self) -> int:
        return self._size

    def read_buffer_at_offset(self, size: int, offset: int) -> bytes:
        return os.pread(self._f.fileno(), size, offset)

    def close(self) -> None:
        self._f.close()


def default_evidence_id(path: Path) -> str:
    """A stable id from the image's name: the first segment's name without its extension."""
    name = path.name
    for suffix in (".E01", ".e01", ".Ex01", ".raw", ".dd", ".img", ".000", ".001", ".aa",
                   ".qcow2", ".vmdk", ".vhd", ".vhdx"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def open_evidence(path: str | Path, evidence_id: str | None = None) -> OpenedEvidence:
    """Open any supported container read-only; raise EvidenceError with one clear line."""
    p = Path(path)
    if not p.exists():
        raise EvidenceError(f"{p}: no such file")
    fmt = detect_format(p)
    meta: dict[str, str | None] = {}
    segments: list[str] = [str(p)]
    backend: _Backend
    keep: tuple[Any, ...] = ()
    warnings: list[str] = []
    if fmt == "ewf":
        backend, segments, meta = _open_ewf(p)
        warnings = ewf_set_warnings(p, backend, segments)
    elif fmt == "qcow2":
        backend, keep = _open_qcow(p)
    elif fmt == "vmdk":
        backend, keep = _open_vmdk(p)
    elif fmt in ("vhd", "vhdx"):
        backend, keep = _open_vhdi(p)
    elif fmt == "split_raw":
        segs = split_segments(p) or [p]
        segments = [str(s) for s in segs]
        backend = SplitRaw(segs)
    else:
        backend = _RawFile(p)
    try:
        img = BackendImg(backend, keep)
    except Exception as exc:
        backend.close()
        raise EvidenceError(f"{p}: cannot present {fmt} image to The Sleuth Kit: {one_line(exc)}") from None
    size = img.get_size()
    if size <= 0:
        img.close()
        raise EvidenceError(f"{p}: {fmt} container reports no media")
    evidence = Evidence(
        id=evidence_id or default_evidence_id(p),
        path=str(p.resolve()),
        format=fmt,
        size=size,
        segments=tuple(str(Path(s).resolve()) for s in segments),
        **meta,  # type: ignore[arg-type]  # EWF header fields, all optional strings
    )
    return OpenedEvidence(evidence=evidence, img=img, _closers=[img.close], warnings=warnings)
