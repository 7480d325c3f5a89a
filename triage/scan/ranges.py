"""The content matcher over byte ranges of the media (unallocated space, a partition TSK cannot read).

What a raw work unit does, wherever it runs: read each range (skipping long
zero stretches), match, keep the hits that start inside it, aggregate. It
touches neither the case nor the pipeline that planned the ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from triage.records import Artefact, ScanError
from triage.scan.engine import ScanEngine
from triage.text import one_line

#: unallocated space is read in runs of at most this many bytes
UNALLOC_CHUNK_BYTES = 4 * 1024 * 1024


def _strict_read(img: Any, size: int) -> Callable[[int, int], bytes]:
    """``img.read`` that raises where the media cannot be read (the container returns a short read there)."""
    def read(pos: int, n: int) -> bytes:
        data = img.read(pos, n)
        if len(data) < n and pos + len(data) < size:
            raise OSError(f"media unreadable at {pos + len(data)}")
        return data

    return read


def scan_raw_ranges(img: Any, engine: ScanEngine, volume_addr: int, volume_offset: int,
                    ranges: list[tuple[int, int]], lead: int = 0,
                    tail: int = 0) -> tuple[list[Artefact], list[ScanError]]:
    """The content matcher over byte ranges of the media, without touching the case.

    Each range is read with ``lead`` bytes before it and ``tail`` after it
    (a piece of a longer range: see ``plan_raw_units``) and keeps the hits
    that start inside it. Artefacts are aggregated per range, their
    ``extra`` naming the range (``region``: its volume offset; rows are one
    per value and range), and returned in range order (writing them in that
    order gives the same rows wherever this ran).
    """
    if engine.matcher is None:
        return [], []
    from dataclasses import replace

    from triage.scan.engine import aggregate_artefacts
    from triage.scan.zero_skip import MediaReadError, scan_skipping_zeros

    size = img.get_size()
    out: list[Artefact] = []
    errs: list[ScanError] = []
    for start, length in ranges:
        length = max(0, min(length, size - start))
        if length == 0:
            continue
        first = max(0, start - lead)
        last = min(size, start + length + tail)
        # every hit, not folded: a value's first copy may lie in the lead
        try:
            segments = scan_skipping_zeros(_strict_read(img, size), first, last, engine.matcher.stream,
                                           engine.matcher.context_span, UNALLOC_CHUNK_BYTES)
        except MediaReadError as exc:
            errs.append(ScanError("unallocated", f"read failed at {exc.offset}: {one_line(exc)}",
                                  volume_addr=volume_addr, offset=exc.offset - volume_offset))
            continue
        except Exception as exc:  # the matcher itself: recorded, the other ranges go on
            errs.append(ScanError("unallocated", f"content scan failed in [{first}, {last}): {one_line(exc)}",
                                  volume_addr=volume_addr, offset=first - volume_offset))
            continue
        region = start - volume_offset
        shifted: list[Artefact] = []
        for seg_start, artefacts, errors in segments:
            base = seg_start - volume_offset
            lo, hi = start - seg_start, start - seg_start + length
            shifted.extend(replace(a, offset=(a.offset or 0) + base,
                                   extra={**a.extra, "source": "unallocated", "region": region})
                           for a in artefacts if lo <= (a.offset or 0) < hi)
            errs.extend(e if e.offset is None else replace(e, offset=e.offset + base) for e in errors)
        out.extend(aggregate_artefacts(shifted))
    return out, errs
