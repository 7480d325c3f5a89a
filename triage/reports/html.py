"""The case report: gather the report model through the case reader, render it with Jinja2.

The model is built first, whole, from the reader (aggregates for counts,
streams cut at ``max_rows`` for the tables), so the template only lays out
what it is given and the size of the page is bounded whatever the size of
the case. Every string that came from the evidence goes through
:func:`visible` (control and bidirectional-override characters shown as
``\\uXXXX``, length bounded) and card numbers through the masking module
before it is put in the model; the template escapes everything (Jinja2
autoescaping), and the only markup it is handed ready-made is the SVG of
:mod:`triage.reports.charts`, which escapes its own labels.

The page is one file: the style sheet and the small table script are read
from ``static/`` and inlined, and the Content-Security-Policy names them by
their SHA-256, so nothing else (an injected script, a remote font, an
image) would load even if escaping failed somewhere.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

from markupsafe import Markup

from triage import __version__
from triage.case.reader import CaseReader, EvidenceRow, TypeCount
from triage.reports import charts
from triage.reports.masking import display_value, mask_text
from triage.reports.verdict import (
    ExhibitVerdict,
    KeyFinding,
    Scope,
    artefact_counts_by_exhibit,
    exhibit_label,
    exhibit_verdict,
    iter_scoped_artefacts,
    iter_scoped_hash_hits,
    iter_scoped_yara,
    key_findings,
    make_scope,
    yara_counts,
)

__all__ = ["ReportModel", "ReportOptions", "Table", "build_model", "render_html", "visible"]

#: rows shown per drill-down table by default (the exports hold every row)
MAX_ROWS = 500
#: characters of one cell at most (a context excerpt, a 240-character name)
CELL_CHARS = 600
#: top values quoted per finding type
TOP_VALUES = 5
#: bars of a timeline at most before periods are widened (days -> months -> years)
TIMELINE_BARS = 120


@dataclass(frozen=True)
class ReportOptions:
    evidence_ids: Sequence[str] | None = None
    tagged_only: bool = False
    unmasked: bool = False
    max_rows: int = MAX_ROWS
    examiner: str | None = None       # who prepared the report (the cover names them)
    for_print: bool = False           # every <details> open (PDF)


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, and a number to sort by when it is one."""

    text: str
    num: float | None = None
    cls: str = ""


@dataclass(frozen=True)
class Table:
    """A drill-down table: its first ``len(rows)`` rows of ``total``."""

    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: int
    note: str = ""

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: Markup
    table: Table


@dataclass(frozen=True)
class Exhibit:
    id: str
    label: str
    fields: tuple[tuple[str, str], ...]
    hashes: Table
    volumes: Table
    inventory: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class ReportModel:
    title: str
    generated: str
    tool_version: str
    case_path: str
    case_sha256: str
    report_examiner: str
    examiners: tuple[str, ...]
    case_numbers: tuple[str, ...]
    options: tuple[tuple[str, str], ...]
    unmasked: bool
    tagged_only: bool
    for_print: bool
    interrupted: tuple[str, ...]
    exhibits: tuple[Exhibit, ...]
    runs: Table
    versions: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    verdicts: tuple[ExhibitVerdict, ...]
    key_findings: tuple[KeyFinding, ...]
    findings: Table
    charts: tuple[Chart, ...]
    drilldown: tuple[Table, ...]
    gps: Table
    tags: Table
    coverage: tuple[Table, ...]
    not_read: tuple[str, ...]
    limitations: tuple[str, ...]
    max_rows: int
    export_hint: str
    extra: dict[str, Any] = field(default_factory=dict)


# -- text from the evidence -----------------------------------------------------------


def visible(text: Any, limit: int = CELL_CHARS) -> str:
    """Evidence text as it must be shown: control, format and bidi characters as ``\\uXXXX``, bounded.

    A right-to-left override in a name (``invoice\\u202egpj.exe`` shows as
    ``invoiceexe.jpg``) or a newline in a path must be seen for what it is.
    """
    if text is None:
        return ""
    s = str(text)
    if not s.isprintable():
        s = "".join(ch if ch.isprintable() or ch == " " else _esc(ch) for ch in s)
    elif any(unicodedata.category(ch) == "Cf" for ch in s):
        s = "".join(_esc(ch) if unicodedata.category(ch) == "Cf" else ch for ch in s)
    if len(s) > limit:
        s = s[: limit - 1] + "\u2026"
    return s


