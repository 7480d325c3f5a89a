"""Moved to :mod:`triage.job.batch` (``run_batch`` there takes a request; the former one is ``run_items``);
this path is an alias for one release."""

from triage.job.batch import LOG_ERRORS_MAX, ItemReport
from triage.job.batch import run_items as run_batch

__all__ = ["LOG_ERRORS_MAX", "ItemReport", "run_batch"]
