"""Walk a file system with The Sleuth Kit: every entry, deleted and orphan ones, every data stream.

Yields ``(Entry, Reader | None)`` so the pipeline reads each stream once,
straight from TSK. Directory loops (hostile or corrupt images) are cut by
remembering each directory's meta address.
"""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytsk3

from triage.records import Entry, ScanError
from triage.text import one_line

log = logging.getLogger(__name__)

#: bytes per read from TSK: large reads keep per-call overhead out of the hot path
READ_CHUNK_BYTES = 1024 * 1024
#: a stream is read to at least this many bytes even on a small file system (sparse files), see stream_bound
STREAM_MIN_BOUND = 1024**3
#: a directory deeper than this is recorded as an error and not entered
MAX_DIR_DEPTH = 256
#: entries in one directory beyond this are recorded as an error and skipped
MAX_DIR_ENTRIES = 1_000_000

_META_TYPES = {
    pytsk3.TSK_FS_META_TYPE_REG: "regular",
    pytsk3.TSK_FS_META_TYPE_DIR: "dir",
    pytsk3.TSK_FS_META_TYPE_LNK: "link",
    pytsk3.TSK_FS_META_TYPE_FIFO: "fifo",
    pytsk3.TSK_FS_META_TYPE_CHR: "char",
    pytsk3.TSK_FS_META_TYPE_BLK: "block",
    pytsk3.TSK_FS_META_TYPE_SOCK: "socket",
    pytsk3.TSK_FS_META_TYPE_VIRT: "virtual",
    pytsk3.TSK_FS_META_TYPE_VIRT_DIR: "virtual_dir",
}
_NAME_TYPES = {
    pytsk3.TSK_FS_NAME_TYPE_REG: "regular",
    pytsk3.TSK_FS_NAME_TYPE_DIR: "dir",
    pytsk3.TSK_FS_NAME_TYPE_LNK: "link",
    pytsk3.TSK_FS_NAME_TYPE_FIFO: "fifo",
    pytsk3.TSK_FS_NAME_TYPE_CHR: "char",
    pytsk3.TSK_FS_NAME_TYPE_BLK: "block",
    pytsk3.TSK_FS_NAME_TYPE_SOCK: "socket",
    pytsk3.TSK_FS_NAME_TYPE_VIRT: "virtual",
    pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR: "virtual_dir",
}
_DATA_ATTR_TYPES = {
    int(pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA),
    int(pytsk3.TSK_FS_ATTR_TYPE_DEFAULT),
}
ORPHAN_DIR = "$OrphanFiles"
#: block addresses and run lengths above this are corrupt (they fit no media and no array('q'))
_RUN_MAX = 2**62


def _decode(name: bytes | str | None) -> str:
    if name is None:
        return ""
    if isinstance(name, str):
        return name
    return name.decode("utf-8", "replace")


def _time(meta: object, attr: str) -> float | None:
    sec = getattr(meta, attr, 0) or 0
    if not sec:
        return None
    nano = getattr(meta, f"{attr}_nano", 0) or 0
    return float(sec) + nano / 1e9


def stream_bound(f: pytsk3.File) -> int:
    """Bytes of one stream worth reading: what its file system holds on the media, at least STREAM_MIN_BOUND.

    A size is the evidence's word: an inode claiming 2**63 bytes over a few
    real blocks reads as zeros (sparse) for ever. No real stream holds more
    data than its file system's blocks on the media; one claiming more is
    read that far and fails as a short read would (recorded, no hashes).
    """
    try:
        info = f.info.fs_info
        on_media = (int(info.last_block_act) + 1) * int(info.block_size)
    except Exception:
        on_media = 0
    return max(STREAM_MIN_BOUND, on_media)


@dataclass
class StreamReader:
    """Reads one data stream of one TSK file in large chunks."""

    file: pytsk3.File
    size: int
    attr_type: int | None
    attr_id: int | None

    def chunks(self, chunk_bytes: int = READ_CHUNK_BYTES) -> Iterator[bytes]:
        offset = 0
        bound = stream_bound(self.file)
        while offset < self.size:
            if offset >= bound:
                raise OSError(f"stream claims {self.size} bytes, more than its file system holds on the media; "
                              f"read stopped at {offset}")
            n = min(chunk_bytes, self.size - offset)
            if self.attr_type is None:
                data = self.file.read_random(offset, n)
            else:
                data = self.file.read_random(offset, n, self.attr_type, self.attr_id)
            if not data:
                raise OSError(f"short read at offset {offset} of {self.size}")
            yield data
            offset += len(data)

    def read_at(self, offset: int, n: int) -> bytes:
        n = max(0, min(n, self.size - offset))
        if n == 0:
            return b""
        if self.attr_type is None:
            return bytes(self.file.read_random(offset, n))
        return bytes(self.file.read_random(offset, n, self.attr_type, self.attr_id))


