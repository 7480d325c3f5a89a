"""Discovery: the shipped ``plugins/`` folder, ``--plugins DIR`` and entry points.

A module registers by defining a ``triage_extractors`` hook implementation
(``from triage.plugin_api import hookimpl``; the former hook name
``triage_plugins`` still works for one release). Everything here is
pluggy's own machinery; the only code of ours is loading a folder's modules
by path, which entry points cannot do.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import pkgutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pluggy

from triage.extractors import hookspecs
from triage.extractors.api import ContentScanner, FileParser, Plugin, TreeAnalyser

log = logging.getLogger(__name__)

SHIPPED_PACKAGE = "triage_plugins"


class PluginLoadError(Exception):
    """A plugin module that cannot be imported or registered."""


@dataclass(frozen=True)
class PluginSet:
    """The extractors enabled for one scan, split by kind."""

    scanners: tuple[ContentScanner, ...]
    parsers: tuple[FileParser, ...]
    analysers: tuple[TreeAnalyser, ...]
    load_errors: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[Plugin, ...]:
        return (*self.scanners, *self.parsers, *self.analysers)


def _manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def _register_module(pm: pluggy.PluginManager, module: object, name: str) -> None:
    if pm.is_registered(module) or pm.get_plugin(name) is not None:
        return
    pm.register(module, name=name)


def _load_folder(pm: pluggy.PluginManager, folder: Path, errors: list[str]) -> None:
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        mod_name = f"triage_user_plugins.{folder.name}.{path.stem}"
        try:
            spec = importlib.util.spec_from_file_location(mod_name, path)
            if spec is None or spec.loader is None:
                raise PluginLoadError(f"cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            spec.loader.exec_module(module)
            _register_module(pm, module, mod_name)
        except Exception as exc:  # a broken user plugin must not stop the others
            errors.append(f"{path}: {type(exc).__name__}: {exc}")


def import_shipped(errors: list[str]) -> list[tuple[str, object]]:
    """The shipped plugin modules, imported: ``(name, module)``; failures go to ``errors``."""
    try:
        package = importlib.import_module(SHIPPED_PACKAGE)
    except ImportError as exc:
        errors.append(f"shipped plugins not installed: {exc}")
        return []
    modules: list[tuple[str, object]] = []
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{SHIPPED_PACKAGE}."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        try:
            modules.append((info.name, importlib.import_module(info.name)))
        except Exception as exc:
            errors.append(f"{info.name}: {type(exc).__name__}: {exc}")
    return modules


def _load_shipped(pm: pluggy.PluginManager, errors: list[str]) -> None:
    for name, module in import_shipped(errors):
        try:
            _register_module(pm, module, name)
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")


def discover(
    extra_dirs: Iterable[Path] = (),
    enable: Sequence[str] = (),
    disable: Sequence[str] = (),
    shipped: bool = True,
    entry_points: bool = True,
) -> PluginSet:
    """Find every plugin, then keep those enabled.

    ``enable`` (when given) keeps only the named plugins; ``disable`` drops
    names. Names are the plugins' ``name`` attributes.
    """
    errors: list[str] = []
    pm = _manager()
    if shipped:
        _load_shipped(pm, errors)
    for folder in extra_dirs:
        if not Path(folder).is_dir():
            raise PluginLoadError(f"plugin folder not found: {folder}")
        _load_folder(pm, Path(folder), errors)
    if entry_points:
        try:
            pm.load_setuptools_entrypoints(hookspecs.ENTRY_POINT_GROUP)
        except Exception as exc:
            errors.append(f"entry points: {type(exc).__name__}: {exc}")

    plugins: list[Plugin] = []
    seen: set[str] = set()
    impls = [(hookspecs.HOOK, i) for i in pm.hook.triage_extractors.get_hookimpls()]
    impls += [(hookspecs.OLD_HOOK, i) for i in pm.hook.triage_plugins.get_hookimpls()]
    for hook, impl in impls:
        try:
            provided: Sequence[Plugin] = impl.function()  # type: ignore[operator,assignment]
        except Exception as exc:
            errors.append(f"{impl.plugin_name}: {hook}() raised {type(exc).__name__}: {exc}")
            continue
        for plugin in provided:
            if plugin.name in seen:
                errors.append(f"{impl.plugin_name}: duplicate plugin name {plugin.name!r} ignored")
                continue
            seen.add(plugin.name)
            plugins.append(plugin)

    unknown = [n for n in (*enable, *disable) if n not in seen]
    if unknown:
        raise PluginLoadError(f"unknown plugin name(s): {', '.join(unknown)}")
    if enable:
        plugins = [p for p in plugins if p.name in enable]
    plugins = [p for p in plugins if p.name not in disable]
    plugins.sort(key=lambda p: p.name)
    for msg in errors:
        log.warning("plugin load: %s", msg)
    return PluginSet(
        scanners=tuple(p for p in plugins if p.kind == "content"),  # type: ignore[misc]
        parsers=tuple(p for p in plugins if p.kind == "file"),  # type: ignore[misc]
        analysers=tuple(p for p in plugins if p.kind == "tree"),  # type: ignore[misc]
        load_errors=tuple(errors),
    )
