"""bench/gen_rules.py writes a deterministic rule set that compiles with our externals."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from triage.scan.yara import check_rules

GEN = Path(__file__).resolve().parents[2] / "bench" / "gen_rules.py"


def _load():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("gen_rules", GEN)
    mod = importlib.util.module_from_spec(spec)
    assert spec.loader
    spec.loader.exec_module(mod)
    return mod


def test_generator_deterministic_and_compiles(tmp_path: Path) -> None:
    gen = _load()
    assert gen.generate(tmp_path / "a", files=5, rules_per_file=4) == 20
    gen.generate(tmp_path / "b", files=5, rules_per_file=4)
    a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.yar"))
    assert a == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.yar"))
    for rel in a:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    results = check_rules([tmp_path / "a"])
    assert all(r.ok for r in results) and sum(r.rule_count for r in results) == 20
