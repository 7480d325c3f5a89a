"""The public plugin API: everything an extractor plugin may import from triage, and nothing else.

A plugin module (the shipped ones under ``plugins/``, installed as
``triage_plugins``; a ``--plugins DIR`` folder; an entry point in the
``triage.plugins`` group) imports from here only, so the machinery behind it
(``triage.extractors``, the scan, the content matcher) can change without
breaking plugins. ``docs/plugins.md`` documents every name.

- The records a plugin returns or is given: :class:`Artefact`, :class:`Entry`.
- Content scanners: :class:`Pattern` (a trigger), :class:`Hit` (a candidate
  given to ``validate``), :data:`HIT_CONTEXT_BYTES`, :data:`HEAD_BYTES`; the
  regex scanner helpers :class:`RegexScanner` (patterns plus a
  ``check_<id>`` method each), :func:`artefact`, :func:`text`.
- The protocols a plugin object satisfies: :class:`ContentScanner`,
  :class:`FileParser`, :class:`TreeAnalyser` (``Plugin`` is any of them), and
  :data:`ReadFile`, the reader a tree analyser is given.
- Registration: :data:`hookimpl`, marking a module's ``triage_extractors()``
  function, which returns the module's plugin objects.
- :func:`quiet_pypdf`: pypdf's complaints about a damaged file silenced.
"""

from __future__ import annotations

from triage.extractors.api import (HEAD_BYTES, HIT_CONTEXT_BYTES, ContentScanner, FileParser, Hit, Pattern, Plugin,
                                   ReadFile, TreeAnalyser)
from triage.extractors.hookspecs import hookimpl
from triage.extractors.quiet import quiet_pypdf
from triage.extractors.regex import RegexScanner, artefact, text
from triage.records import Artefact, Entry

__all__ = [
    "HEAD_BYTES", "HIT_CONTEXT_BYTES", "Artefact", "ContentScanner", "Entry", "FileParser", "Hit", "Pattern",
    "Plugin", "ReadFile", "RegexScanner", "TreeAnalyser", "artefact", "hookimpl", "quiet_pypdf", "text",
]
