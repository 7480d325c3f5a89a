"""The public plugin API: the shipped plugins import only it; the former names still work for one release."""

from __future__ import annotations

import ast
import io
import tracemalloc
from pathlib import Path

import pytest

import triage.plugin_api as api
from tests.conftest import ROOT
from triage.extractors.manager import discover

PLUGINS = ROOT / "plugins"


def _triage_imports(path: Path) -> list[tuple[int, str]]:
    """Every import of a ``triage`` module in one file, module-level or not: (line, module)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [(node.lineno, n) for n in names if n == "triage" or n.startswith("triage.")]
    return found


def test_shipped_plugins_import_only_the_plugin_api() -> None:
    files = sorted(PLUGINS.rglob("*.py"))
    assert len(files) > 10
    bad = [f"{p.relative_to(ROOT)}:{line}: {mod}" for p in files for line, mod in _triage_imports(p)
           if mod != "triage.plugin_api"]
    assert bad == []
    assert any(_triage_imports(p) for p in files)  # the check looks at real imports


def test_every_public_name_is_there_and_is_the_machinerys_own() -> None:
    from triage.extractors import api as contract
    from triage.extractors.hookspecs import hookimpl
    from triage.records import Artefact, Entry

    assert sorted(api.__all__) == sorted(set(api.__all__))
    for name in api.__all__:
        assert hasattr(api, name), name
    assert api.Pattern is contract.Pattern and api.Hit is contract.Hit and api.hookimpl is hookimpl
    assert api.Artefact is Artefact and api.Entry is Entry
    assert {"ContentScanner", "FileParser", "TreeAnalyser", "RegexScanner", "artefact", "text"} <= set(api.__all__)


def test_the_regex_scanner_helper_builds_a_working_scanner() -> None:
    from triage.scan.content import ContentMatcher

    class Words(api.RegexScanner):
        name = "words"
        emits = ("word",)
        patterns = (api.Pattern("w", rb"\bsecret\d\b", max_len=7),)

        def check_w(self, hit: api.Hit) -> list[api.Artefact]:
            return [api.artefact(hit, "word", api.text(hit).upper())]

    arts, errs = ContentMatcher([Words()]).scan_bytes(b"a secret1 and secret2 " + "x secret3".encode("utf-16-le"))
    assert errs == []
    assert [(a.value, a.offset, a.encoding, a.plugin) for a in arts] == [
        ("SECRET1", 2, "ascii", "words"), ("SECRET2", 14, "ascii", "words"), ("SECRET3", 26, "utf-16le", "words")]


def _plugin_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    for hook, name in (("triage_extractors", "new_style"), ("triage_plugins", "old_style")):
        (folder / f"{name}.py").write_text(
            "from triage.plugin_api import Pattern, RegexScanner, artefact, hookimpl, text\n"
            f"class S(RegexScanner):\n    name = {name!r}\n    emits = ('word',)\n"
            "    patterns = (Pattern('w', rb'zzz', max_len=3),)\n"
            "    def check_w(self, hit):\n        return [artefact(hit, 'word', text(hit))]\n"
            f"@hookimpl\ndef {hook}():\n    return [S()]\n", encoding="utf-8")
    return folder


def test_the_new_hook_name_and_the_old_one_both_register(tmp_path: Path) -> None:
    found = discover([_plugin_folder(tmp_path)], shipped=False, entry_points=False)
    assert found.load_errors == ()
    assert [s.name for s in found.scanners] == ["new_style", "old_style"]


def test_the_shipped_plugins_use_the_new_hook_name() -> None:
    for p in sorted(PLUGINS.rglob("*.py")):
        assert "def triage_plugins(" not in p.read_text(encoding="utf-8"), p


def test_the_former_module_paths_are_aliases() -> None:
    import triage.plugins.api as old_api
    import triage.plugins.hookspecs as old_hooks
    import triage.plugins.manager as old_manager
    from triage.extractors import api as contract
    from triage.extractors import hookspecs, manager

    assert old_api.Pattern is contract.Pattern and old_api.ContentScanner is contract.ContentScanner
    assert old_hooks.hookimpl is hookspecs.hookimpl
    assert old_manager.discover is manager.discover and old_manager.PluginLoadError is manager.PluginLoadError


def _big_pdf(size: int) -> bytes:
    """A valid one-page PDF carrying ``size`` bytes in an attachment the metadata parser never needs."""
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(612, 792)
    w.add_metadata({"/Title": "Big statement", "/Author": "Alice"})
    w.add_attachment("padding.bin", bytes(range(256)) * (size // 256))
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def test_documents_reads_a_pdf_through_a_file_object_not_whole(tmp_path: Path) -> None:
    """Given a path, pypdf reads the whole file into memory; the parser gives it a file object."""
    from triage.records import Entry
    from triage_plugins.documents import DocumentParser

    pdf = tmp_path / "big.pdf"
    pdf.write_bytes(_big_pdf(32 << 20))
    entry = Entry(path="/big.pdf", name="big.pdf", inode=5, size=pdf.stat().st_size, type="regular")
    tracemalloc.start()
    try:
        (art,) = list(DocumentParser().parse(pdf, entry))
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert art.value == "Big statement" and art.extra["author"] == "Alice" and art.extra["pages"] == 1
    assert peak < 8 << 20, f"peak {peak >> 20} MiB for a 32 MiB PDF"


@pytest.mark.parametrize("module", ["triage.plugins.matcher", "triage.plugins.hscache", "triage.plugins.preload"])
def test_former_modules_still_import(module: str) -> None:
    import importlib

    assert importlib.import_module(module) is not None
