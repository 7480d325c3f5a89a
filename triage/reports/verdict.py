"""The triage verdict per exhibit and the key findings, as plain functions over the case reader.

An investigator reads the verdict first: for each exhibit, what matters on
it, ranked, each line saying why it matters. The key findings turn the same
lines into numbered statements of fact in the manner of a Streamlined
Forensic Report (SFR1), each pointing at its evidence (exhibit, path,
offset, SHA-256), and every one a draft: the examiner confirms them.

These functions return frozen dataclasses and know nothing of HTML, so the
report, the review pages and any other consumer rank and word findings the
same way. Values are masked here (card numbers: first six, last four)
unless the caller asks otherwise; everything else from the evidence is left
as found for the consumer to escape.

A :class:`Scope` says what is looked at: some exhibits, and, for a report of
tagged items only, the tagged files and the findings in them. The whole case
is counted by SQLite's aggregates; a tagged scope (small by nature) is
counted by streaming its rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from triage.case.reader import ArtefactRow, CaseReader, EvidenceRow, HashHitRow, TypeCount, YaraRow
from triage.reports.masking import display_value

__all__ = [
    "CATEGORIES", "Category", "EvidenceRef", "ExhibitVerdict", "KeyFinding", "Scope", "VerdictLine",
    "artefact_counts", "artefact_counts_by_exhibit",
    "exhibit_label", "exhibit_verdict", "iter_scoped_artefacts", "iter_scoped_hash_hits",
    "iter_scoped_yara", "key_findings", "make_scope", "notable_counts", "yara_counts",
]

#: ids per SQL ``IN (...)`` when a tagged scope is read (below SQLite's variable limit)
ID_CHUNK = 5000
#: evidence references quoted under one key finding
REFS_PER_FINDING = 3
#: rows looked at at most for those references (distinct values wanted; repeats are skipped)
REF_SCAN = 500


@dataclass(frozen=True)
class Category:
    """A kind of finding the verdict ranks: its weight, the artefact types it gathers, and why it matters."""

    key: str
    weight: int
    title: str
    types: frozenset[str]
    why: str
    noun: tuple[str, str]   # singular, plural


#: ranked kinds of artefact findings (hash-set and YARA hits are ranked beside them, weights 100 and 85)
CATEGORIES: tuple[Category, ...] = (
    Category("stealer", 95, "Stealer logs", frozenset({"stealer_log"}),
             "output of credential-stealing malware: victims' logins, cards, cookies and system details",
             ("stealer log", "stealer logs")),
    Category("wallets", 90, "Wallets, seed phrases and private keys",
             frozenset({"crypto_wallet", "bip39_mnemonic", "crypto_private_key"}),
             "a wallet file, seed phrase or private key gives control of the funds it holds",
             ("wallet, seed or key", "wallets, seeds and keys")),
    Category("cards", 80, "Payment card data", frozenset({"payment_card", "card_track", "saved_card"}),
             "card numbers passing the Luhn check, magnetic-stripe track data and cards saved in browsers",
             ("card record", "card records")),
    Category("credentials", 75, "Credentials", frozenset({"credential", "saved_login"}),
             "user and password combinations, API tokens and logins saved in browsers",
             ("credential", "credentials")),
    Category("bank", 70, "Bank account data", frozenset({"iban", "uk_bank_account"}),
             "IBANs passing mod-97 and UK sort codes with account numbers",
             ("bank account record", "bank account records")),
    Category("identity", 65, "Identity data", frozenset({"uk_nino", "passport_mrz"}),
             "National Insurance numbers and passport machine-readable zones",
             ("identity record", "identity records")),
    Category("crypto_addresses", 40, "Cryptocurrency addresses",
             frozenset({"btc_address", "eth_address", "ltc_address", "trx_address", "xmr_address"}),
             "addresses that can be traced on their block chains", ("address", "addresses")),
    Category("locations", 30, "Photo locations", frozenset({"exif_gps"}),
             "photos that record where they were taken (listed under Photo GPS points)", ("GPS point", "GPS points")),
    Category("browser", 15, "Browser and web activity",
             frozenset({"url", "download", "search_term", "autofill", "cookie"}),
             "history visits, downloads, searches, autofill entries and cookies; URLs found in content",
             ("record", "records")),
    Category("communications", 10, "Communications and contacts", frozenset({"email_message", "email", "phone"}),
             "e-mail messages, e-mail addresses and phone numbers", ("record", "records")),
    Category("documents", 5, "Documents and devices", frozenset({"document_meta", "exif_device"}),
             "document authors and camera makes and models", ("record", "records")),
)
#: a file count leaves out hits in unallocated space (they belong to no file)
_UNALLOC = " (besides any in unallocated space)"
WEIGHT_NOTABLE = 100
WEIGHT_YARA = 85


@dataclass(frozen=True)
class Scope:
    """What a report looks at: exhibits, and for ``--tagged-only`` the tagged files and findings."""

    evidence_ids: tuple[str, ...]
    file_ids: frozenset[int] | None = None       # None: every file
    artefact_ids: frozenset[int] | None = None   # None: every artefact

    @property
    def tagged(self) -> bool:
        return self.file_ids is not None


def make_scope(reader: CaseReader, evidence_ids: Sequence[str] | None = None, tagged_only: bool = False) -> Scope:
    ids = tuple(evidence_ids) if evidence_ids else tuple(reader.evidence_ids())
    if not tagged_only:
        return Scope(ids)
    return Scope(ids, frozenset(reader.tagged_file_ids(ids)), frozenset(reader.tagged_artefact_ids(ids)))


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    it = iter(sorted(ids))
    while chunk := list(islice(it, ID_CHUNK)):
        yield chunk


def iter_scoped_artefacts(reader: CaseReader, scope: Scope, evidence_id: str | None = None,
                          types: Iterable[str] | None = None, order_by: str = "id") -> Iterator[ArtefactRow]:
    """Artefacts in scope (one exhibit, or all of the scope's), streamed.

    ``order_by="type"`` (type, value, id) follows the (type, value) index, so
    the first rows of a type come at once however many there are; id order
    makes SQLite sort every row of the type first.
    """
    evs = [evidence_id] if evidence_id else list(scope.evidence_ids)
    types = list(types) if types is not None else None
    if scope.artefact_ids is None:
        yield from reader.iter_artefacts(evs, types=types, order_by=order_by)
        return
    for chunk in _chunks(scope.artefact_ids):
        yield from reader.iter_artefacts(evs, types=types, ids=chunk, order_by=order_by)


def iter_scoped_yara(reader: CaseReader, scope: Scope, evidence_id: str | None = None,
                     rules: Iterable[str] | None = None) -> Iterator[YaraRow]:
    evs = [evidence_id] if evidence_id else list(scope.evidence_ids)
    rules = list(rules) if rules is not None else None
    if scope.file_ids is None:
        yield from reader.iter_yara_matches(evs, rules=rules)
        return
    for chunk in _chunks(scope.file_ids):
        yield from reader.iter_yara_matches(evs, rules=rules, file_ids=chunk)


def iter_scoped_hash_hits(reader: CaseReader, scope: Scope, evidence_id: str | None = None,
                          kind: str | None = None) -> Iterator[HashHitRow]:
    evs = [evidence_id] if evidence_id else list(scope.evidence_ids)
    for hit in reader.iter_hash_hits(evs, kind=kind):
        if scope.file_ids is None or hit.file_id in scope.file_ids:
            yield hit


def artefact_counts(reader: CaseReader, scope: Scope, evidence_id: str) -> list[TypeCount]:
    """Artefact rows per type on one exhibit (and files holding them, unallocated space not counted), most first."""
    return artefact_counts_by_exhibit(reader, scope).get(evidence_id, [])


def artefact_counts_by_exhibit(reader: CaseReader, scope: Scope) -> dict[str, list[TypeCount]]:
    """:func:`artefact_counts` of every exhibit of the scope, in one pass over the artefacts."""
    if not scope.tagged:
        every = reader.artefact_type_counts_by_evidence()
        return {ev: every.get(ev, []) for ev in scope.evidence_ids}
    rows: dict[str, Counter[str]] = {ev: Counter() for ev in scope.evidence_ids}
    files: dict[tuple[str, str], set[int]] = {}
    for a in iter_scoped_artefacts(reader, scope):
        rows[a.evidence_id][a.type] += 1
        held = files.setdefault((a.evidence_id, a.type), set())
        if a.file_id is not None:
            held.add(a.file_id)
    return {ev: sorted((TypeCount(t, n, len(files[(ev, t)])) for t, n in c.items()),
                       key=lambda c: (-c.count, c.name)) for ev, c in rows.items()}


def yara_counts(reader: CaseReader, scope: Scope, evidence_id: str) -> list[TypeCount]:
    """Files matched per YARA rule on one exhibit."""
    if not scope.tagged:
        return reader.yara_rule_counts(evidence_id)
    files: dict[str, set[int]] = {}
    for y in iter_scoped_yara(reader, scope, evidence_id):
        files.setdefault(y.rule, set()).add(y.file_id)
    return sorted((TypeCount(r, len(f), len(f)) for r, f in files.items()), key=lambda c: (-c.count, c.name))


def notable_counts(reader: CaseReader, scope: Scope, evidence_id: str) -> list[TypeCount]:
    """Notable hash-set hits per set on one exhibit (``count`` hits, ``files`` distinct files)."""
    if not scope.tagged:
        return reader.hash_set_counts(evidence_id, kind="notable")
    hits: Counter[str] = Counter()
    files: dict[str, set[int]] = {}
    for h in iter_scoped_hash_hits(reader, scope, evidence_id, kind="notable"):
        hits[h.set_name] += 1
        files.setdefault(h.set_name, set()).add(h.file_id)
    return sorted((TypeCount(s, n, len(files[s])) for s, n in hits.items()), key=lambda c: (-c.files, c.name))


# -- the verdict --------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictLine:
    """One thing that matters on an exhibit: how much weight it carries and why."""

    rank: int
    key: str            # category key, ``notable:<set>`` or ``yara:<rule>``
    weight: int
    title: str
    count: int          # rows (artefacts, matched files, notable files)
    files: int
    why: str            # what it is and why it matters, with the breakdown
    breakdown: tuple[tuple[str, int], ...] = ()   # (artefact type or set/rule, rows)


@dataclass(frozen=True)
class ExhibitVerdict:
    evidence_id: str
    label: str                      # the exhibit reference as a report quotes it
    lines: tuple[VerdictLine, ...]
    caveats: tuple[str, ...]        # why the picture may be incomplete (interrupted, errors, unread volumes)

    @property
    def headline(self) -> str:
        return self.lines[0].title if self.lines else "nothing of note found"


def exhibit_label(ev: EvidenceRow) -> str:
    """``EV-01 (case CASE-001, id fat16_mbr_ewf)`` when the container names it, else the evidence id."""
    parts = []
    if ev.case_number:
        parts.append(f"case {ev.case_number}")
    if ev.evidence_number:
        return f"{ev.evidence_number} ({', '.join([*parts, f'id {ev.id}'])})"
    return f"{ev.id} ({parts[0]})" if parts else ev.id


def _plural(n: int, word: str | tuple[str, str]) -> str:
    one, many = (word, word + "s") if isinstance(word, str) else word
    return f"{n:,} {one if n == 1 else many}"


def exhibit_verdict(reader: CaseReader, scope: Scope, ev: EvidenceRow,
                    counts: Sequence[TypeCount] | None = None) -> ExhibitVerdict:
    """What matters on one exhibit, ranked (weight, then count), each line saying why.

    ``counts``: the exhibit's :func:`artefact_counts`, when the caller has them already.
    """
    found: list[VerdictLine] = []
    for c in notable_counts(reader, scope, ev.id):
        found.append(VerdictLine(0, f"notable:{c.name}", WEIGHT_NOTABLE, f"Notable hash-set hits: {c.name}",
                                 c.files, c.files,
                                 f"{_plural(c.files, 'file')} listed by the notable hash set {c.name!r}: "
                                 f"material already known to be of interest", ((c.name, c.count),)))
    for c in yara_counts(reader, scope, ev.id):
        found.append(VerdictLine(0, f"yara:{c.name}", WEIGHT_YARA, f"YARA rule {c.name}", c.count, c.files,
                                 f"{_plural(c.files, 'file')} matched the rule {c.name}"
                                 f"{_rule_description(reader, scope, ev.id, c.name)}", ((c.name, c.count),)))
    by_type = {c.name: c for c in (counts if counts is not None else artefact_counts(reader, scope, ev.id))}
    for cat in CATEGORIES:
        mine = sorted((by_type[t] for t in cat.types if t in by_type), key=lambda c: (-c.count, c.name))
        if not mine:
            continue
        rows = sum(c.count for c in mine)
        files = sum(c.files for c in mine)
        detail = ", ".join(f"{c.name} {c.count:,}" for c in mine)
        found.append(VerdictLine(0, cat.key, cat.weight, cat.title, rows, files,
                                 f"{_plural(rows, cat.noun)} ({detail}) in {_plural(files, 'file')}"
                                 f"{_UNALLOC}: {cat.why}", tuple((c.name, c.count) for c in mine)))
    found.sort(key=lambda v: (-v.weight, -v.count, v.key))
    lines = tuple(VerdictLine(i + 1, v.key, v.weight, v.title, v.count, v.files, v.why, v.breakdown)
                  for i, v in enumerate(found))
    return ExhibitVerdict(ev.id, exhibit_label(ev), lines, tuple(_caveats(reader, ev)))


def _rule_description(reader: CaseReader, scope: Scope, evidence_id: str, rule: str) -> str:
    first = next(iter_scoped_yara(reader, scope, evidence_id, rules=[rule]), None)
    meta = first.meta if first is not None and isinstance(first.meta, dict) else {}
    desc = meta.get("description")
    score = meta.get("score")
    out = f": {desc}" if isinstance(desc, str) and desc else ""
    return out + (f" (score {score})" if isinstance(score, int | float) else "")


def _caveats(reader: CaseReader, ev: EvidenceRow) -> Iterator[str]:
    if ev.status != "complete":
        yield f"the scan of this exhibit is {ev.status or 'not recorded'}: findings may be missing"
    if ev.verified == "mismatch":
        yield "the media hashes do not match the acquisition hashes"
    unread = [v for v in reader.volumes(ev.id) if v.kind in ("partition", "whole") and not v.fs_type]
    if unread:
        yield f"{_plural(len(unread), 'volume')} with no file system read (encrypted, unknown or damaged)"
    counts = reader.file_counts(ev.id)
    if counts["unreadable"]:
        yield f"{_plural(counts['unreadable'], 'file')} could not be read in full"
    if counts["errors"]:
        yield f"{_plural(counts['errors'], 'error')} recorded (see Coverage and limitations)"


# -- key findings -------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceRef:
    """Where a finding is: exhibit, file (path, SHA-256, id) or unallocated range, offset, the value shown."""

    evidence_id: str
    path: str | None          # None: unallocated space
    offset: int | None
    sha256: str | None
    file_id: int | None
    value: str                # masked as asked
    artefact_id: int | None = None


@dataclass(frozen=True)
class KeyFinding:
    """A numbered statement of fact (SFR1 style), a draft for the examiner to confirm."""

    number: int
    evidence_id: str
    key: str
    statement: str
    refs: tuple[EvidenceRef, ...]
    draft: bool = True


def key_findings(reader: CaseReader, scope: Scope, verdicts: Sequence[ExhibitVerdict],
                 unmasked: bool = False, min_weight: int = 30) -> list[KeyFinding]:
    """One numbered statement per verdict line that weighs ``min_weight`` or more, exhibits in order."""
    out: list[KeyFinding] = []
    cats = {c.key: c for c in CATEGORIES}
    for verdict in verdicts:
        for line in verdict.lines:
            if line.weight < min_weight:
                continue
            kind, _, name = line.key.partition(":")
            if kind == "notable":
                refs = _notable_refs(reader, scope, verdict.evidence_id, name)
                text = (f"On exhibit {verdict.label}, {_plural(line.files, 'file')} "
                        f"{'is' if line.files == 1 else 'are'} listed in the notable hash set {name!r}.")
            elif kind == "yara":
                refs = _yara_refs(reader, scope, verdict.evidence_id, name)
                text = (f"On exhibit {verdict.label}, {_plural(line.files, 'file')} "
                        f"matched the YARA rule {name}.")
            else:
                cat = cats[line.key]
                refs = _artefact_refs(reader, scope, verdict.evidence_id, cat.types, unmasked)
                detail = "; ".join(f"{t.replace('_', ' ')}: {n:,}" for t, n in line.breakdown)
                text = (f"On exhibit {verdict.label}, {_plural(line.count, cat.noun)} "
                        f"({detail}) {'was' if line.count == 1 else 'were'} found "
                        f"in {_plural(line.files, 'file')}{_UNALLOC}.")
            out.append(KeyFinding(len(out) + 1, verdict.evidence_id, line.key, text, tuple(refs)))
    return out


def _artefact_refs(reader: CaseReader, scope: Scope, evidence_id: str, types: Iterable[str],
                   unmasked: bool) -> list[EvidenceRef]:
    refs: list[EvidenceRef] = []
    seen: set[tuple[str, str]] = set()
    rows = iter_scoped_artefacts(reader, scope, evidence_id, types=sorted(types), order_by="type")
    for a in islice(rows, REF_SCAN):   # a value repeated a million times must not be read a million times
        if (a.type, a.value) in seen:
            continue
        seen.add((a.type, a.value))
        refs.append(EvidenceRef(a.evidence_id, a.file_path, a.offset, a.file_sha256, a.file_id,
                                display_value(a.type, a.value, unmasked), a.id))
        if len(refs) >= REFS_PER_FINDING:
            break
    return refs


def _yara_refs(reader: CaseReader, scope: Scope, evidence_id: str, rule: str) -> list[EvidenceRef]:
    refs = []
    for y in islice(iter_scoped_yara(reader, scope, evidence_id, rules=[rule]), REFS_PER_FINDING):
        first = (y.strings or [{}])[0] if isinstance(y.strings, list) else {}
        offset = first.get("offset") if isinstance(first, dict) else None
        refs.append(EvidenceRef(y.evidence_id, y.file_path, offset if isinstance(offset, int) else None,
                                y.file_sha256, y.file_id, f"{y.namespace}:{y.rule}"))
    return refs


def _notable_refs(reader: CaseReader, scope: Scope, evidence_id: str, set_name: str) -> list[EvidenceRef]:
    refs = []
    hits = (h for h in iter_scoped_hash_hits(reader, scope, evidence_id, kind="notable") if h.set_name == set_name)
    for h in islice(hits, REFS_PER_FINDING):
        refs.append(EvidenceRef(h.evidence_id, h.file_path, None, h.file_sha256, h.file_id,
                                f"{h.algorithm} {h.value}"))
    return refs
