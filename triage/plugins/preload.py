"""Moved to :mod:`triage.extractors.preload` (the worker fork server still names this path); alias."""

import triage.extractors.preload  # noqa: F401 - imported for its effect: the shipped plugins loaded once
