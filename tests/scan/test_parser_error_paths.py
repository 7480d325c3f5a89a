"""A parser's error names the entry, never the private copy it was handed (no host path in the case)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import FIXTURES, rows


def test_a_parser_error_names_the_entry_not_the_temporary_copy(tmp_path: Path) -> None:
    db = tmp_path / "case.db"
    # fat32.raw holds photos the EXIF parser cannot read: a library error that names its file
    subprocess.run([sys.executable, "-m", "triage", "scan", str(FIXTURES / "images/fat32.raw"), "--case", str(db),
                    "--no-yara", "--quiet"], check=True)
    errors = rows(db, "SELECT path, message FROM errors WHERE stage = 'plugin'")
    assert errors, "the fixture's unreadable photos should give parser errors"
    tmp = tempfile.gettempdir()
    for e in errors:
        assert tmp not in e["message"] and "triage-" not in e["message"], e["message"]
        assert e["path"] in e["message"]
