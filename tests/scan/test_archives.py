"""Archives are expanded from the read pass: members recorded with their own hashes, bombs bounded."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile
import zipfile
from pathlib import Path

import py7zr

from triage.records import Entry
from triage.scan.members import ArchiveLimits
from triage.scan.engine import FileOutcome, ScanEngine, ScanOptions

OPTIONS = ScanOptions(yara=False, plugins=False, tlsh=False)


def _process(data: bytes, name: str, engine: ScanEngine | None = None) -> FileOutcome:
    engine = engine or ScanEngine(OPTIONS)
    entry = Entry(path=f"/evidence/{name}", name=name, inode=42, size=len(data), type="regular")
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]
    return engine.process(entry, 0, chunks)


def _flatten(outcome: FileOutcome) -> dict[str, FileOutcome]:
    out = {outcome.result.entry.path: outcome}
    for child in outcome.children:
        out.update(_flatten(child))
    return out


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def test_zip_members_get_their_own_hashes_and_paths() -> None:
    inner = b"member text " * 100
    got = _flatten(_process(_zip({"docs/a.txt": inner, "b.bin": bytes(range(256))}), "x.zip"))
    member = got["/evidence/x.zip!/docs/a.txt"]
    assert member.result.hashes.sha256 == hashlib.sha256(inner).hexdigest()
    assert member.result.entry.parent_path == "/evidence/x.zip" and member.result.entry.depth == 1
    assert "/evidence/x.zip!/b.bin" in got


def test_nested_archives_expand_to_the_depth_limit() -> None:
    data = b"deep"
    name = "leaf.txt"
    for level in range(6):
        data = _zip({name: data})
        name = f"level{level}.zip"
    got = _flatten(_process(data, "outer.zip"))
    depths = max(o.result.entry.depth for o in got.values())
    assert depths == ArchiveLimits().max_depth
    errors = [e for o in got.values() for e in o.result.errors]
    assert any(e.stage == "limit" and "nested deeper" in e.message for e in errors)


def test_gzip_bzip2_xz_tar_and_7z_are_expanded(tmp_path: Path) -> None:
    payload = b"payload line\n" * 50
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w") as tf:
        info = tarfile.TarInfo("in/tar.txt")
        info.size = len(payload)
        tf.addfile(info, io.BytesIO(payload))
    seven = tmp_path / "a.7z"
    with py7zr.SevenZipFile(seven, "w") as sz:
        sz.writestr(payload, "seven.txt")
    cases = {
        "a.txt.gz": (gzip.compress(payload), "/evidence/a.txt.gz!/a.txt"),
        "a.txt.bz2": (bz2.compress(payload), "/evidence/a.txt.bz2!/a.txt"),
        "a.txt.xz": (lzma.compress(payload), "/evidence/a.txt.xz!/a.txt"),
        "a.tar.gz": (gzip.compress(tar_buf.getvalue()), "/evidence/a.tar.gz!/a.tar!/in/tar.txt"),
        "a.7z": (seven.read_bytes(), "/evidence/a.7z!/seven.txt"),
    }
    want = hashlib.sha256(payload).hexdigest()
    for name, (data, member_path) in cases.items():
        got = _flatten(_process(data, name))
        assert member_path in got, (name, sorted(got))
        assert got[member_path].result.hashes.sha256 == want


def test_a_compression_bomb_is_cut_and_recorded() -> None:
    bomb = _zip({"zeros.bin": bytes(64 * 1024 * 1024)})  # ratio ~1000:1
    assert len(bomb) < 200_000
    got = _flatten(_process(bomb, "bomb.zip"))
    member = got["/evidence/bomb.zip!/zeros.bin"]
    assert member.result.bytes_read < 64 * 1024 * 1024
    assert any(e.stage == "limit" and "ratio" in e.message for e in member.result.errors + got[
        "/evidence/bomb.zip"].result.errors)


def test_member_names_cannot_escape_into_host_paths() -> None:
    got = _flatten(_process(_zip({"../../etc/passwd": b"x", "/abs/evil": b"y"}), "evil.zip"))
    assert "/evidence/evil.zip!/etc/passwd" in got and "/evidence/evil.zip!/abs/evil" in got


def test_a_corrupt_archive_is_an_error_not_a_crash() -> None:
    data = _zip({"a.txt": b"hello" * 1000})
    broken = data[:40] + bytes(200) + data[240:]
    outcome = _process(broken, "broken.zip")
    assert outcome.result.hashes.sha256 == hashlib.sha256(broken).hexdigest()
    assert any(e.stage == "archive" for e in outcome.result.errors)


def test_a_7z_bomb_is_cut_at_the_ratio_and_recorded(tmp_path: Path) -> None:
    # 7z compresses members together: the bound is the archive's own ratio
    bomb = tmp_path / "bomb.7z"
    with py7zr.SevenZipFile(bomb, "w") as sz:
        sz.writestr(bytes(48 * 1024 * 1024), "zeros1.bin")
        sz.writestr(bytes(48 * 1024 * 1024), "zeros2.bin")
    data = bomb.read_bytes()
    assert len(data) < 100_000
    got = _flatten(_process(data, "bomb.7z"))
    members = [o for p, o in got.items() if "!/" in p]
    expanded = sum(m.result.bytes_read for m in members)
    assert expanded <= ArchiveLimits().max_ratio * len(data) + 1024 * 1024
    errors = [e for o in got.values() for e in o.result.errors]
    assert any(e.stage == "limit" and "ratio" in e.message for e in errors)
    assert "/evidence/bomb.7z!/zeros2.bin" not in got  # the rest was skipped