def _entry_type(f: pytsk3.File, meta: Any = None) -> str:
    meta = meta if meta is not None else f.info.meta
    if meta is not None and int(meta.type) in _META_TYPES:
        return _META_TYPES[int(meta.type)]
    name = f.info.name
    if name is not None and int(name.type) in _NAME_TYPES:
        return _NAME_TYPES[int(name.type)]
    return "unknown"


def _data_streams(f: pytsk3.File, runs: array | None = None) -> list[tuple[str | None, int, int, int, bool]]:
    """(stream name or None for the default, attr type, attr id, size, wholly sparse) of each data attribute.

    When ``runs`` is given, every non-sparse block run of every attribute is
    appended to it as (first block, length) pairs: the complement is the
    volume's unallocated space. A wholly sparse stream (NTFS ``$BadClus:$Bad``
    spans the whole volume) has no bytes to read and is not read.
    """
    streams: list[tuple[str | None, int, int, int, bool]] = []
    try:
        for attr in f:
            info = attr.info
            atype = int(info.type)
            nonresident = bool(int(info.flags) & pytsk3.TSK_FS_ATTR_NONRES)
            real_runs = 0
            if nonresident:
                for run in attr:
                    if int(run.flags) & (pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE | pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER):
                        continue
                    if int(run.len) > 0:
                        real_runs += 1
                        if runs is not None and int(run.addr) <= _RUN_MAX and int(run.len) <= _RUN_MAX:
                            # a run beyond any media (corrupt extents) cannot cover free space: not kept
                            runs.append(int(run.addr))
                            runs.append(int(run.len))
            if atype not in _DATA_ATTR_TYPES:
                continue
            sparse = nonresident and real_runs == 0 and int(info.size) > 0
            name = _decode(info.name)
            if name in ("", "$Data"):
                streams.append((None, atype, int(info.id), int(info.size), sparse))
            else:
                streams.append((name, atype, int(info.id), int(info.size), sparse))
    except Exception:
        return []
    return streams


