"""The one stream of a gzip, bzip2 or xz file, named after the file without its suffix."""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.records import Entry, ScanError
from triage.scan.members.limits import Budget, bounded_file, member_entry

__all__ = ["compressed_member"]


def compressed_member(path: Path, kind: str, parent: Entry, budget: Budget, errors: list[ScanError]
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
