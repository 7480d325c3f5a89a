"""Inline SVG charts from counts: pictures where a person would rather look than read.

Each function takes small lists of (label, count) (what the reader's
aggregates return) and gives back SVG markup for the page itself: no
script, no external font, no style sheet of its own, so the report stays
one self-contained file and prints as drawn. Labels can come from the
evidence (MIME types from libmagic, artefact types, exhibit ids), so every
label and title is escaped here, and the one ``Markup`` object this module
returns is built from escaped text and numbers only. Every chart also
carries a ``<title>`` per bar (the exact count, shown on hover) and the
report puts the same figures in a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["PALETTE", "bar_chart", "histogram", "stacked_bars"]

#: colour-blind-safe (Okabe-Ito), one per exhibit in stacked charts
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: labels longer than this are cut (the full label is in the bar's <title> and the table)
LABEL_CHARS = 34
#: bars drawn at most per chart
MAX_BARS = 40
#: a timeline of this many periods or fewer has its counts written over the bars
LABELLED_BARS = 31


def _cut(label: str, n: int = LABEL_CHARS) -> str:
    label = "".join(ch if ch.isprintable() else "\ufffd" for ch in label)
    return label if len(label) <= n else label[: n - 1] + "\u2026"


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    t = escape(title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{t}"><title>{t}</title>{"".join(body)}</svg>')


def _empty(title: str) -> Markup:
    return _svg(420, 40, title, ['<text x="8" y="24" class="muted">nothing to show</text>'])


def bar_chart(items: Sequence[tuple[str, int]], title: str, width: int = 860) -> Markup:
    """Horizontal bars, one per label, longest first as given."""
    items = [(str(k), int(v)) for k, v in items[:MAX_BARS]]
    if not items:
        return _empty(title)
    bar_h, gap, left, right = 18, 6, 230, 70
    top = 8
    height = top + len(items) * (bar_h + gap) + 4
    peak = max(v for _k, v in items) or 1
    span = width - left - right
    body = []
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = max(1, round(span * value / peak)) if value else 0
        body.append(
            f'<g><title>{escape(label)}: {value:,}</title>'
            f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" class="label">{escape(_cut(label))}</text>'
            f'<rect x="{left}" y="{y}" width="{w}" height="{bar_h}" fill="{PALETTE[0]}"/>'
            f'<text x="{left + w + 4}" y="{y + 13}" class="value">{value:,}</text></g>')
    return _svg(width, height, title, body)


def stacked_bars(rows: Sequence[tuple[str, Sequence[tuple[str, int]]]], series: Sequence[str], title: str,
                 width: int = 860) -> Markup:
    """Horizontal bars per label, each cut into one segment per series (findings per type, per exhibit)."""
    rows = [(str(k), [(str(s), int(n)) for s, n in parts]) for k, parts in rows[:MAX_BARS]]
    if not rows:
        return _empty(title)
    colour = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(series)}
    bar_h, gap, left, right = 18, 6, 230, 70
    legend_h = 22 * ((len(series) + 2) // 3)
    top = 8 + legend_h
    height = top + len(rows) * (bar_h + gap) + 4
    peak = max(sum(n for _s, n in parts) for _k, parts in rows) or 1
    span = width - left - right
    body = []
    for i, s in enumerate(series):
        x, y = 8 + (i % 3) * 200, 8 + (i // 3) * 22
        body.append(f'<g><rect x="{x}" y="{y}" width="12" height="12" fill="{colour[s]}"/>'
                    f'<text x="{x + 16}" y="{y + 11}" class="label">{escape(_cut(s, 26))}</text></g>')
    for i, (label, parts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        x = left
        total = sum(n for _s, n in parts)
        body.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" class="label">'
                    f'{escape(_cut(label))}</text>')
        for s, n in parts:
            if not n:
                continue
            w = max(1, round(span * n / peak))
            body.append(f'<rect x="{x}" y="{y}" width="{w}" height="{bar_h}" fill="{colour.get(s, PALETTE[-1])}">'
                        f'<title>{escape(label)}, {escape(s)}: {n:,}</title></rect>')
            x += w
        body.append(f'<text x="{x + 4}" y="{y + 13}" class="value">{total:,}</text>')
    return _svg(width, height, title, body)


def histogram(buckets: Sequence[tuple[str, int]], title: str, width: int = 860, height: int = 180) -> Markup:
    """Vertical bars over ordered periods (a timeline): first, middle and last period labelled."""
    buckets = [(str(k), int(v)) for k, v in buckets]
    if not buckets:
        return _empty(title)
    left, right, top, bottom = 48, 10, 20, 36
    span_w, span_h = width - left - right, height - top - bottom
    peak = max(v for _k, v in buckets) or 1
    step = span_w / len(buckets)
    bar_w = max(1.0, min(step * 0.8, 48.0))
    body = [f'<line x1="{left}" y1="{top + span_h}" x2="{width - right}" y2="{top + span_h}" class="axis"/>',
            f'<text x="{left - 4}" y="{top + 10}" text-anchor="end" class="value">{peak:,}</text>',
            f'<text x="{left - 4}" y="{top + span_h}" text-anchor="end" class="value">0</text>']
    for i, (label, value) in enumerate(buckets):
        h = max(1, round(span_h * value / peak)) if value else 0
        x = left + i * step
        body.append(f'<rect x="{x:.1f}" y="{top + span_h - h}" width="{bar_w:.1f}" height="{h}" '
                    f'fill="{PALETTE[2]}"><title>{escape(label)}: {value:,}</title></rect>')
        if value and len(buckets) <= LABELLED_BARS:
            body.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + span_h - h - 4}" '
                        f'text-anchor="middle" class="value">{value:,}</text>')
    marks = sorted({0, len(buckets) // 2, len(buckets) - 1})
    for i in marks:
        anchor = "start" if i == 0 else ("end" if i == len(buckets) - 1 and len(buckets) > 1 else "middle")
        x = left + i * step + (bar_w / 2 if anchor == "middle" else (bar_w if anchor == "end" else 0))
        body.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="{anchor}" class="label">'
                    f'{escape(_cut(buckets[i][0], 20))}</text>')
    return _svg(width, height, title, body)
