"""Reading a file of the case back from its evidence, read-only, the way the scan read it.

The scan names a file by its volume and meta address (``files.inode``), the
stream by its ADS name (``files.stream``): the same ``icat``-style reopening
the workers use (``triage.batch.units``), through the same container and
file-system code (``triage.evidence``). An archive member has no bytes on
the evidence: its top-level container is read from the evidence into a
temporary file and expanded by the scan's own expanders
(``triage.scan.members.iter_members``, with the scan's default limits), level
by level, until the member of the same recorded path comes out.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.text import one_line

if TYPE_CHECKING:
    from triage.case.reader import CaseReader, EvidenceRow, FileRow, VolumeRow

__all__ = ["EvidenceSource", "NotExtractable", "SourceUnavailable"]

#: bytes per read from The Sleuth Kit
CHUNK = 1 << 20


class NotExtractable(Exception):
    """This file cannot be read back (a directory, no meta address, a member the expanders no longer yield)."""


class SourceUnavailable(Exception):
    """The evidence item cannot be opened (missing, moved, not the image the case scanned)."""


@dataclass(frozen=True)
class _Opened:
    handle: Any  # triage.evidence.containers.OpenedEvidence
    path: str


class EvidenceSource:
    """The opened evidence items of one extraction, each opened once, with their file systems."""

    def __init__(self, reader: CaseReader, overrides: dict[str, str] | None = None) -> None:
        self.reader = reader
        self.overrides = overrides or {}
        self._opened: dict[str, _Opened | SourceUnavailable] = {}
        self._fs: dict[tuple[str, int], Any] = {}
        self._volumes: dict[int, VolumeRow] = {}

    def close(self) -> None:
        for item in self._opened.values():
            if isinstance(item, _Opened):
                item.handle.close()
        self._opened.clear()
        self._fs.clear()

    def __enter__(self) -> EvidenceSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def image_path(self, ev: EvidenceRow) -> str:
        return self.overrides.get(ev.id, ev.path)

    def open(self, ev: EvidenceRow) -> _Opened:
        """The opened container of ``ev``; :class:`SourceUnavailable` (remembered) when it cannot be."""
        item = self._opened.get(ev.id)
        if item is None:
            item = self._open(ev)
            self._opened[ev.id] = item
        if isinstance(item, SourceUnavailable):
            raise item
        return item

    def _open(self, ev: EvidenceRow) -> _Opened | SourceUnavailable:
        from triage.evidence.containers import open_evidence

        path = self.image_path(ev)
        hint = "" if ev.id in self.overrides else f" (moved? point at it with --evidence-path {ev.id}=PATH)"
        if not Path(path).exists():
            return SourceUnavailable(f"evidence {ev.id}: image not found at {path}{hint}")
        try:
            handle = open_evidence(path, ev.id)
        except Exception as exc:
            return SourceUnavailable(f"evidence {ev.id}: cannot open {path}: {one_line(exc)}")
        size = int(handle.img.get_size())
        if size != ev.size:
            handle.close()
            return SourceUnavailable(f"evidence {ev.id}: {path} is not the image the case scanned "
                                     f"(media of {size} bytes, the case recorded {ev.size})")
        return _Opened(handle, path)

    def _volume(self, volume_id: int) -> VolumeRow:
        if not self._volumes:
            self._volumes = {v.id: v for v in self.reader.volumes()}
        vol = self._volumes.get(volume_id)
        if vol is None:
            raise NotExtractable(f"volume {volume_id} is not in the case")
        return vol

    def _file_system(self, ev: EvidenceRow, vol: VolumeRow) -> Any:
        from triage.evidence.volumes import open_fs

        key = (ev.id, vol.offset)
        fs = self._fs.get(key)
        if fs is None:
            opened = self.open(ev)
            try:
                fs = open_fs(opened.handle.img, vol.offset)
            except Exception as exc:
                raise NotExtractable(f"no file system at offset {vol.offset} any more: {one_line(exc)}") from None
            self._fs[key] = fs
        return fs

    def chunks(self, ev: EvidenceRow, f: FileRow) -> Iterator[bytes]:
        """The file's bytes, in order; raises before the first chunk when they cannot be read."""
        if f.type in ("dir", "virtual_dir"):
            raise NotExtractable("a directory")
        if f.parent_id is not None:
            return self._member_chunks(ev, f)
        return self._fs_chunks(ev, f)

    def _fs_chunks(self, ev: EvidenceRow, f: FileRow) -> Iterator[bytes]:
        from triage.evidence.walk import StreamReader, _data_streams

        if f.inode is None or f.volume_id is None:
            raise NotExtractable("no meta address recorded")
        vol = self._volume(f.volume_id)
        self.open(ev)  # SourceUnavailable first: a missing image is not a per-file problem
        fs = self._file_system(ev, vol)
        try:
            tsk_file = fs.open_meta(inode=f.inode)
        except Exception as exc:
            raise NotExtractable(f"cannot reopen meta address {f.inode}: {one_line(exc)}") from None
        streams = _data_streams(tsk_file)
        if f.stream is not None:
            match = [s for s in streams if s[0] == f.stream]
            if not match:
                raise NotExtractable(f"stream {f.stream!r} is no longer on meta address {f.inode}")
            _, atype, aid, _, _ = match[0]
            reader = StreamReader(tsk_file, f.size, atype, aid)
        else:
            default = [s for s in streams if s[0] is None]
            if default:
                _, atype, aid, _, _ = default[0]
                reader = StreamReader(tsk_file, f.size, atype, aid)
            else:
                reader = StreamReader(tsk_file, f.size, None, None)
        return reader.chunks(CHUNK)

    def _member_chunks(self, ev: EvidenceRow, f: FileRow) -> Iterator[bytes]:
        chain = [f]
        while chain[0].parent_id is not None:
            parent = self.reader.file(chain[0].parent_id)
            if parent is None or len(chain) > 8:
                raise NotExtractable("its container is not in the case")
            chain.insert(0, parent)
        top = chain[0]
        top_chunks = self._fs_chunks(ev, top)  # raises now if the container cannot be reopened
        return _expand(top, top_chunks, chain[1:])