def make_entry(f: pytsk3.File, parent: str, orphan: bool, meta_file: pytsk3.File | None = None) -> Entry:
    """Entry from a directory listing's file; ``meta_file`` supplies the metadata
    when the listing had none (TSK leaves deleted names without it)."""
    name_info = f.info.name
    meta = (meta_file or f).info.meta
    name = _decode(name_info.name) if name_info is not None else ""
    path = f"{parent.rstrip('/')}/{name}" if name else parent
    name_unalloc = bool(name_info is not None and int(name_info.flags) & pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
    meta_unalloc = bool(meta is not None and int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC)
    inode = int(meta.addr) if meta is not None else (int(name_info.meta_addr) if name_info is not None else None)
    size = int(meta.size) if meta is not None else 0
    deleted = name_unalloc or meta_unalloc
    return Entry(
        path=path,
        name=name,
        inode=inode,
        size=max(size, 0),
        type=_entry_type(f, meta),
        deleted=deleted,
        allocated=not deleted,
        mtime=_time(meta, "mtime") if meta is not None else None,
        atime=_time(meta, "atime") if meta is not None else None,
        ctime=_time(meta, "ctime") if meta is not None else None,
        crtime=_time(meta, "crtime") if meta is not None else None,
        orphan=orphan,
    )


def walk_fs(
    fs: pytsk3.FS_Info, volume_addr: int, errors: list[ScanError], runs: array | None = None
) -> Iterator[tuple[Entry, StreamReader | None]]:
    """Every entry under the root; errors are appended, never raised.

    Regular files yield one ``(Entry, reader)`` per data stream (an NTFS
    ADS is ``name:stream``); directories and other types yield ``reader=None``.
    """
    try:
        root = fs.open_dir(path="/")
    except Exception as exc:
        errors.append(ScanError("walk", f"cannot open the root directory: {one_line(exc)}", "/", volume_addr))
        return
    root_inode = int(fs.info.root_inum)
    yield from _walk_dir(fs, root, "/", {root_inode}, 0, False, volume_addr, errors, runs)


def _open_meta(fs: pytsk3.FS_Info, name_info: object) -> pytsk3.File | None:
    try:
        mf = fs.open_meta(inode=int(name_info.meta_addr))  # type: ignore[attr-defined]
    except Exception:
        return None
    meta = mf.info.meta
    if meta is None:
        return None
    # NTFS records a sequence number in the name. Freeing an MFT entry bumps
    # its sequence by one; more than that means the entry was reused by
    # another file, whose data is not this name's
    seq = int(getattr(name_info, "meta_seq", 0) or 0)
    mseq = int(getattr(meta, "seq", 0) or 0)
    if seq and mseq and mseq not in (seq, seq + 1):
        return None
    return mf


def _walk_dir(
    fs: pytsk3.FS_Info,
    directory: pytsk3.Directory,
    path: str,
    ancestors: set[int],
    depth: int,
    orphan: bool,
    volume_addr: int,
    errors: list[ScanError],
    runs: array | None,
) -> Iterator[tuple[Entry, StreamReader | None]]:
    count = 0
    iterator = iter(directory)
    while True:
        try:
            f = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            errors.append(ScanError("walk", f"directory listing failed: {one_line(exc)}", path, volume_addr))
            return
        count += 1
        if count > MAX_DIR_ENTRIES:
            errors.append(ScanError("limit", f"more than {MAX_DIR_ENTRIES} entries; rest skipped", path, volume_addr))
            return
        name_info = f.info.name
        if name_info is None:
            continue
        raw_name = name_info.name
        if raw_name in (b".", b"..", ".", ".."):
            continue
        meta_file = None
        if f.info.meta is None and int(name_info.meta_addr or 0):
            # a deleted name whose metadata TSK did not attach: look it up by address
            meta_file = _open_meta(fs, name_info)
        try:
            entry = make_entry(f, path, orphan, meta_file)
        except Exception as exc:
            errors.append(ScanError("walk", f"unreadable entry: {one_line(exc)}", path, volume_addr))
            continue
        if entry.type in ("dir", "virtual_dir"):
            if runs is not None:
                _data_streams(f, runs)
            yield entry, None
            meta = f.info.meta
            inode = int(meta.addr) if meta is not None else None
            if inode is None or inode in ancestors:
                if inode is not None:
                    errors.append(ScanError("walk", "directory loop cut", entry.path, volume_addr))
                continue
            if depth + 1 > MAX_DIR_DEPTH:
                errors.append(ScanError("limit", f"directory deeper than {MAX_DIR_DEPTH}; not entered", entry.path,
                                        volume_addr))
                continue
            try:
                sub = f.as_directory()
            except Exception as exc:
                # deleted directories often cannot be opened any more
                if not entry.deleted:
                    errors.append(ScanError("walk", f"cannot open directory: {one_line(exc)}", entry.path, volume_addr))
                continue
            yield from _walk_dir(
                fs, sub, entry.path, ancestors | {inode}, depth + 1,
                orphan or entry.name == ORPHAN_DIR, volume_addr, errors, runs,
            )
            continue
        data_file = meta_file or f
        if entry.type not in ("regular", "virtual", "unknown") or data_file.info.meta is None:
            yield entry, None
            continue
        f = data_file
        streams = _data_streams(f, runs)
        if not streams:
            # resident or unnamed data that TSK reads through the default attribute
            yield entry, (StreamReader(f, entry.size, None, None) if entry.size > 0 else None)
            continue
        default_done = False
        for stream_name, atype, aid, asize, sparse in streams:
            if stream_name is None:
                if default_done:
                    continue
                default_done = True
                yield entry, (None if sparse else StreamReader(f, entry.size, atype, aid))
            else:
                ads = Entry(
                    path=f"{entry.path}:{stream_name}",
                    name=f"{entry.name}:{stream_name}",
                    inode=entry.inode,
                    size=asize,
                    type=entry.type,
                    deleted=entry.deleted,
                    allocated=entry.allocated,
                    mtime=entry.mtime,
                    atime=entry.atime,
                    ctime=entry.ctime,
                    crtime=entry.crtime,
                    stream=stream_name,
                    attr_type=atype,
                    attr_id=aid,
                    orphan=entry.orphan,
                )
                yield ads, (None if sparse else StreamReader(f, asize, atype, aid))
        if not default_done:
            yield entry, None


def unallocated_ranges(runs: array, block_count: int, first_block: int = 0) -> list[tuple[int, int]]:
    """Complement of the allocated runs within [first_block, block_count): (first block, count) pairs.

    ``block_count`` is the caller's bound (the file system's blocks cut to
    the media): runs past it, however long they claim to be, add nothing.
    """
    pairs = sorted((runs[i], runs[i + 1]) for i in range(0, len(runs) - 1, 2))
    out: list[tuple[int, int]] = []
    cursor = first_block
    for start, length in pairs:
        if start > cursor:
            out.append((cursor, min(start, block_count) - cursor))
        cursor = max(cursor, start + length)
        if cursor >= block_count:
            break
    if cursor < block_count:
        out.append((cursor, block_count - cursor))
    return [(s, n) for s, n in out if n > 0]