def _esc(ch: str) -> str:
    o = ord(ch)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def _c(value: Any, cls: str = "") -> Cell:
    if isinstance(value, bool):
        return Cell("yes" if value else "no", int(value), cls)
    if isinstance(value, int | float):
        return Cell(f"{value:,}" if isinstance(value, int) else f"{value:g}", float(value), cls)
    return Cell(visible(value), None, cls)


def _table(tid: str, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], total: int,
           limit: int, note: str = "") -> Table:
    shown = tuple(tuple(c if isinstance(c, Cell) else _c(c) for c in r) for r in islice(rows, limit))
    return Table(tid, title, tuple(columns), shown, max(total, len(shown)), note)


# -- gathering ------------------------------------------------------------------------


def build_model(reader: CaseReader, options: ReportOptions) -> ReportModel:
    """Everything the page shows, read through the reader, bounded."""
    scope = make_scope(reader, options.evidence_ids, options.tagged_only)
    evidence = reader.evidence(list(scope.evidence_ids))
    limit = max(1, options.max_rows)
    counts = artefact_counts_by_exhibit(reader, scope)
    raw_verdicts = [exhibit_verdict(reader, scope, ev, counts[ev.id]) for ev in evidence]
    findings = tuple(_shown_finding(k) for k in key_findings(reader, scope, raw_verdicts,
                                                              unmasked=options.unmasked))
    verdicts = tuple(_shown_verdict(v) for v in raw_verdicts)
    runs = [r for r in reader.runs() if _touches(r.evidence_ids, scope.evidence_ids)]
    examiners = sorted({x for x in [*(r.examiner for r in runs), *(e.examiner for e in evidence)] if x})
    case_numbers = sorted({e.case_number for e in evidence if e.case_number})
    opts = [("exhibits reported", ", ".join(visible(e.id, 80) for e in evidence) or "(none)"),
            ("selection", "tagged items only (files tagged, or holding a tagged finding, and the findings "
                          "in them)" if scope.tagged else "everything in the case for these exhibits"),
            ("card numbers", "SHOWN IN FULL (--unmasked)" if options.unmasked
             else "masked: first six and last four digits"),
            ("rows per table", f"first {limit:,}")]
    return ReportModel(
        title=f"Triage report{': case ' + ', '.join(visible(c, 80) for c in case_numbers) if case_numbers else ''}",
        generated=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tool_version=__version__,
        case_path=visible(str(reader.path.resolve()), 300),
        case_sha256=_file_sha256(reader.path) + _wal_note(reader.path),
        report_examiner=visible(options.examiner or "", 200),
        examiners=tuple(visible(x, 200) for x in examiners),
        case_numbers=tuple(visible(c, 80) for c in case_numbers),
        options=tuple(opts),
        unmasked=options.unmasked,
        tagged_only=scope.tagged,
        for_print=options.for_print,
        interrupted=tuple(visible(r, 300) for r in reader.interrupted()),
        exhibits=tuple(_exhibit(reader, ev, limit) for ev in evidence),
        runs=_runs_table(runs, limit),
        versions=tuple(_versions(runs)),
        verdicts=verdicts,
        key_findings=findings,
        findings=_findings_table(reader, scope, evidence, counts, options.unmasked),
        charts=tuple(_charts(reader, scope, evidence, counts)),
        drilldown=tuple(_drilldown(reader, scope, evidence, counts, options.unmasked, limit)),
        gps=_gps_table(reader, scope, counts, limit),
        tags=_tags_table(reader, scope, limit),
        coverage=tuple(_coverage(reader, scope, evidence, limit)),
        not_read=tuple(_not_read(reader, evidence)),
        limitations=LIMITATIONS,
        max_rows=limit,
        export_hint=f"triage export {visible(reader.path.name, 120)} --format csv -o DIR",
    )


def _shown_verdict(v: ExhibitVerdict) -> ExhibitVerdict:
    """The verdict with every string from the evidence (exhibit label, set and rule names) made visible."""
    lines = tuple(replace(line, title=visible(line.title, 300), why=visible(line.why, 2000)) for line in v.lines)
    return replace(v, evidence_id=visible(v.evidence_id, 200), label=visible(v.label, 300), lines=lines,
                   caveats=tuple(visible(c, 300) for c in v.caveats))


