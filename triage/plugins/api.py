"""Moved to :mod:`triage.extractors.api` (plugins: import :mod:`triage.plugin_api`); alias for one release."""

from triage.extractors.api import (HEAD_BYTES, HIT_CONTEXT_BYTES, ContentScanner, FileParser, Hit, Pattern, Plugin,
                                   ReadFile, TreeAnalyser)
from triage.records import Artefact, Entry

__all__ = ["HEAD_BYTES", "HIT_CONTEXT_BYTES", "Artefact", "ContentScanner", "Entry", "FileParser", "Hit", "Pattern",
           "Plugin", "ReadFile", "TreeAnalyser"]
