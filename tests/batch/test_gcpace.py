"""The collector is paused for a unit's work and collects what the unit left."""

from __future__ import annotations

import gc
import weakref

from triage.batch.gcpace import unit_collection


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_paused_during_a_unit_and_restored() -> None:
    assert gc.isenabled()
    with unit_collection():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with unit_collection():
            pass
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_a_cycle_made_in_a_unit_is_collected_at_its_end() -> None:
    with unit_collection():
        a, b = _Node(), _Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        del a, b
        assert ref() is not None  # a cycle: nothing frees it while paused
    assert ref() is None
