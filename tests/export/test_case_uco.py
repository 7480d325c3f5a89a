"""CASE/UCO JSON-LD export: case_validate passes (no warnings allowed), deterministic, cards masked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, scan_case
from triage.case.reader import open_case
from triage.export import ExportOptions
from triage.export.case_uco import export

IMAGES = FIXTURES / "images"
CASE_VALIDATE = Path(sys.executable).with_name("case_validate")


def _scan(image: Path, db: Path, *extra: str) -> None:
    scan_case(image, db, "--no-yara", *extra)


@pytest.fixture(scope="module")
def case_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hostile names + planted cards, banks, e-mail, URLs + an E01 with acquisition metadata, one case."""
    db = tmp_path_factory.mktemp("case_uco") / "case.db"
    _scan(IMAGES / "hostile.raw", db)
    _scan(IMAGES / "artefacts.raw", db)
    _scan(IMAGES / "fat16_mbr_ewf.E01", db, "--verify")
    return db


def _export(db: Path, out: Path, **opts: Any) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with open_case(db) as reader:
        counts: dict[str, int | None] = {}
        paths = export(reader, out, ExportOptions(**opts), counts=counts)
    assert paths == [out / "case.jsonld"]
    assert counts["case.jsonld"] == len(_graph(paths[0]))
    return paths[0]


