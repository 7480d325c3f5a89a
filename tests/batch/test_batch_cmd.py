"""`triage batch`: manifest and folder modes, one database per case, logs, exit codes, resume."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from lab_helpers import REPO, make_ext4, needs_mke2fs, run_triage

from triage.batch.manifest import discover_images, read_manifest, sanitise_case_name

FIXTURES = REPO / "fixtures" / "images"


def test_case_names_are_safe_file_names() -> None:
    assert sanitise_case_name("Op Alpha/2024") == "Op_Alpha_2024"
    assert sanitise_case_name("../../etc/passwd") == "etc_passwd"
    assert sanitise_case_name("CON") == "case_CON"
    assert sanitise_case_name("  ") == "case"
    assert sanitise_case_name("a:b*c?d") == "a_b_c_d"


@needs_mke2fs
def test_manifest_batch_writes_one_database_per_case(tmp_path: Path) -> None:
    ev = tmp_path / "evidence"
    ev.mkdir()
    make_ext4(ev, "a.raw", files=20, seed=1)
    make_ext4(ev, "b.raw", files=20, seed=2)
    (ev / "notes.txt").write_text("not an image")
    manifest = ev / "manifest.csv"
    manifest.write_text("evidence_id,path,case,examiner\n"
                        "A1,a.raw,Op Alpha/2024,PC Smith\n"
                        "B1,b.raw,Op Beta,\n"
                        "N1,notes.txt,Op Beta,\n")
    out = tmp_path / "cases"
    proc = run_triage("batch", str(manifest), "--case-dir", str(out), "--workers", "1", "--examiner", "DC Jones")
    assert proc.returncode == 1, proc.stderr  # one item of three failed
    assert "N1" in proc.stdout and "failed" in proc.stdout
    assert sorted(p.name for p in out.glob("*.db")) == ["Op_Alpha_2024.db", "Op_Beta.db"]
    assert sorted(p.name for p in (out / "logs").iterdir()) == ["A1.log", "B1.log", "N1.log"]
    assert "finish A1: ok" in (out / "logs" / "A1.log").read_text()
    con = sqlite3.connect(out / "Op_Beta.db")
    assert dict(con.execute("SELECT id, status FROM evidence").fetchall()) == {"B1": "complete", "N1": "failed"}
    assert con.execute("SELECT examiner FROM evidence WHERE id = 'B1'").fetchone()[0] == "DC Jones"
    files = con.execute("SELECT count(*) FROM files").fetchone()[0]
    assert files > 20
    con.close()
    con = sqlite3.connect(out / "Op_Alpha_2024.db")
    assert con.execute("SELECT examiner FROM evidence WHERE id = 'A1'").fetchone()[0] == "PC Smith"
    con.close()
    # run again: complete items are rescanned in place, nothing is duplicated
    proc = run_triage("batch", str(manifest), "--case-dir", str(out), "--workers", "1", "-q")
    assert proc.returncode == 1
    con = sqlite3.connect(out / "Op_Beta.db")
    assert con.execute("SELECT count(*) FROM files").fetchone()[0] == files


def test_folder_mode_finds_images_by_content(tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    wanted = {"fat16_mbr.raw": "fat16_mbr", "fat16_mbr_ewf.E01": "fat16_mbr_ewf"}
    for name in list(wanted) + ["fat16_mbr_split.000", "fat16_mbr_split.001", "fat16_mbr_split.002",
                                "fat16_mbr_split.003"]:
        if not (FIXTURES / name).exists():
            continue
        shutil.copy(FIXTURES / name, folder / name)
    if (folder / "fat16_mbr_split.000").exists():
        wanted["fat16_mbr_split.000"] = "fat16_mbr_split"
    (folder / "report.pdf").write_bytes(b"%PDF-1.4\n" + b"\0" * 4096)
    (folder / "hashes.txt").write_text("d41d8cd98f00b204e9800998ecf8427e  x\n")
    found = {p.name for p in discover_images(folder)}
    assert found == {n for n in wanted if (folder / n).exists()}
    items = read_manifest(folder, "Op Drop")
    assert {i.evidence_id for i in items} == {wanted[n] for n in found}
    assert {i.case for i in items} == {"Op_Drop"}


def test_all_failed_exits_3(tmp_path: Path) -> None:
    manifest = tmp_path / "m.csv"
    (tmp_path / "x.txt").write_text("nothing")
    manifest.write_text("path\nx.txt\nmissing.raw\n")
    proc = run_triage("batch", str(manifest), "--case-dir", str(tmp_path / "out"), "--workers", "1", "-q")
    assert proc.returncode == 3, proc.stderr
