"""`triage batch --scheduler`: a real dask LocalCluster on loopback gives the same case as local workers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from lab_helpers import CRASH_PLUGIN, case_content, make_ext4, needs_mke2fs, run_triage

distributed = pytest.importorskip("distributed")


@needs_mke2fs
def test_distributed_batch_equals_local(tmp_path: Path) -> None:
    ev = tmp_path / "ev"
    ev.mkdir()
    make_ext4(ev, "one.raw", files=60, seed=3)
    make_ext4(ev, "two.raw", files=60, seed=4)
    manifest = ev / "m.csv"
    manifest.write_text("evidence_id,path,case\nONE,one.raw,Op Dask\nTWO,two.raw,Op Dask\n")

    local = tmp_path / "local"
    proc = run_triage("batch", str(manifest), "--case-dir", str(local), "--workers", "2", "-q", timeout=120)
    assert proc.returncode == 0, proc.stderr

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = tmp_path / "remote"
        proc = run_triage("batch", str(manifest), "--case-dir", str(remote), "--scheduler",
                          cluster.scheduler_address, "-q", timeout=120)
        assert proc.returncode == 0, proc.stderr

    want, got = case_content(local / "Op_Dask.db"), case_content(remote / "Op_Dask.db")
    assert want["files"]
    for table in want:
        a, b = want[table], got[table]
        assert a == b, (table, sorted(a - b, key=repr)[:5], sorted(b - a, key=repr)[:5])


@needs_mke2fs
def test_a_hanging_and_a_crashing_file_are_isolated_on_the_cluster(tmp_path: Path) -> None:
    """A task stuck in a parser gets its worker restarted through the nanny and its file recorded, as locally.

    A file that kills its workers is recorded too (KilledWorker), and the restarts that take the
    options and rules with them do not cost the other files anything.
    """
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "crasher.py").write_text(CRASH_PLUGIN)
    ev = tmp_path / "ev"
    ev.mkdir()
    make_ext4(ev, files=40, extra={"hang.bin": b"zzz" * 10, "crash.bin": b"boom" * 10})
    manifest = ev / "m.csv"
    manifest.write_text("evidence_id,path,case\nHANG,small.raw,Op Hang\n")

    import dask
    from distributed import LocalCluster

    # LocalCluster itself closes a nanny whose worker has been gone for lost-worker-timeout (15 s), wherever
    # that lands in a restart: a real `dask worker` nanny has no such supervisor
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "600s"}), \
            LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                         dashboard_address=None) as cluster:
        proc = run_triage("batch", str(manifest), "--case-dir", str(tmp_path / "cases"), "--scheduler",
                          cluster.scheduler_address, "--item-timeout", "2", "--plugins", str(plugins), "-q",
                          timeout=240)
    assert proc.returncode == 0, proc.stderr

    con = sqlite3.connect(tmp_path / "cases" / "Op_Hang.db")
    errors = set(con.execute("SELECT path, message FROM errors WHERE stage = 'worker'"))
    assert errors == {("/hang.bin", "timeout after 2s"),
                      ("/crash.bin", "worker died (dask KilledWorker: the task killed every worker it ran on)")}
    rows = set(con.execute("SELECT path, status, md5 FROM files WHERE path IN ('/hang.bin', '/crash.bin')"))
    assert rows == {("/hang.bin", "error", None), ("/crash.bin", "error", None)}
    # every other file was scanned and hashed
    missing = con.execute("SELECT path FROM files WHERE type = 'regular' AND md5 IS NULL "
                          "AND path NOT IN ('/hang.bin', '/crash.bin')").fetchall()
    assert missing == []
    assert con.execute("SELECT count(*) FROM files WHERE type = 'regular'").fetchone()[0] > 40
