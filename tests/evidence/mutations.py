"""Seeded mutations of the fixture images: bytes changed in partition tables, file-system structures, containers.

Used by tests/evidence/test_mutations.py (a few seeds per image, in
``make test``) and by ``make fuzz`` (many more seeds, the same code). A
mutation is a pure function of (image, seed): the same seed gives the same
bytes on every machine.

Where the structures are is read from the pristine image itself (boot
sectors, superblocks, GPT headers, the QCOW2 header) and, for the ext root
directory, from The Sleuth Kit's ``istat``; the volumes are the manifest's.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"

#: raw images with a partition table and the file systems on them
RAW_IMAGES = ("gpt_three", "gpt_two", "ntfs_mbr", "demo", "mbr_extended")
#: images of one file system at offset 0 (no table): only ``make fuzz`` runs them by default
WHOLE_IMAGES = ("exfat", "ext3", "iso9660", "hfsplus_hybrid", "fat12_floppy")
#: containers whose headers and tables are mutated (libewf, libqcow)
CONTAINERS = ("fat16_mbr_ewf", "fat16_mbr_qcow2")

_EXTREMES_32 = (0, 1, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000000, 0x7FFFFFFF)
_EXTREMES_64 = (0, 0xFFFFFFFFFFFFFFFF, 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 1 << 40, 0xFFFFFFFF)


@dataclass(frozen=True)
class Region:
    """Bytes of one structure: ``name`` says what, ``volume`` is the offset of the volume it belongs
    to (None: the partition table or the container, i.e. no file system's own bytes)."""

    name: str
    start: int
    length: int
    volume: int | None
    fields: tuple[tuple[int, int], ...] = ()  # (offset, width) of size and offset fields worth extreme values
    gpt_header: int | None = None  # header offset whose CRCs a mutation may make consistent again


@dataclass(frozen=True)
class Mutation:
    image: str  # manifest stem
    seed: int
    path: Path  # the mutated copy
    what: str  # one line: region and operation
    touched: int | None  # volume offset whose own bytes were changed; None: table or container only
    volumes: tuple[int, ...]  # every volume offset of the pristine image
    container: bool


def manifest(stem: str) -> dict:
    return json.loads((FIXTURES / "manifests" / f"{stem}.json").read_text(encoding="utf-8"))


def _read(path: Path, offset: int, n: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(n)


def _u16(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<H", b, o)[0])


def _u32(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<I", b, o)[0])


def _u64(b: bytes, o: int) -> int:
    return int(struct.unpack_from("<Q", b, o)[0])


def _fat_regions(img: Path, off: int) -> list[Region]:
    bs = _read(img, off, 512)
    bps, spc, reserved, nfats = _u16(bs, 11), bs[13], _u16(bs, 14), bs[16]
    fatsz = _u16(bs, 22) or _u32(bs, 36)
    root_entries = _u16(bs, 17)
    fields = ((11, 2), (13, 1), (14, 2), (16, 1), (17, 2), (19, 2), (22, 2), (32, 4), (36, 4), (44, 4))
    out = [Region("boot sector", off, 512, off, fields)]
    fat_start = off + reserved * bps
    out.append(Region("FAT", fat_start, min(fatsz * bps, 65536), off, tuple((i, 2) for i in range(4, 64, 2))))
    data = fat_start + nfats * fatsz * bps
    if root_entries:  # FAT12/16: fixed root directory after the FATs
        out.append(Region("root directory entries", data, min(root_entries * 32, 16384), off,
                          tuple((i * 32 + f, w) for i in range(16) for f, w in ((26, 2), (28, 4)))))
    else:
        root = data + (_u32(bs, 44) - 2) * spc * bps
        out.append(Region("root directory entries", root, spc * bps, off,
                          tuple((i * 32 + f, w) for i in range(16) for f, w in ((20, 2), (26, 2), (28, 4)))))
    return out


def _ext_regions(img: Path, off: int) -> list[Region]:
    sb = _read(img, off + 1024, 1024)
    block = 1024 << _u32(sb, 24)
    inode_size = _u16(sb, 88)
    per_group = _u32(sb, 40)
    gdt = off + (_u32(sb, 20) + 1) * block
    gd = _read(img, gdt, 64)
    itable = off + _u32(gd, 8) * block
    out = [
        Region("ext superblock", off + 1024, 1024, off,
               ((4, 4), (0, 4), (20, 4), (24, 4), (32, 4), (40, 4), (88, 2), (0x150, 4))),
        Region("group descriptors", gdt, block, off, ((0, 4), (4, 4), (8, 4), (12, 2), (14, 2))),
        Region("inode table", itable, min(per_group * inode_size, 65536), off,
               tuple((i * inode_size + f, w) for i in (1, 10, 11, 12, 13)  # root, lost+found, the first files
                     for f, w in ((4, 4), (40, 4), (44, 4), (48, 4), (60, 4), (108, 4)))),
    ]
    r = subprocess.run(["istat", "-o", str(off // 512), str(img), "2"], capture_output=True, text=True)
    m = re.search(r"Direct Blocks:\s*\n\s*(\d+)", r.stdout)
    if m:
        out.append(Region("root directory entries", off + int(m.group(1)) * block, block, off,
                          ((0, 4), (4, 2), (12, 4), (16, 2), (24, 4), (28, 2))))
    return out


def _ntfs_regions(img: Path, off: int) -> list[Region]:
    bs = _read(img, off, 512)
    cluster = _u16(bs, 11) * bs[13]
    mft = off + _u64(bs, 48) * cluster
    return [
        Region("NTFS boot sector", off, 512, off, ((11, 2), (13, 1), (40, 8), (48, 8), (56, 8), (64, 1))),
        Region("MFT records 0-63", mft, 65536, off,
               tuple((r * 1024 + f, w) for r in (0, 5, 16, 40) for f, w in ((20, 2), (24, 4), (28, 4)))),
        Region("MFT root directory record", mft + 5 * 1024, 1024, off, ((20, 2), (24, 4), (28, 4))),
    ]


def _exfat_regions(img: Path, off: int) -> list[Region]:
    bs = _read(img, off, 512)
    sector = 1 << bs[108]
    cluster = sector << bs[109]
    heap = off + _u32(bs, 88) * sector
    root = heap + (_u32(bs, 96) - 2) * cluster
    return [
        Region("exFAT boot sector", off, 512, off, ((72, 8), (80, 4), (84, 4), (88, 4), (92, 4), (96, 4),
                                                   (108, 1), (109, 1))),
        Region("exFAT FAT", off + _u32(bs, 80) * sector, min(_u32(bs, 84) * sector, 65536), off,
               tuple((i, 4) for i in range(8, 64, 4))),
        Region("root directory entries", root, cluster, off,
               tuple((i * 32 + f, w) for i in range(16) for f, w in ((20, 4), (24, 8), (8, 8)))),
    ]


def _iso_regions(img: Path, off: int) -> list[Region]:
    pvd = off + 32768
    return [Region("ISO9660 primary volume descriptor", pvd, 2048, off,
                   ((80, 4), (120, 2), (128, 2), (132, 4), (140, 4), (156 + 2, 4), (156 + 10, 4)))]


def _hfs_regions(img: Path, off: int) -> list[Region]:
    return [Region("HFS+ volume header", off + 1024, 512, off,
                   ((40, 4), (44, 4), (48, 4), (112 + 0, 8), (112 + 16, 4), (272, 8), (272 + 16, 4)))]


def _table_regions(img: Path, vs: str, size: int) -> list[Region]:
    out = [Region("MBR partition entries", 446, 64, None,
                  tuple((446 - 446 + 16 * i + f, w) for i in range(4) for f, w in ((8, 4), (12, 4), (4, 1))))]
    if vs == "gpt":
        hdr = _read(img, 512, 512)
        n, es = _u32(hdr, 80), _u32(hdr, 84)
        ent = _u64(hdr, 72) * 512
        fields = ((24, 8), (32, 8), (40, 8), (48, 8), (72, 8), (80, 4), (84, 4), (12, 4))
        out.append(Region("primary GPT header", 512, 92, None, fields, gpt_header=512))
        out.append(Region("primary GPT entries", ent, min(n * es, 512), None,
                          tuple((i * es + f, 8) for i in range(4) for f in (32, 40)), gpt_header=512))
        backup = size - 512
        out.append(Region("backup GPT header", backup, 92, None, fields, gpt_header=backup))
        bhdr = _read(img, backup, 512)
        if bhdr[:8] == b"EFI PART":
            bent = _u64(bhdr, 72) * 512
            out.append(Region("backup GPT entries", bent, min(n * es, 512), None,
                              tuple((i * es + f, 8) for i in range(4) for f in (32, 40)), gpt_header=backup))
    else:
        # the first extended partition's EBR: its link entry can be made to loop
        mbr = _read(img, 0, 512)
        for i in range(4):
            e = 446 + 16 * i
            if mbr[e + 4] in (0x05, 0x0F, 0x85):
                ebr = _u32(mbr, e + 8) * 512
                out.append(Region("EBR entries", ebr + 446, 32, None, ((8, 4), (12, 4), (24, 4), (28, 4))))
    return out


@cache
def regions(stem: str) -> tuple[Region, ...]:
    m = manifest(stem)
    img = FIXTURES / m["image"]
    out = _table_regions(img, m["volume_system"], m["media_size"])
    for v in m["volumes"]:
        fs = v["fs_type"] or ""
        if fs.startswith("fat"):
            out += _fat_regions(img, v["offset"])
        elif fs.startswith("ext"):
            out += _ext_regions(img, v["offset"])
        elif fs == "ntfs":
            out += _ntfs_regions(img, v["offset"])
        elif fs == "exfat":
            out += _exfat_regions(img, v["offset"])
        elif fs == "iso9660":
            out += _iso_regions(img, v["offset"])
        elif fs == "hfsplus":
            out += _hfs_regions(img, v["offset"])
    return tuple(out)


def _fix_gpt_crcs(b: bytearray, hdr: int) -> None:
    hs = _u32(b, hdr + 12)
    if not 92 <= hs <= 512:
        return
    ent, n, es = _u64(b, hdr + 72), _u32(b, hdr + 80), _u32(b, hdr + 84)
    if ent * 512 + n * es <= len(b) and n * es <= 1 << 20:
        struct.pack_into("<I", b, hdr + 88, zlib.crc32(bytes(b[ent * 512:ent * 512 + n * es])))
    struct.pack_into("<I", b, hdr + 16, 0)
    struct.pack_into("<I", b, hdr + 16, zlib.crc32(bytes(b[hdr:hdr + hs])))


def _change(rng: random.Random, b: bytearray, r: Region) -> str:
    op = rng.choice(("field", "field", "bytes", "zero") if r.fields else ("bytes", "zero"))
    if op == "field":
        rel, width = rng.choice(r.fields)
        pos = r.start + rel
        if width == 1:
            value = rng.choice((0, 0xFF, 0x80, rng.randrange(256)))
        elif width == 2:
            value = rng.choice((0, 0xFFFF, 0x8000, 1, rng.randrange(1 << 16)))
        elif width == 4:
            value = rng.choice(_EXTREMES_32 + (rng.randrange(1 << 32),))
        else:
            value = rng.choice(_EXTREMES_64 + (rng.randrange(1 << 64),))
        b[pos:pos + width] = value.to_bytes(width, "little")
        what = f"{r.name}: field +{rel} ({width} bytes) = {value:#x}"
    elif op == "bytes":
        n = rng.randint(1, 16)
        for _ in range(n):
            b[r.start + rng.randrange(r.length)] = rng.randrange(256)
        what = f"{r.name}: {n} random bytes"
    else:
        n = min(r.length, 512)
        at = r.start + rng.randrange(0, max(1, r.length - n + 1))
        b[at:at + n] = bytes(n)
        what = f"{r.name}: {n} bytes zeroed at {at}"
    if r.gpt_header is not None and rng.random() < 0.6:
        _fix_gpt_crcs(b, r.gpt_header)
        what += " (GPT CRCs made consistent)"
    return what


def mutate_raw(stem: str, seed: int, out_dir: Path) -> Mutation:
    """One to three structures of one raw image changed; at most one file system touched."""
    m = manifest(stem)
    rng = random.Random(f"{stem}:{seed}")
    b = bytearray((FIXTURES / m["image"]).read_bytes())
    regs = regions(stem)
    first = rng.choice(regs)
    chosen = [first] + [r for r in rng.sample(regs, k=min(2, len(regs)))
                        if rng.random() < 0.4 and r.volume in (None, first.volume)]
    whats = [_change(rng, b, r) for r in chosen]
    if rng.random() < 0.1:  # truncated acquisition
        cut = rng.randrange(len(b) // 2, len(b))
        del b[cut:]
        whats.append(f"truncated to {cut}")
    touched = next((r.volume for r in chosen if r.volume is not None), None)
    path = out_dir / f"{stem}-{seed}.raw"
    path.write_bytes(bytes(b))
    return Mutation(stem, seed, path, "; ".join(whats), touched,
                    tuple(v["offset"] for v in m["volumes"] if v["fs_type"]), False)


def _qcow_regions(img: Path) -> list[tuple[str, int, int, tuple[tuple[int, int], ...]]]:
    h = _read(img, 0, 104)  # big-endian, unlike everything else here
    l1_size, l1_off = struct.unpack_from(">IQ", h, 36)
    out = [("QCOW2 header", 0, 104, ((20, 4), (24, 8), (36, 4), (40, 8), (48, 8), (56, 4), (8, 8)))]
    out.append(("QCOW2 L1 table", l1_off, max(8, l1_size * 8), tuple((i * 8, 8) for i in range(min(l1_size, 8)))))
    l1 = _read(img, l1_off, 8)
    l2 = int(struct.unpack_from(">Q", l1, 0)[0]) & 0x00FFFFFFFFFFFE00
    if l2:
        out.append(("QCOW2 L2 table", l2, 4096, tuple((i * 8, 8) for i in range(64))))
    return out


def mutate_container(stem: str, seed: int, out_dir: Path) -> Mutation:
    """A container's header or tables changed (EWF sections, QCOW2 header/L1/L2), or the file cut."""
    m = manifest(stem)
    src = FIXTURES / m["image"]
    rng = random.Random(f"{stem}:{seed}")
    b = bytearray(src.read_bytes())
    if m["format"] == "qcow2":
        name, start, length, fields = rng.choice(_qcow_regions(src))
        r = Region(name, start, min(length, len(b) - start), None, fields)
        what = _change(rng, b, r)
    else:
        choice = rng.random()
        if choice < 0.2:
            cut = rng.randrange(len(b) // 4, len(b))
            del b[cut:]
            what = f"EWF cut to {cut}"
        else:  # section descriptors and tables in the first 8 KiB, or anywhere
            start, length = (0, 8192) if choice < 0.7 else (0, len(b))
            r = Region("EWF sections", start, min(length, len(b)), None,
                       tuple((o, 8) for o in range(13, 8000, 76)))
            what = _change(rng, b, r)
    path = out_dir / f"{stem}-{seed}{src.suffix}"
    path.write_bytes(bytes(b))
    return Mutation(stem, seed, path, what, None, tuple(v["offset"] for v in m["volumes"] if v["fs_type"]), True)


def copy_split_without(stem: str, drop: str, out_dir: Path) -> Path:
    """A segmented E01 set copied without one segment (``drop``: its suffix, e.g. ``E03``)."""
    first = FIXTURES / manifest(stem)["image"]
    for seg in sorted(first.parent.glob(first.stem + ".E0*")):
        if not seg.name.endswith(drop):
            shutil.copy(seg, out_dir / seg.name)
    return out_dir / first.name
