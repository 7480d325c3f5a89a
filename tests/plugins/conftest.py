"""Shared helpers for the content-scanner tests: scan bytes through the real engine."""

from __future__ import annotations

import pytest

from triage.plugins.manager import discover
from triage.scan.content import ContentMatcher, hyperscan_available
from triage.records import Artefact

ENGINES = ["python"] + (["hyperscan"] if hyperscan_available() else [])


@pytest.fixture(scope="session")
def scanners():
    return discover(entry_points=False).scanners


@pytest.fixture(scope="session")
def matchers(scanners):
    return {e: ContentMatcher(scanners, engine=e) for e in ENGINES}


@pytest.fixture(scope="session")
def scan(matchers):
    """scan(data, engine=..., chunk=...) -> list of artefacts (errors must be empty)."""

    def _scan(data: bytes, engine: str = ENGINES[-1], chunk: int = 1 << 20) -> list[Artefact]:
        st = matchers[engine].stream()
        for i in range(0, len(data), chunk):
            st.feed(data[i : i + chunk])
        arts, errs = st.close()
        assert errs == []
        return arts

    return _scan


def values(arts: list[Artefact], type_: str) -> list[str]:
    return [a.value for a in arts if a.type == type_]
