"""Moved to :mod:`triage.extractors.manager`; alias kept for one release."""

from triage.extractors.manager import SHIPPED_PACKAGE, PluginLoadError, PluginSet, discover, import_shipped

__all__ = ["SHIPPED_PACKAGE", "PluginLoadError", "PluginSet", "discover", "import_shipped"]
