"""Extension mismatch, derived from a real case's files.mime and files.extension (reader.extension_mismatches).

The evidence is an ext4 image built here with ``mke2fs -d`` and scanned by
the real ``triage scan``: an ELF named .jpg, a ZIP named .jpg and .txt, a
PDF named .txt, beside files whose extension is right (a JPEG .jpg, a ZIP
.zip, a .docx), of one class (a PNG named .jpg) or unknown (an ELF .dat).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import FIXTURES
from triage.case.reader import extension_mismatch, open_case

needs_mke2fs = pytest.mark.skipif(shutil.which("mke2fs") is None and not Path("/usr/sbin/mke2fs").exists(),
                                  reason="mke2fs (e2fsprogs, scripts/sysdeps.sh test) is not installed")

#: path in the image -> (content class, extension class) when flagged, None when not
EXPECTED = {
    "/photo.jpg": ("executable", "image"),
    "/holiday.jpg": ("zip", "image"),
    "/notes.txt": ("zip", "text"),
    "/docs/statement.txt": ("pdf", "text"),
    "/real.jpg": None,
    "/real.zip": None,
    "/report.docx": None,
    "/readme.txt": None,
    "/pic.jpg": None,
    "/tool.dat": None,
}


def _image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def _zip_bytes(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in names.items():
            zf.writestr(name, data)
    return out.getvalue()


def build_mismatch_case(tmp: Path) -> Path:
    """An ext4 image of the EXPECTED files, scanned into a case; the case's path."""
    src = tmp / "src"
    (src / "docs").mkdir(parents=True)
    elf = Path("/bin/true").read_bytes()
    (src / "photo.jpg").write_bytes(elf)
    (src / "tool.dat").write_bytes(elf)
    (src / "holiday.jpg").write_bytes(_zip_bytes({"a.txt": b"hello\n"}))
    (src / "notes.txt").write_bytes(_zip_bytes({"b.txt": b"notes\n"}))
    (src / "real.zip").write_bytes(_zip_bytes({"c.txt": b"real\n"}))
    (src / "report.docx").write_bytes(_zip_bytes({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               b'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                               b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "word/document.xml": b"<w:document/>"}))
    (src / "docs" / "statement.txt").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n"
                                                 b"<< /Root 1 0 R >>\n%%EOF\n")
    (src / "real.jpg").write_bytes(_image_bytes("JPEG"))
    (src / "pic.jpg").write_bytes(_image_bytes("PNG"))
    (src / "readme.txt").write_bytes(b"plain text, as its name says\n" * 4)
    image = tmp / "mismatch.raw"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-E", "root_owner=0:0", "-d", str(src),
                    str(image), "4M"], check=True, stdout=subprocess.DEVNULL,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "E2FSPROGS_FAKE_TIME": "1700000000"})
    case = tmp / "mismatch.db"
    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(image), "--case", str(case), "--quiet",
                           "--no-yara"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return case


@pytest.fixture(scope="module")
def mismatch_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_mismatch_case(tmp_path_factory.mktemp("mismatch"))


@needs_mke2fs
def test_contradictions_are_found_and_nothing_else(mismatch_case: Path) -> None:
    with open_case(mismatch_case) as reader:
        found = {m.path: (m.content_class, m.extension_class) for m in reader.extension_mismatches()}
        assert found == {p: want for p, want in EXPECTED.items() if want is not None}
        ev = reader.evidence_ids()[0]
        assert reader.count_extension_mismatches(ev) == 4
        assert reader.count_extension_mismatches("no-such-exhibit") == 0
        paths = {f.path for f in reader.iter_files()}
        assert set(EXPECTED) <= paths  # every planted file was inventoried: the negatives are real negatives


def test_the_hostile_fixture_has_no_mismatch(tmp_path: Path) -> None:
    case = tmp_path / "hostile.db"
    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(FIXTURES / "images" / "hostile.raw"),
                           "--case", str(case), "--quiet", "--no-yara"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with open_case(case) as reader:
        assert reader.count_files() > 10
        assert list(reader.extension_mismatches()) == []


@pytest.mark.parametrize("mime,ext,want", [
    ("application/x-dosexec", ".jpg", ("executable", "image")),
    ("application/x-dosexec", ".exe", None),
    ("application/zip", ".txt", ("zip", "text")),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", None),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".pdf", ("zip", "pdf")),
    ("image/png", ".jpg", None),
    ("image/jpeg", ".dat", None),
    ("text/plain", ".jpg", None),
    ("application/pdf", ".ai", None),
    ("application/pdf; charset=binary", ".TXT", ("pdf", "text")),
    (None, ".jpg", None),
    ("application/zip", None, None),
])
def test_the_mismatch_table(mime: str | None, ext: str | None, want: tuple[str, str] | None) -> None:
    assert extension_mismatch(mime, ext) == want
