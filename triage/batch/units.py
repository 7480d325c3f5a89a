"""Moved to :mod:`triage.work.units` (the units), :mod:`triage.work.runtime` (what runs them) and
:mod:`triage.work.inline`; this path is an alias for one release."""

from triage.work.cpu import default_workers as cpu_count
from triage.work.inline import InlineExecutor
from triage.work.runtime import run_unit, scan_unit, worker_state
from triage.work.units import (
    RAW_OVERLAP_BYTES,
    RAW_UNIT_BYTES,
    UNIT_MAX_BYTES,
    UNIT_MAX_ENTRIES,
    UnitResult,
    WorkItem,
    WorkUnit,
    failed_outcome,
    plan_raw_units,
    split_unit,
)

__all__ = ["RAW_OVERLAP_BYTES", "RAW_UNIT_BYTES", "UNIT_MAX_BYTES", "UNIT_MAX_ENTRIES", "InlineExecutor",
           "UnitResult", "WorkItem", "WorkUnit", "cpu_count", "failed_outcome", "plan_raw_units", "run_unit",
           "scan_unit", "split_unit", "worker_state"]
