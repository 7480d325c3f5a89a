"""`triage scan --workers N`: same rows as in-process, and one crashing file cannot stop a scan."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path


from lab_helpers import CRASH_PLUGIN, REPO, case_content, make_ext4, needs_mke2fs, run_triage

DEMO = REPO / "fixtures" / "images" / "demo.raw"


@needs_mke2fs
def test_workers_give_the_same_rows_as_in_process(tmp_path: Path) -> None:
    image = make_ext4(tmp_path)
    images = [str(image)]
    if DEMO.exists():  # a copy: the fixture may be rebuilt while the test runs
        images.append(str(tmp_path / "demo.raw"))
        shutil.copy(DEMO, images[-1])
    results = {}
    for n in (1, 2):
        db = tmp_path / f"w{n}.db"
        proc = run_triage("scan", *images, "--case", str(db), "--workers", str(n), "-q")
        assert proc.returncode == 0, proc.stderr
        results[n] = case_content(db)
    assert results[1]["files"], "nothing was scanned"
    assert any(r[1].count("!/") for r in results[1]["files"]), "archive members missing"
    for table in results[1]:
        a, b = results[1][table], results[2][table]
        assert a == b, (table, sorted(a - b, key=repr)[:5], sorted(b - a, key=repr)[:5])


@needs_mke2fs
def test_a_crashing_and_a_hanging_file_are_isolated(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "crasher.py").write_text(CRASH_PLUGIN)
    image = make_ext4(tmp_path, files=40, extra={"crash.bin": b"boom" * 10, "hang.bin": b"zzz" * 10})
    db = tmp_path / "case.db"
    proc = run_triage("scan", str(image), "--case", str(db), "--workers", "2", "--plugins", str(plugins),
                      "--item-timeout", "2", "-q", timeout=90)
    assert proc.returncode == 0, proc.stderr
    con = sqlite3.connect(db)
    errors = {(path, msg) for path, msg in con.execute("SELECT path, message FROM errors WHERE stage = 'worker'")}
    assert errors == {("/crash.bin", "worker died with signal SIGSEGV"), ("/hang.bin", "timeout after 2s")}
    rows = dict(((p, (s, m)) for p, s, m in con.execute(
        "SELECT path, status, md5 FROM files WHERE path IN ('/crash.bin', '/hang.bin')")))
    assert rows == {"/crash.bin": ("error", None), "/hang.bin": ("error", None)}
    # every other file was scanned and hashed
    missing = con.execute("SELECT count(*) FROM files WHERE type = 'regular' AND md5 IS NULL "
                          "AND path NOT IN ('/crash.bin', '/hang.bin')").fetchone()[0]
    assert missing == 0
    assert con.execute("SELECT count(*) FROM files WHERE type = 'regular'").fetchone()[0] > 40


def test_split_unit_isolates_items() -> None:
    from triage.batch.local import give_up
    from triage.batch.units import WorkItem, WorkUnit, split_unit
    from triage.records import Entry

    items = tuple(WorkItem(Entry(f"/f{i}", f"f{i}", i, 10, "regular"), None, None, 10) for i in range(3))
    unit = WorkUnit(1, "/x.raw", 0, 0, items)
    parts = split_unit(unit, 10)
    assert [p.items for p in parts] == [(i,) for i in items] and all(p.attempt == 0 for p in parts)
    again = split_unit(parts[0], 20)
    assert len(again) == 1 and again[0].attempt == 1
    result = give_up(again[0], "worker died with signal SIGSEGV")
    (outcome,) = result.outcomes
    assert outcome.result.hashes is None and outcome.result.errors[0].stage == "worker"
