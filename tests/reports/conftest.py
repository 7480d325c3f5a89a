"""One real case for every report test: hostile.raw, artefacts.raw, structured.raw and the E01, really scanned.

Built once per test session (a few seconds), with a notable hash set listing
two of hostile.raw's files so the verdict has hash-set hits to rank, and
``--verify`` so the E01's acquisition hashes are checked. Tests that change
a case (tags, an interrupted run) work on a copy made with SQLite's backup.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, MANIFESTS

IMAGES = ("hostile.raw", "artefacts.raw", "structured.raw", "fat16_mbr_ewf.E01")
EXAMINER = "DC <b>Test</b> Examiner"
#: files of hostile.raw the notable hash set lists
NOTABLE_PATHS = ("/<script>", "/<img src=x onerror=alert(1)>.txt")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def triage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True, env=env,
                          timeout=600)


@pytest.fixture(scope="session")
def report_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("report-case")
    manifest = json.loads((MANIFESTS / "hostile.json").read_text(encoding="utf-8"))
    digests = [f["sha256"] for f in manifest["files"] if f["path"] in NOTABLE_PATHS]
    assert len(digests) == len(NOTABLE_PATHS)
    listing = base / "notable.txt"
    listing.write_text("\n".join(digests) + "\n", encoding="ascii")
    hashsets = base / "hashsets.db"
    done = triage("hashset", "import", str(listing), "--name", "Test notable <set>", "--kind", "notable",
                  "--format", "list", "--db", str(hashsets))
    assert done.returncode == 0, done.stderr
    db = base / "case.db"
    done = triage("scan", *(str(FIXTURES / "images" / i) for i in IMAGES), "--case", str(db), "--hashsets",
                  str(hashsets), "--examiner", EXAMINER, "--verify", "--quiet")
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture(scope="session")
def report_html(report_case: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = triage("report", str(report_case), "-o", str(out), "--examiner", "Report <Author>")
    assert done.returncode == 0, done.stderr
    return out


def copy_case(src: Path, dst: Path) -> Path:
    """A consistent copy of a case (WAL included), made by SQLite itself."""
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    a.close()
    b.close()
    return dst


class Page(HTMLParser):
    """The parts of the report tests look at: tags and attributes, text, and each table by its holder's id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self._holder: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._raw: str | None = None
        self._depth_div: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "div":
            cls = a.get("class") or ""
            self._depth_div.append(a.get("id") if "tbl" in cls.split() else None)
            if "tbl" in cls.split():
                self._holder.append(str(a.get("id")))
                self.tables.setdefault(str(a.get("id")), [])
        elif tag == "tr" and self._holder:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in ("script", "style"):
            self._raw = tag
            self.inline[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._depth_div:
            if self._depth_div.pop() is not None:
                self._holder.pop()
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._holder:
                self.tables[self._holder[-1]].append(self._row)
            self._row = None
        elif tag in ("script", "style"):
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw:
            self.inline[self._raw][-1] += data
            return
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def body_rows(self, table_id: str) -> list[list[str]]:
        """The rows of a table without its heading row."""
        return self.tables.get(table_id, [])[1:]

    @property
    def all_text(self) -> str:
        return "".join(self.text)
