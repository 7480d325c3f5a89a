"""A tar's regular members."""

from __future__ import annotations

import tarfile
from collections.abc import Iterator
from pathlib import Path

from triage.records import Entry, ScanError
from triage.scan.members.limits import Budget, bounded_file, member_entry

__all__ = ["tar_members"]


def tar_members(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
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
