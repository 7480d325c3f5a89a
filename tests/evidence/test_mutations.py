"""The seeded mutation suite: damaged copies of the fixture images, each scanned under a time and memory bound.

Every scan must end by itself, exit 0, 1 or 3 (never by a signal, never
with a traceback or an unexpected-exception line), and keep at least the
files The Sleuth Kit CLI (``fls -r -p -o``) still lists on the mutated copy
for every volume whose own bytes were not changed. A few seeds per image
run in ``make test``; ``make fuzz`` runs the same suite with
``TRIAGE_MUTATION_SEEDS`` seeds (tests/evidence/mutations.py makes the
copies).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import rows
from tests.evidence.mutations import (
    CONTAINERS,
    RAW_IMAGES,
    WHOLE_IMAGES,
    Mutation,
    copy_split_without,
    mutate_container,
    mutate_raw,
)

SEEDS = int(os.environ.get("TRIAGE_MUTATION_SEEDS", "3"))
FIRST_SEED = int(os.environ.get("TRIAGE_MUTATION_FIRST_SEED", "0"))
#: seconds a scan of one of these small images may take (they take about one)
TIME_BOUND_S = 120
#: address space of the scanning process (its own and its workers', each)
MEMORY_BOUND = 3 * 1024**3

needs_tsk = pytest.mark.skipif(shutil.which("fls") is None, reason="The Sleuth Kit CLI (fls) not installed")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BOUND, MEMORY_BOUND))


def scan(image: Path, case: Path, workers: int = 1) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "triage", "scan", str(image), "--case", str(case), "--quiet", "--no-yara",
         "--workers", str(workers)],
        capture_output=True, text=True, timeout=TIME_BOUND_S, preexec_fn=_limit_memory,
    )


def assert_ended_cleanly(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode >= 0, f"{what}: killed by signal {-proc.returncode}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, f"{what}: traceback\n{proc.stderr[-3000:]}"
    assert "--debug for details" not in proc.stderr, f"{what}: unexpected exception: {proc.stderr.strip()}"
    assert proc.returncode in (0, 1, 3), f"{what}: exit {proc.returncode}: {proc.stderr.strip()}"
    assert len(proc.stderr.strip().splitlines()) <= 1, f"{what}: more than one line: {proc.stderr}"


def fls_paths(image: Path, offset: int) -> set[str]:
    """What ``fls -r -p -o`` lists at ``offset`` (nothing when it cannot open a file system there)."""
    r = subprocess.run(["fls", "-r", "-p", "-o", str(offset // 512), str(image)], capture_output=True,
                       timeout=TIME_BOUND_S)
    out = set()
    for line in r.stdout.decode("utf-8", "replace").splitlines():
        head, sep, name = line.partition(":\t")
        inode = head.rsplit(" ", 1)[-1].split("-")
        if len(inode) == 3 and inode[1] != "128":
            continue  # an NTFS index attribute ($I30, $O, $Q, $SDH...), not a data stream: not a file
        if sep and name and "\x00" not in name:
            out.add("/" + unicodedata.normalize("NFC", name))
    return out


def case_paths(case: Path, offset: int) -> set[str]:
    if not case.exists():
        return set()
    return {unicodedata.normalize("NFC", r["path"]) for r in rows(
        case, "SELECT f.path FROM files f JOIN volumes v ON v.id = f.volume_id WHERE v.offset = ? "
              "AND f.parent_id IS NULL", (offset,))}


def assert_kept(mut: Mutation, case: Path) -> None:
    for offset in mut.volumes:
        if offset == mut.touched:
            continue
        listed = fls_paths(mut.path, offset)
        # fls shows a control character in a name as '^'; so does nothing here, compare what both can
        missing = {p for p in listed - case_paths(case, offset) if "^" not in p}
        assert not missing, (f"{mut.image} seed {mut.seed} ({mut.what}): volume at {offset} lost "
                             f"{len(missing)} of the {len(listed)} entries fls lists: {sorted(missing)[:5]}")


@needs_tsk
@pytest.mark.parametrize("stem,seed", [(s, n) for s in RAW_IMAGES for n in range(FIRST_SEED, FIRST_SEED + SEEDS)])
def test_mutated_raw_image(stem: str, seed: int, tmp_path: Path) -> None:
    mut = mutate_raw(stem, seed, tmp_path)
    case = tmp_path / "case.db"
    proc = scan(mut.path, case, workers=1 + seed % 2)
    assert_ended_cleanly(proc, f"{stem} seed {seed} ({mut.what})")
    assert_kept(mut, case)


@needs_tsk
@pytest.mark.parametrize("stem,seed", [(s, n) for s in WHOLE_IMAGES
                                       for n in range(FIRST_SEED, FIRST_SEED + max(1, SEEDS // 3))])
def test_mutated_single_file_system(stem: str, seed: int, tmp_path: Path) -> None:
    """exFAT, ext3, ISO9660, HFS+ and FAT12 at offset 0: the one file system is touched, the scan must end."""
    mut = mutate_raw(stem, seed, tmp_path)
    case = tmp_path / "case.db"
    proc = scan(mut.path, case, workers=1 + seed % 2)
    assert_ended_cleanly(proc, f"{stem} seed {seed} ({mut.what})")
    assert_kept(mut, case)


@pytest.mark.parametrize("stem,seed", [(s, n) for s in CONTAINERS for n in range(FIRST_SEED, FIRST_SEED + SEEDS)])
def test_mutated_container(stem: str, seed: int, tmp_path: Path) -> None:
    mut = mutate_container(stem, seed, tmp_path)
    case = tmp_path / "case.db"
    proc = scan(mut.path, case)
    assert_ended_cleanly(proc, f"{stem} seed {seed} ({mut.what})")
    if proc.returncode == 3:
        assert proc.stderr.strip(), "a scan that read nothing says why"
        assert rows(case, "SELECT count(*) AS n FROM errors")[0]["n"] >= 1


def test_ewf_set_with_a_missing_segment_keeps_what_the_others_hold(tmp_path: Path) -> None:
    first = copy_split_without("fat16_mbr_ewfsplit", "E03", tmp_path)
    case = tmp_path / "case.db"
    proc = scan(first, case)
    assert_ended_cleanly(proc, "E01 set without its third segment")
    assert proc.returncode == 0
    opened = [r["message"] for r in rows(case, "SELECT message FROM errors WHERE stage = 'open'")]
    assert any("not used: fat16_mbr_ewfsplit.E04, fat16_mbr_ewfsplit.E05" in m for m in opened)
    assert any("a segment file is missing" in m for m in opened)
    # the FAT and the first directories lie in .E01/.E02: listed; reads past .E02 are recorded
    assert rows(case, "SELECT count(*) AS n FROM files WHERE type = 'regular'")[0]["n"] >= 3
    assert rows(case, "SELECT count(*) AS n FROM errors WHERE stage IN ('read', 'walk', 'unallocated')")[0]["n"]