def _shown_finding(k: KeyFinding) -> KeyFinding:
    refs = tuple(replace(r, evidence_id=visible(r.evidence_id, 200),
                         path=None if r.path is None else visible(r.path), value=visible(r.value, 300))
                 for r in k.refs)
    return replace(k, evidence_id=visible(k.evidence_id, 200), statement=visible(k.statement, 2000), refs=refs)


def _touches(run_evidence: Any, ids: Sequence[str]) -> bool:
    if not isinstance(run_evidence, list) or not run_evidence:
        return True   # a run that names no exhibit (verify, tag) is part of the case's audit trail
    return any(e in ids for e in run_evidence)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _wal_note(path: Path) -> str:
    """A write-ahead log beside the case holds pages that were read but are not in the file's hash: say so."""
    wal = path.with_name(path.name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0
    return f" (plus a write-ahead log of {size:,} bytes beside it, read but not in this hash)" if size else ""


def _exhibit(reader: CaseReader, ev: EvidenceRow, limit: int) -> Exhibit:
    fields_ = [("evidence id", ev.id), ("case number", ev.case_number), ("evidence number", ev.evidence_number),
               ("examiner (acquisition)", ev.examiner), ("description", ev.description), ("notes", ev.notes),
               ("acquired", ev.acquired), ("acquisition software", ev.acquiry_software),
               ("format", ev.format), ("media size", f"{ev.size:,} bytes"), ("path as scanned", ev.path),
               ("segments", ", ".join(str(s) for s in ev.segments or []) or None),
               ("volume system", ev.volume_system), ("scan status", ev.status),
               ("first scanned", ev.first_scanned), ("last scanned", ev.last_scanned),
               ("verified", ev.verified or "never verified"), ("verified at", ev.verified_at)]
    hashes = []
    for algo, stored, computed in (("MD5", ev.stored_md5, ev.computed_md5), ("SHA-1", ev.stored_sha1,
                                                                            ev.computed_sha1)):
        if stored and computed:
            state = "match" if stored.lower() == computed.lower() else "MISMATCH"
        elif computed:
            state = "no acquisition hash stored"
        elif stored:
            state = "not verified (run triage verify)"
        else:
            state = "none"
        hashes.append((algo, stored or "-", computed or "-", Cell(state, None, "bad" if state == "MISMATCH" else
                                                                 ("good" if state == "match" else ""))))
    vols = reader.volumes(ev.id)
    vol_rows = [(v.addr, v.kind, v.offset, v.length, v.fs_type or ("-" if v.kind in ("meta", "unallocated")
                                                                   else "NOT READ"),
                 v.description, v.block_size or "") for v in vols]
    counts = reader.file_counts(ev.id)
    counts["extension_mismatches"] = reader.count_extension_mismatches(ev.id)
    inventory = tuple((k.replace("_", " "), counts[k]) for k in
                      ("files", "directories", "deleted", "archive_members", "known", "notable", "unreadable",
                       "extension_mismatches", "errors", "bytes"))
    return Exhibit(visible(ev.id, 200), visible(exhibit_label(ev), 300),
                   tuple((k, visible(v, 400)) for k, v in fields_ if v not in (None, "")),
                   _table(f"hashes-{_slug(ev.id)}", "Acquisition and verified hashes",
                          ("algorithm", "acquisition (stored in the container)", "verified (recomputed)", "result"),
                          hashes, len(hashes), limit),
                   _table(f"volumes-{_slug(ev.id)}", "Partitions and file systems",
                          ("slot", "kind", "offset", "length", "file system", "description", "block size"),
                          vol_rows, len(vol_rows), limit),
                   inventory)


def _slug(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _runs_table(runs: Sequence[Any], limit: int) -> Table:
    rows = [(r.id, r.started, r.finished or "-", r.status, r.command, r.tool_version, r.examiner or "-",
             f"{r.user or '-'}@{r.host or '-'}", ", ".join(r.evidence_ids or []) or "-", r.files or 0,
             r.bytes or 0, r.errors or 0) for r in runs]
    return _table("runs", "Runs against this case (audit trail)",
                  ("run", "started", "finished", "status", "command", "triage", "examiner", "user@host",
                   "exhibits", "files", "bytes", "errors"), rows, len(rows), limit)


def _versions(runs: Sequence[Any]) -> Iterator[tuple[str, tuple[tuple[str, str], ...]]]:
    """Each distinct set of versions (triage, Python, TSK, plugins, rule files), with the runs that used it."""
    groups: dict[str, tuple[list[int], list[tuple[str, str]]]] = {}
    for r in runs:
        v = r.versions if isinstance(r.versions, dict) else {}
        opts = r.options if isinstance(r.options, dict) else {}
        items: list[tuple[str, str]] = []
        for k in sorted(v):
            val = v[k]
            items.append((k, ", ".join(str(x) for x in val) if isinstance(val, list) else str(val)))
        for k in sorted(opts):
            val = opts[k]
            items.append((f"option {k}", ", ".join(str(x) for x in val) if isinstance(val, list) else str(val)))
        key = repr(items)
        groups.setdefault(key, ([], items))[0].append(r.id)
    for ids, items in groups.values():
        yield (f"run{'s' if len(ids) > 1 else ''} {', '.join(str(i) for i in ids)}",
               tuple((visible(k, 100), visible(val, 2000)) for k, val in items))


def _top_values(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow], typ: str,
                unmasked: bool) -> list[tuple[str, int]]:
    if scope.tagged:
        hits: Counter[str] = Counter()
        for a in iter_scoped_artefacts(reader, scope, None, types=[typ]):
            hits[a.value] += a.count
        top = hits.most_common(TOP_VALUES)
    elif len(evidence) == len(reader.evidence_ids()):
        top = [(v.value, v.hits) for v in reader.top_values(typ, None, TOP_VALUES)]
    else:   # some exhibits of a larger case: the top of each, added up
        merged: Counter[str] = Counter()
        for ev in evidence:
            for v in reader.top_values(typ, ev.id, TOP_VALUES):
                merged[v.value] += v.hits
        top = merged.most_common(TOP_VALUES)
    return [(visible(display_value(typ, v, unmasked), 120), n) for v, n in top]


def _findings_table(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow],
                    counts: dict[str, list[TypeCount]], unmasked: bool) -> Table:
    per: dict[str, dict[str, TypeCount]] = {}
    for ev in evidence:
        for c in counts[ev.id]:
            per.setdefault(c.name, {})[ev.id] = c
    order = sorted(per, key=lambda t: (-sum(c.count for c in per[t].values()), t))
    rows = []
    for typ in order:
        total = sum(c.count for c in per[typ].values())
        files = sum(c.files for c in per[typ].values())
        by_ev = "; ".join(f"{visible(e, 60)}: {c.count:,}" for e, c in per[typ].items())
        top = "; ".join(f"{v} ({n:,})" for v, n in _top_values(reader, scope, evidence, typ, unmasked))
        rows.append((Cell(typ, None, "mono"), total, files, by_ev, Cell(top, None, "mono")))
    return _table("findings", "Findings by type", ("type", "findings", "files", "per exhibit",
                                                    "top values (hits)"), rows, len(rows), len(rows) or 1)


