"""Shared helpers for the structured-parser tests: fixture paths and Entry construction."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from triage.records import Entry

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "structured"
CHROME_PROFILE = "/Users/alice/AppData/Local/Google/Chrome/User Data/Default/"
FIREFOX_PROFILE = "/home/alice/.mozilla/firefox/abcd1234.default-release/"


def entry(path: str, size: int = 0, type_: str = "regular", mtime: float | None = None) -> Entry:
    return Entry(path=path, name=path.rstrip("/").rsplit("/", 1)[-1], inode=None, size=size, type=type_, mtime=mtime)


@pytest.fixture
def staged(tmp_path: Path):
    """Copy fixture files into a read-only temp dir, as the engine hands them to parsers."""

    def stage(*relpaths: str) -> Path:
        first = None
        for rel in relpaths:
            src = FIXTURES / rel
            dst = tmp_path / src.name
            shutil.copyfile(src, dst)
            dst.chmod(0o444)
            first = first or dst
        assert first is not None
        return first

    return stage
