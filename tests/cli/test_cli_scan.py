"""The `triage` command as an examiner runs it: real subprocesses, real images, real case databases."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, load_manifest, rows

BAD = load_manifest("bad")["bad"]
FAST = ["--no-yara", "--no-plugins", "--no-tlsh"]


def triage(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("bad", BAD, ids=[Path(b["image"]).name for b in BAD])
def test_bad_input_gives_one_clear_line_and_is_recorded(bad: dict, tmp_path: Path) -> None:
    db = tmp_path / "case.db"
    proc = triage("scan", FIXTURES / bad["image"], "--case", db, *FAST)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 3), proc.stderr
    errors = rows(db, "SELECT stage, message FROM errors")
    assert errors, "the problem must be recorded in the case"
    if proc.returncode == 3:
        lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
        assert len(lines) == 1 and len(lines[0]) < 300


def test_truncated_image_scans_what_is_there_and_records_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "case.db"
    proc = triage("scan", FIXTURES / "images/bad/truncated_fat16_mbr.raw", "--case", db, *FAST, "--json")
    assert "Traceback" not in proc.stderr
    stages = {r["stage"] for r in rows(db, "SELECT stage FROM errors")}
    assert "volumes" in stages  # the partition runs past the end of the media


def test_non_image_exits_3_when_nothing_was_scanned(tmp_path: Path) -> None:
    proc = triage("scan", FIXTURES / "images/bad/not_an_image.txt", "--case", tmp_path / "c.db", *FAST)
    assert proc.returncode == 3
    assert "no file system" in proc.stderr


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    proc = triage("scan", tmp_path / "nope.E01", "--case", tmp_path / "c.db", *FAST)
    assert proc.returncode == 3
    assert "no such file" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name", ["diff_child_vmdk", "diff_child_qcow2"])
def test_differencing_image_without_parent_names_the_parent(name: str, tmp_path: Path) -> None:
    manifest = load_manifest(name)
    proc = triage("scan", FIXTURES / manifest["image"], "--case", tmp_path / "c.db", *FAST)
    assert proc.returncode == 3
    assert manifest["missing_parent"] in proc.stderr
    assert "parent" in proc.stderr and "Traceback" not in proc.stderr


def test_one_good_and_one_bad_item_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    proc = triage("scan", FIXTURES / "images/fat16_mbr.raw", FIXTURES / "images/bad/not_an_image.txt",
                  "--case", db, *FAST, "--quiet")
    assert proc.returncode == 1
    assert rows(db, "SELECT count(*) AS n FROM files")[0]["n"] > 0


def test_rescan_does_not_duplicate_rows(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    image = FIXTURES / "images/demo.raw"
    assert triage("scan", image, "--case", db, "--quiet").returncode == 0
    tables = ("files", "volumes", "evidence", "artefacts", "yara_matches", "errors", "hash_hits")
    first = {t: rows(db, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}
    assert triage("scan", image, "--case", db, "--quiet").returncode == 0
    second = {t: rows(db, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in tables}
    assert first == second
    assert first["files"] > 0
    runs = rows(db, "SELECT status, command, tool_version, host FROM runs ORDER BY id")
    assert [r["status"] for r in runs] == ["ok", "ok"] or all(r["status"] in ("ok", "partial") for r in runs)
    assert all(r["command"].startswith("triage scan") and r["tool_version"] for r in runs)


def test_json_summary_is_machine_readable(tmp_path: Path) -> None:
    proc = triage("scan", FIXTURES / "images/fat16_mbr.raw", "--case", tmp_path / "c.db", *FAST, "--json")
    report = json.loads(proc.stdout)
    item = report["items"][0]
    assert item["evidence_id"] == "fat16_mbr" and item["status"] == "ok"
    assert item["deleted"] == len(load_manifest("fat16_mbr")["deleted"])


def test_pipes_get_no_progress_bar(tmp_path: Path) -> None:
    proc = triage("scan", FIXTURES / "images/fat16_mbr.raw", "--case", tmp_path / "c.db", *FAST)
    assert "files" in proc.stdout and "\x1b[" not in proc.stderr


def test_ewf_verify_matches_stored_hashes_and_is_recorded(tmp_path: Path) -> None:
    manifest = load_manifest("fat16_mbr_ewf")
    db = tmp_path / "c.db"
    proc = triage("scan", FIXTURES / manifest["image"], "--case", db, *FAST, "--verify", "--quiet")
    assert proc.returncode == 0, proc.stderr
    ev = rows(db, "SELECT * FROM evidence")[0]
    assert ev["verified"] == "match"
    assert ev["computed_md5"] == manifest["stored_hashes"]["md5"]
    assert ev["computed_sha1"] == manifest["stored_hashes"]["sha1"]
    proc = triage("verify", FIXTURES / manifest["image"], "--json")
    assert json.loads(proc.stdout)["verified"] == "match" and proc.returncode == 0


def test_verify_of_raw_image_says_there_is_nothing_to_compare(tmp_path: Path) -> None:
    proc = triage("verify", FIXTURES / "images/fat16_mbr.raw")
    assert proc.returncode == 3 and "no-stored-hash" in proc.stdout


def test_info_reports_partitions_and_file_systems() -> None:
    proc = triage("info", FIXTURES / "images/mbr_extended.raw", "--json")
    info = json.loads(proc.stdout)
    manifest = load_manifest("mbr_extended")
    assert info["volume_system"] == "dos"
    fs = {(v["offset"], v["fs_type"]) for v in info["volumes"] if v["fs_type"]}
    assert fs == {(v["offset"], v["fs_type"]) for v in manifest["volumes"] if v.get("fs_type")}
    assert any(v["kind"] == "unallocated" for v in info["volumes"])


def test_ls_deleted_lists_deleted_entries_only() -> None:
    proc = triage("ls", FIXTURES / "images/fat16_mbr.raw", "--deleted", "--json")
    listed = [json.loads(line) for line in proc.stdout.splitlines()]
    assert listed and all(e["deleted"] for e in listed)
    paths = {e["path"] for e in listed}
    assert {d["path"] for d in load_manifest("fat16_mbr")["deleted"]} <= paths


def test_case_from_a_newer_triage_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    assert triage("scan", FIXTURES / "images/fat16_mbr.raw", "--case", db, *FAST, "-q").returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('triage', '9999_future', 'x')")
    conn.commit()
    conn.close()
    proc = triage("scan", FIXTURES / "images/fat16_mbr.raw", "--case", db, *FAST)
    assert proc.returncode == 4
    assert "newer triage" in proc.stderr and "Traceback" not in proc.stderr


def test_a_foreign_sqlite_file_is_not_used_as_a_case(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE x (a)")
    conn.commit()
    conn.close()
    proc = triage("scan", FIXTURES / "images/fat16_mbr.raw", "--case", db, *FAST)
    assert proc.returncode == 4 and "not a triage case database" in proc.stderr


def test_a_read_error_in_one_file_is_recorded_and_the_scan_goes_on(tmp_path: Path) -> None:
    # fat16_mbr.raw cut 200 sectors into /bin/blob300k.bin (its data starts at
    # sector 88 of the partition at 1 MiB): that file's tail is unreadable
    image = tmp_path / "cut.raw"
    image.write_bytes((FIXTURES / "images/fat16_mbr.raw").read_bytes()[: 1024 * 1024 + (88 + 200) * 512])
    db = tmp_path / "c.db"
    proc = triage("scan", image, "--case", db, *FAST, "-q")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    blob = rows(db, "SELECT id, status, sha256, bytes_read, size FROM files WHERE path = '/bin/blob300k.bin'")[0]
    assert blob["status"] == "error" and blob["sha256"] is None and blob["bytes_read"] < blob["size"]
    err = rows(db, "SELECT stage, file_id FROM errors WHERE path = '/bin/blob300k.bin'")
    assert [(e["stage"], e["file_id"]) for e in err] == [("read", blob["id"])]
    readme = rows(db, "SELECT sha256 FROM files WHERE path = '/README.TXT'")[0]
    assert readme["sha256"] == {f["path"]: f for f in load_manifest("fat16_mbr")["files"]}["/README.TXT"]["sha256"]


def test_a_terminal_gets_a_progress_bar(tmp_path: Path) -> None:
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "triage", "scan", str(FIXTURES / "images/fat16_mbr.raw"),
                             "--case", str(tmp_path / "c.db"), *FAST], stdout=subprocess.DEVNULL, stderr=slave,
                            env={**os.environ, "COLUMNS": "120"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=120)
    os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0
    assert "files" in shown and "/s" in shown  # file count and MB/s


def test_no_type_gives_the_same_hashes_without_types(tmp_path: Path) -> None:
    image = FIXTURES / "images/fat16_mbr.raw"
    typed, plain = tmp_path / "typed.db", tmp_path / "plain.db"
    assert triage("scan", image, "--case", typed, *FAST, "-q").returncode == 0
    assert triage("scan", image, "--case", plain, *FAST, "--no-type", "-q").returncode == 0
    q = "SELECT path, sha256, mime, magic FROM files WHERE type = 'regular' ORDER BY path"
    a, b = rows(typed, q), rows(plain, q)
    assert [(r["path"], r["sha256"]) for r in a] == [(r["path"], r["sha256"]) for r in b]
    assert any(r["mime"] for r in a) and all(r["sha256"] for r in b)
    assert not any(r["mime"] or r["magic"] for r in b)


BAD_PATTERN_PLUGIN = '''
from triage.plugins.api import Pattern
from triage.plugins.hookspecs import hookimpl


class Broken:
    name = "broken_patterns"
    version = "0.0.1"
    kind = "content"
    emits = ("credential",)
    patterns = (Pattern("bad", rb"(unclosed"),)

    def validate(self, hit):
        return ()


@hookimpl
def triage_plugins():
    return [Broken()]
'''


def test_a_scanner_whose_pattern_does_not_compile_is_recorded_and_the_rest_run(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text(BAD_PATTERN_PLUGIN)
    db = tmp_path / "case.db"
    proc = triage("scan", FIXTURES / "images" / "demo.raw", "--case", db, "--no-yara", "--plugins", plugins, "-q")
    assert proc.returncode == 0, proc.stderr
    errors = rows(db, "SELECT stage, message FROM errors WHERE message LIKE '%broken_patterns%'")
    assert len(errors) == 1 and errors[0][0] == "plugin" and "does not compile" in errors[0][1], errors
    assert rows(db, "SELECT count(*) FROM artefacts WHERE type = 'email'")[0][0] > 0  # the shipped scanners ran