# -- charts ---------------------------------------------------------------------------


def _merge(pairs: Iterable[Iterable[tuple[str, int]]]) -> list[tuple[str, int]]:
    total: Counter[str] = Counter()
    for seq in pairs:
        for k, n in seq:
            total[k] += n
    return sorted(total.items())


def _periods(days: Sequence[tuple[str, int]]) -> tuple[str, list[tuple[str, int]]]:
    """Day counts widened until they fit the chart: days, months, or years (empty periods kept as 0)."""
    good = [(d, n) for d, n in days if len(d) == 10 and d[:4].isdigit()]
    if not good:
        return "day", []
    for unit, chars in (("day", 10), ("month", 7), ("year", 4)):
        merged = _merge([[(d[:chars], n) for d, n in good]])
        filled = _fill(merged, unit)
        if filled is not None:
            return unit, filled
    return "year", merged[-TIMELINE_BARS:]


def _fill(buckets: list[tuple[str, int]], unit: str) -> list[tuple[str, int]] | None:
    """Every period from the first to the last, empty ones as 0; None when that is too many bars."""
    if not buckets:
        return []
    have = dict(buckets)
    first, last = buckets[0][0], buckets[-1][0]
    try:
        if unit == "year":
            keys = [f"{y:04d}" for y in range(int(first), int(last) + 1)]
        elif unit == "month":
            y, m = int(first[:4]), int(first[5:7])
            keys = []
            while f"{y:04d}-{m:02d}" <= last and len(keys) <= TIMELINE_BARS:
                keys.append(f"{y:04d}-{m:02d}")
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        else:
            from datetime import date, timedelta
            d, end = date.fromisoformat(first), date.fromisoformat(last)
            keys = []
            while d <= end and len(keys) <= TIMELINE_BARS:
                keys.append(d.isoformat())
                d += timedelta(days=1)
    except ValueError:
        return buckets if len(buckets) <= TIMELINE_BARS else None
    if len(keys) > TIMELINE_BARS:
        return None
    return [(k, have.get(k, 0)) for k in keys]


