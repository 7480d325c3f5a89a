"""Shared by the lab-scale tests: small images built in tmp_path, case content as comparable sets."""

from __future__ import annotations

import io
import random
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TRIAGE = REPO / ".venv" / "bin" / "triage"
needs_mke2fs = pytest.mark.skipif(shutil.which("mke2fs") is None, reason="mke2fs (e2fsprogs) not installed")

_LOW2 = bytes(i & 3 for i in range(256))

CRASH_PLUGIN = '''
import os, signal, time
from triage.plugins.hookspecs import hookimpl


class Crasher:
    """Kills its own process on crash.bin, hangs on hang.bin: a stand-in for a hostile parser bug."""
    name = "crasher"
    version = "0.0.1"
    kind = "file"
    emits = ()
    max_bytes = 1 << 30
    companion_suffixes = ()

    def wants(self, entry, mime):
        return entry.name in ("crash.bin", "hang.bin")

    def parse(self, path, entry):
        if entry.name == "crash.bin":
            os.kill(os.getpid(), signal.SIGSEGV)
        if entry.name == "hang.bin":
            time.sleep(3600)
        return iter(())


@hookimpl
def triage_plugins():
    return [Crasher()]
'''


def populate(root: Path, seed: int = 7, files: int = 120, extra: dict[str, bytes] | None = None) -> Path:
    """A deterministic tree of mixed files: text with emails/cards, binary, an archive, a SQLite pair."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for d in range(6):
        sub = root / f"dir{d}" / f"sub{d % 3}"
        sub.mkdir(parents=True, exist_ok=True)
    dirs = [p for p in root.rglob("*") if p.is_dir()] + [root]
    dirs.sort()
    for i in range(files):
        target = dirs[i % len(dirs)] / f"file{i:04d}{rng.choice(['.txt', '.bin', '.dat', '.log'])}"
        kind = i % 4
        size = rng.choice([0, 1, 100, 3000, 20000, 150000])
        if kind == 0:
            words = [rng.choice(["a1", "b2z", "c3q9", "log:", "id=7", "x-y", "ok.", "\n"])
                     for _ in range(max(1, size // 4))]
            if i % 8 == 0:  # a few findings, as in real text: most files have none
                words[: 3] = ["user@example.com", "4111111111111111", "07700900123"]
            data = " ".join(words).encode()[:size]
        elif kind == 1:
            data = rng.randbytes(size)
        elif kind == 2:
            data = (b"compressible " * (size // 13 + 1))[:size]
        else:
            data = rng.randbytes(size).translate(_LOW2)
        target.write_bytes(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner/a.txt", "mail me at someone@example.org")
        zf.writestr("inner/b.bin", bytes(range(256)) * 4)
    (root / "dir1" / "bundle.zip").write_bytes(buf.getvalue())
    db = root / "dir2" / "History"
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (x TEXT)")
    con.execute("INSERT INTO t VALUES ('https://example.com/')")
    con.commit()
    shutil.copy(db, root / "dir2" / "History.copy")
    for name, data in (extra or {}).items():
        (root / name).write_bytes(data)
    return root


def make_ext4(tmp: Path, name: str = "small.raw", size_mb: int = 16, seed: int = 7, files: int = 120,
              extra: dict[str, bytes] | None = None) -> Path:
    src = populate(tmp / f"{name}.src", seed, files, extra)
    image = tmp / name
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-E", "root_owner=0:0", "-d", str(src), str(image),
                    f"{size_mb}M"], check=True, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                                     "E2FSPROGS_FAKE_TIME": "1700000000"})
    return image


def case_content(db: Path) -> dict[str, set]:
    """Everything a scan found, keyed by natural keys: ids, run ids and times of the run left out."""
    con = sqlite3.connect(db)
    q = lambda sql: set(con.execute(sql).fetchall())  # noqa: E731
    fkey = "(SELECT f.evidence_id || '#' || f.entry_key FROM files f WHERE f.id = {}.file_id)"
    vkey = "(SELECT v.evidence_id || '#' || v.addr || '@' || v.offset FROM volumes v WHERE v.id = {}.volume_id)"
    out = {
        "files": q("SELECT evidence_id, entry_key, " + vkey.format("files") + ", "
                   "(SELECT p.entry_key FROM files p WHERE p.id = files.parent_id), path, name, extension, inode, "
                   "stream, size, deleted, allocated, orphan, type, depth, mtime, atime, ctime, crtime, md5, sha1, "
                   "sha256, tlsh, mime, magic, bytes_read, known, notable, status FROM files"),
        "volumes": q("SELECT evidence_id, addr, offset, length, kind, fs_type, description, block_size, "
                     "volume_system FROM volumes"),
        "yara_matches": q("SELECT evidence_id, " + fkey.format("yara_matches") + ", rule, namespace, tags, meta, "
                          "strings FROM yara_matches"),
        "hash_hits": q("SELECT evidence_id, " + fkey.format("hash_hits") + ", set_name, kind, algorithm, value, "
                       "distance FROM hash_hits"),
        "artefacts": q("SELECT evidence_id, " + vkey.format("artefacts") + ", " + fkey.format("artefacts")
                       + ", type, value, raw, offset, encoding, context, plugin, plugin_version, confidence, count, "
                       "timestamp, extra FROM artefacts"),
        "errors": q("SELECT evidence_id, " + vkey.format("errors") + ", " + fkey.format("errors")
                    + ", stage, message, path, plugin, offset FROM errors"),
        "evidence": q("SELECT id, path, format, size, volume_system, status FROM evidence"),
    }
    # no duplicates: the natural keys are unique
    out["_file_rows"] = {con.execute("SELECT count(*) FROM files").fetchone()}
    con.close()
    return out


def run_triage(*args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(TRIAGE), *args], capture_output=True, text=True, timeout=timeout, **kw)
