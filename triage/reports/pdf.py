"""The report as PDF, for the case file: the same HTML printed by headless Chromium, or WeasyPrint.

Chromium is preferred: it renders the page exactly as the browser test
sees it (grid, SVG, print style sheet) and is a Debian package
(``chromium``); the flags keep it from reaching the network or writing a
profile outside a temporary folder. WeasyPrint is used when Chromium is
not there and WeasyPrint is installed. With neither, :class:`PdfUnavailable`
says so in one line before any work is done.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["CHROMIUM_FLAGS", "PdfError", "PdfUnavailable", "find_renderer", "html_to_pdf"]

#: what keeps a headless Chromium quiet, offline and free of a user profile
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-extensions",
                  "--no-pdf-header-footer", "--hide-scrollbars")
#: seconds a print may take (a bounded report prints in seconds)
TIMEOUT_S = 300
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfUnavailable(Exception):
    """No PDF renderer is installed."""


class PdfError(Exception):
    """The renderer ran and failed."""


def _chromium() -> str | None:
    env = os.environ.get("TRIAGE_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _weasyprint() -> bool:
    try:
        import weasyprint  # noqa: F401
    except Exception:  # not installed, or its native libraries missing
        return False
    return True


def find_renderer() -> str:
    """``chromium:<path>`` or ``weasyprint``; :class:`PdfUnavailable` with the fix when neither is there."""
    path = _chromium()
    if path:
        return f"chromium:{path}"
    if _weasyprint():
        return "weasyprint"
    raise PdfUnavailable("no PDF renderer: install chromium (Debian: apt-get install chromium) or WeasyPrint "
                         "(pip install weasyprint), or write the report as HTML")


def html_to_pdf(html: Path, pdf: Path, renderer: str | None = None) -> str:
    """Print ``html`` (a self-contained file) to ``pdf``; returns the renderer used."""
    renderer = renderer or find_renderer()
    if renderer == "weasyprint":
        import weasyprint

        weasyprint.HTML(filename=str(html)).write_pdf(str(pdf))
    else:
        exe = renderer.split(":", 1)[1]
        with tempfile.TemporaryDirectory(prefix="triage-pdf-") as profile:
            cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--crash-dumps-dir={profile}",
                   f"--print-to-pdf={pdf}", html.resolve().as_uri()]
            env = {**os.environ, "HOME": profile}
            try:
                proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_S, env=env, check=False,
                                      stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise PdfError(f"chromium did not finish printing within {TIMEOUT_S} s") from None
            except OSError as exc:
                raise PdfError(f"chromium could not start: {exc}") from None
        if proc.returncode != 0 and not pdf.exists():
            tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise PdfError(f"chromium failed printing (exit {proc.returncode}): {tail[0][:200]}")
    if not pdf.exists() or pdf.stat().st_size == 0:
        raise PdfError(f"{renderer.split(':')[0]} wrote no PDF")
    with pdf.open("rb") as f:
        if f.read(5) != b"%PDF-":
            raise PdfError(f"{renderer.split(':')[0]} wrote something that is not a PDF")
    return renderer.split(":")[0]
