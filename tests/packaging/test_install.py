"""`pip install .` gives a working triage that runs from any directory, with its plugins and rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES, ROOT


def test_wheel_installs_and_runs_outside_the_repository(tmp_path: Path) -> None:
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target),
         str(ROOT)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    installed = {p.name for p in target.iterdir()}
    assert {"triage", "triage_plugins", "triage_rules"} <= installed
    assert list((target / "triage_rules").glob("*.yar")), "the bundled rule pack must ship in the wheel"
    env = {**os.environ, "PYTHONPATH": str(target)}
    # the repository must not be importable from here: only the installed copy
    run = subprocess.run([sys.executable, "-P", "-m", "triage", "scan", str(FIXTURES / "images/fat16_mbr.raw"),
                          "--case", str(tmp_path / "c.db"), "--json"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr
    assert '"status": "ok"' in run.stdout
    plugins = subprocess.run([sys.executable, "-P", "-m", "triage", "plugins"], capture_output=True, text=True,
                             env=env, cwd=tmp_path, timeout=120)
    assert plugins.returncode == 0 and "load error" not in plugins.stdout, plugins.stdout
