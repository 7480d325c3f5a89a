"""`triage plugins`: what extractors are installed and what they emit."""

from __future__ import annotations

import json
from pathlib import Path

import click

from triage.commands.common import SetupError, out
from triage.extractors.manager import PluginLoadError, discover


@click.command("plugins")
@click.option("--plugins", "plugin_dirs", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extra folder of plugin modules (repeatable).")
@click.option("--json", "as_json", is_flag=True)
def plugins_cmd(plugin_dirs: tuple[Path, ...], as_json: bool) -> None:
    """List every plugin with its name, version, kind and the artefact types it emits."""
    try:
        found = discover(extra_dirs=list(plugin_dirs))
    except PluginLoadError as exc:
        raise SetupError(str(exc)) from None
    rows = [{"name": p.name, "version": p.version, "kind": p.kind, "emits": list(p.emits),
             "module": type(p).__module__} for p in found.all]
    if as_json:
        out(json.dumps({"plugins": rows, "load_errors": list(found.load_errors)}, indent=2))
        return
    width = max([len(r["name"]) for r in rows] + [4])
    out(f"{'name':<{width}}  {'version':<8} {'kind':<8} emits")
    for r in rows:
        out(f"{r['name']:<{width}}  {r['version']:<8} {r['kind']:<8} {', '.join(r['emits'])}")
    for err in found.load_errors:
        out(f"load error: {err}")
