"""`triage export` end to end: every format, its manifest, and every bad input as one line and an exit code."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from triage.case.writer import CaseWriter
from triage.export import FORMATS

IMAGES = FIXTURES / "images"
MINE = ("csv", "jsonl", "xlsx", "bodyfile", "timesketch", "kml")


def triage(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True)


def _one_line_error(res: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two exhibits: hostile names and an E01 with its case/evidence numbers and stored hashes."""
    db = tmp_path_factory.mktemp("cmd") / "case.db"
    for image in ("hostile.raw", "fat16_mbr_ewf.E01"):
        subprocess.run([sys.executable, "-m", "triage", "scan", str(IMAGES / image), "--case", str(db), "--quiet"],
                       check=True, capture_output=True)
    return db


@pytest.mark.parametrize("fmt", MINE)
def test_every_format_with_manifest(case: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / "out" / fmt  # parents are made
    res = triage("export", str(case), "--format", fmt, "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stderr == "" and res.stdout.startswith(f"{fmt}: ")
    check = subprocess.run(["sha256sum", "-c", "--strict", "MANIFEST.sha256"], cwd=out, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tool"] == "triage" and manifest["kind"] == f"export:{fmt}"
    conn = sqlite3.connect(case)
    run_ids = [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id")]
    conn.close()
    assert manifest["case"]["run_ids"] == run_ids and manifest["case"]["path"] == str(case.resolve())
    assert manifest["case"]["size"] == case.stat().st_size and len(manifest["case"]["sha256"]) == 64
    assert manifest["options"] == {"format": fmt, "evidence_ids": None, "unmasked": False, "force": False}
    assert manifest["interrupted"] == []
    listed = {f["path"] for f in manifest["files"]}
    assert listed == {p.name for p in out.iterdir()} - {"MANIFEST.sha256", "manifest.json"}
    assert all(f["rows"] is not None and f["rows"] >= 0 for f in manifest["files"])


def test_evidence_option(case: Path, tmp_path: Path) -> None:
    res = triage("export", str(case), "--format", "jsonl", "-o", str(tmp_path / "o"), "--evidence",
                 "fat16_mbr_ewf")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in (tmp_path / "o" / "files.jsonl").read_text().splitlines()]
    assert rows and {r["evidence_id"] for r in rows} == {"fat16_mbr_ewf"}
    ev = [json.loads(line) for line in (tmp_path / "o" / "evidence.jsonl").read_text().splitlines()]
    assert [(e["case_number"], e["evidence_number"]) for e in ev] == [("CASE-001", "EV-01")]
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["options"]["evidence_ids"] == ["fat16_mbr_ewf"]


def test_missing_case(tmp_path: Path) -> None:
    _one_line_error(triage("export", str(tmp_path / "nope.db"), "--format", "csv", "-o", str(tmp_path / "o")),
                    4, "no such case database")
    assert not (tmp_path / "o").exists()


def test_not_a_case(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    plain.write_bytes(b"not sqlite at all" * 100)
    _one_line_error(triage("export", str(plain), "--format", "csv", "-o", str(tmp_path / "o")), 4)


def test_newer_case(case: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    shutil.copyfile(case, newer)
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('triage', '0099_future', 'x')")
    conn.commit()
    conn.close()
    _one_line_error(triage("export", str(newer), "--format", "csv", "-o", str(tmp_path / "o")), 4, "newer triage")
    assert not (tmp_path / "o").exists()


def test_unknown_format(case: Path, tmp_path: Path) -> None:
    _one_line_error(triage("export", str(case), "--format", "pdf", "-o", str(tmp_path / "o")), 2,
                    "unknown export format 'pdf'", "csv")


def test_unknown_evidence(case: Path, tmp_path: Path) -> None:
    _one_line_error(triage("export", str(case), "--format", "csv", "-o", str(tmp_path / "o"), "--evidence",
                           "hostile", "--evidence", "EV-99"), 2, "'EV-99'", "hostile")
    assert not (tmp_path / "o").exists()


def test_output_exists(case: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    out.mkdir()
    keep = out / "files.csv"
    keep.write_text("examiner's own file", encoding="utf-8")
    _one_line_error(triage("export", str(case), "--format", "csv", "-o", str(out)), 2, "not empty", "--force")
    assert keep.read_text(encoding="utf-8") == "examiner's own file" and len(list(out.iterdir())) == 1
    a_file = tmp_path / "taken.txt"
    a_file.write_text("x", encoding="utf-8")
    for extra in ((), ("--force",)):
        _one_line_error(triage("export", str(case), "--format", "kml", "-o", str(a_file), *extra), 2,
                        "not a folder")
    assert a_file.read_text(encoding="utf-8") == "x"
    res = triage("export", str(case), "--format", "csv", "-o", str(out), "--force")
    assert res.returncode == 0, res.stderr
    assert keep.read_text(encoding="utf-8").startswith("id,evidence_id,")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert triage("export", str(case), "--format", "kml", "-o", str(empty)).returncode == 0


def test_output_folder_cannot_be_made(case: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x", encoding="utf-8")
    _one_line_error(triage("export", str(case), "--format", "csv", "-o", str(a_file / "sub")), 4,
                    "cannot make the output folder")


def test_interrupted_case_exported_and_said(case: Path, tmp_path: Path) -> None:
    broken = tmp_path / "interrupted.db"
    shutil.copyfile(case, broken)
    w = CaseWriter(broken)  # what a scan killed mid-way leaves: a run still running, an exhibit still scanning
    w.begin_run("triage scan hostile.raw (killed)", None, {}, {})
    w.set_evidence_status("hostile", "scanning")
    w.commit()
    w.conn.close()
    out = tmp_path / "o"
    res = triage("export", str(broken), "--format", "timesketch", "-o", str(out))
    assert res.returncode == 1
    assert "warning: the case may be incomplete" in res.stderr and "evidence hostile: scan scanning" in res.stderr
    assert "Traceback" not in res.stderr
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "evidence hostile: scan scanning" in manifest["interrupted"]
    assert any("the case is incomplete" in n for n in manifest["notes"])
    assert manifest["files"][0]["rows"] > 0


def test_help_lists_exit_codes() -> None:
    res = triage("export", "--help")
    assert res.returncode == 0
    for line in ("0  exported", "1  exported, but the case is incomplete", "2  bad usage", "4  cannot start"):
        assert line in res.stdout
    assert set(MINE) <= set(FORMATS)
