"""Check fixtures/manifests/*.json against the committed images.

The oracle is The Sleuth Kit's command line (mmls, fls, icat), independent of
triage's own reader.  Formats the Debian TSK CLI cannot open (qcow2, vhdx) only
get the structural checks.  Skipped only when the TSK CLI is absent.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# image manifests only: bad.json lists bad inputs, *_planted.json lists planted artefacts
MANIFESTS = sorted(p for p in (FIXTURES / "manifests").glob("*.json")
                   if p.name != "bad.json" and not p.name.endswith("_planted.json"))
HAVE_TSK = all(shutil.which(t) for t in ("fls", "icat", "mmls"))
needs_tsk = pytest.mark.skipif(not HAVE_TSK, reason="The Sleuth Kit CLI (fls, icat, mmls) not installed")

# Formats the TSK CLI reads; a manifest's "format" maps to fls -i.
TSK_IMG_TYPE = {"raw": "raw", "split_raw": "raw", "ewf": "ewf", "vmdk": "vmdk", "vhd": "vhd"}
FLS_LINE = re.compile(r"^(?P<type>\S+)\s+(?P<star>\*\s+)?(?P<inode>[0-9][0-9\-]*)(?:\(realloc\))?:\t(?P<name>.*)$")
REQUIRED_KEYS = {"image", "format", "media_size", "volume_system", "stored_hashes",
                 "ewf_metadata", "volumes", "files", "deleted", "streams", "notes"}


def load(p: Path) -> dict:
    return json.loads(p.read_text(encoding="utf-8"))


def ids(paths):
    return [p.stem for p in paths]


@cache
@cache
def _available_img_types() -> frozenset:
    if not HAVE_TSK:
        return frozenset()
    r = subprocess.run(["fls", "-i", "list"], capture_output=True, text=True)
    return frozenset(re.findall(r"^\t(\w+) ", r.stdout + r.stderr, re.M))


@cache
def fls(image: str, img_type: str, offset: int, deleted: bool = False) -> tuple:
    args = ["fls", "-r", "-p", "-i", img_type, "-o", str(offset // 512)]
    if deleted:
        args.append("-d")
    r = subprocess.run(args + [image], capture_output=True, check=True)
    out = []
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        m = FLS_LINE.match(line)
        if m:
            out.append((m.group("type"), bool(m.group("star")), m.group("inode"),
                        unicodedata.normalize("NFC", m.group("name"))))
    return tuple(out)


def icat_sha256(image: str, img_type: str, offset: int, inode: str) -> str:
    r = subprocess.run(["icat", "-i", img_type, "-o", str(offset // 512), image, inode],
                       capture_output=True, check=True)
    return hashlib.sha256(r.stdout).hexdigest()


def tsk_target(m: dict):
    if m["format"] not in TSK_IMG_TYPE or m.get("missing_parent"):
        return None
    img_type = TSK_IMG_TYPE[m["format"]]
    if img_type not in _available_img_types():
        return None
    return str(FIXTURES / m["image"]), img_type


# ------------------------------------------------------------------ structure

@pytest.mark.parametrize("path", MANIFESTS, ids=ids(MANIFESTS))
def test_manifest_structure(path):
    m = load(path)
    assert REQUIRED_KEYS <= m.keys()
    assert path.stem == Path(m["image"]).stem, "manifest must be named after its image"
    assert (FIXTURES / m["image"]).is_file()
    assert m["format"] in {"raw", "split_raw", "ewf", "qcow2", "vmdk", "vhd", "vhdx"}
    assert m["volume_system"] in {"dos", "gpt", "mac", "none"}
    if m["format"] == "raw":
        assert (FIXTURES / m["image"]).stat().st_size == m["media_size"]
    if m["format"] == "split_raw":
        first = FIXTURES / m["image"]
        segs = sorted(first.parent.glob(first.stem + ".*"))
        assert sum(s.stat().st_size for s in segs) == m["media_size"]
    offsets = {v["offset"] for v in m["volumes"]}
    for f in m["files"] + m["deleted"] + m["streams"]:
        assert f["volume_offset"] in offsets
        assert f["path"].startswith("/")
    for f in m["files"]:
        assert len(f["sha256"]) == 64 and len(f["md5"]) == 32 and len(f["sha1"]) == 40
    if m["format"] == "ewf":
        assert m["stored_hashes"] and m["ewf_metadata"]["case_number"] == "CASE-001"
    if m.get("missing_parent"):
        assert not (FIXTURES / "images" / m["missing_parent"]).exists()


def test_bad_manifest_lists_existing_files():
    bad = load(FIXTURES / "manifests" / "bad.json")["bad"]
    assert len(bad) >= 5
    for entry in bad:
        assert (FIXTURES / entry["image"]).is_file(), entry["image"]
        assert entry["problem"]


def test_containers_share_source_files():
    src = load(FIXTURES / "manifests" / "fat16_mbr.json")
    for p in MANIFESTS:
        if p.stem.startswith("fat16_mbr_"):
            m = load(p)
            assert m["files"] == src["files"] and m["media_size"] == src["media_size"], p.name


# ------------------------------------------------------------------ TSK oracle
# Only the images the TSK CLI can read are checked against it (Debian's 4.11
# build reads raw, split raw, E01 and VMDK; not QCOW2, VHDX or a child
# without its parent): those are parametrised, the others are not generated.
ORACLE = [p for p in MANIFESTS if tsk_target(load(p)) is not None]
ORACLE_VS = [p for p in ORACLE if load(p)["volume_system"] != "none"]
ORACLE_DELETED = [p for p in ORACLE if load(p)["deleted"] or load(p)["streams"]]


@needs_tsk
@pytest.mark.parametrize("path", ORACLE_VS, ids=ids(ORACLE_VS))
def test_volumes_match_mmls(path):
    m = load(path)
    image, img_type = tsk_target(m)
    r = subprocess.run(["mmls", "-i", img_type, "-t", m["volume_system"], image],
                       capture_output=True, text=True, check=True)
    starts = {}
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0].endswith(":") and parts[2].isdigit():
            starts.setdefault(int(parts[2]) * 512, []).append(line)
    for v in m["volumes"]:
        if v["kind"] == "partition":
            assert v["offset"] in starts, f"no mmls entry at {v['offset']}: {r.stdout}"
        elif v["kind"] == "unallocated":
            assert any("Unallocated" in ln for ln in starts.get(v["offset"], [])), r.stdout


@needs_tsk
@pytest.mark.parametrize("path", ORACLE, ids=ids(ORACLE))
def test_files_exist_with_hashes(path):
    m = load(path)
    image, img_type = tsk_target(m)
    for f in m["files"]:
        entries = {name: inode for (t, star, inode, name) in fls(image, img_type, f["volume_offset"])
                   if not star and t.endswith("/r")}
        # fls prints a control character in a name as '^' (hostile.raw has them)
        rel = "".join("^" if ord(c) < 0x20 else c for c in f["path"].lstrip("/"))
        assert rel in entries, f"{f['path']} not listed by fls in volume {f['volume_offset']}"
        assert icat_sha256(image, img_type, f["volume_offset"], entries[rel]) == f["sha256"], f["path"]


@needs_tsk
@pytest.mark.parametrize("path", ORACLE_DELETED, ids=ids(ORACLE_DELETED))
def test_deleted_and_streams(path):
    m = load(path)
    image, img_type = tsk_target(m)
    for d in m["deleted"]:
        entries = {name: inode for (t, star, inode, name) in fls(image, img_type, d["volume_offset"], True) if star}
        rel = d["path"].lstrip("/")
        assert rel in entries, f"deleted {d['path']} not in fls -rd: {sorted(entries)}"
        got = icat_sha256(image, img_type, d["volume_offset"], entries[rel])
        assert (got == d["sha256"]) == d["recoverable"], d["path"]
    for s in m["streams"]:
        entries = {name: inode for (t, star, inode, name) in fls(image, img_type, s["volume_offset"]) if not star}
        rel = s["path"].lstrip("/")
        assert rel in entries, f"stream {s['path']} not listed by fls"
        assert icat_sha256(image, img_type, s["volume_offset"], entries[rel]) == s["sha256"]


@needs_tsk
@pytest.mark.parametrize("name", ["diff_child_vmdk"])
def test_child_without_parent_does_not_open(name):
    m = load(FIXTURES / "manifests" / f"{name}.json")
    if "vmdk" not in _available_img_types():
        pytest.skip("TSK CLI without vmdk support")
    r = subprocess.run(["fls", "-i", "vmdk", "-o", "2048", str(FIXTURES / m["image"])],
                       capture_output=True)
    assert r.returncode != 0
