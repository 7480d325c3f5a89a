"""Throughput of the content matcher against hashing, on deterministic corpora.

    .venv/bin/python bench/matcher_bench.py [--size-mib 64] [--reps 3]
                                            [--corpus random,text,demo,zeros]
                                            [--baseline DIR]

Corpora (all generated from fixed seeds, nothing downloaded):

* ``random``: ``--size-mib`` of seeded pseudo-random bytes (binary data,
  unallocated space).
* ``text``: ``--size-mib`` of realistic mixed text: prose paragraphs, CSV
  rows, log lines (numbers, dates, amounts, file names, host names), with
  about one valid artefact planted per 4 KiB (cards, IBANs, e-mails, phones,
  URLs, IPs, BTC/ETH addresses, NINOs, combo lines), some of it UTF-16LE.
* ``zeros``: ``--size-mib`` of mostly zero bytes (unallocated space, sparse
  files, SQLite pages) with a little text and UTF-16LE text every 64 KiB or
  so, at odd and even offsets.
* ``demo``: the files of ``fixtures/content/demo`` (the content of
  ``fixtures/images/demo.raw``), each scanned as its own stream, repeated
  until about 16 MiB have been scanned (per-file costs show here).

For each corpus it prints MB/s (MiB/s) of: hashing alone (md5 + sha1 +
sha256), the matcher alone, hashing + matcher in the same loop, and the
ratio (hash+matcher)/(hash alone) - the "extractors on vs off" ratio when
hashing is the rest of the per-file work. Chunks are 1 MiB, like the scan
pipeline. Every measurement is repeated ``--reps`` times, interleaved, and
the best is kept (the machine is shared: best-of is the least noisy).

``--baseline DIR`` also measures a saved copy of the engine for a before /
after table from one run: DIR holds ``matcher.py`` (an older
one-file ``triage/plugins/matcher.py``, from before its split into
``triage/scan/content/``) and optionally ``patterns.py`` defining
``PATTERNS = {scanner_name: (Pattern, ...)}`` (older pattern definitions,
same ids; the shipped validators are reused).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from triage.extractors.manager import discover  # noqa: E402
from triage.scan.content import ContentMatcher  # noqa: E402
from triage_plugins._codecs import luhn_check_digit  # noqa: E402

CHUNK = 1 << 20
MiB = 1 << 20

# -- corpora ---------------------------------------------------------------------


def random_bytes(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


_WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so what no out up into do more time only can "
    "report meeting project budget quarter review customer order invoice payment delivery contract schedule team "
    "account manager please attached find regards thanks update status issue client service support office data "
    "system network server backup file folder document draft final version notes summary agenda minutes action"
).split()
_FIRST = "james mary john patricia robert jennifer michael linda david sarah emma oliver amelia harry jack".split()
_LAST = "smith jones taylor brown williams wilson johnson davies robinson wright thompson evans walker white".split()
_EXT = "txt pdf docx xlsx csv log jpg png zip tmp dat".split()
_LEVELS = ("INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR")


def _luhn_complete(prefix: str, length: int, rnd: random.Random) -> str:
    body = prefix + "".join(str(rnd.randrange(10)) for _ in range(length - len(prefix) - 1))
    return body + luhn_check_digit(body)


def _iban(rnd: random.Random) -> str:
    bban = "WEST" + "".join(str(rnd.randrange(10)) for _ in range(14))
    num = "".join(str(int(c, 36)) for c in bban + "GB00")
    check = 98 - int(num) % 97
    s = f"GB{check:02d}{bban}"
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4)) if rnd.randrange(2) else s


_PLANTED_FIXED = (
    "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "JG103759A",
    "AKIAIOSFODNN7EXAMPLE",
)


def _artefact(rnd: random.Random) -> str:
    k = rnd.randrange(10)
    if k == 0:
        card = _luhn_complete(rnd.choice(("4", "51", "55", "4000")), 16, rnd)
        return " ".join(card[i : i + 4] for i in range(0, 16, 4)) if rnd.randrange(2) else card
    if k == 1:
        return _iban(rnd)
    if k == 2:
        return f"{rnd.choice(_FIRST)}.{rnd.choice(_LAST)}@example{rnd.randrange(9)}.co.uk"
    if k == 3:
        return f"020 7946 {rnd.randrange(10000):04d}"
    if k == 4:
        return f"https://www.example.org/{rnd.choice(_WORDS)}/{rnd.randrange(10**6)}?ref={rnd.choice(_WORDS)}"
    if k == 5:
        return f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
    if k == 6:
        return f"\n{rnd.choice(_FIRST)}{rnd.randrange(99)}@mail.example.com:Pa55w{rnd.randrange(10**4)}!\n"
    return rnd.choice(_PLANTED_FIXED)


def _sentence(rnd: random.Random) -> str:
    n = rnd.randrange(6, 18)
    s = " ".join(rnd.choice(_WORDS) for _ in range(n))
    if rnd.randrange(4) == 0:
        s += f" {rnd.randrange(1, 500)} items"
    if rnd.randrange(6) == 0:
        s += f" see {rnd.choice(_WORDS)}_{rnd.randrange(100)}.{rnd.choice(_EXT)}"
    return s.capitalize() + rnd.choice((". ", ". ", ", ", "; ", "? "))


def _csv_row(rnd: random.Random, i: int) -> str:
    return (
        f"{i},{rnd.choice(_FIRST).title()},{rnd.choice(_LAST).title()},"
        f"2024-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d},{rnd.randrange(1, 99999) / 100:.2f},"
        f"{rnd.choice(_WORDS)},{rnd.randrange(1000, 9999)}\n"
    )


def _log_line(rnd: random.Random) -> str:
    return (
        f"2024-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d} {rnd.randrange(24):02d}:{rnd.randrange(60):02d}:"
        f"{rnd.randrange(60):02d}.{rnd.randrange(1000):03d} {rnd.choice(_LEVELS)} [{rnd.choice(_WORDS)}] "
        f"{' '.join(rnd.choice(_WORDS) for _ in range(rnd.randrange(3, 9)))} pid={rnd.randrange(100, 65000)} "
        f"t={rnd.randrange(1, 5000)}ms\n"
    )


def mixed_text(size: int, seed: int = 2, per: int = 4096) -> bytes:
    """Documents, CSVs and logs with ~1 valid artefact per ``per`` bytes; ~1/16 of blocks UTF-16LE."""
    rnd = random.Random(seed)
    out: list[bytes] = []
    n = 0
    row = 0
    while n < size:
        parts: list[str] = []
        m = 0
        kind = rnd.randrange(3)
        while m < per:
            if kind == 0:
                s = "".join(_sentence(rnd) for _ in range(rnd.randrange(3, 8))) + "\n\n"
            elif kind == 1:
                row += 1
                s = _csv_row(rnd, row)
            else:
                s = _log_line(rnd)
            parts.append(s)
            m += len(s)
        parts.insert(rnd.randrange(len(parts) + 1), f" {_artefact(rnd)} ")
        block = "".join(parts)
        b = block.encode("utf-16le") if rnd.randrange(16) == 0 else block.encode("ascii")
        out.append(b)
        n += len(b)
    return b"".join(out)[:size]


def mostly_zeros(size: int, seed: int = 3, every: int = 65536) -> bytes:
    """Zero bytes with a short text or UTF-16LE text (some with an artefact) about every ``every`` bytes."""
    rnd = random.Random(seed)
    out = bytearray(size)
    for p in range(rnd.randrange(every), size - 512, every):
        s = _sentence(rnd) + (f" {_artefact(rnd)} " if rnd.randrange(2) else "")
        b = s.encode("utf-16le") if rnd.randrange(2) else s.encode("ascii")
        p += rnd.randrange(every // 2)
        b = b[: size - p]
        out[p : p + len(b)] = b
    return bytes(out)


def demo_files() -> list[bytes]:
    base = ROOT / "fixtures" / "content" / "demo"
    return [p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()]


# -- measurement -----------------------------------------------------------------


def load_baseline(d: Path):
    """(ContentMatcher class, scanners) of a saved engine copy in ``d``."""
    spec = importlib.util.spec_from_file_location("_baseline_matcher", d / "matcher.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    scanners = discover(entry_points=False).scanners
    if (d / "patterns.py").exists():
        spec = importlib.util.spec_from_file_location("_baseline_patterns", d / "patterns.py")
        pm = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(pm)  # type: ignore[union-attr]
        wrapped = []
        for s in scanners:
            if s.name in pm.PATTERNS:
                w = type("Old" + type(s).__name__, (type(s),), {"patterns": pm.PATTERNS[s.name]})()
                wrapped.append(w)
            else:
                wrapped.append(s)
        scanners = wrapped
    return mod.ContentMatcher, scanners


def run(files: list[bytes], matcher, hashing: bool) -> tuple[float, int]:
    total = 0
    found = 0
    t0 = time.perf_counter()
    for data in files:
        if hashing:
            hs = (hashlib.md5(), hashlib.sha1(), hashlib.sha256())
        st = matcher.stream() if matcher is not None else None
        mv = memoryview(data)
        for i in range(0, len(data), CHUNK):
            chunk = mv[i : i + CHUNK]
            if hashing:
                for h in hs:
                    h.update(chunk)
            if st is not None:
                st.feed(bytes(chunk))
        if hashing:
            for h in hs:
                h.digest()
        if st is not None:
            arts, _ = st.close()
            found += len(arts)
        total += len(data)
    return total / MiB / (time.perf_counter() - t0), found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=64)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--corpus", default="random,text,demo,zeros")
    ap.add_argument("--baseline", type=Path, help="directory with a saved matcher.py (and patterns.py)")
    args = ap.parse_args()

    engines = {"new": ContentMatcher(discover(entry_points=False).scanners)}
    if args.baseline:
        cls, sc = load_baseline(args.baseline)
        engines = {"old": cls(sc), **engines}
    size = args.size_mib * MiB
    for name in args.corpus.split(","):
        t = time.perf_counter()
        if name == "random":
            files = [random_bytes(size)]
        elif name == "text":
            files = [mixed_text(size)]
        elif name == "zeros":
            files = [mostly_zeros(size)]
        elif name == "demo":
            one = demo_files()
            files = one * max(1, (16 * MiB) // sum(map(len, one)))
        else:
            raise SystemExit(f"unknown corpus {name!r}")
        mib = sum(map(len, files)) / MiB
        print(f"\n## {name}: {mib:.1f} MiB in {len(files)} stream(s) (generated in {time.perf_counter() - t:.1f}s)")
        best: dict[str, float] = {}
        arts: dict[str, int] = {}
        for _ in range(args.reps):  # interleaved: hash, then each engine alone and with hashing
            r, _n = run(files, None, True)
            best["hash"] = max(best.get("hash", 0.0), r)
            for en, m in engines.items():
                r, n = run(files, m, False)
                best[f"{en}:matcher"] = max(best.get(f"{en}:matcher", 0.0), r)
                arts[en] = n
                r, _n = run(files, m, True)
                best[f"{en}:hash+matcher"] = max(best.get(f"{en}:hash+matcher", 0.0), r)
        print(f"{'engine':8s} {'hash MiB/s':>11s} {'matcher MiB/s':>14s} {'hash+matcher':>13s} "
              f"{'ratio':>6s} {'artefacts':>10s}")
        for en in engines:
            print(
                f"{en:8s} {best['hash']:11.1f} {best[en + ':matcher']:14.1f} {best[en + ':hash+matcher']:13.1f} "
                f"{best[en + ':hash+matcher'] / best['hash']:6.2f} {arts[en]:10d}"
            )
        if "old" in engines:
            print(f"speed-up new/old: matcher {best['new:matcher'] / best['old:matcher']:.2f}x, "
                  f"hash+matcher {best['new:hash+matcher'] / best['old:hash+matcher']:.2f}x")


if __name__ == "__main__":
    main()
