"""Records that cross module boundaries.

Workers (evidence readers, consumers, plugins) produce these; only
``triage.case.writer`` turns them into rows. Keeping them frozen, typed and
free of open handles is what lets them cross process boundaries (pickle) and
keeps the case database single-writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar

_R = TypeVar("_R")


def _positional_pickle(cls: type[_R]) -> type[_R]:
    """Pickle as ``cls(*values)``.

    A frozen slots dataclass otherwise pickles through a generated
    ``__setstate__`` that looks its fields up again for every object; the
    parent of a lab scan unpickles tens of thousands of these a minute.
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    many = attrgetter(*names)
    get = many if len(names) > 1 else (lambda obj: (many(obj),))  # one name: attrgetter gives no tuple

    def __reduce__(self: Any) -> tuple[type, tuple[Any, ...]]:  # noqa: N807 - the pickle protocol's name
        return cls, get(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment, method-assign]
    return cls


@_positional_pickle
@dataclass(frozen=True, slots=True)
class Evidence:
    """One evidence item as opened: what the container says about itself."""

    id: str
    path: str
    format: str  # raw, split_raw, ewf, qcow2, vmdk, vhd, vhdx
    size: int  # media size in bytes (what the file systems see)
    segments: tuple[str, ...] = ()
    stored_md5: str | None = None
    stored_sha1: str | None = None
    case_number: str | None = None
    evidence_number: str | None = None
    examiner: str | None = None
    description: str | None = None
    notes: str | None = None
    acquired: str | None = None
    acquiry_software: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@_positional_pickle
@dataclass(frozen=True, slots=True)
class Volume:
    """A partition, an unallocated gap, or the whole media (no partition table).

    ``addr`` is the volume's index in the volume system (as mmls shows it);
    ``-1`` means the whole media was used as one volume.
    """

    evidence_id: str
    addr: int
    offset: int  # bytes from the start of the media
    length: int  # bytes
    kind: str  # partition, unallocated, whole, meta
    description: str = ""
    fs_type: str | None = None  # ntfs, fat16, ext4 ... None when TSK found none
    block_size: int | None = None
    fs_label: str | None = None
    fs_id: str | None = None
    volume_system: str | None = None  # dos, gpt, none


@_positional_pickle
@dataclass(frozen=True, slots=True)
class Entry:
    """A file-system entry (or a stream of one, or an archive member).

    ``path`` is the full path inside its volume, ``/`` separated; an NTFS
    alternate data stream is ``/dir/file:stream``; a member of an archive is
    ``/dir/archive.zip!/inner/file`` (``parent_path`` names the archive).
    Times are raw POSIX seconds (UTC), ``None`` where the file system has none.
    """

    path: str
    name: str
    inode: int | None
    size: int
    type: str  # regular, dir, link, socket, fifo, char, block, virtual, unknown
    deleted: bool = False
    allocated: bool = True
    mtime: float | None = None
    atime: float | None = None
    ctime: float | None = None
    crtime: float | None = None
    stream: str | None = None  # ADS name, None for the default data stream
    attr_type: int | None = None  # TSK attribute type of the stream read
    attr_id: int | None = None  # TSK attribute id of the stream read
    orphan: bool = False
    parent_path: str | None = None  # for archive members: the archive's path
    depth: int = 0  # archive nesting depth, 0 for file-system entries

    @property
    def extension(self) -> str:
        """Lower-case extension with the dot, as LOKI/THOR define it."""
        base = self.name.rsplit(":", 1)[0] if self.stream else self.name
        dot = base.rfind(".")
        return base[dot:].lower() if dot > 0 else ""


@_positional_pickle
@dataclass(frozen=True, slots=True)
class Hashes:
    md5: str
    sha1: str
    sha256: str
    tlsh: str | None = None


@_positional_pickle
@dataclass(slots=True)
class Artefact:
    """One feature found in a file's bytes, in unallocated space, or by a parser.

    ``value`` is the normalised form used for grouping and search; ``raw`` is
    what was found, as text. ``offset`` is within the file (or the volume for
    unallocated space). ``extra`` carries type-specific parsed fields
    (brand, MRZ fields, browser source and timestamps...) as JSON-able values.

    Not frozen, unlike the other records, though nothing changes one once
    built (``dataclasses.replace`` makes the changed copies): one is built
    for every accepted content hit, and often twice, and a frozen
    dataclass's ``__init__`` (a call to ``object.__setattr__`` per field)
    costs three times as much. Its ``extra`` is a dict, so it was never hashable anyway.
    """

    type: str
    value: str
    raw: str = ""
    offset: int | None = None
    encoding: str | None = None  # ascii, utf-16le, or None for parsed records
    context: str = ""
    plugin: str = ""
    plugin_version: str = ""
    confidence: float = 1.0
    timestamp: str | None = None  # ISO 8601 UTC where the artefact carries a time
    count: int = 1  # identical hits in one file are stored once, counted
    extra: dict[str, Any] = field(default_factory=dict)


@_positional_pickle
@dataclass(frozen=True, slots=True)
class YaraString:
    identifier: str
    offset: int
    excerpt: str  # short escaped excerpt of the matched bytes


@_positional_pickle
@dataclass(frozen=True, slots=True)
class YaraMatch:
    rule: str
    namespace: str
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    strings: tuple[YaraString, ...] = ()


@_positional_pickle
@dataclass(frozen=True, slots=True)
class HashHit:
    """A file's hash found in an imported hash set."""

    set_name: str
    kind: str  # known, notable
    algorithm: str  # md5, sha1, sha256, tlsh
    value: str
    distance: int | None = None  # for fuzzy (TLSH) hits


@_positional_pickle
@dataclass(frozen=True, slots=True)
class ScanError:
    """Something that went wrong and was recorded instead of stopping the scan."""

    stage: str  # open, volumes, fs, walk, read, hash, magic, yara, plugin, archive, limit ...
    message: str
    path: str | None = None
    volume_addr: int | None = None
    plugin: str | None = None
    plugin_version: str | None = None
    offset: int | None = None


@_positional_pickle
@dataclass(frozen=True, slots=True)
class FileResult:
    """Everything one read pass learned about one entry."""

    entry: Entry
    volume_addr: int
    hashes: Hashes | None = None
    mime: str | None = None
    magic: str | None = None
    bytes_read: int = 0
    artefacts: tuple[Artefact, ...] = ()
    yara: tuple[YaraMatch, ...] = ()
    hash_hits: tuple[HashHit, ...] = ()
    errors: tuple[ScanError, ...] = ()
    known: bool = False
    notable: bool = False
    #: the entry's mtime, atime, ctime, crtime as ISO 8601 UTC, formatted where
    #: the file was read (a worker) so the single writer does not; None: not yet
    times: tuple[str | None, str | None, str | None, str | None] | None = None
