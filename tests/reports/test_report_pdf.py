"""`triage report --format pdf`: the same report printed by headless chromium, read back by poppler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.reports.conftest import triage


def test_the_pdf_has_pages_and_the_key_findings(report_case: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    done = triage("report", str(report_case), "-o", str(pdf))   # .pdf: the format follows the name
    assert done.returncode == 0, done.stderr
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 2000 for p in pages)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Key findings" in text and "Triage verdict per exhibit" in text
    assert "Coverage and limitations" in text
    assert "<img src=x onerror=alert(1)>.txt" in text   # the hostile name printed as text
    assert "Nothing of note" in text or "EV-01" in text
    assert "filter rows" not in text                     # the script's filter boxes are not printed
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))) > 5


def test_every_drill_down_table_is_printed_open(report_case: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    done = triage("report", str(report_case), "-o", str(pdf), "--format", "pdf", "--evidence", "structured")
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())   # cells wrap long values across lines
    assert "https://wal-only.example.com/secret" in flat   # a url row: that table (62 rows) starts closed on screen


def test_without_a_renderer_the_pdf_is_refused_in_one_line(report_case: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    env = {k: v for k, v in os.environ.items() if k != "TRIAGE_CHROMIUM"}
    env["PATH"] = str(tmp_path / "empty-bin")
    done = subprocess.run([sys.executable, "-m", "triage", "report", str(report_case), "-o", str(pdf)],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 4
    assert done.stderr.strip().count("\n") == 0 and "no PDF renderer" in done.stderr
    assert not pdf.exists()
