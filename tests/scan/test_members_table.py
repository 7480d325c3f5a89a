"""Derived members in their own package: every kind the detector names has its expander; the former paths alias."""

from __future__ import annotations

import ast
import importlib

import pytest

from tests.conftest import ROOT
from triage.scan.members import EXPANDERS, archive_kind
from triage.scan.members.detect import COMPRESSED

MEMBERS = ROOT / "triage" / "scan" / "members"


def test_every_kind_the_detector_returns_has_an_expander() -> None:
    source = (MEMBERS / "detect.py").read_text(encoding="utf-8")
    returned = {n.value.value for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.Return) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)}
    returned |= {n.body.value for n in ast.walk(ast.parse(source))
                 if isinstance(n, ast.IfExp) and isinstance(n.body, ast.Constant)}
    assert {"zip", "gzip", "bzip2", "xz", "7z", "tar", "pdf", "mail"} <= returned
    assert returned | set(COMPRESSED.values()) <= set(EXPANDERS)
    assert archive_kind(None, b"\x1f\x8b\x08") == "gzip" and EXPANDERS["gzip"] is not EXPANDERS["xz"]


def test_the_expanders_import_only_the_shared_limits_never_back_up() -> None:
    for path in sorted(MEMBERS.glob("*.py")):
        if path.stem in ("__init__", "expand"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mods = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        inside = {m for m in mods if m.startswith("triage.scan")}
        allowed = {"triage.scan.members.limits", "triage.scan.members.office_text"}
        assert inside <= allowed, (path.name, inside - allowed)


@pytest.mark.parametrize("old, new, name", [
    ("triage.scan.archives", "triage.scan.members.expand", "iter_members"),
    ("triage.scan.archives", "triage.scan.members.limits", "Budget"),
    ("triage.scan.pdf_text", "triage.scan.members.pdf_text", "pdf_text_member"),
    ("triage.scan.mime_parts", "triage.scan.members.mime_parts", "mail_part_members"),
    ("triage.scan.office_text", "triage.scan.members.office_text", "office_text_member"),
])
def test_the_former_module_paths_are_aliases(old: str, new: str, name: str) -> None:
    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(new), name)
