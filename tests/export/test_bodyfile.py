"""bodyfile export read back by The Sleuth Kit's mactime: every line, hostile names decoded."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, scan_case
from triage.case.reader import open_case
from triage.export import ExportOptions
from triage.export.bodyfile import BODYFILE, escape_field, export

IMAGES = FIXTURES / "images"


def _scan(image: Path, db: Path, *extra: str) -> None:
    scan_case(image, db, "--no-yara", *extra)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hostile names (one volume) + partitioned images with several file systems and archive members."""
    db = tmp_path_factory.mktemp("body") / "case.db"
    _scan(IMAGES / "hostile.raw", db)
    _scan(IMAGES / "mbr_extended.raw", db)
    _scan(IMAGES / "artefacts.raw", db, "--evidence-id", "EX|1%")  # an exhibit id to escape as well
    return db


def _export(db: Path, out: Path, **opts: object) -> Path:
    with open_case(db) as reader:
        counts: dict[str, int | None] = {}
        paths = export(reader, out, ExportOptions(**opts), counts=counts)  # type: ignore[arg-type]
    assert paths == [out / BODYFILE]
    assert counts[BODYFILE] == len(paths[0].read_text(encoding="utf-8").splitlines())
    return paths[0]


def _mactime(body: Path) -> list[tuple[str, str, str, str]]:
    """(date, macb, meta, name) of every line mactime prints."""
    res = subprocess.run(["mactime", "-b", str(body), "-d", "-y"], capture_output=True,
                         env={**os.environ, "TZ": "UTC"}, check=True)
    assert res.stderr == b""
    lines = res.stdout.decode("utf-8").split("\n")
    assert lines[0] == "Date,Size,Type,Mode,UID,GID,Meta,File Name" and lines[-1] == ""
    out = []
    for line in lines[1:-1]:
        date, _size, macb, _mode, _uid, _gid, meta, name = line.split(",", 7)
        assert name.startswith('"') and name.endswith('"')
        out.append((date, macb, meta, name[1:-1]))
    return out


def _expected(db: Path) -> set[tuple[int, str, str]]:
    """(time, inode, name) keys mactime makes of the case's files, computed from the case itself."""
    conn = sqlite3.connect(db)
    try:
        fs_volumes: dict[str, list[tuple[int, int]]] = {}
        for vid, ev, addr in conn.execute("SELECT id, evidence_id, addr FROM volumes WHERE fs_type IS NOT NULL"):
            fs_volumes.setdefault(ev, []).append((vid, addr))
        keys = set()
        for ev, vid, path, deleted, inode, *times in conn.execute(
                "SELECT evidence_id, volume_id, path, deleted, inode, atime_raw, mtime_raw, ctime_raw, crtime_raw "
                "FROM files"):
            vols = dict(fs_volumes.get(ev, []))
            prefix = f"{ev}/vol_{vols[vid]}" if len(vols) > 1 and vid in vols else ev
            name = prefix + path + (" (deleted)" if deleted else "")
            name = "".join("^" if ord(c) < 0x20 or c == "\x7f" else c for c in name)
            secs = [int(t // 1) if t is not None else 0 for t in times]
            if any(secs):
                keys |= {(t, str(inode or 0), name) for t in secs}
        return keys
    finally:
        conn.close()


def test_mactime_reads_every_line(case: Path, tmp_path: Path) -> None:
    body = _export(case, tmp_path)
    lines = body.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and all(len(line.split("|")) == 11 for line in lines[:-1])
    got = _mactime(body)
    want = _expected(case)
    assert len(got) == len(want)
    assert {(m, n) for _d, _t, m, n in got} == {(i, n) for _t, i, n in want}


def test_hostile_names_come_back_decoded(case: Path, tmp_path: Path) -> None:
    body = _export(case, tmp_path, evidence_ids=["hostile", "EX|1%"])
    text = body.read_text(encoding="utf-8")
    assert "hostile/docs/pipe%7Cand%25percent.txt|" in text
    assert "hostile/..%252f..%252fetc%252fpasswd|" in text
    assert "hostile/docs/line1^line2^tab^.txt|" in text
    names = {n for *_x, n in _mactime(body)}
    assert "hostile/docs/pipe|and%percent.txt" in names
    assert "hostile/..%2f..%2fetc%2fpasswd" in names  # %2f stays as written: its % was escaped
    assert "hostile/docs/=cmd|' -C calc'!A0.csv" in names
    assert "hostile/<img src=x onerror=alert(1)>.txt" in names
    assert "hostile/docs/invoice\u202egpj.exe" in names
    assert any(n.startswith("EX|1%/vol_") for n in names)  # the exhibit id decoded too
    assert not any(n.startswith("mbr_extended") for n in names)


def test_fields_and_numbers(case: Path, tmp_path: Path) -> None:
    body = _export(case, tmp_path, evidence_ids=["mbr_extended"])
    conn = sqlite3.connect(case)
    md5 = {(f"vol_{r[0]}", r[1]): r[2] for r in conn.execute(
        "SELECT v.addr, f.path, f.md5 FROM files f JOIN volumes v ON v.id = f.volume_id "
        "WHERE f.evidence_id = 'mbr_extended'")}
    conn.close()
    prefixes = set()
    for line in body.read_text(encoding="utf-8").splitlines():
        f = line.split("|")
        assert all(x.lstrip("-").isdigit() for x in f[2:3] + f[4:]), line  # inode, uid, gid, size, times
        assert f[3][1] == "/" and f[3][3:] == "---------"
        first, vol, rest = f[1].split("/", 2)
        prefixes.add((first, vol))
        assert f[0] == (md5[vol, "/" + rest.removesuffix(" (deleted)")] or "0")
    # several file systems on one exhibit: each name says which volume
    assert len(prefixes) >= 3 and all(p[0] == "mbr_extended" and p[1].startswith("vol_") for p in prefixes)


def test_escape_field() -> None:
    assert escape_field("a|b%c\nd\te\x7f") == "a%7Cb%25c^d^e^"
    assert escape_field("café ∂") == "café ∂"
