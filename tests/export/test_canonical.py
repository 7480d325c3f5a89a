"""The canonical export: the same evidence scanned twice gives the same bytes; nothing of the run is in it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from triage.case.reader import open_case
from triage.export.canonical import DROPPED, TABLES, canonical_lines

IMAGES = FIXTURES / "images"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *args], capture_output=True, text=True)


def _scan(db: Path, *images: str) -> None:
    for image in images:
        res = _run("scan", str(IMAGES / image), "--case", str(db), "--quiet")
        assert res.returncode == 0, res.stderr


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two cases of the same three exhibits: the second scanned in the other order, two workers."""
    a = tmp_path_factory.mktemp("canon-a") / "case.db"
    b = tmp_path_factory.mktemp("canon-b") / "case.db"
    _scan(a, "artefacts.raw", "demo.raw", "exfat.raw")
    for image in ("exfat.raw", "demo.raw", "artefacts.raw"):
        res = _run("scan", str(IMAGES / image), "--case", str(b), "--quiet", "--workers", "2")
        assert res.returncode == 0, res.stderr
    return a, b


def _export(db: Path, out: Path, *extra: str) -> bytes:
    res = _run("export", str(db), "--format", "canonical", "-o", str(out), *extra)
    assert res.returncode == 0, res.stderr
    return (out / "canonical.jsonl").read_bytes()


def test_two_scans_give_byte_identical_dumps(cases: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = cases
    da = _export(a, tmp_path / "a", "--unmasked")
    db = _export(b, tmp_path / "b", "--unmasked")
    assert da == db
    tables = {json.loads(line)["table"] for line in da.splitlines()}
    assert {"evidence", "volumes", "files", "artefacts", "yara_matches", "errors"} <= tables
    # and the cases do differ where the dump says they may: ids, run times, the case's own path
    with open_case(a) as ra, open_case(b) as rb:
        ids_a = [r["id"] for r in ra.iter_table("files", order_by="path")]
        ids_b = [r["id"] for r in rb.iter_table("files", order_by="path")]
        assert ids_a != ids_b
        assert [r["started"] for r in ra.iter_table("runs")] != [r["started"] for r in rb.iter_table("runs")]


def test_nothing_of_the_run_and_no_surrogate_ids(cases: tuple[Path, Path], tmp_path: Path) -> None:
    a, _b = cases
    lines = _export(a, tmp_path / "a").decode("utf-8").splitlines()
    seen_tables = []
    for line in lines:
        obj = json.loads(line)
        assert list(obj) == ["table", "row"]
        row = obj["row"]
        assert not DROPPED & set(row), row
        assert list(row) == sorted(row)
        if obj["table"] == "evidence":
            assert "/" not in row["path"] and row["path"] in ("artefacts.raw", "demo.raw", "exfat.raw")
            assert all("/" not in s for s in row["segments"])
        if not seen_tables or seen_tables[-1] != obj["table"]:
            seen_tables.append(obj["table"])
    assert "runs" not in seen_tables
    assert seen_tables == [t for t in TABLES if t in seen_tables]  # each table once, in the fixed order
    files = [json.loads(x)["row"] for x in lines if json.loads(x)["table"] == "files"]
    assert [(f["evidence_id"], f["entry_key"]) for f in files] == sorted((f["evidence_id"], f["entry_key"])
                                                                          for f in files)
    members = [f for f in files if f["depth"] > 0]
    assert members and all(f["parent_key"] for f in members)  # parent by natural reference
    arts = [json.loads(x)["row"] for x in lines if json.loads(x)["table"] == "artefacts"]
    assert any(r["file_key"] is None and r["volume_addr"] is not None for r in arts)  # unallocated hits


def test_masked_unless_unmasked(cases: tuple[Path, Path], tmp_path: Path) -> None:
    a, _b = cases
    with open_case(a) as reader:
        pans = {r.value for r in reader.iter_artefacts(types=["payment_card"])}
        masked = "".join(canonical_lines(reader))
    assert pans
    assert not any(f'"value":"{p}"' in masked for p in pans)
    whole = _export(a, tmp_path / "u", "--unmasked").decode("utf-8")
    assert all(f'"value":"{p}"' in whole for p in pans)
