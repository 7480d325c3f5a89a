"""The end-of-scan summary: what an examiner reads first, from the case database.

Every string here may come from the evidence (paths, rule matches, artefact
values), so it is made safe for a terminal before rich sees it: control
characters (ANSI escape sequences included) are shown as ``\\xNN`` and rich
markup is escaped.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

from triage.case.reader import iter_extension_mismatches

#: example values shown per artefact type / files per rule
EXAMPLES = 3


def terminal_safe(text: str | None, limit: int = 120) -> str:
    """Evidence text for a terminal: no control characters, no rich markup, bounded."""
    from rich.markup import escape

    if text is None:
        return ""
    out = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)
    if len(out) > limit:
        out = out[: limit - 1] + "…"
    return escape(out)


def mask_pan(value: str) -> str:
    """A card number as examiners quote it in summaries: first six, last four."""
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:] if len(value) > 10 else value


def evidence_summary(conn: sqlite3.Connection, evidence_id: str) -> dict[str, Any]:
    def q(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return conn.execute(sql, (evidence_id, *params)).fetchall()

    def one(sql: str) -> int:
        return int(q(sql)[0][0])

    # A case holding this evidence alone (the usual case) needs no evidence
    # filter on artefacts: the (type, value) index then answers both queries
    # by itself, instead of a read of every row (a quarter of a second per
    # 100,000 artefacts).
    alone = conn.execute("SELECT count(*) = 1 AND max(id) = ? FROM evidence", (evidence_id,)).fetchone()[0]
    mine = "" if alone else "evidence_id = ? AND "

    def qa(sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return conn.execute(sql.format(mine=mine), params if alone else (evidence_id, *params)).fetchall()

    artefact_types = qa("SELECT type, count(*) FROM artefacts WHERE {mine}1 GROUP BY type ORDER BY 2 DESC, 1")
    examples: dict[str, list[str]] = {}
    for typ, _n in artefact_types:
        values = [r[0] for r in qa("SELECT value FROM artefacts WHERE {mine}type = ? GROUP BY value "
                                   "ORDER BY count(*) DESC, min(id) LIMIT ?", typ, EXAMPLES)]
        examples[typ] = [mask_pan(v) if typ in ("payment_card", "card_track") else v for v in values]
    rules = q("SELECT y.rule, count(*), json_extract(y.meta, '$.score') FROM yara_matches y WHERE y.evidence_id = ? "
              "GROUP BY y.rule ORDER BY 3 DESC, 2 DESC")
    rule_files = {rule: [r[0] for r in q("SELECT f.path FROM yara_matches y JOIN files f ON f.id = y.file_id "
                                         "WHERE y.evidence_id = ? AND y.rule = ? ORDER BY f.path LIMIT ?",
                                         rule, EXAMPLES)] for rule, _n, _s in rules}
    return {
        "files": one("SELECT count(*) FROM files WHERE evidence_id = ? AND type NOT IN ('dir', 'virtual_dir')"),
        "directories": one("SELECT count(*) FROM files WHERE evidence_id = ? AND type IN ('dir', 'virtual_dir')"),
        "deleted": one("SELECT count(*) FROM files WHERE evidence_id = ? AND deleted = 1"),
        "archive_members": one("SELECT count(*) FROM files WHERE evidence_id = ? AND parent_id IS NOT NULL"),
        "known": one("SELECT count(*) FROM files WHERE evidence_id = ? AND known = 1"),
        "notable": one("SELECT count(*) FROM files WHERE evidence_id = ? AND notable = 1"),
        "notable_files": [{"path": p, "set": s} for p, s in q(
            "SELECT f.path, group_concat(DISTINCT h.set_name) FROM files f JOIN hash_hits h ON h.file_id = f.id "
            "WHERE f.evidence_id = ? AND h.kind = 'notable' GROUP BY f.id ORDER BY f.path LIMIT 20")],
        "errors": one("SELECT count(*) FROM errors WHERE evidence_id = ?"),
        "extension_mismatches": sum(1 for _ in iter_extension_mismatches(conn, evidence_id)),
        "yara_matches": {rule: n for rule, n, _s in rules},
        "yara_files": rule_files,
        "artefacts": {typ: n for typ, n in artefact_types},
        "artefact_examples": examples,
        "volume_list": [dict(zip(("addr", "kind", "offset", "length", "fs_type", "description"), r)) for r in
                        q("SELECT addr, kind, offset, length, fs_type, description FROM volumes "
                          "WHERE evidence_id = ? ORDER BY offset, addr")],
    }


def render_summary(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    for item in report["items"]:
        table = Table(title=f"evidence {terminal_safe(item['evidence_id'])}: {item['status']}", show_header=False)
        table.add_column("what")
        table.add_column("value", overflow="fold")
        if item.get("message"):
            table.add_row("message", terminal_safe(item["message"], 300))
        for key in ("files", "directories", "deleted", "archive_members", "known", "notable", "extension_mismatches",
                    "errors"):
            if key in item:
                table.add_row(key.replace("_", " "), f"{item[key]:,}")
        table.add_row("bytes read", f"{item['bytes']:,}")
        if item.get("skipped"):
            table.add_row("resumed: already done", str(item["skipped"]))
        for v in item.get("volume_list", []):
            table.add_row(f"volume {v['addr']}", f"{v['kind']} @ {v['offset']:,} ({v['length']:,} bytes) "
                                                 f"{v['fs_type'] or '-'} {terminal_safe(v['description'])}")
        for nf in item.get("notable_files", []):
            table.add_row("notable file", f"{terminal_safe(nf['path'])} ({terminal_safe(nf['set'])})")
        for rule, n in (item.get("yara_matches") or {}).items():
            files = ", ".join(terminal_safe(p, 80) for p in item["yara_files"].get(rule, []))
            table.add_row(f"yara {terminal_safe(rule)}", f"{n}: {files}{' …' if n > EXAMPLES else ''}")
        for typ, n in (item.get("artefacts") or {}).items():
            ex = ", ".join(terminal_safe(v, 60) for v in item["artefact_examples"].get(typ, []))
            table.add_row(f"artefact {typ}", f"{n}: {ex}{' …' if n > EXAMPLES else ''}")
        console.print(table)
    console.print(f"case database: {terminal_safe(report['case'], 300)} (run {report['run_id']}, "
                  f"{report['elapsed_s']} s)")
