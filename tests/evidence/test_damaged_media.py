"""Damaged and hostile media, one named case each: copies of the fixtures with one structure broken on purpose.

Each scan runs as an examiner would run it (``python -m triage scan``, in a
subprocess under the mutation suite's time and memory bounds) and the case
it writes is read back. The oracle for "still readable" is The Sleuth
Kit's ``fls`` at the volume's offset on the damaged copy.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, rows
from tests.evidence.mutations import _fix_gpt_crcs
from tests.evidence.test_mutations import assert_ended_cleanly, case_paths, fls_paths, scan

IMAGES = FIXTURES / "images"
GPT_TWO = IMAGES / "gpt_two.raw"  # FAT16 at 1 MiB, ext4 at 4 MiB, 7 MiB
FAT, EXT = 1048576, 4194304
NTFS_MBR = IMAGES / "ntfs_mbr.raw"  # NTFS at 1 MiB

needs_tsk = pytest.mark.skipif(shutil.which("fls") is None, reason="The Sleuth Kit CLI (fls) not installed")


def damaged(tmp_path: Path, src: Path, *changes: tuple[int, bytes], gpt_crc: bool = False) -> Path:
    b = bytearray(src.read_bytes())
    for offset, data in changes:
        b[offset:offset + len(data)] = data
    if gpt_crc:
        _fix_gpt_crcs(b, 512)
    out = tmp_path / f"damaged-{src.name}"
    out.write_bytes(bytes(b))
    return out


def scanned(image: Path, tmp_path: Path, code: int = 0) -> Path:
    case = tmp_path / "case.db"
    proc = scan(image, case)
    assert_ended_cleanly(proc, image.name)
    assert proc.returncode == code, proc.stderr
    return case


def errors(case: Path) -> list[str]:
    return [f"{r['stage']}: {r['message']}" for r in rows(case, "SELECT stage, message FROM errors")]


def assert_has_pristine_files(case: Path, offset: int, image: Path = GPT_TWO) -> None:
    listed = fls_paths(image, offset)
    assert listed, "the oracle lists files"
    assert listed <= case_paths(case, offset)


@needs_tsk
def test_absurd_partition_length_is_cut_to_the_media_not_an_overflow(tmp_path: Path) -> None:
    # GPT entry 2 (ext4) ends at LBA 2^63 - 16: its length in bytes fits no 64-bit integer
    image = damaged(tmp_path, GPT_TWO, (1024 + 128 + 40, struct.pack("<Q", 0x7FFFFFFFFFFFFFF0)), gpt_crc=True)
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, FAT)
    assert_has_pristine_files(case, EXT)
    vol = rows(case, "SELECT length FROM volumes WHERE offset = ? AND kind = 'partition'", (EXT,))[0]
    assert vol["length"] == GPT_TWO.stat().st_size - EXT
    assert any("cut to the media" in e for e in errors(case))


@needs_tsk
def test_partition_starting_past_the_media_is_recorded_and_skipped(tmp_path: Path) -> None:
    image = damaged(tmp_path, GPT_TWO, (1024 + 128 + 32, struct.pack("<QQ", 1 << 60, (1 << 60) + 10)),
                    gpt_crc=True)
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, FAT)
    assert all(r["offset"] < GPT_TWO.stat().st_size for r in rows(case, "SELECT offset FROM volumes"))
    # the ext4 the entry no longer points at is found by the search beside the table
    assert rows(case, "SELECT kind FROM volumes WHERE offset = ?", (EXT,))[0]["kind"] in ("recovered", "partition")
    assert_has_pristine_files(case, EXT)


@needs_tsk
def test_negative_gpt_entry_is_recorded_and_the_rest_scanned(tmp_path: Path) -> None:
    # entry 1 (FAT16): first LBA -2048, last LBA -1 as signed 64-bit numbers
    image = damaged(tmp_path, GPT_TWO, (1024 + 32, struct.pack("<qq", -2048, -1)), gpt_crc=True)
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, EXT)
    assert_has_pristine_files(case, FAT)  # found again by the search outside the table's file systems


@needs_tsk
def test_looping_extended_partition_chain(tmp_path: Path) -> None:
    # mbr_extended.raw: the second EBR (sector 12288) links back to the first (relative sector 0)
    src = IMAGES / "mbr_extended.raw"
    link = 12288 * 512 + 446 + 16
    image = damaged(tmp_path, src, (link + 4, b"\x05"), (link + 8, struct.pack("<II", 0, 8192)))
    case = scanned(image, tmp_path)
    for offset in (1048576, 5242880, 7340032):
        assert_has_pristine_files(case, offset, src)
    assert len(rows(case, "SELECT id FROM volumes")) < 64


@needs_tsk
def test_damaged_primary_gpt_uses_the_backup(tmp_path: Path) -> None:
    image = damaged(tmp_path, GPT_TWO, (512, b"NOT PART"))
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, FAT)
    assert_has_pristine_files(case, EXT)
    assert rows(case, "SELECT volume_system FROM evidence")[0]["volume_system"] == "gpt"
    assert any("backup GPT" in e for e in errors(case))


@needs_tsk
def test_damaged_protective_mbr_still_reads_the_gpt(tmp_path: Path) -> None:
    image = damaged(tmp_path, GPT_TWO, (446, bytes(66)))
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, FAT)
    assert_has_pristine_files(case, EXT)
    kinds = {r["offset"]: r["kind"] for r in rows(case, "SELECT offset, kind FROM volumes WHERE fs_type IS NOT NULL")}
    assert kinds == {FAT: "partition", EXT: "partition"}


@needs_tsk
def test_no_partition_table_left_file_systems_are_recovered(tmp_path: Path) -> None:
    size = GPT_TWO.stat().st_size
    image = damaged(tmp_path, GPT_TWO, (0, bytes(34 * 512)), (size - 33 * 512, bytes(33 * 512)))
    case = scanned(image, tmp_path)
    recovered = rows(case, "SELECT addr, offset, length, fs_type FROM volumes WHERE kind = 'recovered' ORDER BY offset")
    assert [(r["offset"], r["fs_type"]) for r in recovered] == [(FAT, "fat16"), (EXT, "ext4")]
    assert [r["length"] for r in recovered] == [3145728, 2097152]  # what the boot sector / superblock says
    assert len({r["addr"] for r in recovered}) == 2
    assert_has_pristine_files(case, FAT)
    assert_has_pristine_files(case, EXT)
    # the rest of the media is still searched as gaps, not the whole media a second time
    gaps = rows(case, "SELECT offset, length FROM volumes WHERE kind = 'unallocated' ORDER BY offset")
    assert (0, FAT) in [(g["offset"], g["length"]) for g in gaps]


@needs_tsk
def test_wiped_table_entry_file_system_recovered_beside_the_table(tmp_path: Path) -> None:
    image = damaged(tmp_path, GPT_TWO, (1024, bytes(128)), gpt_crc=True)  # entry 1 (FAT16) wiped
    case = scanned(image, tmp_path)
    kinds = {r["offset"]: r["kind"] for r in rows(case, "SELECT offset, kind FROM volumes WHERE fs_type IS NOT NULL")}
    assert kinds == {FAT: "recovered", EXT: "partition"}
    assert_has_pristine_files(case, FAT)


def test_nothing_readable_exits_3_with_one_line_and_an_error_row(tmp_path: Path) -> None:
    image = tmp_path / "zeros.raw"
    image.write_bytes(bytes(2 * 1024 * 1024))
    case = tmp_path / "case.db"
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(image), "--case", str(case), "--no-yara",
                           "--workers", "1"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {image}: nothing read: no partition table")
    assert "evidence" not in proc.stdout  # no summary table for a scan that read nothing
    assert any("nothing read" in e for e in errors(case))
    assert rows(case, "SELECT status FROM evidence")[0]["status"] == "failed"


@needs_tsk
def test_fat_boot_sector_claiming_a_huge_size_ends_in_media_time(tmp_path: Path) -> None:
    # total sectors: 16-bit field 0, 32-bit field 0xFFFFFFFF (2 TiB claimed on a 3 MiB partition)
    image = damaged(tmp_path, GPT_TWO, (FAT + 19, b"\x00\x00"), (FAT + 32, b"\xff\xff\xff\xff"))
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, EXT)
    size = GPT_TWO.stat().st_size
    # nothing planned past the media: every unallocated unit done lies on it
    for r in rows(case, "SELECT unit FROM progress"):
        assert int(r["unit"].rsplit(":", 1)[1]) < size
    for r in rows(case, "SELECT offset, volume_id FROM artefacts WHERE file_id IS NULL"):
        assert r["offset"] < size


@needs_tsk
def test_ext_superblock_claiming_zettabytes_plans_no_free_space_past_the_media(tmp_path: Path) -> None:
    # s_blocks_count_hi = 0x7fffffff (a 64-bit ext4): the parent once planned free-space units for all of it
    # (a gigabyte of memory every half minute, never ending)
    image = damaged(tmp_path, GPT_TWO, (EXT + 1024 + 0x150, struct.pack("<I", 0x7FFFFFFF)))
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, FAT)
    assert_has_pristine_files(case, EXT)
    assert any("claims" in e and "of them on the media" in e for e in errors(case))
    size = GPT_TWO.stat().st_size
    assert all(int(r["unit"].rsplit(":", 1)[1]) < size for r in rows(case, "SELECT unit FROM progress"))


@needs_tsk
def test_ntfs_boot_sector_claiming_a_huge_size(tmp_path: Path) -> None:
    image = damaged(tmp_path, NTFS_MBR, (FAT + 40, struct.pack("<Q", 0x7FFFFFFFFFFFFFFF)))
    scanned(image, tmp_path)


@needs_tsk
def test_fat_directory_loop_and_cycling_fat_chain(tmp_path: Path) -> None:
    # FAT16 at 1 MiB: reserved 1 sector, 2 FATs of 24 sectors, root 32 sectors, clusters of 1 sector
    fat = FAT + 512
    # every cluster of the first 64 points to itself (chains that cycle) and a root entry made a
    # directory whose first cluster is 0 (the root itself: a loop)
    cycle = b"".join(struct.pack("<H", c) for c in range(64))
    root = FAT + 49 * 512
    image = damaged(tmp_path, GPT_TWO, (fat, cycle), (fat + 24 * 512, cycle), (root + 32 + 11, b"\x10"),
                    (root + 32 + 26, b"\x00\x00"))
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, EXT)


@needs_tsk
def test_ext_inode_table_past_the_media(tmp_path: Path) -> None:
    # group descriptor 0 of the ext4 (1 KiB blocks: descriptors at block 2): inode table at block 2^32 - 16
    image = damaged(tmp_path, GPT_TWO, (EXT + 2048 + 8, struct.pack("<I", 0xFFFFFFF0)))
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, FAT)


@needs_tsk
def test_file_claiming_an_exabyte_over_a_few_blocks_is_read_to_a_bound(tmp_path: Path) -> None:
    # inode 12 (/data.bin, 25000 bytes) of the ext4 (inode table at block 50, 256-byte inodes): i_size_high
    # made 0x7fffffff, so TSK reads zeros (sparse) past its blocks for 2**63 bytes
    image = damaged(tmp_path, GPT_TWO, (EXT + 50 * 1024 + 11 * 256 + 108, struct.pack("<I", 0x7FFFFFFF)))
    case = scanned(image, tmp_path)
    row = rows(case, "SELECT f.size, f.bytes_read, f.status, f.sha256 FROM files f JOIN volumes v "
                     "ON v.id = f.volume_id WHERE v.offset = ? AND f.path = '/data.bin'", (EXT,))[0]
    assert row["size"] > 2**62 and row["status"] == "error" and row["sha256"] is None
    assert row["bytes_read"] <= 1024**3
    assert any("more than its file system holds on the media" in e for e in errors(case))
    assert_has_pristine_files(case, FAT)


@needs_tsk
def test_truncated_image_keeps_what_is_there(tmp_path: Path) -> None:
    image = tmp_path / "cut.raw"
    image.write_bytes(GPT_TWO.read_bytes()[: EXT + 512 * 1024])  # the ext4 cut to its first half MiB
    case = scanned(image, tmp_path)
    assert_has_pristine_files(case, FAT, image)
    assert any("cut to the media" in e for e in errors(case))


def test_sparse_image_far_larger_than_its_data(tmp_path: Path) -> None:
    # gpt_two's bytes at the start of a 512 MiB sparse file: the backup GPT is not at the end any more
    image = tmp_path / "sparse.raw"
    shutil.copy(GPT_TWO, image)
    with open(image, "r+b") as f:
        f.truncate(512 * 1024**2)
    case = scanned(image, tmp_path)
    assert {r["fs_type"] for r in rows(case, "SELECT fs_type FROM volumes WHERE fs_type IS NOT NULL")} == \
        {"fat16", "ext4"}


def test_qcow2_with_a_corrupt_l2_table_records_read_errors(tmp_path: Path) -> None:
    src = IMAGES / "fat16_mbr_qcow2.qcow2"
    b = bytearray(src.read_bytes())
    l1_size, l1_off = struct.unpack_from(">IQ", b, 36)
    l2 = struct.unpack_from(">Q", b, l1_off)[0] & 0x00FFFFFFFFFFFE00
    # every allocated 64 KiB cluster of the first L2 table past the FAT16's first one (boot sector, FATs, root
    # directory: media 1 MiB + 64 KiB) pointed past the end of the file: file data unreadable mid-media
    for i in range(17, 512):
        entry = struct.unpack_from(">Q", b, l2 + 8 * i)[0]
        if entry:
            struct.pack_into(">Q", b, l2 + 8 * i, (entry & ~0x00FFFFFFFFFFFE00) | (1 << 40))
    image = tmp_path / "corrupt_l2.qcow2"
    image.write_bytes(bytes(b))
    case = tmp_path / "case.db"
    proc = scan(image, case)
    assert_ended_cleanly(proc, image.name)
    assert proc.returncode == 0
    listed = rows(case, "SELECT count(*) AS n, sum(status = 'error') AS bad FROM files WHERE type = 'regular'")[0]
    assert listed["n"] >= 5 and listed["bad"] >= 1  # every name kept; the files whose data is gone are errors
    assert any(e.startswith("read: ") for e in errors(case))


def test_truncated_ewf_fails_cleanly(tmp_path: Path) -> None:
    case = tmp_path / "case.db"
    proc = scan(IMAGES / "bad" / "truncated.E01", case)
    assert_ended_cleanly(proc, "truncated.E01")
    assert proc.returncode == 3 and proc.stderr.startswith("error: ")
    assert errors(case)


def test_search_beyond_the_dense_region_finds_file_systems_between_grid_points(tmp_path: Path) -> None:
    """A 6 GiB sparse disk without a table: the grid is 2 MiB apart there; the ext4 after the FAT16
    (2 MiB past its end, off the grid) is found by the follow-on probes."""
    from triage.evidence import recover
    from triage.evidence.containers import open_evidence
    from triage.evidence.volumes import list_volumes

    data = GPT_TWO.read_bytes()
    fat, ext = data[FAT:FAT + 3 * 1024**2], data[EXT:EXT + 2 * 1024**2]
    size = 6 * 1024**3
    step = recover.sparse_step(size)
    assert step == 2 * 1024**2
    at_fat = recover.DENSE_BYTES + 1000 * step
    at_ext = at_fat + len(fat) + 2 * 1024**2
    assert (at_ext - recover.DENSE_BYTES) % step
    image = tmp_path / "sparse-no-table.raw"
    with open(image, "wb") as f:
        f.truncate(size)
        f.seek(at_fat)
        f.write(fat)
        f.seek(at_ext)
        f.write(ext)
        f.flush()
        os.fsync(f.fileno())  # reads of a sparse file with writes still pending crawl on some hosts
    with open_evidence(image) as opened:
        layout = list_volumes(opened.img, "E")
    found = [(v.offset, v.fs_type, v.kind) for v in layout.volumes if v.fs_type]
    assert found == [(at_fat, "fat16", "recovered"), (at_ext, "ext4", "recovered")]


@pytest.mark.parametrize("source,offset,fs_type,length", [
    ("exfat.raw", 0, "exfat", 4 * 1024**2),
    ("iso9660.iso", 0, "iso9660", None),
    ("fat32.raw", 0, "fat32", 33 * 1024**2),  # its backup boot sector (sector 6) is not a second volume
    ("ntfs_mbr.raw", 1024**2, "ntfs", 5 * 1024**2),
    ("ext3.raw", 0, "ext3", 3 * 1024**2),  # backup superblocks (block groups 1, 3 ...) are not volumes
])
def test_search_finds_each_kind_once(source: str, offset: int, fs_type: str, length: int | None,
                                     tmp_path: Path) -> None:
    """A file system copied to sector 63 + 1 MiB of a disk of zeros, no table: found once, at its offset."""
    from triage.evidence.containers import open_evidence
    from triage.evidence.volumes import list_volumes

    data = (IMAGES / source).read_bytes()[offset:]
    at = 1024**2 + 63 * 512
    image = tmp_path / "bare.raw"
    with open(image, "wb") as f:
        f.truncate(at + len(data) + 1024**2)
        f.seek(at)
        f.write(data)
    with open_evidence(image) as opened:
        layout = list_volumes(opened.img, "E")
    found = [(v.offset, v.fs_type, v.kind) for v in layout.volumes if v.fs_type]
    assert found == [(at, fs_type, "recovered")]
    vol = next(v for v in layout.volumes if v.fs_type)
    if length is not None:
        assert vol.length == length


@pytest.mark.parametrize("source,offset", [("demo.raw", 5242880), ("ntfs_mbr.raw", 1048576)])
def test_damaged_boot_sector_whose_backup_survives_is_named_not_scanned_as_garbage(
        source: str, offset: int, tmp_path: Path) -> None:
    """FAT32 keeps a backup boot sector at sector 6, NTFS in its last sector: TSK opens neither in place of
    the damaged one; the FAT32 copy would even open, 6 sectors off, and list garbage. Named, not scanned."""
    from triage.evidence.containers import open_evidence
    from triage.evidence.volumes import list_volumes

    image = damaged(tmp_path, IMAGES / source, (offset, bytes(90)))
    with open_evidence(image) as opened:
        layout = list_volumes(opened.img, "E")
    assert not [v for v in layout.volumes if v.kind == "recovered"]
    assert any(f"the file system at {offset} has a damaged boot sector" in e.message for e in layout.errors)
