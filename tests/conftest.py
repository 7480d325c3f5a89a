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


@pytest.fixture
def case_db(tmp_path: Path) -> Path:
    return tmp_path / "case.db"
