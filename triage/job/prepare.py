"""What every scan job does before any evidence is touched: rules compiled, the engine built, the setup recorded.

One copy for `triage scan` and `triage batch`: when each had its own, they
drifted (a batch did not record the rule files ``--skip-bad-rules`` left out).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from triage.case.writer import CaseWriter, host_versions
from triage.records import ScanError
from triage.scan.engine import ScanEngine, ScanOptions, engine_parts

Warn = Callable[[str], None]  # one line for the examiner (stderr), whatever --quiet says


class JobSetupError(Exception):
    """The job cannot start (rules, plugins, case, scheduler): one line, exit code 4 in the command."""


def default_hashset_db() -> str | None:
    """The shared hash-set database where `triage hashset import` puts it, if there is one."""
    from triage.hashsets.store import default_db_path

    path = default_db_path()
    return str(path) if path.exists() else None


def compile_yara(options: ScanOptions, warn: Warn) -> Any:
    """Compile every rule once, before any evidence is touched; None when YARA is off."""
    if not options.yara:
        return None
    from triage.scan.yara import RuleCompileError, compile_rules

    try:
        compiled = compile_rules([Path(r) for r in options.rules], bundled=options.bundled_rules,
                                 skip_bad=options.skip_bad_rules)
    except RuleCompileError as exc:
        raise JobSetupError(
            f"YARA rules do not compile (use --skip-bad-rules to go on without them): {exc}") from None
    except FileNotFoundError as exc:
        raise JobSetupError(f"rule path not found: {exc}") from None
    for skipped in getattr(compiled, "skipped", []):
        warn(f"warning: skipped rule file {skipped.path}: {skipped.message}")
    return compiled


def build_engine(options: ScanOptions, compiled: Any) -> ScanEngine:
    """The parent's engine (plugins discovered, the matcher built, the hash-set database opened)."""
    from triage.extractors.manager import PluginLoadError

    try:
        parts = engine_parts(options)
    except PluginLoadError as exc:
        raise JobSetupError(str(exc)) from None
    return ScanEngine(options, compiled, parts)


def run_versions(engine: ScanEngine, compiled: Any) -> dict[str, Any]:
    """What the run records of the software that made it: host tools, plugins, rule sources."""
    versions: dict[str, Any] = {**host_versions(), "plugins": engine.plugin_names}
    if compiled is not None:
        versions["yara_rules"] = getattr(compiled, "sources", None)
    return versions


def record_setup(writer: CaseWriter, engine: ScanEngine, compiled: Any) -> None:
    """The setup's own problems, as errors rows of the run: plugins that did not load, rule files skipped."""
    for msg in engine.load_errors:
        writer.record_error(None, None, ScanError("plugin", f"plugin failed to load: {msg}"))
    for skipped in getattr(compiled, "skipped", []) if compiled is not None else []:
        # --skip-bad-rules: the case says which rules did not run
        writer.record_error(None, None, ScanError("yara", f"rule file skipped: {skipped.message}", skipped.path))
