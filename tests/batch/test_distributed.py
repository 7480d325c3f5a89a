"""`triage batch --scheduler`: a real dask LocalCluster on loopback gives the same case as local workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from lab_helpers import case_content, make_ext4, needs_mke2fs, run_triage

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
