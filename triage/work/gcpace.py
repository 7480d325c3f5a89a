"""Python's cyclic garbage collector paced by work units instead of by allocations.

A unit's scan allocates hundreds of thousands of small container objects (a
candidate's tuple, a ``Hit``, artefacts, their ``extra`` dicts, memo
entries). Reference counting frees nearly all of them, but the collector
runs every 700 net allocations and walks whatever happens to be alive at
that moment: the results of the files scanned so far in the unit, a file's
memo. That is work for no garbage: our code makes almost no cycles. On the
bench's gigabyte, runs with and without this pacing differ by about half a
second, with the extractors on or off.

So the collector is paused while a unit is scanned and its result written,
and a young-generation collection runs at the unit's end, when what the
unit made is gone (cycles made during the unit are young, so it finds
them); every :data:`FULL_EVERY` units a full collection catches cycles that
outlived a unit. Memory stays bounded by one unit's objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: a full collection every this many units (cycles that outlived their unit)
FULL_EVERY = 256

_units = 0


@contextmanager
def unit_collection() -> Iterator[None]:
    """Pause the collector for one unit's work; collect what it left when it ends."""
    global _units
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _units += 1
        gc.collect(2 if _units % FULL_EVERY == 0 else 0)
        if was:
            gc.enable()
