"""triage extract on real cases: hostile names copied safely inside DIR, hashes re-verified, bad input refused."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from triage.case.reader import open_case
from triage.extract.names import MAX_NAME_BYTES

IMAGES = FIXTURES / "images"
DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def _triage(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True, cwd=cwd)


def _scan(image: Path, db: Path, *extra: str) -> None:
    res = _triage("scan", str(image), "--case", str(db), "--quiet", *extra)
    assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(case, image): a private copy of hostile.raw scanned with one extra rule, so --yara has a match."""
    base = tmp_path_factory.mktemp("extract")
    image = base / "hostile.raw"
    shutil.copy(IMAGES / "hostile.raw", image)
    rule = base / "onerror.yar"
    rule.write_text('rule markup_onerror { strings: $a = "onerror=alert" condition: $a }\n', encoding="utf-8")
    db = base / "case.db"
    _scan(image, db, "--rules", str(rule))
    return db, image


def _regular(db: Path) -> list[Any]:
    with open_case(db) as reader:
        return [f for f in reader.iter_files(regular_only=True) if f.sha256]


def _inside(root: Path) -> None:
    """Every entry under root is a plain file or folder, resolving inside root (no link, nothing outside)."""
    real = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            assert not p.is_symlink()
            assert p.resolve().is_relative_to(real)


def _records(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "extracted.json").read_text(encoding="utf-8"))["files"]  # type: ignore[no-any-return]