def _scoped_file_days(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow]) -> list[tuple[str, int]]:
    if not scope.tagged:
        return _merge(reader.file_time_histogram(ev.id, "mtime", 10) for ev in evidence)
    days: Counter[str] = Counter()
    for chunk in _id_chunks(scope.file_ids or ()):
        for f in reader.iter_files(list(scope.evidence_ids), file_ids=chunk):
            if f.mtime:
                days[f.mtime[:10]] += 1
    return sorted(days.items())


def _scoped_artefact_days(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow],
                          types: Sequence[str]) -> list[tuple[str, int]]:
    if not scope.tagged:
        return _merge(reader.artefact_time_histogram(types, ev.id, 10) for ev in evidence)
    days: Counter[str] = Counter()
    for a in iter_scoped_artefacts(reader, scope, None, types=types):
        if a.timestamp:
            days[a.timestamp[:10]] += 1
    return sorted(days.items())


def _scoped_mimes(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow]) -> list[tuple[str, int]]:
    if not scope.tagged:
        merged = _merge(((c.name, c.count) for c in reader.mime_counts(ev.id, 20)) for ev in evidence)
    else:
        mimes: Counter[str] = Counter()
        for chunk in _id_chunks(scope.file_ids or ()):
            for f in reader.iter_files(list(scope.evidence_ids), file_ids=chunk, regular_only=True):
                mimes[f.mime or "(none)"] += 1
        merged = list(mimes.items())
    return sorted(merged, key=lambda kv: (-kv[1], kv[0]))[:20]


def _id_chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    it = iter(sorted(ids))
    while chunk := list(islice(it, 5000)):
        yield chunk


def _charts(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow],
            counts: dict[str, list[TypeCount]]) -> Iterator[Chart]:
    mimes = _scoped_mimes(reader, scope, evidence)
    yield Chart("chart-types", "File types (libmagic MIME, most common 20)",
                charts.bar_chart(mimes, "File types"),
                _table("chart-types-table", "File types", ("type", "files"), mimes, len(mimes), len(mimes) or 1))
    per_ev = {ev.id: {c.name: c.count for c in counts[ev.id]} for ev in evidence}
    types = sorted({t for d in per_ev.values() for t in d}, key=lambda t: (-sum(d.get(t, 0) for d in
                                                                              per_ev.values()), t))
    series = [ev.id for ev in evidence if per_ev[ev.id]]
    rows = [(t, [(e, per_ev[e].get(t, 0)) for e in series]) for t in types]
    yield Chart("chart-findings", "Findings per type, per exhibit",
                charts.stacked_bars(rows, series, "Findings per type, per exhibit"),
                _table("chart-findings-table", "Findings per type, per exhibit", ("type", *series),
                       [(t, *(n for _e, n in parts)) for t, parts in rows], len(rows), len(rows) or 1))
    for cid, title, days in (
            ("chart-files", "File activity (files by modification time)", _scoped_file_days(reader, scope,
                                                                                             evidence)),
            ("chart-visits", "Browser visits (history records by visit time)",
             _scoped_artefact_days(reader, scope, evidence, ["url"])),
            ("chart-messages", "Message dates (e-mail messages by date)",
             _scoped_artefact_days(reader, scope, evidence, ["email_message"]))):
        unit, buckets = _periods(days)
        shown = [(b, n) for b, n in buckets if n]
        yield Chart(cid, f"{title}, per {unit}", charts.histogram(buckets, title),
                    _table(f"{cid}-table", title, (unit, "count"), shown, len(shown), len(shown) or 1))


# -- tables ---------------------------------------------------------------------------


def _where(path: str | None, volume_id: int | None) -> str:
    return path if path is not None else f"(unallocated space, volume {volume_id})"


