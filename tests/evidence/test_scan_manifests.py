"""Every committed image scans to exactly the files its manifest lists, with the right hashes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, image_manifests, load_manifest, rows
from triage.case.writer import CaseWriter
from triage.scan.engine import ScanEngine, ScanOptions
from triage.job.pipeline import scan_item

FAST = ScanOptions(yara=False, plugins=False, tlsh=False, archives=False, unallocated=False)


def _scan(image: Path, db: Path, evidence_id: str = "EV1") -> None:
    writer = CaseWriter(db)
    writer.begin_run("test", "tester", FAST.as_dict(), {})
    stats = scan_item(image, writer, ScanEngine(FAST), evidence_id)
    writer.finish_run(stats.status, [evidence_id], stats.files, stats.bytes, stats.errors)
    writer.close()
    assert stats.status != "failed", stats.message


def _user_file(path: str, name: str) -> bool:
    """Not a file-system metadata file: NTFS $MFT..., TSK's virtual $FAT1, exFAT $UPCASE_TABLE..."""
    parts = path.strip("/").split("/")
    if name.endswith("(Volume Label Entry)"):  # TSK shows a FAT volume label as a 0-byte entry
        return False
    return not (parts[0].startswith("$") or name.startswith("$"))


@pytest.mark.parametrize("name", image_manifests())
def test_scan_lists_exactly_the_manifest_files_with_their_hashes(name: str, tmp_path: Path) -> None:
    manifest = load_manifest(name)
    db = tmp_path / "case.db"
    _scan(FIXTURES / manifest["image"], db)
    got = {
        (r["offset"], r["path"]): (r["size"], r["sha256"])
        for r in rows(db, "SELECT v.offset, f.path, f.size, f.sha256, f.name FROM files f JOIN volumes v "
                          "ON v.id = f.volume_id WHERE f.type = 'regular' AND f.deleted = 0 AND f.stream IS NULL "
                          "AND f.parent_id IS NULL AND f.orphan = 0")
        if _user_file(r["path"], r["name"])
    }
    want = {(f["volume_offset"], f["path"]): (f["size"], f["sha256"]) for f in manifest["files"]}
    assert got == want


WITH_DELETED_OR_STREAMS = [n for n in image_manifests()
                           if load_manifest(n).get("deleted") or load_manifest(n).get("streams")]


@pytest.mark.parametrize("name", WITH_DELETED_OR_STREAMS)
def test_scan_finds_deleted_files_and_streams(name: str, tmp_path: Path) -> None:
    manifest = load_manifest(name)
    db = tmp_path / "case.db"
    _scan(FIXTURES / manifest["image"], db)
    for d in manifest.get("deleted", []):
        found = rows(db, "SELECT f.sha256, f.size, f.deleted FROM files f JOIN volumes v ON v.id = f.volume_id "
                         "WHERE v.offset = ? AND f.path = ?", (d["volume_offset"], d["path"]))
        assert found, f"deleted {d['path']} not listed"
        assert all(r["deleted"] == 1 for r in found)
        if d.get("recoverable"):
            assert d["sha256"] in {r["sha256"] for r in found}
    for s in manifest.get("streams", []):
        found = rows(db, "SELECT f.sha256, f.stream FROM files f JOIN volumes v ON v.id = f.volume_id "
                         "WHERE v.offset = ? AND f.path = ?", (s["volume_offset"], s["path"]))
        assert [r["sha256"] for r in found] == [s["sha256"]]
        assert found[0]["stream"]


@pytest.mark.parametrize("name", image_manifests())
def test_scan_records_the_volumes_and_container(name: str, tmp_path: Path) -> None:
    manifest = load_manifest(name)
    db = tmp_path / "case.db"
    _scan(FIXTURES / manifest["image"], db)
    ev = rows(db, "SELECT * FROM evidence")[0]
    assert ev["format"] == manifest["format"]
    assert ev["size"] == manifest["media_size"]
    assert ev["volume_system"] == manifest["volume_system"]
    vols = {(r["offset"], r["fs_type"]) for r in rows(db, "SELECT offset, fs_type FROM volumes")}
    for v in manifest["volumes"]:
        if v.get("fs_type"):
            assert (v["offset"], v["fs_type"]) in vols
    if manifest.get("stored_hashes"):
        assert ev["stored_md5"] == manifest["stored_hashes"]["md5"]
        assert ev["stored_sha1"] == manifest["stored_hashes"]["sha1"]
    if manifest.get("ewf_metadata"):
        for key, value in manifest["ewf_metadata"].items():
            if value:
                assert ev[key] == value


#: open flags that could change a file
_WRITE_FLAGS = {"O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"}
_OPEN_CALL = re.compile(r'\bopen(?:at2?)?\((?:[A-Z_]+|\d+), "((?:[^"\\]|\\.)*)", (\{flags=)?([A-Z_|0-9x]+)')


def _opens(log: str, segments: list[Path]) -> dict[Path, list[str]]:
    """Per segment, the flags of every open of it in an strace log (``strace -f -e trace=open,openat,openat2``)."""
    wanted = {str(p): p for p in segments}
    out: dict[Path, list[str]] = {p: [] for p in segments}
    for m in _OPEN_CALL.finditer(log):
        p = wanted.get(m.group(1))
        if p is not None:
            out[p].append(m.group(3))
    return out


@pytest.mark.parametrize("name", image_manifests())
def test_scan_leaves_the_evidence_unchanged(name: str, tmp_path: Path) -> None:
    import hashlib

    manifest = load_manifest(name)
    image = FIXTURES / manifest["image"]
    segments = sorted(image.parent.glob(image.stem + ".*")) if manifest["format"] in ("ewf", "split_raw") else [image]
    before = {p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in segments}
    # the scan as an examiner runs it, every open() of every process it starts seen by strace: run as root
    # (a lab machine), file permissions would not stop a write, so what is asserted is how the files are opened
    log = tmp_path / "strace.log"
    res = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,openat2", "-o", str(log),
                          sys.executable, "-m", "triage", "scan", str(image), "--case", str(tmp_path / "case.db"),
                          "--quiet"], capture_output=True, text=True)
    assert res.returncode in (0, 1), res.stderr
    after = {p: (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest()) for p in segments}
    assert before == after
    opens = _opens(log.read_text(encoding="utf-8", errors="replace"), segments)
    assert opens[image], f"{image.name} never opened: the check would prove nothing"
    written = {p.name: sorted(f for f in flags if _WRITE_FLAGS & set(f.split("|"))) for p, flags in opens.items()}
    assert all(not f for f in written.values()), written
