"""Moved to :mod:`triage.work.distributed`; this path is an alias for one release (the very module, not a copy)."""

import sys

import triage.work.distributed

sys.modules[__name__] = triage.work.distributed
