"""Extension mismatches counted in the report (inventory, Coverage table) and the terminal summary, on a real case."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.case.test_extension_mismatch import EXPECTED, build_mismatch_case, needs_mke2fs
from tests.reports.conftest import Page, triage
from triage.reports.summary import evidence_summary

FLAGGED = sorted(p for p, want in EXPECTED.items() if want is not None)


@pytest.fixture(scope="module")
def mismatch_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mismatch_case(tmp_path_factory.mktemp("mismatch-report"))


@needs_mke2fs
def test_the_report_counts_and_lists_the_mismatches(mismatch_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    done = triage("report", str(mismatch_case), "-o", str(out))
    assert done.returncode == 0, done.stderr
    page = Page(out.read_text(encoding="utf-8"))
    rows = page.body_rows("t-extension-mismatch")
    assert sorted(r[2] for r in rows) == FLAGGED
    by_path = {r[2]: (r[5], r[6]) for r in rows}
    assert by_path == {p: EXPECTED[p] for p in FLAGGED}
    assert "extension mismatches" in page.all_text


@needs_mke2fs
def test_the_terminal_summary_counts_them(mismatch_case: Path) -> None:
    with sqlite3.connect(mismatch_case) as conn:
        ev = conn.execute("SELECT id FROM evidence").fetchone()[0]
        assert evidence_summary(conn, ev)["extension_mismatches"] == len(FLAGGED)


@needs_mke2fs
def test_the_scan_prints_the_count(tmp_path: Path, mismatch_case: Path) -> None:
    """The scan's own summary (not --quiet) shows the row."""
    image = mismatch_case.with_name("mismatch.raw")
    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(image), "--case", str(tmp_path / "c.db"),
                           "--no-yara"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "extension mismatches" in ln)
    assert f" {len(FLAGGED)} " in f" {line.replace('│', ' ')} "
