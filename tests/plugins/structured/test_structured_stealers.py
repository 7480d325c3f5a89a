"""Stealer-log bundle detection over a volume's entry list."""

from __future__ import annotations

import os
from pathlib import Path

from triage_plugins.stealers import StealerLogAnalyser

from .conftest import FIXTURES, entry

A = StealerLogAnalyser()
BASE = FIXTURES / "stealer"
VOL = "/Users/bob/Downloads"


def volume_entries() -> list:
    out = [entry(VOL, type_="dir")]
    for dirpath, dirs, files in os.walk(BASE):
        rel = Path(dirpath).relative_to(BASE).as_posix()
        prefix = VOL if rel == "." else f"{VOL}/{rel}"
        for d in sorted(dirs):
            out.append(entry(f"{prefix}/{d}", type_="dir"))
        for f in sorted(files):
            out.append(entry(f"{prefix}/{f}", size=(Path(dirpath) / f).stat().st_size, mtime=1709301600.0))
    # noise elsewhere on the volume
    out.append(entry("/Windows/System32/drivers/etc/hosts"))
    return out


def reader(calls: list):
    def read(path: str, max_bytes: int) -> bytes:
        calls.append((path, max_bytes))
        assert path.startswith(VOL)
        with open(BASE / path[len(VOL) + 1 :], "rb") as fh:
            return fh.read(max_bytes)
    return read


def test_redline_bundle_found_and_counted():
    calls: list = []
    results = list(A.analyse(volume_entries(), reader(calls)))
    root = f"{VOL}/Logs/GB[8F3A2C]_2024_03_01"
    assert [p for p, _ in results] == [root]
    art = results[0][1]
    assert art.type == "stealer_log" and art.value == root and art.plugin == "stealers"
    x = art.extra
    assert x["family"] == "RedLine/META"
    assert (x["credentials"], x["cards"], x["cookies"], x["cookie_files"], x["autofills"]) == (3, 1, 2, 1, 2)
    assert sorted(x["files"]) == [
        "Autofills/Google_[Chrome]_Default.txt", "Cookies/Google_[Chrome]_Default.txt",
        "CreditCards/Google_[Chrome]_Default.txt", "DomainDetects.txt", "Passwords.txt", "UserInformation.txt",
    ]
    assert x["file_count"] == 6
    assert art.timestamp == "2024-03-01T14:00:00Z"
    # bounded reads, and no stolen secret copied into the artefact
    assert all(n <= 8 * 1024 * 1024 for _, n in calls)
    assert "hunter2" not in repr(art) and "4111111111111111" not in repr(art)


def test_lone_passwords_file_is_not_a_bundle():
    entries = [entry("/home/a/passwords.txt"), entry("/home/a/todo.txt")]
    assert list(A.analyse(entries, lambda p, n: b"")) == []


def test_read_errors_are_recorded_not_raised():
    def failing(path: str, n: int) -> bytes:
        raise OSError("sector unreadable")
    ((_, art),) = list(A.analyse(volume_entries(), failing))
    assert art.extra["credentials"] == 0 and art.extra["read_errors"]
    assert art.extra["family"] == "unknown"


def test_vidar_style_bundle():
    root = "/x/[US]1.2.3.4"
    files = {f"{root}/passwords.txt": b"Soft: Chrome\nHost: https://a.example\nLogin: a\nPassword: b\n\n",
             f"{root}/information.txt": b"Version: 7\n", f"{root}/Cookies/Chrome_Default.txt": b"",
             f"{root}/CC/Chrome_Default.txt": b""}
    entries = [entry(p) for p in files]
    ((path, art),) = list(A.analyse(entries, lambda p, n: files[p][:n]))
    assert path == root and art.extra["family"] == "Vidar/StealC" and art.extra["credentials"] == 1
