#!/usr/bin/env python3
"""Seconds and peak RSS of every `triage export` format over the bench case and a case eight times larger.

    .venv/bin/python bench/exports.py                    # the 1 GiB corpus of bench/run (built once)
    BENCH_SIZE_MB=64 .venv/bin/python bench/exports.py   # quick
    BENCH_FORMATS=csv,xlsx .venv/bin/python bench/exports.py

The bench case is a default scan of bench/run's corpus image; the 8x case
scans the same image eight times into one case under different
``--evidence-id``s (eight exhibits, eight times the rows). Both are built
once into bench/work/ and reused. Each export runs in a fresh wrapper
process (bench/run's ``--rusage``), so its peak RSS is its own. The exports
stream the case row by row: the peak RSS of the 8x case should be that of
the 1x case, not eight times it; the last column says so.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

_loader = importlib.machinery.SourceFileLoader("bench_run", str(HERE / "run"))
_spec = importlib.util.spec_from_loader("bench_run", _loader)
bench_run = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_loader.exec_module(bench_run)

from triage.export import FORMATS  # noqa: E402

TIMES = 8


def _scan(image: Path, case: Path, evidence_id: str) -> None:
    subprocess.run([*bench_run.TRIAGE, "scan", str(image), "--case", str(case), "--evidence-id", evidence_id,
                    "--quiet"], check=True)


def build_cases(size_mb: int) -> tuple[Path, Path]:
    """``(1x case, 8x case)`` over the corpus image of ``size_mb``, built once."""
    _src, image = bench_run.build_corpus(size_mb)
    base = bench_run.WORK / f"exports-v{bench_run.GENERATOR_VERSION}-{size_mb}MB"
    base.mkdir(parents=True, exist_ok=True)
    one, eight = base / "x1.db", base / f"x{TIMES}.db"
    for case, n in ((one, 1), (eight, TIMES)):
        marker = case.with_suffix(".done")
        if marker.exists() and case.exists():
            continue
        for p in (case, case.with_name(case.name + "-wal"), case.with_name(case.name + "-shm")):
            p.unlink(missing_ok=True)
        for i in range(1, n + 1):
            print(f"scanning {image.name} as bench-{i} into {case.name}", file=sys.stderr)
            _scan(image, case, f"bench-{i}")
        marker.write_text("done\n")
    return one, eight


def _size(case: Path) -> str:
    conn = sqlite3.connect(case)
    files, artefacts = (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("files", "artefacts"))
    conn.close()
    return f"{files:,} files, {artefacts:,} artefacts, {case.stat().st_size / 2**20:,.0f} MiB"


def main() -> None:
    size_mb = int(os.environ.get("BENCH_SIZE_MB", "1024"))
    wanted = [f.strip() for f in os.environ.get("BENCH_FORMATS", "").split(",") if f.strip()] or list(FORMATS)
    one, eight = build_cases(size_mb)
    print(f"1x case: {_size(one)}; {TIMES}x case: {_size(eight)}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="triage-bench-exports-") as tmp:
        for fmt in wanted:
            results = []
            for case in (one, eight):
                out = Path(tmp) / f"{fmt}-{case.stem}"
                try:
                    info = bench_run.measured([*bench_run.TRIAGE, "export", str(case), "--format", fmt,
                                               "-o", str(out)])
                except RuntimeError as exc:  # a format not installed here, or failing: said, not hidden
                    results.append(None)
                    print(f"{fmt}: {exc}", file=sys.stderr)
                    continue
                written = sum(p.stat().st_size for p in out.iterdir())
                results.append((info["wall"], info["rss_mb"], written))
                shutil.rmtree(out)
            rows.append((fmt, results))
    print(f"{'format':<11} {'1x s':>7} {'1x RSS MiB':>11} {'1x out MiB':>11} "
          f"{f'{TIMES}x s':>7} {f'{TIMES}x RSS MiB':>11} {f'{TIMES}x out MiB':>11} {'RSS 8x/1x':>10}")
    for fmt, res in rows:
        if any(r is None for r in res):
            print(f"{fmt:<11} not available")
            continue
        (s1, r1, o1), (s8, r8, o8) = res  # type: ignore[misc]
        print(f"{fmt:<11} {s1:>7.1f} {r1:>11.0f} {o1 / 2**20:>11.1f} {s8:>7.1f} {r8:>11.0f} {o8 / 2**20:>11.1f} "
              f"{r8 / r1:>10.2f}")
    print(json.dumps({"size_mb": size_mb, "results": {fmt: res for fmt, res in rows}}))


if __name__ == "__main__":
    main()
