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
for the analysers, the analyser's own index, the writer's set of ids): with
that code this test measured 3.4 MB more kept and 0.8 MB more in the
analysers for the larger image, where the bounds allow 1 MiB and 512 KiB
(the new code: a few KB either way).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from lab_helpers import needs_mke2fs

#: the child: the triage CLI in this process. It reports the Python heap kept once the walk is done
#: and every file written (when the tree analysers start: the moment the old per-file lists were
#: largest), the analysers' own peak above that, and the process's peak RSS on the way out. Those
#: two are measured at fixed points, not as the run's overall heap peak, which a burst of unit
#: results arriving together can move by a MiB or two either way
PROBE = """
import atexit, json, os, resource, sys, tracemalloc
if __name__ == "__main__":
    tracemalloc.start(1)
    import triage.job.pipeline as pipeline
    seen = {"kept": 0, "analysers": 0}
    run_analysers = pipeline._run_analysers
    def measured(*args, **kw):
        kept = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        try:
            return run_analysers(*args, **kw)
        finally:
            seen["kept"] = max(seen["kept"], kept)
            seen["analysers"] = max(seen["analysers"], tracemalloc.get_traced_memory()[1] - kept)
    pipeline._run_analysers = measured
    def report():
        seen["rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(2, ("PEAKS " + json.dumps(seen) + "\\n").encode())
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
    assert small["kept"] and small["analysers"], peaks  # the analysers ran, and were measured
    # what the walk and the writer keep: eight times the files may not add 1 MiB (the old entry
    # list and set of ids added 3.4 MB here; now it is flat within a few KB)
    assert large["kept"] - small["kept"] < 1024 * 1024, peaks
    # what the tree analysers keep beyond that (the old path index and the stealer analyser's
    # entries under every folder added 0.8 MB here; now a fetch batch, flat within a few KB)
    assert large["analysers"] - small["analysers"] < 512 * 1024, peaks
    # the whole process, SQLite's page cache (8 MiB at most) included: within 1.2x
    assert large["rss_kib"] <= small["rss_kib"] * 1.2, peaks
