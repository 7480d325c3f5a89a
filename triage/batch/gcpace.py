"""Moved to :mod:`triage.work.gcpace`; this path is an alias for one release (the very module, not a copy)."""

import sys

import triage.work.gcpace

sys.modules[__name__] = triage.work.gcpace
