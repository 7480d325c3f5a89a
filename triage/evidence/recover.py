"""Finding file systems when the partition table lies: a bounded search for boot sectors and superblocks.

When no partition table leads to a file system The Sleuth Kit can open,
the media is searched, as TestDisk and ``fsstat -o`` by hand would do, for
the first sector of a file system at aligned offsets: FAT12/16/32, NTFS and
exFAT boot sectors, the ext2/3/4 and HFS+ superblocks (1 KiB in) and the
ISO9660 primary volume descriptor (32 KiB in). A candidate is kept only when
The Sleuth Kit opens a file system there; it becomes a ``recovered`` volume.

The search is bounded so that it ends in time proportional to the media and
never reads more than a fixed budget:

- every 512-byte sector of the first ``DENSE_BYTES`` (partitions of the CHS
  era start at sector 63, modern ones at 1 MiB);
- beyond that, a grid of at most ``MAX_SPARSE_PROBES`` offsets, 1 MiB
  apart (4 GiB), farther apart (a power of two MiB) on larger media;
- after each file system found, the likely starts of the next one: right
  after its end, the next ``FOLLOW_ON_MIBS`` 1 MiB boundaries and the next
  cylinder (file systems follow one another; that finds them between grid
  points);
- ISO9660 is looked for in the dense region only;
- at most ``MAX_RECOVERED`` volumes are kept.

Copies are not volumes of their own: an ext superblock whose block group is
not 0 is a backup, a boot sector byte-identical to one already kept is its
backup copy (FAT32 sector 6, NTFS last sector), and a candidate inside a
kept volume whose size fits the media is part of it.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

SECTOR = 512
#: every sector of this many leading bytes is a candidate
DENSE_BYTES = 64 * 1024 * 1024
#: beyond the dense region, candidates are this far apart
SPARSE_ALIGN = 1024 * 1024
#: grid probes beyond the dense region (4 GiB at 1 MiB apart; farther apart on larger media)
MAX_SPARSE_PROBES = 4096
#: after a file system found beyond the dense region, this many 1 MiB boundaries past its end are probed
FOLLOW_ON_MIBS = 16
#: recovered volumes kept at most
MAX_RECOVERED = 64
#: bytes read per window of the dense region
WINDOW_BYTES = 1024 * 1024
#: bytes a candidate needs after its offset (ISO9660: descriptor at 32 KiB)
_ISO_PVD = 32768
_LOOKAHEAD = _ISO_PVD + 2048
INT64_MAX = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file-system signature at ``offset``: its kind, the size it claims, and the bytes that identify it."""

    offset: int
    kind: str  # fat, ntfs, exfat, ext, hfsplus, iso9660
    claimed_bytes: int  # what the boot sector / superblock says (0 when it says nothing usable)
    head: bytes  # the boot sector or superblock, to tell a backup copy from a file system