def test_every_hostile_name_extracted_safely_and_verified(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = hostile
    files = _regular(db)
    out = tmp_path / "out"
    args = [a for f in files for a in ("--file-id", str(f.id))]
    res = _triage("extract", str(db), *args, "-o", str(out))
    assert res.returncode == 0, res.stderr
    recs = _records(out)
    assert len(recs) == len(files) and all(r["status"] == "extracted" and r["verified"] for r in recs)
    by_id = {f.id: f for f in files}
    names = set()
    for r in recs:
        f = by_id[r["file_id"]]
        assert r["original_path"] == f.path and r["sha256"] == f.sha256 and r["inode"] == f.inode
        new = out / r["new_name"]
        assert new.parent == out / "files"
        name = new.name
        names.add(name)
        assert not any(ord(c) < 32 or c in '/\\<>:"|?*\u202e' for c in name)
        assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
        assert not name.endswith((".", " ")) and not name.startswith(".")
        assert name.split(".")[0].upper() not in DEVICES
        assert hashlib.sha256(new.read_bytes()).hexdigest() == f.sha256  # the copy is the file the case hashed
    assert {"a.txt", "a (2).txt"} <= names  # the same name in two folders
    assert "_CON" in names and "_aux.txt" in names and "_NUL.log" in names
    long = next(n for n in names if n.startswith("LLLL"))
    assert long.endswith(".txt")
    assert len(os.listdir(out / "files")) == len(files)
    _inside(tmp_path)  # nothing written outside DIR, nothing escaped it
    assert sorted(os.listdir(tmp_path)) == ["out"]
    check = subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with open(out / "extracted.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(files)
    # text cells never start a formula (numbers such as volume -1 stay numbers)
    assert all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values()
               if not v.lstrip("-").isdigit())
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "extract"


def test_selection_by_hash_type_rule_and_tag(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = hostile
    files = {f.path: f for f in _regular(db)}
    img = files["/<img src=x onerror=alert(1)>.txt"]
    res = _triage("extract", str(db), "--yara", "markup_onerror", "-o", str(tmp_path / "yara"))
    assert res.returncode == 0, res.stderr
    assert img.id in {r["file_id"] for r in _records(tmp_path / "yara")}
    res = _triage("extract", str(db), "--sha256", img.sha256.upper(), "-o", str(tmp_path / "sha"))
    assert res.returncode == 0, res.stderr
    assert [r["file_id"] for r in _records(tmp_path / "sha")] == [img.id]
    res = _triage("extract", str(db), "--artefact-type", "payment_card", "-o", str(tmp_path / "cards"))
    assert res.returncode == 0, res.stderr
    with open_case(db) as reader:
        holding = {a.file_id for a in reader.iter_artefacts(types=["payment_card"]) if a.file_id}
    assert {r["file_id"] for r in _records(tmp_path / "cards")} == holding
    tagged = tmp_path / "tagged.db"
    shutil.copy(db, tagged)
    script = files["/<script>"]
    assert _triage("tag", str(tagged), "--file-id", str(script.id)).returncode == 0
    res = _triage("extract", str(tagged), "--tagged", "-o", str(tmp_path / "tag"))
    assert res.returncode == 0, res.stderr
    assert [r["new_name"] for r in _records(tmp_path / "tag")] == ["files/_script_"]


def test_archive_members_from_their_containers(tmp_path: Path) -> None:
    db = tmp_path / "artefacts.db"
    _scan(IMAGES / "artefacts.raw", db, "--no-yara")
    out = tmp_path / "out"
    res = _triage("extract", str(db), "--artefact-type", "payment_card", "-o", str(out))
    assert res.returncode == 0, res.stderr
    recs = _records(out)
    members = [r for r in recs if "!/" in r["original_path"]]
    assert any(r["original_path"].count("!/") >= 2 for r in members)  # a ZIP inside a mail message
    assert any(r["original_path"].endswith("!/(text)") for r in members)  # a document's derived text
    for r in recs:
        assert r["verified"], r
        assert hashlib.sha256((out / r["new_name"]).read_bytes()).hexdigest() == r["sha256"]


def test_changed_evidence_is_a_mismatch(tmp_path: Path) -> None:
    image = tmp_path / "hostile.raw"
    shutil.copy(IMAGES / "hostile.raw", image)
    db = tmp_path / "case.db"
    _scan(image, db, "--no-yara")
    target = next(f for f in _regular(db) if f.path == "/docs/aux.txt")
    first = tmp_path / "first"
    assert _triage("extract", str(db), "--file-id", str(target.id), "-o", str(first)).returncode == 0
    content = (first / "files" / "_aux.txt").read_bytes()
    data = bytearray(image.read_bytes())
    assert data.count(content) == 1
    at = data.find(content)
    data[at] ^= 0xFF  # one byte inside the file's data changed after the scan
    image.write_bytes(bytes(data))
    out = tmp_path / "second"
    res = _triage("extract", str(db), "--file-id", str(target.id), "-o", str(out))
    assert res.returncode == 1
    line = [ln for ln in res.stderr.splitlines() if "not extracted" in ln]
    assert len(line) == 1 and "hash mismatch" in line[0] and "/docs/aux.txt" in line[0]
    assert "Traceback" not in res.stderr
    assert os.listdir(out / "files") == []  # the differing copy is removed
    (rec,) = _records(out)
    assert rec["status"] == "hash mismatch" and not rec["verified"] and rec["new_name"] is None
    assert rec["computed_sha256"] != rec["sha256"]


def test_missing_or_moved_evidence(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    db, image = hostile
    case = tmp_path / "case.db"
    shutil.copy(db, case)
    files = _regular(db)[:3]
    args = [a for f in files for a in ("--file-id", str(f.id))]
    moved = tmp_path / "moved.raw"
    shutil.copy(image, moved)
    with open_case(case) as reader:
        recorded = reader.evidence()[0].path
    gone = Path(recorded)
    hidden = gone.with_name(gone.name + ".away")
    gone.rename(hidden)
    try:
        res = _triage("extract", str(case), *args, "-o", str(tmp_path / "out"))
    finally:
        hidden.rename(gone)
    assert res.returncode == 3
    lines = res.stderr.splitlines()
    assert sum("not extracted" in ln for ln in lines) == len(files)
    assert any("--evidence-path hostile=PATH" in ln for ln in lines)
    assert "Traceback" not in res.stderr
    res = _triage("extract", str(case), *args, "--evidence-path", f"hostile={moved}", "-o", str(tmp_path / "o2"))
    assert res.returncode == 0, res.stderr
    assert all(r["verified"] for r in _records(tmp_path / "o2"))
    other = tmp_path / "other.raw"
    shutil.copy(IMAGES / "ext3.raw", other)  # another image, of another size
    res = _triage("extract", str(case), *args, "--evidence-path", f"hostile={other}", "-o", str(tmp_path / "o3"))
    assert res.returncode == 3 and "is not the image the case scanned" in res.stderr


def test_bad_input(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = hostile
    one = str(_regular(db)[0].id)
    taken = tmp_path / "taken"
    taken.mkdir()
    keep = taken / "keep.txt"
    keep.write_text("examiner's notes", encoding="utf-8")
    res = _triage("extract", str(db), "--file-id", one, "-o", str(taken))
    assert res.returncode == 2 and "--force" in res.stderr and len(res.stderr.strip().splitlines()) == 1
    res = _triage("extract", str(db), "--file-id", one, "-o", str(taken), "--force")
    assert res.returncode == 0, res.stderr
    assert keep.read_text(encoding="utf-8") == "examiner's notes"
    res = _triage("extract", str(db), "--file-id", one, "-o", str(taken), "--force")
    assert res.returncode == 0  # an earlier copy is never overwritten: the new one is numbered
    assert len(os.listdir(taken / "files")) == 2
    cases = [
        (["--file-id", "999999"], 3, "nothing selected"),
        (["--artefact-type", "no_such_type"], 3, "nothing selected"),
        ([], 2, "nothing to select"),
        (["--sha256", "abc"], 2, "not a SHA-256"),
        (["--file-id", one, "--evidence", "nope"], 2, "no evidence 'nope'"),
        (["--file-id", one, "--evidence-path", "nope=/x"], 2, "no evidence 'nope'"),
        (["--file-id", one, "--evidence-path", "hostile"], 2, "ID=PATH"),
    ]
    for args, code, text in cases:
        out = tmp_path / f"o{code}{len(args)}"
        res = _triage("extract", str(db), *args, "-o", str(out))
        assert res.returncode == code, (args, res.stderr)
        assert text in res.stderr and "Traceback" not in res.stderr
        assert not out.exists()  # refused before anything was made
    not_case = tmp_path / "not.db"
    not_case.write_text("hello", encoding="utf-8")
    res = _triage("extract", str(not_case), "--file-id", "1", "-o", str(tmp_path / "nc"))
    assert res.returncode == 4 and len(res.stderr.strip().splitlines()) == 1
    res = _triage("extract", str(tmp_path / "missing.db"), "--file-id", "1", "-o", str(tmp_path / "nc"))
    assert res.returncode == 4


def test_a_directory_is_reported_not_copied(hostile: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = hostile
    with open_case(db) as reader:
        docs = next(f for f in reader.iter_files() if f.path == "/docs")
        one = next(f for f in reader.iter_files() if f.path == "/docs/CON")
    res = _triage("extract", str(db), "--file-id", str(docs.id), "--file-id", str(one.id), "-o", str(tmp_path / "o"))
    assert res.returncode == 1
    recs = {r["original_path"]: r for r in _records(tmp_path / "o")}
    assert recs["/docs"]["status"] == "not extractable" and recs["/docs"]["reason"] == "a directory"
    assert recs["/docs/CON"]["new_name"] == "files/_CON"


def test_ntfs_streams_deleted_files_and_an_e01(tmp_path: Path) -> None:
    """Alternate data streams by name, deleted NTFS files, and files inside an E01 container, all re-verified."""
    db = tmp_path / "case.db"
    _scan(IMAGES / "ntfs_mbr.raw", db, "--no-yara")
    _scan(IMAGES / "fat16_mbr_ewf.E01", db, "--no-yara")
    files = _regular(db)
    assert any(f.stream for f in files) and any(f.deleted for f in files)
    assert {f.evidence_id for f in files} == {"ntfs_mbr", "fat16_mbr_ewf"}
    out = tmp_path / "out"
    res = _triage("extract", str(db), *[a for f in files for a in ("--file-id", str(f.id))], "-o", str(out))
    assert res.returncode == 0, res.stderr
    recs = {r["original_path"]: r for r in _records(out)}
    assert all(r["verified"] for r in recs.values())
    assert recs["/ads_host.txt:secret"]["new_name"] == "files/ads_host.txt_secret"
    check = subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
