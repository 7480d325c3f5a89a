"""Moved to :mod:`triage.extractors.hookspecs` (plugins: ``from triage.plugin_api import hookimpl``); alias."""

from triage.extractors.hookspecs import (ENTRY_POINT_GROUP, HOOK, OLD_HOOK, PROJECT, hookimpl, hookspec,
                                         triage_extractors, triage_plugins)

__all__ = ["ENTRY_POINT_GROUP", "HOOK", "OLD_HOOK", "PROJECT", "hookimpl", "hookspec", "triage_extractors",
           "triage_plugins"]
