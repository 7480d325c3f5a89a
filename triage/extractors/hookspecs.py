"""The pluggy hook through which plugin modules register their extractors: ``triage_extractors``.

Pluggy is used for discovery and registration only. The pipeline calls each
extractor itself, wrapped per (file, plugin), so one broken plugin cannot hide
another's findings (a pluggy hook call stops at the first raising impl).

The hook was called ``triage_plugins`` (one underscore from the shipped
package ``triage_plugins``); that name is still honoured, for one release.
"""

from __future__ import annotations

from collections.abc import Sequence

import pluggy

from triage.extractors.api import Plugin

PROJECT = "triage"
ENTRY_POINT_GROUP = "triage.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


#: the hook's name, and the name it had (still honoured for one release)
HOOK = "triage_extractors"
OLD_HOOK = "triage_plugins"


@hookspec
def triage_extractors() -> Sequence[Plugin]:  # type: ignore[empty-body]
    """Return the extractor objects (content scanners, file parsers, tree analysers) a module provides."""


@hookspec
def triage_plugins() -> Sequence[Plugin]:  # type: ignore[empty-body]
    """The former name of :func:`triage_extractors` (deprecated: kept for one release)."""
