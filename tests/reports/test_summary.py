"""The terminal summary shows evidence text without letting it drive the terminal or rich."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES
from triage.reports.summary import evidence_summary, mask_pan, terminal_safe


def test_control_characters_and_markup_from_evidence_are_neutralised() -> None:
    hostile = "\x1b[2J\x1b]0;pwned\x07[bold red]evil[/] name\r\n"
    shown = terminal_safe(hostile)
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert "\\x1b" in shown
    assert "\\[bold red]" in shown  # rich would otherwise style the rest of the line


def test_long_values_are_bounded() -> None:
    assert len(terminal_safe("A" * 10_000, limit=50)) == 50


def test_card_numbers_are_masked_in_the_summary() -> None:
    assert mask_pan("4111111111111111") == "411111******1111"
    assert mask_pan("378282246310005") == "378282*****0005"


def _counts(conn: sqlite3.Connection, evidence_id: str) -> dict[str, int]:
    return dict(conn.execute("SELECT type, count(*) FROM artefacts WHERE evidence_id = ? GROUP BY type",
                             (evidence_id,)).fetchall())


def test_summary_counts_each_evidence_alone_in_a_shared_case(tmp_path: Path) -> None:
    """One evidence item alone is summarised from the index; beside another, by its own rows only."""
    db = tmp_path / "case.db"
    first = [sys.executable, "-m", "triage", "scan", str(FIXTURES / "images/artefacts.raw"), "--case", str(db),
             "--no-yara", "--no-tlsh", "--quiet"]
    assert subprocess.run(first, capture_output=True, timeout=300).returncode == 0
    with sqlite3.connect(db) as conn:
        (ev1,) = [r[0] for r in conn.execute("SELECT id FROM evidence")]
        alone = evidence_summary(conn, ev1)
        assert alone["artefacts"] == _counts(conn, ev1) and alone["artefacts"]
        assert alone["artefact_examples"]["iban"]
    second = [*first[:4], str(FIXTURES / "images/demo.raw"), *first[5:]]
    assert subprocess.run(second, capture_output=True, timeout=300).returncode == 0
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM evidence ORDER BY id")]
        assert len(ids) == 2
        for ev in ids:
            got = evidence_summary(conn, ev)
            assert got["artefacts"] == _counts(conn, ev) and got["artefacts"]
            mine = {r[0] for r in conn.execute("SELECT value FROM artefacts WHERE evidence_id = ?", (ev,))}
            shown = {v for vs in got["artefact_examples"].values() for v in vs}
            assert all(v in mine or "*" in v for v in shown)
        assert evidence_summary(conn, ev1)["artefacts"] == alone["artefacts"]
