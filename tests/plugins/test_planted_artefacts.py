"""Recall and precision on the planted-artefacts image: every planted artefact found where it was put, no decoy.

The image (fixtures/images/artefacts.*, built by fixtures/build.sh from
fixtures/tools/plant_artefacts.py) holds valid artefacts in live files, a
deleted file, a ZIP member, a gzip stream, UTF-16LE text, free clusters,
the unpartitioned gap, PDF page text, decoded e-mail parts and numbers split
across Word runs, with near-miss decoys beside them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, MANIFESTS, rows
from triage.case.writer import CaseWriter
from triage.scan.engine import ScanEngine, ScanOptions
from triage.job.pipeline import scan_item

PLANTED = json.loads((MANIFESTS / "artefacts_planted.json").read_text())
OPTIONS = ScanOptions(yara=False, tlsh=False)


@pytest.fixture(scope="module", params=PLANTED["images"], ids=lambda p: Path(p).suffix.lstrip("."))
def scanned(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("planted") / "case.db"
    writer = CaseWriter(db)
    writer.begin_run("test", None, OPTIONS.as_dict(), {})
    stats = scan_item(FIXTURES / request.param, writer, ScanEngine(OPTIONS), "ART")
    writer.close()
    assert stats.status != "failed", stats.message
    return db


def _found(db: Path, kind: str, value: str) -> list:
    return rows(db, "SELECT a.*, f.deleted AS f_deleted, f.parent_id AS f_parent, f.path AS f_path "
                    "FROM artefacts a LEFT JOIN files f ON f.id = a.file_id WHERE a.type = ? AND a.value = ?",
                (kind, value))


def test_every_planted_artefact_is_found_in_its_location(scanned: Path) -> None:
    missing = []
    for p in PLANTED["planted"]:
        hits = _found(scanned, p["type"], p["value"])
        where = {
            "live": lambda r: r["file_id"] is not None and not r["f_deleted"] and r["f_parent"] is None,
            "deleted": lambda r: r["file_id"] is not None and r["f_deleted"] == 1,
            "zip": lambda r: r["f_parent"] is not None and ".zip!/" in r["f_path"],
            "gzip": lambda r: r["f_parent"] is not None and ".gz!/" in r["f_path"],
            "utf16": lambda r: r["encoding"] == "utf-16le",
            "unallocated": lambda r: r["file_id"] is None,
            "gap": lambda r: r["file_id"] is None,
            # derived members: a PDF's page text, a decoded MIME part (or a member of one), a Word file's text
            "pdf": lambda r: r["f_parent"] is not None and r["f_path"].endswith(".pdf!/(text)"),
            "mail": lambda r: r["f_parent"] is not None and (".eml!/message-" in r["f_path"]
                                                             or ".mbox!/message-" in r["f_path"]),
            "docx_runs": lambda r: r["f_parent"] is not None and r["f_path"].endswith(".docx!/(text)"),
        }[p["location"]]
        if not any(where(h) for h in hits):
            missing.append(f"{p['type']} {p['value']} ({p['location']}; found elsewhere: {len(hits)})")
    assert not missing, "recall < 1.0:\n" + "\n".join(missing)


def test_no_decoy_is_reported(scanned: Path) -> None:
    reported = [f"{d['type']} {d['value']}" for d in PLANTED["decoys"] if _found(scanned, d["type"], d["value"])]
    assert not reported


def test_unallocated_hits_carry_volume_offsets(scanned: Path) -> None:
    gap = [p for p in PLANTED["planted"] if p["location"] == "gap"][0]
    hit = _found(scanned, gap["type"], gap["value"])
    hit = [h for h in hit if h["file_id"] is None][0]
    vol = rows(scanned, "SELECT * FROM volumes WHERE id = ?", (hit["volume_id"],))[0]
    assert vol["kind"] == "unallocated"
    # the gap fixture was written at media offset 9 MiB + 4096
    assert vol["offset"] <= 9 * 1024 * 1024 + 4096 < vol["offset"] + vol["length"]
    assert vol["offset"] + hit["offset"] >= 9 * 1024 * 1024 + 4096
    free = [p for p in PLANTED["planted"] if p["location"] == "unallocated"][0]
    hit = [h for h in _found(scanned, free["type"], free["value"]) if h["file_id"] is None][0]
    vol = rows(scanned, "SELECT * FROM volumes WHERE id = ?", (hit["volume_id"],))[0]
    assert vol["fs_type"] == "fat16"
    assert 7 * 1024 * 1024 <= hit["offset"] < 7 * 1024 * 1024 + 4096
