"""The job layer: one setup for `triage scan` and `triage batch` (a batch records skipped rule files too), and the
commands calling only it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES
from tests.test_imports import import_graph
from triage.case.reader import open_case

IMAGES = FIXTURES / "images"


def _triage(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _rules(tmp_path: Path) -> Path:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "good.yar").write_text('rule fine { strings: $a = "Quarterly" condition: $a }\n')
    (rules / "broken.yar").write_text('rule broken {\n  strings: $a = "x"\n  condition: $b\n}\n')
    return rules


def test_a_batch_records_the_rule_files_skip_bad_rules_left_out_in_every_case(tmp_path: Path) -> None:
    rules = _rules(tmp_path)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("evidence_id,path,case,examiner\n"
                        f"F12,{IMAGES / 'fat12_floppy.img'},Op Alpha,\n"
                        f"F16,{IMAGES / 'fat16_mbr.raw'},Op Beta,\n")
    out = tmp_path / "cases"
    common = ("--case-dir", out, "--workers", "1", "--rules", rules, "--no-bundled-rules", "--no-plugins", "-q")
    proc = _triage("batch", manifest, *common)
    assert proc.returncode == 4 and "Traceback" not in proc.stderr
    assert "broken.yar" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not list(out.glob("*.db"))  # nothing opened before the rules compiled
    proc = _triage("batch", manifest, *common, "--skip-bad-rules")
    assert proc.returncode == 0, proc.stderr
    assert "warning: skipped rule file" in proc.stderr and "broken.yar" in proc.stderr
    for case in ("Op_Alpha", "Op_Beta"):
        with open_case(out / f"{case}.db") as reader:
            skipped = list(reader.iter_errors(stages=["yara"]))
        assert [e.path and e.path.endswith("broken.yar") for e in skipped] == [True], case
        assert "rule file skipped" in skipped[0].message


def test_a_scan_and_a_batch_record_the_same_setup(tmp_path: Path) -> None:
    """The same rules and evidence through `triage scan` and `triage batch`: the same run-level errors rows."""
    rules = _rules(tmp_path)
    flags = ("--workers", "1", "--rules", rules, "--no-bundled-rules", "--no-plugins", "--skip-bad-rules", "-q")
    scan_case = tmp_path / "scan.db"
    assert _triage("scan", IMAGES / "fat12_floppy.img", "--case", scan_case, *flags).returncode == 0
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"evidence_id,path,case,examiner\nfat12_floppy.img,{IMAGES / 'fat12_floppy.img'},c,\n")
    assert _triage("batch", manifest, "--case-dir", tmp_path / "cases", *flags).returncode == 0

    def setup_rows(db: Path) -> list[tuple[str, str | None, str]]:
        with open_case(db) as reader:
            return sorted((e.stage, e.path, e.message) for e in reader.iter_errors() if e.evidence_id is None)

    assert setup_rows(scan_case) == setup_rows(tmp_path / "cases" / "c.db") != []


def test_the_scan_and_batch_commands_call_the_job_layer_only() -> None:
    """Click-only commands: they reach the job layer, never the pipeline, the executors or the case writer; the job
    layer imports no command and no click."""
    top, inner = import_graph()
    below = ("triage.job.pipeline", "triage.work.local", "triage.work.distributed", "triage.work.units",
             "triage.work.runtime", "triage.case.writer", "triage.batch.runner", "triage.scan.yara",
             "triage.extractors")
    for command in ("triage.commands.scan", "triage.commands.batch"):
        reached = top[command] | inner[command]
        assert any(t.startswith("triage.job") for t in reached), command
        wrong = {t for t in reached if t in below or t.startswith(tuple(b + "." for b in below))}
        assert not wrong, (command, wrong)
    for name in (m for m in top if m.startswith("triage.job")):
        assert not {t for t in top[name] | inner[name] if t.startswith(("triage.commands", "triage.cli"))}, name
    source = "\n".join(p.read_text() for p in (Path(__file__).resolve().parents[2] / "triage" / "job").glob("*.py"))
    assert "import click" not in source


def test_the_engine_is_handed_its_extractors_and_hash_sets_by_the_job(tmp_path: Path) -> None:
    """``ScanEngine`` uses the parts it is given (none here: no extractors, no hash sets, although the options ask
    for plugins); the job's ``build_engine`` opens them, and a plugin set that cannot load is a one-line setup
    error."""
    import pytest

    from triage.job.prepare import JobSetupError, build_engine
    from triage.scan.engine import EngineParts, ScanEngine, ScanOptions, engine_parts

    options = ScanOptions(yara=False, tlsh=False)
    bare = ScanEngine(options, None, EngineParts())
    assert bare.plugin_names == [] and bare.matcher is None and bare.hashsets is None
    parts = engine_parts(options)
    assert parts.plugins is not None and parts.plugins.all
    built = build_engine(options, None)
    assert built.plugin_names == [f"{p.name}@{p.version}" for p in parts.plugins.all]
    with pytest.raises(JobSetupError, match="no-such-plugin"):
        build_engine(ScanOptions(yara=False, enable=["no-such-plugin"]), None)
