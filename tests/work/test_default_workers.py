"""One default worker count, from the CPU affinity: a scan pinned to one core starts one worker, not nproc."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES
from triage.case.reader import open_case
from triage.work.cpu import default_workers

def _pinned(cores: set[int]) -> None:
    os.sched_setaffinity(0, cores)


def test_default_workers_counts_the_cores_this_process_may_run_on() -> None:
    assert default_workers() == len(os.sched_getaffinity(0)) >= 1
    one = {min(os.sched_getaffinity(0))}
    code = "from triage.work.cpu import default_workers; print(default_workers())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         preexec_fn=lambda: _pinned(one))
    assert out.stdout.strip() == "1"


def test_a_scan_pinned_to_one_core_records_one_worker(tmp_path: Path) -> None:
    """``triage scan`` without ``--workers``: the run's options say how many workers it started."""
    case = tmp_path / "case.db"
    one = {min(os.sched_getaffinity(0))}
    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(FIXTURES / "images" / "fat12_floppy.img"),
                           "--case", str(case), "--quiet", "--no-yara", "--no-plugins"],
                          capture_output=True, text=True, preexec_fn=lambda: _pinned(one))
    assert proc.returncode == 0, proc.stderr
    with open_case(case) as reader:
        (run,) = reader.runs()
    assert run.options is not None and run.options["workers"] == 1


def test_the_former_helpers_are_the_one_default() -> None:
    from triage.batch.local import default_workers as pool_default
    from triage.batch.units import cpu_count

    assert pool_default is default_workers and cpu_count is default_workers
