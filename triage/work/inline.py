"""The inline executor: ``--workers 1``, every unit run at once in this process."""

from __future__ import annotations

from typing import Any

from triage.scan.engine import ScanEngine
from triage.work.gcpace import unit_collection
from triage.work.runtime import run_unit
from triage.work.units import WorkUnit


class InlineExecutor:
    """Runs each unit at once, in this process, with the caller's engine.

    ``--workers 1``: the same units and the same code as the pools, without
    a second process (and so without crash isolation).
    """

    def __init__(self, engine: ScanEngine) -> None:
        self.engine = engine
        self._uid = 0

    def next_uid(self) -> int:
        self._uid += 1
        return self._uid

    def submit(self, unit: WorkUnit, done: Any) -> None:
        with unit_collection():
            done(run_unit(unit, self.engine.options, None, engine=self.engine))

    def wait(self) -> None:
        return None
