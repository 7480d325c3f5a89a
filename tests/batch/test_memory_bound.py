"""The parent's memory does not grow with the number of files.

Two ext4 images built here with ``mke2fs -d``, one with eight times the files
of the other (small files: the per-file bookkeeping is what is measured, not
file contents), each scanned by ``triage scan --workers 2`` in a child
process that reports its own peak: the Python heap's (tracemalloc, every
object the walk, the writer, the units in flight and the tree analysers keep)
and its peak RSS. The stealer-log tree analyser runs over every entry (and
finds the bundle planted on both images), so what tree analysers are given
is measured too. Before the entries were streamed, the parent kept about
half a KB of Python objects per file (the walk's entry list and path index
for the analysers, the writer's set of ids): with that code this test
measured 3.7 MB more heap for the larger image, where the bound allows 2 MiB
(and the new code 0.1 MB less).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from lab_helpers import needs_mke2fs

#: the child: the triage CLI in this process, its own peaks printed on the way out
PROBE = """
import atexit, json, os, resource, sys, tracemalloc
if __name__ == "__main__":
    tracemalloc.start(1)
    def report():
        peak = tracemalloc.get_traced_memory()[1]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(2, ("PEAKS " + json.dumps({"heap": peak, "rss_kib": rss}) + "\\n").encode())
    atexit.register(report)
    sys.argv = ["triage", *sys.argv[1:]]
    from triage.cli import main
    main()
"""
SMALL = 1000
SCALE = 8


def _image(tmp: Path, files: int) -> Path:
    src = tmp / f"src{files}"
    for i in range(files):
        d = src / f"d{i % 40:02d}" / f"s{i // 40 % 5}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:06d}.txt").write_bytes(f"row {i} of {files}\n".encode() * 4)
    bundle = src / "Users" / "x" / "Logs" / "GB_2024"
    (bundle / "Cookies").mkdir(parents=True)
    (bundle / "Passwords.txt").write_bytes(b"URL: https://a.example/\nUsername: u\nPassword: p\n")
    (bundle / "System Info.txt").write_bytes(b"Build ID: 1\n")
    (bundle / "Cookies" / "Chrome.txt").write_bytes(b".a.example\tTRUE\t/\tFALSE\t0\tsid\t1\n")
    image = tmp / f"img{files}.raw"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-N", str(files + 2000), "-E",
                    "root_owner=0:0", "-d", str(src), str(image), f"{files // 512 + 16}M"],
                   check=True, stdout=subprocess.DEVNULL,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "E2FSPROGS_FAKE_TIME": "1700000000"})
    return image


def _peaks(image: Path, case: Path) -> dict[str, int]:
    cmd = [sys.executable, "-c", PROBE, "scan", str(image), "--case", str(case), "--workers", "2", "--quiet",
           "--no-yara", "--no-type", "--enable", "stealers"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "TRIAGE_HASHSET_DB": str(case.with_name("none.db"))})
    assert proc.returncode == 0, proc.stderr
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("PEAKS ")][-1]
    return json.loads(line[len("PEAKS "):])


@needs_mke2fs
def test_the_parents_memory_does_not_grow_with_the_number_of_files(tmp_path: Path) -> None:
    peaks = {}
    for n in (SMALL, SMALL * SCALE):
        case = tmp_path / f"case{n}.db"
        peaks[n] = _peaks(_image(tmp_path, n), case)
        con = sqlite3.connect(case)
        files = con.execute("SELECT count(*) FROM files WHERE type = 'regular'").fetchone()[0]
        bundles = con.execute("SELECT count(*) FROM artefacts WHERE type = 'stealer_log'").fetchone()[0]
        con.close()
        assert files == n + 3 and bundles == 1  # every file scanned; the analyser saw every entry
    small, large = peaks[SMALL], peaks[SMALL * SCALE]
    print(json.dumps(peaks))
    # Python objects: eight times the files may not add 2 MiB (the old per-file lists added 6 MB)
    assert large["heap"] - small["heap"] < 2 * 1024 * 1024, peaks
    # the whole process, SQLite's page cache (8 MiB at most) included: within 1.2x
    assert large["rss_kib"] <= small["rss_kib"] * 1.2, peaks
