"""Keep hash-set tests away from the user's real hash-set database."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIAGE_HASHSET_DB", str(tmp_path_factory.mktemp("hs") / "default.db"))