def _u16(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<H", b, o)[0])


def _u32(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<I", b, o)[0])


def _u64(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<Q", b, o)[0])


def _boot_sector(b: bytes, o: int) -> Candidate | None:
    """FAT, NTFS or exFAT boot sector at ``b[o:o+512]``."""
    if b[o + 510:o + 512] != b"\x55\xaa":
        return None
    oem = b[o + 3:o + 11]
    head = bytes(b[o:o + SECTOR])
    if oem == b"NTFS    ":
        bps = _u16(b, o + 11)
        if bps not in (512, 1024, 2048, 4096):
            return None
        return Candidate(o, "ntfs", (_u64(b, o + 40) + 1) * bps, head)
    if oem == b"EXFAT   ":
        shift = b[o + 108]
        if not 9 <= shift <= 12:
            return None
        return Candidate(o, "exfat", _u64(b, o + 72) << shift, head)
    if b[o] not in (0xEB, 0xE9):
        return None
    bps = _u16(b, o + 11)
    spc = b[o + 13]
    if bps not in (512, 1024, 2048, 4096) or spc == 0 or spc & (spc - 1) or _u16(b, o + 14) == 0 \
            or b[o + 16] not in (1, 2):
        return None
    if b[o + 54:o + 57] != b"FAT" and b[o + 82:o + 87] != b"FAT32":
        return None
    total = _u16(b, o + 19) or _u32(b, o + 32)
    return Candidate(o, "fat", total * bps, head)


def _superblock(b: bytes, o: int) -> Candidate | None:
    """ext2/3/4 or HFS+ superblock 1 KiB after ``o``."""
    sb = o + 1024
    if b[sb + 56:sb + 58] == b"\x53\xef":
        log_bs = _u32(b, sb + 24)
        if log_bs > 6 or _u16(b, sb + 90) != 0:  # block size past 64 KiB, or a backup superblock
            return None
        blocks = _u32(b, sb + 4)
        if _u32(b, sb + 0x60) & 0x80:  # INCOMPAT_64BIT
            blocks |= _u32(b, sb + 0x150) << 32
        return Candidate(o, "ext", blocks * (1024 << log_bs), bytes(b[sb:sb + 1024]))
    if b[sb:sb + 2] in (b"H+", b"HX") and b[sb + 2:sb + 4] in (b"\x00\x04", b"\x00\x05"):
        block, total = struct.unpack_from(">II", b, sb + 40)
        return Candidate(o, "hfsplus", block * total, bytes(b[sb:sb + 512]))
    return None


def _iso9660(b: bytes, o: int) -> Candidate | None:
    pvd = o + _ISO_PVD
    if b[pvd:pvd + 6] != b"\x01CD001":
        return None
    return Candidate(o, "iso9660", _u32(b, pvd + 80) * _u16(b, pvd + 128), bytes(b[pvd:pvd + 2048]))


def _probe(b: bytes, o: int, iso: bool) -> Candidate | None:
    return _boot_sector(b, o) or _superblock(b, o) or (_iso9660(b, o) if iso else None)


def _inside(pos: int, end: int, skip: list[tuple[int, int]]) -> bool:
    return any(a <= pos and end <= b for a, b in skip)


def dense_candidates(read: Callable[[int, int], bytes], size: int,
                     skip: list[tuple[int, int]] | None = None) -> Iterator[Candidate]:
    """Every signature at a sector of the first ``DENSE_BYTES``, in offset order.

    Offsets inside a ``skip`` range (``(start, end)``: file systems already
    found) are not candidates, and windows wholly inside one are not read.
    """
    skip = skip or []
    dense_end = min(size, DENSE_BYTES)
    pos = 0
    while pos < dense_end:
        n = min(WINDOW_BYTES, dense_end - pos)
        if _inside(pos, pos + n, skip):
            pos += n
            continue
        buf = read(pos, min(n + _LOOKAHEAD, size - pos))
        if not buf:
            return
        buf = bytes(buf).ljust(n + _LOOKAHEAD, b"\x00")
        for rel in range(0, n, SECTOR):
            if skip and _inside(pos + rel, pos + rel + 1, skip):
                continue
            found = _probe(buf, rel, True)
            if found is not None:
                yield Candidate(pos + rel, found.kind, found.claimed_bytes, found.head)
        pos += n


def sparse_step(size: int) -> int:
    """The distance of the probes beyond the dense region: 1 MiB, doubled until at most MAX_SPARSE_PROBES fit."""
    step = SPARSE_ALIGN
    while (size - DENSE_BYTES) // step > MAX_SPARSE_PROBES:
        step *= 2
    return step


def follow_ons(end: int) -> list[int]:
    """Where the next file system is likely to start when one ends at ``end``.

    Right after it, at the next 1 MiB boundaries (modern tools), and at the
    next cylinder (255 heads x 63 sectors) with or without its first track
    (CHS-era tools).
    """
    mib = SPARSE_ALIGN
    cyl = 255 * 63 * SECTOR
    first = -(-end // mib) * mib
    next_cyl = -(-end // cyl) * cyl
    return sorted({end, *(first + k * mib for k in range(FOLLOW_ON_MIBS)), next_cyl, next_cyl + 63 * SECTOR})


def probe_at(read: Callable[[int, int], bytes], pos: int) -> Candidate | None:
    """The signature at one offset beyond the dense region (no ISO9660 there)."""
    buf = read(pos, 2048)
    if not buf:
        return None
    found = _probe(bytes(buf).ljust(2048, b"\x00"), 0, False)
    return None if found is None else Candidate(pos, found.kind, found.claimed_bytes, found.head)


@dataclass(frozen=True, slots=True)
class Found:
    """A file system TSK opened where a signature was found: its extent on the media, cut to the media."""

    offset: int
    length: int
    kind: str
    claimed_bytes: int  # as the file system says, possibly past the media's end or absurd


def _fat32_backup_of(read: Callable[[int, int], bytes], cand: Candidate) -> int | None:
    """The start of the FAT32 volume whose backup boot sector ``cand`` is, when its own start does not fit.

    A FAT32 boot sector names its backup's sector (usually 6). At the right
    start the first FAT follows the reserved sectors and opens with the media
    byte and ``FF FF 0F``; read from the backup's position that FAT is 6
    sectors off. TSK would open the backup as a file system and list garbage.
    """
    h = cand.head
    if h[82:87] != b"FAT32":
        return None
    bps, reserved, backup = _u16(h, 11), _u16(h, 14), _u16(h, 50)
    if not 0 < backup < reserved or cand.offset < backup * bps:
        return None
    sig = bytes([h[21]]) + b"\xff\xff\x0f"
    start = cand.offset - backup * bps
    if read(cand.offset + reserved * bps, 4) != sig and read(start + reserved * bps, 4) == sig:
        return start
    return None


def search(read: Callable[[int, int], bytes], size: int, opens: Callable[[int], bool],
           skip: list[tuple[int, int]] | None = None, notes: list[str] | None = None) -> list[Found]:
    """The file systems a bounded search finds outside ``skip``; ``opens(offset)``: does TSK open one there.

    ``notes`` gets one line for each backup boot sector found whose file
    system TSK cannot open (its own boot sector is damaged).
    """
    skip = list(skip or [])
    kept: list[Found] = []
    heads: set[bytes] = set()
    told: set[int] = set()

    def note(start: int, cand: Candidate) -> None:
        if notes is not None and start not in told and len(told) < MAX_RECOVERED:
            told.add(start)
            notes.append(f"{cand.kind} backup boot sector at {cand.offset}: the file system at {start} has a "
                         "damaged boot sector The Sleuth Kit cannot open (not scanned)")

    def consider(cand: Candidate) -> Found | None:
        if cand.head in heads:
            return None  # a backup copy of a boot sector or superblock already kept
        if any(k.offset <= cand.offset < k.offset + k.length and 0 < k.claimed_bytes <= size - k.offset
               for k in kept):
            return None  # inside a kept file system whose size is believable
        if cand.kind == "fat":
            start = _fat32_backup_of(read, cand)
            if start is not None:
                note(start, cand)
                return None
        if not opens(cand.offset):
            if cand.kind == "ntfs":  # the backup copy sits in the volume's last sector
                start = cand.offset - (cand.claimed_bytes - _u16(cand.head, 11))
                if 0 <= start < cand.offset and not opens(start):
                    note(start, cand)
            return None
        remaining = size - cand.offset
        claimed = cand.claimed_bytes
        found = Found(cand.offset, claimed if 0 < claimed <= remaining else remaining, cand.kind, claimed)
        kept.append(found)
        heads.add(cand.head)
        return found

    for cand in dense_candidates(read, size, skip):
        if len(kept) >= MAX_RECOVERED:
            return kept
        consider(cand)
    # beyond the dense region: a grid, and the likely starts after each file system found (a heap: in order)
    step = sparse_step(size)
    queue = [DENSE_BYTES + i * step for i in range(MAX_SPARSE_PROBES + 1) if DENSE_BYTES + i * step + SECTOR <= size]
    for k in kept:
        if 0 < k.claimed_bytes <= size - k.offset:
            queue.extend(follow_ons(k.offset + k.length))
    heapq.heapify(queue)
    seen: set[int] = set()
    while queue and len(kept) < MAX_RECOVERED:
        pos = heapq.heappop(queue)
        if pos in seen or pos < DENSE_BYTES or pos + SECTOR > size or _inside(pos, pos + 1, skip):
            continue
        seen.add(pos)
        probed = probe_at(read, pos)
        found = consider(probed) if probed is not None else None
        if found is not None and 0 < found.claimed_bytes <= size - found.offset:
            for nxt in follow_ons(found.offset + found.length):
                heapq.heappush(queue, nxt)
    return kept