def _spool(chunks: Iterator[bytes], tmp: Path) -> Path:
    with open(tmp, "wb") as fh:
        for chunk in chunks:
            fh.write(chunk)
    return tmp


def _expand(top: FileRow, top_chunks: Iterator[bytes], members: list[FileRow]) -> Iterator[bytes]:
    """Expand containers level by level in a temporary folder; yield the last member's bytes."""
    from triage.records import Entry
    from triage.scan.members import ArchiveLimits, archive_kind, iter_members

    with tempfile.TemporaryDirectory(prefix="triage-extract-") as tmpdir:
        current = _spool(top_chunks, Path(tmpdir) / "0")
        container = top
        for level, member in enumerate(members, start=1):
            with open(current, "rb") as fh:
                head = fh.read(4096)
            kind = archive_kind(container.mime, head, container.name)
            if kind is None:
                raise NotExtractable(f"its container {container.path!r} is no longer an archive triage expands")
            entry = Entry(path=container.path, name=container.name, inode=None, size=container.size,
                          type="regular", depth=container.depth)
            errors: list[Any] = []
            found = False
            for member_entry, chunks in iter_members(current, kind, entry, ArchiveLimits(), errors):
                if member_entry.path != member.path:
                    for _ in chunks:  # each member's chunks are read before the next is given
                        pass
                    continue
                if level == len(members):
                    yield from chunks
                    return
                current = _spool(chunks, Path(tmpdir) / str(level))
                found = True
                break
            if not found:
                why = f" ({errors[0].message})" if errors else ""
                raise NotExtractable(f"the member is no longer in {container.path!r}{why}")
            container = member
