"""Shared test helpers: the committed fixture images, their manifests, and a real case database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
MANIFESTS = FIXTURES / "manifests"


def load_manifest(name: str) -> dict[str, Any]:
    return json.loads((MANIFESTS / f"{name}.json").read_text(encoding="utf-8"))


def image_manifests() -> list[str]:
    """Manifests of images that must scan (not the bad inputs, not the orphaned differencing children)."""
    names = []
    for p in sorted(MANIFESTS.glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        if "image" not in data or data.get("missing_parent"):
            continue
        names.append(p.stem)
    return names


def rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def scan_case(image: Path, db: Path, *options: str) -> None:
    """Scan one image into a case with the real command, quietly; a failed scan fails the test with its stderr."""
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "triage", "scan", str(image), "--case", str(db), "--quiet", *options],
                         capture_output=True, text=True)
    assert res.returncode == 0, f"triage scan {image.name} exited {res.returncode}: {res.stderr}"


@pytest.fixture
def case_db(tmp_path: Path) -> Path:
    return tmp_path / "case.db"


#: tests that take seconds each (a cluster, kills and resumes, a browser, the
#: mutation suite, case_validate, a million-row import): ``make test-quick``
#: leaves them out for a quick loop; ``make test`` (and CI) runs everything
SLOW_MODULES = frozenset({
    "tests/batch/test_distributed.py",
    "tests/batch/test_resume_kill.py",
    "tests/batch/test_memory_bound.py",
    "tests/batch/test_worker_memory_limit.py",
    "tests/evidence/test_mutations.py",
    "tests/export/test_case_uco.py",
    "tests/reports/test_report_browser.py",
    "tests/reports/test_report_pdf.py",
})
SLOW_TESTS = frozenset({"tests/hashsets/test_hashset_store.py::test_million_row_import_bounded_memory"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes seconds; left out by `make test-quick` (-m 'not slow')")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        if module in SLOW_MODULES or item.nodeid.split("[", 1)[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
