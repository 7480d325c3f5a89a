"""Volume systems (MBR/DOS with extended partitions, GPT, none) and their file systems.

What ``mmls`` and ``fsstat`` would tell, as records. A media without a
partition table becomes one ``whole`` volume at offset 0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

import pytsk3

from triage.records import ScanError, Volume

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


def list_volumes(img: pytsk3.Img_Info, evidence_id: str) -> VolumeLayout:
    """Every partition, gap and the partition-table entries themselves, file systems probed."""
    errors: list[ScanError] = []
    size = img.get_size()
    try:
        vs = pytsk3.Volume_Info(img)
    except Exception:
        vs = None
    if vs is None:
        whole = Volume(evidence_id, -1, 0, size, "whole", "no partition table", volume_system="none")
        vol, err = _probe_fs(img, whole)
        if err:
            errors.append(
                ScanError(
                    stage="volumes",
                    message="no partition table and no file system The Sleuth Kit recognises at offset 0",
                    volume_addr=-1,
                )
            )
        return VolumeLayout([vol], errors, "none", 512)

    block = int(vs.info.block_size)
    vs_name = VS_TYPE_NAMES.get(int(vs.info.vstype), f"tsk-{int(vs.info.vstype)}")
    volumes: list[Volume] = []
    for part in vs:
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
        if offset >= size:
            errors.append(
                ScanError(
                    stage="volumes",
                    message=f"partition {part.addr} ({desc}) starts at {offset}, past the end of the media ({size})",
                    volume_addr=int(part.addr),
                )
            )
            continue
        if offset + length > size:
            errors.append(
                ScanError(
                    stage="volumes",
                    message=f"partition {part.addr} ({desc}) runs past the end of the media; truncated image?",
                    volume_addr=int(part.addr),
                )
            )
        vol = Volume(evidence_id, int(part.addr), offset, length, kind, desc, volume_system=vs_name)
        if kind == "partition" and length >= MIN_FS_PROBE_BYTES:
            vol, err = _probe_fs(img, vol)
            if err:
                errors.append(err)
        volumes.append(vol)
    if not any(v.offset == 0 and v.fs_type for v in volumes):
        # a file system at offset 0 beside a partition table: hybrid ISO9660
        # images (isohybrid MBR, Apple partition map), or a table of garbage
        desc = ("file system at offset 0 beside the partition table"
                if any(v.kind == "partition" for v in volumes) else "partition table lists no partition")
        whole = Volume(evidence_id, -1, 0, size, "whole", desc, volume_system="none")
        vol, err = _probe_fs(img, whole)
        if err is None:
            volumes.append(vol)
    return VolumeLayout(volumes, errors, vs_name, block)


def fs_volumes(layout: VolumeLayout) -> Iterator[Volume]:
    """The volumes that carry a file system TSK opened."""
    return (v for v in layout.volumes if v.fs_type)
