"""Moved to :mod:`triage.work.local`; this path is an alias for one release (the very module, not a copy)."""

import sys

import triage.work.local

sys.modules[__name__] = triage.work.local