def _drilldown(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow],
               counts: dict[str, list[TypeCount]], unmasked: bool, limit: int) -> Iterator[Table]:
    """One table per artefact type (its first rows in value order, as the index holds them), YARA, hash sets."""
    totals: Counter[str] = Counter()
    for ev in evidence:
        for c in counts[ev.id]:
            totals[c.name] += c.count
    for typ in sorted(totals, key=lambda t: (-totals[t], t)):
        rows = ((a.id, a.evidence_id, Cell(visible(display_value(a.type, a.value, unmasked)), None, "mono"),
                 Cell(visible(_where(a.file_path, a.volume_id)), None, "path"),
                 a.offset if a.offset is not None else "",
                 a.timestamp or "", a.count, Cell(visible(mask_text(a.context, unmasked)), None, "ctx"),
                 Cell(a.file_sha256 or "", None, "hash"), f"{a.plugin} {a.plugin_version or ''}".strip())
                for a in iter_scoped_artefacts(reader, scope, None, types=[typ], order_by="type"))
        yield _table(f"t-{typ}", typ, ("id", "exhibit", "value", "file", "offset", "time", "hits", "context",
                                       "SHA-256", "plugin"), rows, totals[typ], limit)
    ytotal = sum(c.count for ev in evidence for c in yara_counts(reader, scope, ev.id))
    yrows = ((y.id, y.evidence_id, y.rule, y.namespace, Cell(visible(y.file_path), None, "path"),
              _first_offset(y.strings),
              Cell(y.file_sha256 or "", None, "hash"), ", ".join(str(t) for t in y.tags or []),
              (y.meta or {}).get("description", "") if isinstance(y.meta, dict) else "")
             for y in iter_scoped_yara(reader, scope, None))
    yield _table("t-yara", "YARA matches", ("id", "exhibit", "rule", "rule file", "file", "first offset",
                                            "SHA-256", "tags", "description"), yrows, ytotal, limit)
    hits = list(islice(iter_scoped_hash_hits(reader, scope, None, kind="notable"), limit + 1))
    htotal = len(hits) if len(hits) <= limit else sum(
        c.count for ev in evidence for c in reader.hash_set_counts(ev.id, kind="notable"))
    yield _table("t-notable", "Notable hash-set hits",
                 ("id", "exhibit", "set", "algorithm", "value", "file", "SHA-256", "TLSH distance"),
                 ((h.id, h.evidence_id, h.set_name, h.algorithm, Cell(h.value, None, "hash"),
                   Cell(visible(h.file_path), None, "path"),
                   Cell(h.file_sha256 or "", None, "hash"), h.distance if h.distance is not None else "")
                  for h in hits), htotal, limit)


def _first_offset(strings: Any) -> Any:
    if isinstance(strings, list) and strings and isinstance(strings[0], dict):
        off = strings[0].get("offset")
        return off if isinstance(off, int) else ""
    return ""


def _gps_table(reader: CaseReader, scope: Scope, counts: dict[str, list[TypeCount]], limit: int) -> Table:
    total = sum(c.count for per in counts.values() for c in per if c.name == "exif_gps")

    def rows() -> Iterator[tuple[Any, ...]]:
        for a in iter_scoped_artefacts(reader, scope, None, types=["exif_gps"], order_by="type"):
            x = a.extra if isinstance(a.extra, dict) else {}
            lat, lon = x.get("latitude"), x.get("longitude")
            yield (a.id, a.evidence_id, lat if isinstance(lat, int | float) else "",
                   lon if isinstance(lon, int | float) else "",
                   x.get("altitude") if isinstance(x.get("altitude"), int | float) else "",
                   a.timestamp or "", " ".join(str(x.get(k) or "") for k in ("make", "model")).strip(),
                   Cell(visible(a.file_path), None, "path"), Cell(a.file_sha256 or "", None, "hash"))
    return _table("t-gps", "Photo GPS points", ("id", "exhibit", "latitude", "longitude", "altitude (m)", "time",
                                                "camera", "file", "SHA-256"), rows(), total, limit,
                  "also written as KML by triage export --format kml")


def _tags_table(reader: CaseReader, scope: Scope, limit: int) -> Table:
    tags = list(islice(reader.iter_tags(evidence_ids=list(scope.evidence_ids)), limit + 1))
    return _table("t-tags", "Examiner tags", ("id", "exhibit", "target", "target id", "tag", "note", "examiner",
                                              "set"),
                  ((t.id, t.evidence_id or "", t.target, t.target_id, t.tag, t.note or "", t.examiner or "",
                    t.created) for t in tags), len(tags), limit)


