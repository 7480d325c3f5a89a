#!/usr/bin/env python3
"""Seconds and peak RSS of `triage report` for the bench case and for a case eight times larger.

    bench/report.py                     # the 64 MB bench corpus (bench/run builds and caches it)
    BENCH_SIZE_MB=512 bench/report.py   # a larger corpus
    BENCH_PDF=1 bench/report.py         # also --format pdf (chromium's RSS is counted: the largest process)

The bench case is one default scan of bench/run's corpus image; the
eight-times case holds the same image scanned eight times as eight exhibits
(eight times the files, artefacts and matches). Both are built once and
kept in bench/work/. Each report runs in a fresh process through bench/run's
``--rusage`` wrapper (wall seconds, peak RSS of the largest process), best
of BENCH_REPEAT (default 2). The report is bounded (the first --rows rows
per table, aggregates by SQLite), so its memory must stay flat while its
time grows with what SQLite has to count.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COPIES = 8


def _bench_run():  # noqa: ANN202 - bench/run is a script without a .py name
    loader = importlib.machinery.SourceFileLoader("bench_run", str(HERE / "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _case(run, image: Path, db: Path, copies: int) -> Path:  # noqa: ANN001
    marker = db.with_suffix(".done")
    if marker.exists() and db.exists():
        return db
    for p in db.parent.glob(db.name + "*"):
        p.unlink()
    env = {**os.environ, "TRIAGE_HASHSET_DB": str(db.parent / "none.db")}
    for i in range(copies):
        cmd = [*run.TRIAGE, "scan", str(image), "--case", str(db), "--evidence-id", f"bench-{i + 1}", "-q"]
        info = run.measured(cmd, env=env)
        print(f"  built {db.name}: exhibit {i + 1}/{copies} scanned in {info['wall']:.1f} s", flush=True)
    marker.write_text("done\n")
    return db


def main() -> None:
    run = _bench_run()
    size_mb = int(os.environ.get("BENCH_SIZE_MB", "64"))
    repeat = max(1, int(os.environ.get("BENCH_REPEAT", "2")))
    _src, image = run.build_corpus(size_mb)
    work = run.WORK / f"report-{size_mb}MB"
    work.mkdir(parents=True, exist_ok=True)
    cases = {"bench case": _case(run, image, work / "case-1x.db", 1),
             f"{COPIES}x case": _case(run, image, work / f"case-{COPIES}x.db", COPIES)}
    formats = ["html", "pdf"] if os.environ.get("BENCH_PDF") else ["html"]
    print(f"report of the {size_mb} MB bench corpus (best of {repeat})")
    print(f"{'what':<28} {'files':>9} {'artefacts':>10} {'case MB':>8} {'seconds':>8} {'peak RSS MB':>12} "
          f"{'report MB':>10}")
    results = []
    for label, db in cases.items():
        counts = json.loads(run.subprocess.run(
            [run.PY, "-c", "import json,sys; from triage.case.reader import open_case; r=open_case(sys.argv[1]);"
             "print(json.dumps([r.count_files(), r.count_artefacts()]))", str(db)],
            capture_output=True, text=True, check=True).stdout)
        for fmt in formats:
            out = work / f"report-{db.stem}.{fmt}"
            best = None
            for _ in range(repeat):
                info = run.measured([*run.TRIAGE, "report", str(db), "-o", str(out), "--format", fmt, "--force"])
                if best is None or info["wall"] < best["wall"]:
                    best = info
            assert best is not None
            row = {"what": f"{label} ({fmt})", "files": counts[0], "artefacts": counts[1],
                   "case_mb": db.stat().st_size / 1e6, "seconds": best["wall"], "rss_mb": best["rss_mb"],
                   "report_mb": out.stat().st_size / 1e6}
            results.append(row)
            print(f"{row['what']:<28} {row['files']:>9,} {row['artefacts']:>10,} {row['case_mb']:>8.1f} "
                  f"{row['seconds']:>8.2f} {row['rss_mb']:>12.1f} {row['report_mb']:>10.2f}", flush=True)
    html = [r for r in results if r["what"].endswith("(html)")]
    if len(html) == 2:
        print(f"{COPIES}x the case: {html[1]['seconds'] / html[0]['seconds']:.1f}x the time, "
              f"{html[1]['rss_mb'] / html[0]['rss_mb']:.2f}x the peak RSS")
    if "--json" in sys.argv:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
