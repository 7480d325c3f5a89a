"""Container detection is by content and segment naming, never by extension."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from triage.evidence.containers import EvidenceError, detect_format, open_evidence

RAW = FIXTURES / "images/fat16_mbr.raw"


def _split(tmp_path: Path, names: list[str]) -> Path:
    data = RAW.read_bytes()
    size = -(-len(data) // len(names))
    for i, name in enumerate(names):
        (tmp_path / name).write_bytes(data[i * size:(i + 1) * size])
    return tmp_path / names[0]


@pytest.mark.parametrize("names", [["xaa", "xab", "xac"], ["disk.001", "disk.002"], ["disk.dd.000", "disk.dd.001"],
                                   ["ev.aa", "ev.ab"]])
def test_split_raw_sets_open_from_their_first_segment(tmp_path: Path, names: list[str]) -> None:
    first = _split(tmp_path, names)
    with open_evidence(first) as opened:
        assert opened.evidence.format == "split_raw"
        assert opened.evidence.size == RAW.stat().st_size
        assert opened.img.read(0, 512) == RAW.read_bytes()[:512]
        assert len(opened.evidence.segments) == len(names)


def test_a_misleading_extension_does_not_change_the_format(tmp_path: Path) -> None:
    disguised = tmp_path / "holiday.E01"
    shutil.copy(RAW, disguised)
    assert detect_format(disguised) == "raw"
    qcow_as_raw = tmp_path / "disk.raw"
    shutil.copy(FIXTURES / "images/fat16_mbr_qcow2.qcow2", qcow_as_raw)
    assert detect_format(qcow_as_raw) == "qcow2"


def test_an_empty_file_or_a_directory_is_refused_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty.raw").write_bytes(b"")
    for target in (tmp_path / "empty.raw", tmp_path):
        with pytest.raises(EvidenceError) as exc:
            open_evidence(target)
        assert "\n" not in str(exc.value)
