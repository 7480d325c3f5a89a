"""Which executor runs a job's work units: this process, the supervised local pool, or a dask cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from triage.job.prepare import JobSetupError
from triage.scan.engine import ScanOptions
from triage.text import one_line
from triage.work.units import UnitExecutor


@contextmanager
def unit_executor(options: ScanOptions, compiled: Any, item_timeout: float | None = None,
                  worker_memory_mb: int | None = None, scheduler: str | None = None) -> Iterator[UnitExecutor | None]:
    """The dask executor for a ``scheduler``, the local pool for more than one worker, else None (inline).

    ``worker_memory_mb``: None sizes each local worker's address space from the machine (on by
    default), 0 sets no limit.
    """
    from triage.work.local import DEFAULT_ITEM_TIMEOUT_S

    timeout = item_timeout or DEFAULT_ITEM_TIMEOUT_S
    if scheduler:
        from triage.work.distributed import DaskExecutor

        try:
            dask = DaskExecutor(scheduler, options, compiled, item_timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise JobSetupError(f"cannot reach the dask scheduler at {scheduler}: {one_line(exc)}") from None
        try:
            yield dask
        finally:
            dask.close()
        return
    if options.workers <= 1:
        yield None
        return
    from triage.work.local import LocalPool, default_memory_limit

    limit = default_memory_limit(options.workers) if worker_memory_mb is None else (
        worker_memory_mb * 1024 * 1024 if worker_memory_mb > 0 else None)
    pool = LocalPool(options.workers, options, compiled, item_timeout=timeout, memory_limit=limit)
    try:
        yield pool
    finally:
        pool.close()
