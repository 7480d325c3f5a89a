"""Worker address-space limits: on by default, sized from the machine; a file that hits one is an error row.

The hostile input is a real file on a real ext4 image, read by a file parser
loaded with ``--plugins DIR`` that does what a parser bug on a crafted file
does: allocates what the file asks for (``hog.bin``) or grows until the
allocation fails (``grow.bin``). Without the limit the first would succeed
(the test fails: no error row) and the second would run into the host's
memory.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lab_helpers import make_ext4, needs_mke2fs, run_triage

from triage.batch.local import WORKER_MEMORY_FLOOR, WORKER_MEMORY_SHARE, default_memory_limit

HOG_PLUGIN = '''
import resource
from triage.plugins.hookspecs import hookimpl


class Hog:
    """Allocates as its input says: a stand-in for a parser that trusts a length field."""
    name = "hog"
    version = "0.0.1"
    kind = "file"
    emits = ()
    max_bytes = 1 << 20
    companion_suffixes = ()

    def wants(self, entry, mime):
        return entry.name in ("hog.bin", "grow.bin", "limit.bin")

    def parse(self, path, entry):
        data = path.read_bytes()
        if entry.name == "limit.bin":
            raise RuntimeError(f"RLIMIT_AS {resource.getrlimit(resource.RLIMIT_AS)[0]}")
        if entry.name == "hog.bin":
            claimed = int(data.split()[1]) * 1024 * 1024
            buf = bytearray(claimed)  # the length the file claims
            return iter(() if buf else ())
        held = []
        while True:  # grow.bin: a runaway loop, 64 MiB at a time, until the allocation fails
            held.append(bytearray(64 * 1024 * 1024))


@hookimpl
def triage_plugins():
    return [Hog()]
'''


def _plugins(tmp: Path) -> Path:
    d = tmp / "plugins"
    d.mkdir()
    (d / "hog.py").write_text(HOG_PLUGIN)
    return d


def _errors(db: Path, stage: str) -> dict[str, str]:
    con = sqlite3.connect(db)
    try:
        return dict(con.execute("SELECT path, message FROM errors WHERE stage = ?", (stage,)).fetchall())
    finally:
        con.close()


@needs_mke2fs
def test_a_file_that_allocates_past_the_limit_is_an_error_row_and_the_scan_goes_on(tmp_path: Path) -> None:
    extra = {"hog.bin": b"claims 1536 MiB\n", "grow.bin": b"grow\n"}
    image = make_ext4(tmp_path, files=40, extra=extra)
    db = tmp_path / "case.db"
    proc = run_triage("scan", str(image), "--case", str(db), "--workers", "2", "--plugins", str(_plugins(tmp_path)),
                      "--worker-memory-mb", "1024", "-q", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = _errors(db, "plugin")
    # the allocation failed inside the worker and was recorded against its file
    assert errors.get("/hog.bin", "").startswith("MemoryError"), errors
    assert errors.get("/grow.bin", "").startswith("MemoryError"), errors
    con = sqlite3.connect(db)
    # the two files themselves were read and hashed (only the parser failed) ...
    assert con.execute("SELECT count(*) FROM files WHERE path IN ('/hog.bin', '/grow.bin') AND md5 IS NOT NULL"
                       ).fetchone()[0] == 2
    # ... and every other file of the image is in the case, hashed
    assert con.execute("SELECT count(*) FROM files WHERE type = 'regular' AND md5 IS NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM files WHERE type = 'regular' AND depth = 0").fetchone()[0] >= 42
    con.close()


@needs_mke2fs
def test_the_limit_is_on_by_default_sized_from_the_machine_and_can_be_turned_off(tmp_path: Path) -> None:
    image = make_ext4(tmp_path, files=4, extra={"limit.bin": b"which limit?\n"})
    plugins = _plugins(tmp_path)
    seen = {}
    for label, args in (("default", []), ("off", ["--worker-memory-mb", "0"]),
                        ("set", ["--worker-memory-mb", "3000"])):
        db = tmp_path / f"{label}.db"
        proc = run_triage("scan", str(image), "--case", str(db), "--workers", "2", "--plugins", str(plugins),
                          "-q", *args, timeout=60)
        assert proc.returncode == 0, proc.stderr
        seen[label] = _errors(db, "plugin")["/limit.bin"]
    assert seen["default"] == f"RuntimeError: RLIMIT_AS {default_memory_limit(2)}"
    assert seen["off"] == "RuntimeError: RLIMIT_AS -1"  # RLIM_INFINITY
    assert seen["set"] == f"RuntimeError: RLIMIT_AS {3000 * 1024 * 1024}"


def test_the_default_is_a_share_of_memory_per_worker_with_a_floor() -> None:
    gib = 1024 ** 3
    assert default_memory_limit(2, 64 * gib) == int(64 * gib * WORKER_MEMORY_SHARE) // 2
    assert default_memory_limit(16, 64 * gib) == 3 * gib
    assert default_memory_limit(16, 8 * gib) == WORKER_MEMORY_FLOOR  # a small machine: the floor
    assert default_memory_limit(4, 0) is None


def test_a_negative_limit_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_triage("scan", str(tmp_path / "x.raw"), "--case", str(tmp_path / "c.db"),
                      "--worker-memory-mb", "-5")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr


def test_help_documents_the_limit() -> None:
    proc = run_triage("scan", "--help")
    text = " ".join(proc.stdout.split())
    assert "--worker-memory-mb" in text and "0: no limit" in text