def _graph(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return doc["@graph"]  # type: ignore[no-any-return]


def _facet(node: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(f for f in node["core:hasFacet"] if f["@type"] == f"observable:{kind}")


@pytest.fixture(scope="module")
def exported(case_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _export(case_db, tmp_path_factory.mktemp("out"))


def test_case_validate_without_allowing_warnings(exported: Path) -> None:
    res = subprocess.run([str(CASE_VALIDATE), str(exported)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert "Conforms: True" in res.stdout


def test_case_validate_is_real(tmp_path: Path) -> None:
    """A node the ontology refuses (a blank-node UcoThing) fails, so the pass above means something."""
    bad = tmp_path / "bad.jsonld"
    bad.write_text(json.dumps({"@context": {"observable": "https://ontology.unifiedcyberontology.org/uco/observable/"},
                               "@graph": [{"@type": "observable:File"}]}), encoding="utf-8")
    res = subprocess.run([str(CASE_VALIDATE), str(bad)], capture_output=True, text=True)
    assert res.returncode != 0


def test_files_images_and_relationships(case_db: Path, exported: Path) -> None:
    graph = _graph(exported)
    by_id = {n["@id"]: n for n in graph}
    assert len(by_id) == len(graph)  # no identifier used twice
    files = [n for n in graph if n["@type"] == "observable:File"]
    with open_case(case_db) as reader:
        rows = list(reader.iter_files())
        evidence = {e.id: e for e in reader.evidence()}
    assert len(files) == len(rows)
    paths = {_facet(n, "FileFacet")["observable:filePath"] for n in files}
    assert paths == {r.path for r in rows}  # hostile names exactly, control characters and markup included
    assert "/docs/line1\nline2\ttab\r.txt" in paths and "/<img src=x onerror=alert(1)>.txt" in paths
    hashed = {r.sha256.upper() for r in rows if r.sha256}
    seen = {h["types:hashValue"]["@value"] for n in files for f in n["core:hasFacet"]
            if f["@type"] == "observable:ContentDataFacet" for h in f["observable:hash"]
            if h["types:hashMethod"] == "SHA256"}
    assert seen == hashed
    contained = {(n["core:source"]["@id"], n["core:target"]["@id"]) for n in graph
                 if n["@type"] == "observable:ObservableRelationship" and n["core:kindOfRelationship"] ==
                 "Contained_Within"}
    sources = {s for s, _ in contained}
    assert all(f["@id"] in sources for f in files)  # every file is within its partition or container
    for s, t in contained:
        assert s in by_id and t in by_id  # nothing points outside the graph
    # a member is within its container file
    member_ids = {n["@id"] for n in files if "!/" in _facet(n, "FileFacet")["observable:filePath"]}
    assert member_ids
    assert any(by_id[t]["@type"] == "observable:File" for s, t in contained if s in member_ids)
    # the E01: image with its acquisition hashes, provenance with the exhibit number, the examiner as performer
    image = next(n for n in graph if n["@type"] == "observable:Image" and n["core:name"] == "fat16_mbr_ewf")
    hashes = {h["types:hashMethod"]: h["types:hashValue"]["@value"]
              for h in _facet(image, "ContentDataFacet")["observable:hash"]}
    ev = evidence["fat16_mbr_ewf"]
    assert hashes == {"MD5": ev.stored_md5.upper(), "SHA1": ev.stored_sha1.upper()}  # type: ignore[union-attr]
    assert _facet(image, "ImageFacet")["observable:imageType"] == "ewf"
    prov = next(n for n in graph if n["@type"] == "investigation:ProvenanceRecord"
                and n["investigation:rootExhibitNumber"] == "fat16_mbr_ewf")
    assert prov["investigation:exhibitNumber"] == "EV-01"
    assert prov["core:object"] == [{"@id": image["@id"]}]
    actions = [n for n in graph if n["@type"] == "investigation:InvestigativeAction"]
    assert len(actions) == 3
    last = actions[-1]
    assert by_id[last["action:performer"]["@id"]]["core:name"] == "Examiner Name"
    assert by_id[last["action:instrument"]["@id"]]["core:name"] == "triage"
    assert last["action:startTime"]["@type"] == "xsd:dateTime" and "action:endTime" in last
    assert last["action:object"] == [{"@id": image["@id"]}]


def test_artefacts_as_observables_cards_masked(case_db: Path, exported: Path, tmp_path: Path) -> None:
    with open_case(case_db) as reader:
        cards = {a.value for a in reader.iter_artefacts(types=["payment_card"])}
        emails = {a.value for a in reader.iter_artefacts(types=["email"])}
        ibans = {a.value for a in reader.iter_artefacts(types=["iban"])}
    assert cards and emails and ibans
    text = exported.read_text(encoding="utf-8")
    for pan in cards:
        assert pan not in text
    graph = _graph(exported)
    shown = {_facet(n, "AccountFacet")["observable:accountIdentifier"] for n in graph
             if n["@type"] == "observable:PaymentCard"}
    assert shown == {p[:6] + "*" * (len(p) - 10) + p[-4:] for p in cards}
    assert {_facet(n, "EmailAddressFacet")["observable:addressValue"] for n in graph
            if n["@type"] == "observable:EmailAddress"} == emails
    assert ibans <= {_facet(n, "AccountFacet")["observable:accountIdentifier"] for n in graph
                     if n["@type"] == "observable:Account"}
    # an artefact is within its file, at its offset
    ranged = [n for n in graph if n["@type"] == "observable:ObservableRelationship" and "core:hasFacet" in n]
    assert ranged and all(_facet(n, "DataRangeFacet")["observable:rangeOffset"]["@value"] >= 0 for n in ranged)
    whole = _export(case_db, tmp_path / "unmasked", unmasked=True).read_text(encoding="utf-8")
    for pan in cards:
        assert pan in whole


def test_deterministic(case_db: Path, exported: Path, tmp_path: Path) -> None:
    again = _export(case_db, tmp_path / "again")
    assert again.read_bytes() == exported.read_bytes()


def test_evidence_selection(case_db: Path, tmp_path: Path) -> None:
    graph = _graph(_export(case_db, tmp_path / "one", evidence_ids=["hostile"]))
    assert [n["core:name"] for n in graph if n["@type"] == "observable:Image"] == ["hostile"]
    assert len([n for n in graph if n["@type"] == "investigation:InvestigativeAction"]) == 1
    by_id = {n["@id"] for n in graph}
    for n in graph:
        if n["@type"] == "observable:ObservableRelationship":
            assert n["core:target"]["@id"] in by_id


def test_cli_round_trip(case_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    res = subprocess.run([sys.executable, "-m", "triage", "export", str(case_db), "--format", "case", "-o", str(out),
                          "--evidence", "fat16_mbr_ewf"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert (out / "case.jsonld").is_file()
    assert shutil.which("sha256sum")
    check = subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    val = subprocess.run([str(CASE_VALIDATE), str(out / "case.jsonld")], capture_output=True, text=True)
    assert val.returncode == 0, val.stdout[-2000:]


def test_tagged_only_stays_closed(case_db: Path, tmp_path: Path) -> None:
    """Only tagged files and their findings, and no relationship to a node left out."""
    db = tmp_path / "tagged.db"
    shutil.copy(case_db, db)
    with open_case(db) as reader:
        member = next(f for f in reader.iter_files() if f.path.endswith("cards.zip!/cards.csv"))
    res = subprocess.run([sys.executable, "-m", "triage", "tag", str(db), "--file-id", str(member.id)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    graph = _graph(_export(db, tmp_path / "t", tagged_only=True))
    files = [n for n in graph if n["@type"] == "observable:File"]
    assert [_facet(n, "FileFacet")["observable:filePath"] for n in files] == [member.path]
    assert any(n["@type"] == "observable:PaymentCard" for n in graph)
    ids = {n["@id"] for n in graph}
    for n in graph:
        if n["@type"] == "observable:ObservableRelationship":
            assert n["core:source"]["@id"] in ids and n["core:target"]["@id"] in ids
