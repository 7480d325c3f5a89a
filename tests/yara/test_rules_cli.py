"""`triage rules check`: per-file output, summary line and exit code."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from triage.commands.rules import rules_group


def test_rules_check_ok_and_error(tmp_path: Path) -> None:
    d = tmp_path / "r"
    d.mkdir()
    (d / "good.yar").write_text('rule g { strings: $a = "x" condition: $a }\nrule h { condition: true }')
    r = CliRunner().invoke(rules_group, ["check", str(d)])
    assert r.exit_code == 0 and "OK    " in r.output and r.output.strip().endswith("1 files, 2 rules, 0 errors")
    (d / "bad.yar").write_text("rule b {\n condition:\n  nope }\n")
    r = CliRunner().invoke(rules_group, ["check", str(d)])
    assert r.exit_code == 1
    assert f"ERROR {d / 'bad.yar'}:3: " in r.output
    assert r.output.strip().endswith("2 files, 2 rules, 1 errors")


def test_rules_check_bundled_by_default() -> None:
    r = CliRunner().invoke(rules_group, ["check"])
    assert r.exit_code == 0, r.output
    assert "5 files" in r.output and "0 errors" in r.output
