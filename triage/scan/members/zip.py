"""A ZIP's members; then, for a Word, Excel, PowerPoint or OpenDocument file, its text (``office_text``)."""

from __future__ import annotations

import calendar
import zipfile
from collections.abc import Iterator
from pathlib import Path

from triage.records import Entry, ScanError
from triage.scan.members.limits import Budget, bounded_file, member_entry
from triage.scan.members.office_text import office_text_member

__all__ = ["zip_members"]


def zip_members(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
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
        yield from office_text_member(zf, parent, budget, errors)
