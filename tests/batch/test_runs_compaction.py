"""The walk's allocated block runs are merged as they pile up: same free space, far fewer pairs.

Run on the committed fixture images (artefacts.raw plants findings in free
clusters; ntfs_mbr.raw and ext4_gpt.raw have fragmented and deleted files),
walked for real with The Sleuth Kit.
"""

from __future__ import annotations

import sqlite3
from array import array
from pathlib import Path

import pytest

import triage.job.pipeline as pipeline
from tests.conftest import FIXTURES
from triage.case.writer import CaseWriter
from triage.evidence.containers import open_evidence
from triage.evidence.volumes import list_volumes, open_fs
from triage.evidence.walk import unallocated_ranges, walk_fs
from triage.scan.engine import ScanEngine, ScanOptions
from triage.job.pipeline import compact_runs, scan_item

IMAGES = ["artefacts.raw", "ntfs_mbr.raw", "ext4_gpt.raw", "fat16_mbr.raw", "demo.raw"]


def _walked_runs(image: str) -> list[tuple[array, int, int]]:
    out = []
    with open_evidence(FIXTURES / "images" / image) as opened:
        for vol in list_volumes(opened.img, opened.evidence.id).volumes:
            if not vol.fs_type:
                continue
            fs = open_fs(opened.img, vol.offset)
            runs = array("q")
            for _ in walk_fs(fs, vol.addr, [], runs):
                pass
            out.append((runs, int(fs.info.last_block) + 1, int(fs.info.first_block)))
    return out


@pytest.mark.parametrize("image", IMAGES)
def test_merged_runs_leave_the_same_free_space(image: str) -> None:
    walked = _walked_runs(image)
    assert walked and any(len(r) for r, _, _ in walked)
    for runs, count, first in walked:
        merged = array("q", runs)
        compact_runs(merged)
        assert unallocated_ranges(merged, count, first) == unallocated_ranges(runs, count, first)
        assert len(merged) <= len(runs)
        # merged: sorted, disjoint, not touching
        pairs = list(zip(merged[::2], merged[1::2]))
        assert all(a + n < b for (a, n), (b, _) in zip(pairs, pairs[1:]))
        again = array("q", merged)
        compact_runs(again)
        assert again == merged


def test_overlapping_nested_and_empty_runs_merge() -> None:
    runs = array("q", [10, 5, 0, 3, 12, 1, 3, 2, 20, 0, 15, 5, 40, 2])
    compact_runs(runs)
    assert list(runs) == [0, 5, 10, 10, 40, 2]


def _artefacts(db: Path) -> set[tuple]:
    con = sqlite3.connect(db)
    try:
        return set(con.execute("SELECT type, value, offset, count, extra FROM artefacts WHERE file_id IS NULL"))
    finally:
        con.close()


def test_a_scan_merging_at_every_file_finds_the_same_in_free_space(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    options = ScanOptions(yara=False, tlsh=False, plugins=True)
    found = {}
    for label, at in (("default", pipeline.RUNS_COMPACT_AT), ("every file", 2)):
        monkeypatch.setattr(pipeline, "RUNS_COMPACT_AT", at)
        db = tmp_path / f"{label}.db"
        writer = CaseWriter(db)
        writer.begin_run("test", None, options.as_dict(), {})
        stats = scan_item(FIXTURES / "images" / "artefacts.raw", writer, ScanEngine(options), "ART")
        writer.close()
        assert stats.status != "failed", stats.message
        found[label] = _artefacts(db)
    assert found["default"], "nothing found in free space: the comparison would prove nothing"
    assert found["every file"] == found["default"]
