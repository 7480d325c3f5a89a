"""The structured parsers register through the shipped plugin package."""

from __future__ import annotations

from triage.plugins.api import FileParser, TreeAnalyser
from triage.plugins.manager import discover

NAMES = {"chromium": "file", "firefox": "file", "wallets": "file", "exif": "file", "documents": "file",
         "email_stores": "file", "stealers": "tree"}


def test_discovered_with_their_kinds():
    ps = discover(enable=list(NAMES), entry_points=False)
    got = {p.name: p.kind for p in ps.all}
    assert got == NAMES
    for p in ps.parsers:
        assert isinstance(p, FileParser)
        assert p.version and p.emits and p.max_bytes > 0
    assert all(isinstance(a, TreeAnalyser) for a in ps.analysers)
    assert not [e for e in ps.load_errors if any(n in e for n in ("browsers", "wallets", "stealers", "exif",
                                                                  "documents", "email_stores", "_sqlite"))]