def _coverage(reader: CaseReader, scope: Scope, evidence: Sequence[EvidenceRow], limit: int) -> Iterator[Table]:
    ids = [ev.id for ev in evidence]
    stage_rows = [(ev.id, c.name, c.count, c.files) for ev in evidence for c in reader.error_stage_counts(ev.id)]
    yield _table("t-error-stages", "Errors by stage", ("exhibit", "stage", "errors", "files"), stage_rows,
                 len(stage_rows), len(stage_rows) or 1)
    total = sum(r[2] for r in stage_rows)
    errors = ((e.id, e.evidence_id or "", e.stage, Cell(visible(e.path), None, "path"),
               e.offset if e.offset is not None else "",
               Cell(visible(e.message), None, "ctx"), f"{e.plugin or ''} {e.plugin_version or ''}".strip(),
               e.run_id or "") for e in reader.iter_errors(ids))
    yield _table("t-errors", "Errors (everything that went wrong and did not stop the scan)",
                 ("id", "exhibit", "stage", "path", "offset", "message", "plugin", "run"), errors, total, limit)
    # a derived finding (docs/schema.md): the content type libmagic found contradicts the file's extension
    mismatches = sum(reader.count_extension_mismatches(ev.id) for ev in evidence)
    rows = ((m.evidence_id, m.file_id, Cell(visible(m.path), None, "path"), visible(m.extension, 40),
             visible(m.mime, 120), m.content_class, m.extension_class)
            for ev in evidence for m in reader.extension_mismatches(ev.id))
    yield _table("t-extension-mismatch", "Files whose content contradicts their extension (extension mismatch)",
                 ("exhibit", "file id", "path", "extension", "content type", "content", "extension's class"),
                 rows, mismatches, limit)


def _not_read(reader: CaseReader, evidence: Sequence[EvidenceRow]) -> Iterator[str]:
    for ev in evidence:
        who = visible(ev.id, 120)
        if ev.status != "complete":
            yield f"{who}: the scan is {ev.status or 'not recorded'}; files and ranges after the interruption " \
                  "were not read (scan again to resume)"
        for v in reader.volumes(ev.id):
            if v.kind in ("partition", "whole") and not v.fs_type:
                yield (f"{who}: volume {v.addr} at offset {v.offset:,} ({v.length:,} bytes, "
                       f"{visible(v.description or 'no description', 120)}): no file system The Sleuth Kit "
                       "reads (encrypted, unknown or damaged); its bytes were not searched as files")
        counts = reader.file_counts(ev.id)
        if counts["unreadable"]:
            yield f"{who}: {counts['unreadable']:,} files could not be read in full (hashes left empty)"
        limits = sum(c.count for c in reader.error_stage_counts(ev.id) if c.name == "limit")
        if limits:
            yield (f"{who}: {limits:,} bounds hit (archive depth, member count or size, expansion ratio): "
                   "what lies beyond them was not read")
        if ev.verified is None:
            yield f"{who}: media hashes never verified against the acquisition (triage verify)"


LIMITATIONS: tuple[str, ...] = (
    "Findings are what automated extractors recognised; absence of a finding is not evidence of absence.",
    "File types come from libmagic over the first 4 KiB of each file.",
    "Content is searched as 8-bit text and UTF-16LE; other encodings, encrypted or compressed content that "
    "triage does not expand (other than ZIP, tar, gzip, bzip2, xz, 7z, PDF text, OOXML/ODF text and MIME "
    "parts) are not searched.",
    "Unallocated space is searched for content; stretches of 1 MiB or more of zero bytes are skipped (they "
    "cannot hold a match). Carving of whole deleted files is not done.",
    "Card numbers are Luhn-valid digit runs, IBANs pass mod-97; a valid number is not proof of a real account.",
    "Each drill-down table shows its first rows only when it is long; the exports hold every row.",
    "Key findings are drafts produced by the tool: the examiner confirms each against the evidence before "
    "it is relied on.",
)


# -- rendering ------------------------------------------------------------------------


def _static(name: str) -> str:
    return (resources.files("triage.reports") / "static" / name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_html(model: ReportModel) -> Iterator[str]:
    """The page, in pieces (Jinja2's stream), for writing to a file."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("triage.reports", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    css, js = _static("report.css"), _static("report.js")
    csp = (f"default-src 'none'; style-src {_csp_hash(css)}; script-src {_csp_hash(js)}; img-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    template = env.get_template("report.html.j2")
    return template.generate(m=model, css=Markup(css), js=Markup(js), csp=csp)  # noqa: S704 - our own files
