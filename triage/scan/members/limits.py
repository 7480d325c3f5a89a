"""What every expander of members shares: the limits, the budget of one container, member entries, bounded reads.

Every member is hostile and every container a possible bomb: a member's
bytes are cut at the member, container and ratio limits (each cut recorded
as ``ScanError(stage="limit")``, the rest of the container still used), and
a member name only ever becomes part of a recorded path (``safe_name``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import IO

from triage.records import Entry, ScanError

__all__ = ["CHUNK_BYTES", "TEXT_MEMBER", "ArchiveLimits", "Budget", "admit", "bounded", "bounded_file",
           "member_entry", "peek", "safe_name"]

CHUNK_BYTES = 1024 * 1024
#: the name of the member that holds a document's extracted text (a PDF's
#: pages, a Word document's paragraphs): never expanded again
TEXT_MEMBER = "(text)"


@dataclass(frozen=True)
class ArchiveLimits:
    max_depth: int = 4  # archives inside archives
    max_members: int = 10_000  # per archive
    max_total_bytes: int = 2 * 1024**3  # expanded, per archive
    max_ratio: int = 200  # expanded / compressed, per member (zip), stream, or whole 7z archive
    max_member_bytes: int = 512 * 1024**2


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
