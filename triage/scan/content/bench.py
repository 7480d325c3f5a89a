"""A quick throughput figure of the shipped scanners (``python -m triage.scan.content.bench random 64``).

``bench/matcher_bench.py`` is the full before/after measurement.
"""

from __future__ import annotations

import os
import sys
import time

from triage.scan.content.matcher import ContentMatcher

__all__ = ["benchmark"]


def _dense_text(size: int, seed: int = 1) -> bytes:
    import random

    rnd = random.Random(seed)
    parts: list[bytes] = []
    n = 0
    words = [b"payment", b"ref", b"account", b"total", b"the", b"invoice", b"call", b"sent"]
    while n < size:
        k = rnd.randrange(8)
        if k == 0:
            s = b"%s.%s%d@example%d.co.uk" % (rnd.choice(words), rnd.choice(words), rnd.randrange(999),
                                               rnd.randrange(50))
        elif k == 1:
            s = b"07%03d %06d" % (rnd.randrange(1000), rnd.randrange(10**6))
        elif k == 2:
            s = b"%016d" % rnd.randrange(10**16)
        elif k == 3:
            s = b"%d.%d.%d.%d" % tuple(rnd.randrange(256) for _ in range(4))
        elif k == 4:
            s = b"https://www.example.com/p?id=%d" % rnd.randrange(10**6)
        else:
            s = b"%s %d" % (rnd.choice(words), rnd.randrange(10**rnd.randrange(1, 9)))
        parts.append(s)
        parts.append(b" " if rnd.randrange(6) else b"\n")
        n += len(s) + 1
    return b"".join(parts)[:size]


def benchmark(kind: str = "random", size_mib: int = 64, chunk: int = 1 << 20, engine: str | None = None) -> float:
    """MB/s (MiB/s) of the shipped scanners over ``size_mib`` of data.

    ``kind`` is ``random`` (os.urandom) or ``text`` (text dense with
    numbers, e-mails, URLs and IPs). No timing is asserted in tests; run
    ``python -m triage.scan.content.bench random 64`` to measure.
    """
    from triage.extractors.manager import discover

    scanners = discover(entry_points=False).scanners
    m = ContentMatcher(scanners, engine=engine)
    unit = os.urandom(16 << 20) if kind == "random" else _dense_text(16 << 20)
    t0 = time.perf_counter()
    st = m.stream()
    done = 0
    total = size_mib << 20
    while done < total:
        for i in range(0, len(unit), chunk):
            st.feed(unit[i : i + chunk])
        done += len(unit)
    arts, _errs = st.close()
    dt = time.perf_counter() - t0
    print(f"{kind}: {size_mib} MiB in {dt:.2f}s = {size_mib / dt:.1f} MiB/s, {len(arts)} artefacts, engine={m.engine}")
    return size_mib / dt


if __name__ == "__main__":  # pragma: no cover
    benchmark(sys.argv[1] if len(sys.argv) > 1 else "random", int(sys.argv[2]) if len(sys.argv) > 2 else 64)
