"""``triage rules``: lint rule files before a scan depends on them.

Why a separate check: a broken rule file found at scan time either stops the
run or silently drops rules; checking first lets the examiner fix or knowingly
skip it, and the per-file ``file:line: message`` output points at the fault.
"""

from __future__ import annotations

from pathlib import Path

import click

from triage.scan.yara import bundled_rules_dir, check_rules

__all__ = ["rules_group"]


@click.group("rules", help="Check YARA rule files.")
def rules_group() -> None:
    pass


@rules_group.command("check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--bundled/--no-bundled", default=None,
              help="Also check the bundled rule pack (default: only when no PATH is given).")
def check_cmd(paths: tuple[Path, ...], bundled: bool | None) -> None:
    """Compile each rule file under PATH... on its own and report per file.

    Exit status 0 only if every file compiles.
    """
    targets = list(paths)
    if bundled or (bundled is None and not paths):
        targets.insert(0, bundled_rules_dir())
    try:
        results = check_rules(targets)
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if not results:
        raise click.ClickException("no .yar/.yara files found")
    errors = 0
    rules = 0
    for r in results:
        if r.ok:
            rules += r.rule_count
            click.echo(f"OK    {r.path} ({r.rule_count} rules)")
        else:
            errors += 1
            click.echo(f"ERROR {r.message}")
    click.echo(f"{len(results)} files, {rules} rules, {errors} errors")
    if errors:
        raise SystemExit(1)
