"""Unallocated space in bounded units: cut pieces find exactly what one pass over the whole range finds."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, MANIFESTS
from triage.batch.units import plan_raw_units
from triage.evidence.containers import open_evidence
from triage.evidence.volumes import list_volumes
from triage.scan.engine import ScanEngine, ScanOptions
from triage.scan.ranges import scan_raw_ranges

MIB = 1024 * 1024
GAP_HIT_AT = 9 * MIB + 4096  # where fixtures/tools/plant_artefacts.py wrote into the unpartitioned gap


def test_small_ranges_are_grouped_and_long_ones_cut_with_overlap() -> None:
    units = plan_raw_units([(0, 10), (100, 20), (1000, 95), (5000, 0), (6000, 30)], unit_bytes=40, overlap=8)
    assert units == [
        (((0, 10), (100, 20)), 0, 0),
        (((1000, 40),), 0, 8),
        (((1040, 40),), 8, 8),
        (((1080, 15),), 8, 0),
        (((6000, 30),), 0, 0),
    ]
    # every byte of every range is in exactly one unit
    covered = sorted((s, n) for rs, _, _ in units for s, n in rs)
    assert sum(n for _, n in covered) == 10 + 20 + 95 + 30


def test_a_hit_across_a_cut_is_found_once_with_its_offset() -> None:
    planted = json.loads((MANIFESTS / "artefacts_planted.json").read_text())
    gap = next(p for p in planted["planted"] if p["location"] == "gap")
    engine = ScanEngine(ScanOptions(yara=False))
    with open_evidence(FIXTURES / "images/artefacts.raw") as opened:
        vol = next(v for v in list_volumes(opened.img, "ART").volumes
                   if v.kind == "unallocated" and v.offset <= GAP_HIT_AT < v.offset + v.length)
        whole, errs = scan_raw_ranges(opened.img, engine, vol.addr, vol.offset, [(vol.offset, vol.length)])
        assert errs == []
        target = next(a for a in whole if a.type == gap["type"] and a.value == gap["value"])
        cut_at = vol.offset + target.offset + 5  # inside the planted value
        units = plan_raw_units([(vol.offset, vol.length)], unit_bytes=cut_at - vol.offset, overlap=4096)
        assert len(units) > 1
        pieces = []
        for ranges, lead, tail in units:
            found, errs = scan_raw_ranges(opened.img, engine, vol.addr, vol.offset, list(ranges), lead, tail)
            assert errs == []
            pieces.extend(found)

    def hits(arts: list) -> list[tuple[str, str, int]]:
        return sorted((a.type, a.value, a.offset) for a in arts)

    assert hits(pieces) == hits(whole)
    assert [a.offset for a in pieces if a.value == gap["value"]] == [target.offset]
    assert all(a.extra["source"] == "unallocated" and "region" in a.extra for a in pieces)
