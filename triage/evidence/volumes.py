"""Volume systems (MBR/DOS with extended partitions, GPT, none) and their file systems.

What ``mmls`` and ``fsstat`` would tell, as records. A media without a
partition table becomes one ``whole`` volume at offset 0; one whose table
leads to no file system is searched for them (``recovered`` volumes, see
triage.evidence.recover). The table is hostile: slots are cut to the media.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytsk3

from triage.records import ScanError, Volume
from triage.text import one_line

log = logging.getLogger(__name__)

VS_TYPE_NAMES = {
    pytsk3.TSK_VS_TYPE_DOS: "dos",
    pytsk3.TSK_VS_TYPE_GPT: "gpt",
    pytsk3.TSK_VS_TYPE_MAC: "mac",
    pytsk3.TSK_VS_TYPE_BSD: "bsd",
    pytsk3.TSK_VS_TYPE_SUN: "sun",
}

FS_TYPE_NAMES = {
    pytsk3.TSK_FS_TYPE_NTFS: "ntfs",
    pytsk3.TSK_FS_TYPE_FAT12: "fat12",
    pytsk3.TSK_FS_TYPE_FAT16: "fat16",
    pytsk3.TSK_FS_TYPE_FAT32: "fat32",
    pytsk3.TSK_FS_TYPE_EXFAT: "exfat",
    pytsk3.TSK_FS_TYPE_EXT2: "ext2",
    pytsk3.TSK_FS_TYPE_EXT3: "ext3",
    pytsk3.TSK_FS_TYPE_EXT4: "ext4",
    pytsk3.TSK_FS_TYPE_HFS: "hfsplus",
    pytsk3.TSK_FS_TYPE_ISO9660: "iso9660",
    pytsk3.TSK_FS_TYPE_APFS: "apfs",
    pytsk3.TSK_FS_TYPE_FFS1: "ufs1",
    pytsk3.TSK_FS_TYPE_FFS1B: "ufs1b",
    pytsk3.TSK_FS_TYPE_FFS2: "ufs2",
    pytsk3.TSK_FS_TYPE_YAFFS2: "yaffs2",
    pytsk3.TSK_FS_TYPE_SWAP: "swap",
}

#: a volume shorter than this is not worth a file-system probe (partition-table slack)
MIN_FS_PROBE_BYTES = 64 * 1024
#: slots of one volume system kept at most (a looping extended-partition chain ends here)
MAX_VOLUMES = 1024
#: recovered volumes are numbered down from here (-1 is the whole media), in offset order
RECOVERED_ADDR_BASE = -2


@dataclass
class VolumeLayout:
    volumes: list[Volume]
    errors: list[ScanError]
    volume_system: str  # dos, gpt, none
    block_size: int


def fs_type_name(ftype: int) -> str:
    return FS_TYPE_NAMES.get(int(ftype), f"tsk-{int(ftype)}")


def open_fs(img: pytsk3.Img_Info, offset: int) -> pytsk3.FS_Info:
    """Open a file system at a byte offset; raises OSError/IOError when TSK sees none."""
    return pytsk3.FS_Info(img, offset=offset)


def _probe_fs(img: pytsk3.Img_Info, vol: Volume) -> tuple[Volume, ScanError | None]:
    try:
        fs = open_fs(img, vol.offset)
    except Exception as exc:
        msg = str(exc).strip().splitlines()
        detail = msg[-1] if msg else type(exc).__name__
        return vol, ScanError(
            stage="fs",
            message=f"no file system The Sleuth Kit can open at offset {vol.offset}: {detail}",
            volume_addr=vol.addr,
        )
    info = fs.info
    return (
        Volume(
            evidence_id=vol.evidence_id,
            addr=vol.addr,
            offset=vol.offset,
            length=vol.length,
            kind=vol.kind,
            description=vol.description,
            fs_type=fs_type_name(info.ftype),
            block_size=int(info.block_size),
            volume_system=vol.volume_system,
        ),
        None,
    )


def _partition_desc(part: pytsk3.TSK_VS_PART_INFO) -> str:
    desc = part.desc
    if isinstance(desc, bytes):
        desc = desc.decode("utf-8", "replace")
    return str(desc).strip()


def _open_vs(img: pytsk3.Img_Info, vstype: int | None = None) -> pytsk3.Volume_Info | None:
    """The volume system TSK finds (``vstype`` None: whichever it detects), or None."""
    try:
        if vstype is None:
            return pytsk3.Volume_Info(img)
        return pytsk3.Volume_Info(img, vstype, 0)
    except Exception:
        return None


def _vs_name(vs: pytsk3.Volume_Info) -> str:
    return VS_TYPE_NAMES.get(int(vs.info.vstype), f"tsk-{int(vs.info.vstype)}")


def _table_layout(img: pytsk3.Img_Info, vs: pytsk3.Volume_Info, evidence_id: str, size: int) -> VolumeLayout:
    """The slots of one volume system, each cut to the media (or skipped), file systems probed.

    Start and length are the table's word, so hostile: a slot starting past
    the end of the media is recorded and skipped, one running past it is
    cut to the media (what is there is still read), and nothing stored
    exceeds the media, so every offset fits SQLite's 64-bit integers.
    """
    errors: list[ScanError] = []
    block = int(vs.info.block_size)
    vs_name = _vs_name(vs)
    volumes: list[Volume] = []
    try:
        parts = iter(vs)
        while True:
            try:
                part = next(parts)
            except StopIteration:
                break
            if len(volumes) >= MAX_VOLUMES:
                errors.append(ScanError("limit", f"volume system lists more than {MAX_VOLUMES} slots; rest skipped"))
                break
            addr = int(part.addr)
            offset = int(part.start) * block
            length = int(part.len) * block
            desc = _partition_desc(part)
            flags = int(part.flags)
            if flags & pytsk3.TSK_VS_PART_FLAG_META:
                kind = "meta"
            elif flags & pytsk3.TSK_VS_PART_FLAG_UNALLOC:
                kind = "unallocated"
            else:
                kind = "partition"
            if offset >= size or length <= 0:
                errors.append(ScanError(
                    "volumes", f"partition {addr} ({desc}) starts at {offset} with length {length}: "
                               f"not on the media ({size} bytes); skipped", volume_addr=addr))
                continue
            if offset + length > size:
                errors.append(ScanError(
                    "volumes", f"partition {addr} ({desc}) claims {length} bytes at {offset}, past the end of the "
                               f"media ({size}): cut to the media; truncated image?", volume_addr=addr))
                length = size - offset
            vol = Volume(evidence_id, addr, offset, length, kind, desc, volume_system=vs_name)
            if kind == "partition" and length >= MIN_FS_PROBE_BYTES:
                vol, err = _probe_fs(img, vol)
                if err:
                    errors.append(err)
            volumes.append(vol)
    except Exception as exc:  # a slot TSK cannot describe: what was listed before it is kept
        errors.append(ScanError("volumes", f"partition table listing failed: {one_line(exc)}"))
    parts_only = sorted((v for v in volumes if v.kind == "partition"), key=lambda v: (v.offset, v.addr))
    for prev, cur in zip(parts_only, parts_only[1:]):
        if cur.offset < prev.offset + prev.length:
            errors.append(ScanError("volumes", f"partition {cur.addr} at {cur.offset} overlaps partition "
                                               f"{prev.addr} ({prev.offset}+{prev.length})", volume_addr=cur.addr))
    return VolumeLayout(volumes, errors, vs_name, block)


def _fs_count(layout: VolumeLayout) -> int:
    return sum(1 for v in layout.volumes if v.fs_type)


def _choose_table(img: pytsk3.Img_Info, evidence_id: str, size: int) -> VolumeLayout | None:
    """The partition table that leads to the most file systems, or None when TSK finds no table.

    TSK prefers a DOS table over a backup GPT, so a damaged primary GPT
    behind its protective MBR shows as one ``GPT Safety Partition (0xee)``;
    the GPT is then asked for explicitly (TSK reads the backup at the end
    of the disk when the primary is unusable) and kept when it finds more.
    """
    auto = _open_vs(img)
    found: list[tuple[VolumeLayout, pytsk3.Volume_Info]] = []
    if auto is not None:
        found.append((_table_layout(img, auto, evidence_id, size), auto))
    if auto is None or int(auto.info.vstype) == pytsk3.TSK_VS_TYPE_DOS:
        gpt = _open_vs(img, pytsk3.TSK_VS_TYPE_GPT)
        if gpt is not None:
            found.append((_table_layout(img, gpt, evidence_id, size), gpt))
    if not found:
        return None
    layout, vs = max(found, key=lambda lv: _fs_count(lv[0]))  # max keeps the first of equals: TSK's choice
    if int(vs.info.vstype) == pytsk3.TSK_VS_TYPE_GPT and bool(getattr(vs.info, "is_backup", 0)):
        layout.errors.insert(0, ScanError(
            "volumes", "primary GPT or its protective MBR is damaged: partitions read from the backup GPT "
                       "at the end of the disk"))
    elif auto is not None and vs is not auto:
        layout.errors.insert(0, ScanError("volumes", "the MBR is not a usable protective MBR: the GPT behind it "
                                                     "was read"))
    return layout


def _recover(img: pytsk3.Img_Info, evidence_id: str, size: int, skip: list[tuple[int, int]],
             errors: list[ScanError], first_addr: int = RECOVERED_ADDR_BASE) -> list[Volume]:
    """File systems found by the bounded boot-sector search (triage.evidence.recover), as ``recovered`` volumes."""
    from triage.evidence import recover

    def read(offset: int, n: int) -> bytes:
        try:
            return bytes(img.read(offset, n))
        except Exception:
            return b""

    def opens(offset: int) -> bool:
        try:
            open_fs(img, offset)
        except Exception:
            return False
        return True

    out: list[Volume] = []
    notes: list[str] = []
    hits = recover.search(read, size, opens, skip, notes)
    errors.extend(ScanError("volumes", n) for n in notes)
    for i, found in enumerate(hits):
        desc = f"{found.kind} found by search at sector {found.offset // 512}"
        if found.claimed_bytes != found.length:
            desc += f" (claims {found.claimed_bytes} bytes; cut to the media)"
        vol = Volume(evidence_id, first_addr - i, found.offset, found.length, "recovered", desc,
                     volume_system="none")
        probed, err = _probe_fs(img, vol)
        if err is None:
            out.append(probed)
    return out


def list_volumes(img: pytsk3.Img_Info, evidence_id: str, recover: bool = True) -> VolumeLayout:
    """Every partition, gap and the partition-table entries themselves, file systems probed.

    When neither a partition table nor offset 0 leads to a file system, the
    media is searched for boot sectors and superblocks (``recover``) and
    what is found becomes ``recovered`` volumes.
    """
    size = int(img.get_size())
    layout = _choose_table(img, evidence_id, size)
    if layout is None:
        whole = Volume(evidence_id, -1, 0, size, "whole", "no partition table", volume_system="none")
        vol, err = _probe_fs(img, whole)
        errors = []
        if err:
            errors.append(ScanError("volumes", "no partition table and no file system The Sleuth Kit recognises "
                                               "at offset 0", volume_addr=-1))
        layout = VolumeLayout([vol], errors, "none", 512)
    elif not any(v.offset == 0 and v.fs_type for v in layout.volumes):
        # a file system at offset 0 beside a partition table: hybrid ISO9660
        # images (isohybrid MBR, Apple partition map), or a table of garbage
        desc = ("file system at offset 0 beside the partition table"
                if any(v.kind == "partition" for v in layout.volumes) else "partition table lists no partition")
        whole = Volume(evidence_id, -1, 0, size, "whole", desc, volume_system="none")
        vol, err = _probe_fs(img, whole)
        if err is None:
            layout.volumes.append(vol)
    if recover and layout.volume_system != "none" and any(v.fs_type for v in layout.volumes):
        # the table may hide a file system (an entry wiped or pointed elsewhere): the media no file
        # system covers is searched too, and what is found there is recovered beside the table's
        covered = [(v.offset, v.offset + v.length) for v in layout.volumes if v.fs_type]
        found = _recover(img, evidence_id, size, covered, layout.errors)
        if found:
            layout.errors.append(ScanError(
                "volumes", f"{len(found)} file system(s) the partition table does not list found by searching "
                           "the media outside its file systems (volumes of kind recovered)"))
            layout.volumes.extend(found)
    elif recover and not any(v.fs_type for v in layout.volumes):
        found = _recover(img, evidence_id, size, [], layout.errors)
        if found:
            layout.errors.append(ScanError(
                "volumes", f"no usable partition table: {len(found)} file system(s) found by searching the media "
                           "for boot sectors and superblocks (volumes of kind recovered)"))
            # what the table said stays (its meta slots); the media the recovered file systems do not
            # cover is searched as gaps, not a second time as a failed partition or whole volume
            kept = [v for v in layout.volumes if v.kind == "meta"] + found
            layout.volumes = kept + _gaps(evidence_id, size, found)
    layout.errors.extend(_oversized(img, layout.volumes, size))
    return layout


def _oversized(img: pytsk3.Img_Info, volumes: list[Volume], size: int) -> list[ScanError]:
    """An error for each file system claiming more blocks than the media holds after its start.

    Its walk and free-space search stop at the media's end (the pipeline cuts
    them there); the record says the boot sector or superblock lied, or the
    image is truncated.
    """
    out: list[ScanError] = []
    for v in volumes:
        if not v.fs_type:
            continue
        try:
            info = open_fs(img, v.offset).info
            claimed = (int(info.last_block) + 1) * int(info.block_size)
        except Exception:
            continue
        if claimed > size - v.offset:
            out.append(ScanError("fs", f"the {v.fs_type} file system at {v.offset} claims {claimed} bytes, "
                                       f"{size - v.offset} of them on the media: read to the media's end",
                                 volume_addr=v.addr))
    return out


def _gaps(evidence_id: str, size: int, volumes: list[Volume]) -> list[Volume]:
    """``unallocated`` volumes (addr -1) for the media no volume of ``volumes`` covers."""
    out: list[Volume] = []
    cursor = 0
    for v in sorted(volumes, key=lambda v: v.offset):
        if v.offset > cursor:
            out.append(Volume(evidence_id, -1, cursor, v.offset - cursor, "unallocated",
                              "not covered by a recovered file system", volume_system="none"))
        cursor = max(cursor, v.offset + v.length)
    if cursor < size:
        out.append(Volume(evidence_id, -1, cursor, size - cursor, "unallocated",
                          "not covered by a recovered file system", volume_system="none"))
    return out


def fs_volumes(layout: VolumeLayout) -> Iterator[Volume]:
    """The volumes that carry a file system TSK opened."""
    return (v for v in layout.volumes if v.fs_type)
