"""How many workers a scan starts by default: the one answer every caller uses."""

from __future__ import annotations

import os


def default_workers() -> int:
    """The cores this process may run on, at least 1.

    Why the affinity and not ``os.cpu_count()``: a lab server shares its cores
    by pinning (``taskset``, a container's or a batch scheduler's cpuset), and
    a scan pinned to 4 of 64 cores that started 64 workers would spend its time
    switching between them. Where the affinity cannot be read, every core.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)
