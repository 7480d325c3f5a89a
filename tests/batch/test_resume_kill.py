"""SIGKILL the whole `triage scan` process tree at random moments; the resumed case equals an uninterrupted one."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

from lab_helpers import TRIAGE, case_content, make_ext4, needs_mke2fs, run_triage


@needs_mke2fs
def test_killed_scans_resume_to_the_same_case(tmp_path: Path) -> None:
    image = make_ext4(tmp_path, size_mb=64, files=1500, seed=11)
    ref = tmp_path / "ref.db"
    started = time.monotonic()
    proc = run_triage("scan", str(image), "--case", str(ref), "--workers", "2", "-q")
    duration = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr

    db = tmp_path / "killed.db"
    rng = random.Random(20240611)
    kills = 0
    for _ in range(3):
        p = subprocess.Popen([str(TRIAGE), "scan", str(image), "--case", str(db), "--workers", "2", "-q"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.3, 0.6) * duration)  # resumed runs have less left to do
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            kills += 1
        p.wait()
    assert kills >= 2, "the scan finished before it could be killed: make the image bigger"
    proc = run_triage("scan", str(image), "--case", str(db), "--workers", "2", "-q")
    assert proc.returncode == 0, proc.stderr

    want, got = case_content(ref), case_content(db)
    for table in want:
        a, b = want[table], got[table]
        assert a == b, (table, sorted(a - b, key=repr)[:5], sorted(b - a, key=repr)[:5])
