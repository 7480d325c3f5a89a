"""kml export: valid KML 2.2 (the OGC schema, xmllint), one Placemark per photo GPS point, names escaped."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, scan_case
from triage.case.reader import ArtefactRow, open_case
from triage.export import ExportOptions
from triage.export.kml import KML_FILE, export, placemark, xml_text

IMAGES = FIXTURES / "images"
SCHEMA = Path(__file__).parent / "schemas" / "kml" / "ogckml22.xsd"
NS = {"k": "http://www.opengis.net/kml/2.2"}


def _scan(image: Path, db: Path, *extra: str) -> None:
    scan_case(image, db, "--no-yara", *extra)


def _xmllint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["xmllint", "--noout", "--nonet", "--schema", str(SCHEMA), str(path)],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("kml") / "case.db"
    _scan(IMAGES / "structured.raw", db)  # photo.jpg and photo.heic with GPS
    _scan(IMAGES / "hostile.raw", db)  # a JPEG with GPS among hostile names
    return db


def test_points_valid_and_complete(case: Path, tmp_path: Path) -> None:
    with open_case(case) as reader:
        gps = list(reader.iter_artefacts(types=["exif_gps"]))
        counts: dict[str, int | None] = {}
        assert export(reader, tmp_path, ExportOptions(), counts=counts) == [tmp_path / KML_FILE]
    assert len(gps) >= 3
    res = _xmllint(tmp_path / KML_FILE)
    assert res.returncode == 0, res.stderr
    marks = ET.parse(tmp_path / KML_FILE).getroot().findall(".//k:Placemark", NS)
    assert len(marks) == len(gps) == counts[KML_FILE]
    by_id = {m.get("id"): m for m in marks}
    for a in gps:
        m = by_id[f"artefact-{a.id}"]
        lon, lat, alt = (float(x) for x in m.findtext("k:Point/k:coordinates", namespaces=NS).split(","))
        assert (lat, lon, alt) == (a.extra["latitude"], a.extra["longitude"], a.extra["altitude"])
        assert m.findtext("k:name", namespaces=NS) == a.file_path.rsplit("/", 1)[-1]
        assert m.findtext("k:TimeStamp/k:when", namespaces=NS) == a.timestamp
        description = m.findtext("k:description", namespaces=NS)
        assert f"path: {a.file_path}" in description and f"sha256: {a.file_sha256}" in description


def test_evidence_filter(case: Path, tmp_path: Path) -> None:
    with open_case(case) as reader:
        export(reader, tmp_path, ExportOptions(evidence_ids=["hostile"]))
    marks = ET.parse(tmp_path / KML_FILE).getroot().findall(".//k:Placemark", NS)
    assert marks and all("exhibit: hostile" in m.findtext("k:description", namespaces=NS) for m in marks)


def test_hostile_text_escaped(tmp_path: Path) -> None:
    hostile = "/x/<script>alert(1)</script>&\"'\x00\x1b]0;\u202egpj.jpg"
    rows = [
        ArtefactRow(id=1, evidence_id="EV<1>&", type="exif_gps", value="51.5,-0.1", plugin="exif",
                    file_path=hostile, timestamp="2024-03-01T14:22:03Z",
                    extra={"latitude": 51.5, "longitude": -0.1, "make": "<b>Evil</b>\x07", "altitude": None}),
        ArtefactRow(id=2, evidence_id="EV", type="exif_gps", value="91.0,0.0", plugin="exif",
                    extra={"latitude": 91.0, "longitude": 0.0}),  # out of range: left out
        ArtefactRow(id=3, evidence_id="EV", type="exif_gps", value="12.25,13.5", plugin="exif", extra=None),
    ]
    marks = [m for m in (placemark(a) for a in rows) if m]
    assert len(marks) == 2
    doc = tmp_path / "t.kml"
    doc.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="{NS["k"]}"><Document>'
                   + "".join(marks) + "</Document></kml>\n", encoding="utf-8")
    res = _xmllint(doc)
    assert res.returncode == 0, res.stderr
    root = ET.parse(doc).getroot()
    first = root.find(".//k:Placemark", NS)
    # the name is the last path component ("</script>" holds a slash)
    assert first.findtext("k:name", namespaces=NS) == "script>&\"'\\x00\\x1b]0;\u202egpj.jpg"
    assert f"path: {hostile}".replace("\x00", "\\x00").replace("\x1b", "\\x1b") in first.findtext(
        "k:description", namespaces=NS)
    assert "exhibit: EV<1>&" in first.findtext("k:description", namespaces=NS)
    assert "<script>" not in doc.read_text(encoding="utf-8")
    assert root.findall(".//k:Placemark", NS)[1].findtext("k:Point/k:coordinates", namespaces=NS) == "13.5,12.25"
    assert xml_text("a\ud800b") == "a\\xed\\xa0\\x80b"
