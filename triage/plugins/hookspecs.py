"""The one pluggy hook through which plugins register their extractors.

Pluggy is used for discovery and registration only. The pipeline calls each
extractor itself, wrapped per (file, plugin), so one broken plugin cannot hide
another's findings (a pluggy hook call stops at the first raising impl).
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from triage.plugins.api import Plugin

PROJECT = "triage"
ENTRY_POINT_GROUP = "triage.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def triage_plugins() -> Sequence[Plugin]:  # type: ignore[empty-body]
    """Return the extractor objects (content scanners, file parsers, tree analysers) a module provides."""
