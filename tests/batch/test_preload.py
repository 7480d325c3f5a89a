"""The worker fork server's plugin preload: every shipped module, and never an exception out of it."""

from __future__ import annotations

import subprocess
import sys


def test_preload_imports_every_shipped_plugin_module():
    code = (
        "import sys, triage.plugins.preload\n"
        "from triage.plugins.manager import import_shipped\n"
        "names = [n for n, _ in import_shipped([])]\n"
        "missing = [n for n in names if n not in sys.modules]\n"
        "print(len(names), missing)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert int(out[0]) >= 10  # the shipped extractors
    assert out[1].strip() == "[]"


def test_preload_swallows_a_broken_package(tmp_path):
    # a shipped package that raises something other than ImportError must not reach the fork server
    pkg = tmp_path / "triage_plugins"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise RuntimeError('broken on import')\n")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r}); import triage.plugins.preload; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
