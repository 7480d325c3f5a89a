"""``iter_members``: a container's members, through the expander its kind names (``EXPANDERS``).

An archive is only ever opened from the engine's private temporary copy,
never from the evidence. Real archives (ZIP, tar, 7z, gzip, bzip2, xz) and
derived members (a PDF's page text, a mail's decoded MIME parts; an OOXML or
ODF document's text comes with its ZIP) go the same way: one expander per
kind, each yielding ``(member entry, its chunks)`` under the container's
:class:`~triage.scan.members.limits.Budget`. What an expander raises about a
damaged container becomes one ``errors`` row (stage ``archive``); the members
it gave before are kept.
"""

from __future__ import annotations

import lzma
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from triage.records import Entry, ScanError
from triage.scan.members.compressed import compressed_member
from triage.scan.members.limits import ArchiveLimits, Budget
from triage.scan.members.mime_parts import mail_part_members
from triage.scan.members.pdf_text import pdf_text_member
from triage.scan.members.sevenzip import sevenzip_members
from triage.scan.members.tar import tar_members
from triage.scan.members.zip import zip_members

__all__ = ["EXPANDERS", "Expander", "iter_members"]

#: an expander: (private copy, container entry, budget, errors) -> (member entry, its chunks)...
Expander = Callable[[Path, Entry, Budget, list[ScanError]], Iterator[tuple[Entry, Iterator[bytes]]]]


def _compressed(kind: str) -> Expander:
    def expand(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
               ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
        return compressed_member(path, kind, parent, budget, errors)
    return expand


#: kind (``detect.archive_kind``) -> its expander
EXPANDERS: dict[str, Expander] = {
    "zip": zip_members,
    "gzip": _compressed("gzip"),
    "bzip2": _compressed("bzip2"),
    "xz": _compressed("xz"),
    "tar": tar_members,
    "7z": sevenzip_members,
    "pdf": pdf_text_member,
    "mail": mail_part_members,
}

#: what a damaged container raises from inside the libraries: recorded, never fatal
_DAMAGED = (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, lzma.LZMAError, ValueError, RuntimeError,
            NotImplementedError)


def iter_members(
    path: Path, kind: str, parent: Entry, limits: ArchiveLimits, errors: list[ScanError]
) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    """Yield (member entry, its chunks) in order; the chunks must be consumed before the next member."""
    if parent.depth >= limits.max_depth:
        errors.append(ScanError("limit", f"archive nested deeper than {limits.max_depth}; not expanded", parent.path))
        return
    expander = EXPANDERS.get(kind)
    if expander is None:
        return
    try:
        yield from expander(path, parent, Budget(limits), errors)
    except _DAMAGED as exc:
        errors.append(ScanError("archive", f"{kind}: {type(exc).__name__}: {exc}", parent.path))


