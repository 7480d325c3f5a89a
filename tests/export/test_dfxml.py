"""DFXML export: valid against the DFXML schema (xmllint), every file of the case, hostile names intact."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, scan_case
from triage.case.reader import open_case
from triage.export import ExportOptions
from triage.export.dfxml import export, xml_text

SCHEMA = Path(__file__).parent / "schemas" / "dfxml.xsd"
NS = {"d": "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML",
      "dc": "http://purl.org/dc/elements/1.1/"}
IMAGES = FIXTURES / "images"


def _scan(image: Path, db: Path, *extra: str) -> None:
    scan_case(image, db, "--no-yara", *extra)


def _unescape(text: str) -> str:
    return re.sub(r"\\x([0-9a-f]{2})|\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _xmllint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(SCHEMA), str(path)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("dfxml")
    two = base / "two.db"  # hostile names + an E01 with acquisition hashes, verified
    _scan(IMAGES / "hostile.raw", two)
    _scan(IMAGES / "fat16_mbr_ewf.E01", two, "--verify")
    members = base / "artefacts.db"  # archive members (parent_object)
    _scan(IMAGES / "artefacts.raw", members)
    return {"two": two, "artefacts": members}


def _export(db: Path, out: Path, **opts: object) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with open_case(db) as reader:
        counts: dict[str, int | None] = {}
        paths = export(reader, out, ExportOptions(**opts), counts=counts)  # type: ignore[arg-type]
    assert paths == [out / "case.dfxml"]
    assert counts["case.dfxml"] == len(ET.parse(paths[0]).getroot().findall(".//d:fileobject", NS))
    return paths[0]


@pytest.mark.parametrize("name", ["two", "artefacts"])
def test_valid_against_the_dfxml_schema(cases: dict[str, Path], name: str, tmp_path: Path) -> None:
    out = _export(cases[name], tmp_path / name)
    res = _xmllint(out)
    assert res.returncode == 0, res.stderr
    assert "validates" in res.stderr


def test_schema_check_is_real(tmp_path: Path) -> None:
    """The schema refuses what DFXML forbids (a fileobject before the source), so a pass above means something."""
    bad = tmp_path / "bad.dfxml"
    bad.write_text(f'<?xml version="1.0"?><dfxml xmlns="{NS["d"]}" xmlns:dc="{NS["dc"]}" version="1.1.0">'
                   "<metadata><dc:type>x</dc:type></metadata><fileobject><filename>a</filename></fileobject>"
                   "<source/></dfxml>", encoding="utf-8")
    assert _xmllint(bad).returncode != 0


def test_every_file_with_its_names_sizes_and_hashes(cases: dict[str, Path], tmp_path: Path) -> None:
    root = ET.parse(_export(cases["two"], tmp_path / "x")).getroot()
    objs = root.findall(".//d:fileobject", NS)
    with open_case(cases["two"]) as reader:
        rows = {f.id: f for f in reader.iter_files()}
    assert len(objs) == len(rows)
    for obj in objs:
        f = rows[int(obj.findtext("d:id", namespaces=NS) or "0")]
        name = obj.findtext("d:filename", namespaces=NS) or ""
        assert _unescape(name) == f.path
        assert not re.search(r"[\x00-\x1f]", name)  # control characters escaped, one line each
        assert int(obj.findtext("d:filesize", namespaces=NS) or "-1") == f.size
        assert obj.findtext("d:alloc", namespaces=NS) == ("0" if f.deleted else "1")
        if f.inode is not None:
            assert obj.findtext("d:inode", namespaces=NS) == str(f.inode)
        digests = {h.get("type"): h.text for h in obj.findall("d:hashdigest", NS)}
        assert digests == {k: getattr(f, k) for k in ("md5", "sha1", "sha256") if getattr(f, k)}
        if f.mtime:
            assert obj.findtext("d:mtime", namespaces=NS) == f.mtime
    names = {_unescape(o.findtext("d:filename", namespaces=NS) or "") for o in objs}
    assert "/<img src=x onerror=alert(1)>.txt" in names
    assert "/docs/line1\nline2\ttab\r.txt" in names  # CR survives: a parser would have turned a raw CR into LF
    assert any("\\x0d" in (o.findtext("d:filename", namespaces=NS) or "") for o in objs)


def test_creator_source_and_volumes(cases: dict[str, Path], tmp_path: Path) -> None:
    path = _export(cases["two"], tmp_path / "x")
    root = ET.parse(path).getroot()
    assert root.get("version") == "1.1.0"
    assert root.findtext("d:creator/d:program", namespaces=NS) == "triage"
    cmd = root.findtext("d:creator/d:execution_environment/d:command_line", namespaces=NS) or ""
    assert cmd.startswith("triage scan") and "fat16_mbr_ewf.E01" in cmd  # the last scan of the case
    libs = {lib.get("name") for lib in root.findall("d:creator/d:build_environment/d:library", NS)}
    assert {"Python", "The Sleuth Kit"} <= libs and any(n and n.startswith("plugin ") for n in libs)
    images = [e.text or "" for e in root.findall("d:source/d:image_filename", NS)]
    assert [Path(i).name for i in images] == ["fat16_mbr_ewf.E01", "hostile.raw"]
    text = path.read_text(encoding="utf-8")
    # the acquisition hashes stored in the E01 and the verification, in the source's comment
    assert "acquisition md5 cebdf3e576c5532c12ab4534d1bb927e sha1 9e1a93c5c36ad4aa490d400b73280eb24eab5fa8" in text
    assert "verified match" in text and "size 4194304 bytes" in text
    vols = root.findall("d:volume", NS)
    assert {(v.get("offset"), v.findtext("d:ftype_str", namespaces=NS)) for v in vols} == {
        ("1048576", "fat16"), ("0", "ext4")}
    fat = next(v for v in vols if v.get("offset") == "1048576")
    assert fat.findtext("d:partition_offset", namespaces=NS) == "1048576"
    assert fat.findtext("d:block_size", namespaces=NS) == "512"
    assert fat.findall("d:fileobject", NS)
    # run audit trail as comments; no comment may hold "--"
    assert "<!-- run 1:" in text and "<!-- run 2:" in text
    for comment in re.findall(r"<!--(.*?)-->", text, re.S):
        assert "--" not in comment
    with open_case(cases["two"]) as reader:
        commands = [r.command for r in reader.runs()]
    comments = [_unescape(c) for c in re.findall(r"<!--(.*?)-->", text, re.S)]
    for command in commands:  # "--case", "--verify" decode back exactly
        assert any(f": {command} | " in c for c in comments)


def test_archive_members_name_their_container(cases: dict[str, Path], tmp_path: Path) -> None:
    root = ET.parse(_export(cases["artefacts"], tmp_path / "x")).getroot()
    members = [o for o in root.findall(".//d:fileobject", NS) if "!/" in (o.findtext("d:filename", namespaces=NS)
                                                                        or "")]
    assert members
    with_parent = [o for o in members if o.find("d:parent_object/d:inode", NS) is not None]
    assert with_parent
    for o in members:
        assert o.find("d:inode", NS) is None  # members have no inode of their own


def test_evidence_and_tagged_selection(cases: dict[str, Path], tmp_path: Path) -> None:
    root = ET.parse(_export(cases["two"], tmp_path / "ev", evidence_ids=["hostile"])).getroot()
    assert [Path(e.text or "").name for e in root.findall("d:source/d:image_filename", NS)] == ["hostile.raw"]
    assert {v.findtext("d:ftype_str", namespaces=NS) for v in root.findall("d:volume", NS)} == {"ext4"}
    db = tmp_path / "tagged.db"
    shutil.copy(cases["two"], db)
    with open_case(db) as reader:
        target = next(f for f in reader.iter_files(["hostile"]) if f.path == "/<script>")
    subprocess.run([sys.executable, "-m", "triage", "tag", str(db), "--file-id", str(target.id)], check=True,
                   capture_output=True)
    root = ET.parse(_export(db, tmp_path / "tagged", tagged_only=True)).getroot()
    assert [o.findtext("d:filename", namespaces=NS) for o in root.findall(".//d:fileobject", NS)] == ["/<script>"]


def test_xml_text_escape() -> None:
    assert xml_text("a\x00b\rc\\d\ufffe") == "a\\x00b\\x0dc\\x5cd\\ufffe"
    assert xml_text("café ‮ <x>") == "café ‮ <x>"  # the writer escapes markup; non-ASCII stays


def test_cli_round_trip(cases: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "cli"
    res = subprocess.run([sys.executable, "-m", "triage", "export", str(cases["two"]), "--format", "dfxml",
                          "-o", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (out / "case.dfxml").is_file()
    check = subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
