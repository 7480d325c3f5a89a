"""A 7z archive's members, each decompressed by py7zr into a private temporary file, a bomb stopped mid-way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from triage.records import Entry, ScanError
from triage.scan.members.limits import Budget, bounded_file, member_entry

__all__ = ["sevenzip_members"]


class _RatioExceeded(Exception):
    """Raised from inside py7zr's write callback to stop a 7z bomb's decompression."""


def sevenzip_members(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
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
