"""`triage report` on a real case: the sections and figures agree with the reader; evidence is shown as text."""

from __future__ import annotations

import base64
import hashlib
import re
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.reports.conftest import Page, copy_case, triage
from triage.case.reader import CARD_TYPES, open_case
from triage.case.writer import CaseWriter
from triage.reports.summary import mask_pan

SECTIONS = ("top", "glance", "cover", "verdict", "key-findings", "findings", "charts", "tables", "gps", "tags",
            "coverage")


@pytest.fixture(scope="module")
def html(report_html: Path) -> str:
    return report_html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


def _b64sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def test_every_section_is_there(page: Page) -> None:
    for sid in SECTIONS:
        assert sid in page.ids, sid
    assert "interrupted" not in page.ids  # a complete case has no banner
    assert "unmasked" not in page.ids


def test_the_page_is_self_contained_and_its_policy_names_only_its_own_style_and_script(page: Page) -> None:
    assert not [t for t, _a in page.tags if t in ("link", "img", "iframe", "object", "embed", "base", "form")]
    for tag, attrs in page.tags:
        for name in ("src", "href", "xlink:href", "action"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith("#"), (tag, name, value)   # in-page links only
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)   # no inline handler anywhere
    csp = [a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(csp) == 1
    policy = dict(p.strip().split(" ", 1) for p in csp[0].split(";"))
    assert policy["default-src"] == "'none'" and policy["img-src"] == "'none'"
    assert len(page.inline["script"]) == 1 and len(page.inline["style"]) == 1
    assert policy["script-src"] == f"'sha256-{_b64sha(page.inline['script'][0])}'"
    assert policy["style-src"] == f"'sha256-{_b64sha(page.inline['style'][0])}'"


def test_hostile_names_are_text_never_markup(html: str, page: Page) -> None:
    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html
    assert html.count("<script") == 1               # ours; the file named <script> is text
    assert "/<script>" in page.all_text
    assert "alert('context')</script>" not in html  # a context excerpt carrying markup
    assert "\u202e" not in html and "\x1b" not in html
    assert "DC &lt;b&gt;Test&lt;/b&gt; Examiner" in html and "Report &lt;Author&gt;" in html


def test_the_cover_names_every_exhibit_run_version_hash_and_volume(report_case: Path, page: Page) -> None:
    text = page.all_text
    with open_case(report_case) as r:
        for ev in r.evidence():
            assert ev.id in text
            rows = page.body_rows(f"volumes-{hashlib.sha1(ev.id.encode()).hexdigest()[:10]}")
            vols = r.volumes(ev.id)
            assert len(rows) == len(vols)
            for row, v in zip(rows, vols):
                assert row[0] == str(v.addr) and row[2] == f"{v.offset:,}"
                assert row[4] == (v.fs_type or ("-" if v.kind in ("meta", "unallocated") else "NOT READ"))
        e01 = r.evidence(["fat16_mbr_ewf"])[0]
        assert e01.case_number == "CASE-001" and e01.evidence_number == "EV-01"
        assert "EV-01 (case CASE-001, id fat16_mbr_ewf)" in text
        hashes = page.body_rows(f"hashes-{hashlib.sha1(b'fat16_mbr_ewf').hexdigest()[:10]}")
        assert hashes[0] == ["MD5", e01.stored_md5, e01.computed_md5, "match"]
        assert hashes[1] == ["SHA-1", e01.stored_sha1, e01.computed_sha1, "match"]
        runs = r.runs()
        table = page.body_rows("runs")
        assert [row[0] for row in table] == [str(run.id) for run in runs]
        assert table[0][4] == runs[0].command
        versions = runs[0].versions or {}
        assert versions["tsk"] in text and versions["triage"] in text
        for plugin in versions["plugins"]:
            assert plugin in text
    assert "Triage report: case CASE-001" in text


def test_the_report_leaves_the_case_as_it_was(report_case: Path, tmp_path: Path, page: Page) -> None:
    before = hashlib.sha256(report_case.read_bytes()).hexdigest()
    assert before in page.all_text   # the cover names the case database by its SHA-256
    done = triage("report", str(report_case), "-o", str(tmp_path / "again.html"))
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256(report_case.read_bytes()).hexdigest() == before


def test_findings_by_type_agree_with_the_reader(report_case: Path, page: Page) -> None:
    rows = {row[0]: row for row in page.body_rows("findings")}
    with open_case(report_case) as r:
        totals = {c.name: c.count for c in r.artefact_type_counts()}
        assert set(rows) == set(totals)
        for typ, n in totals.items():
            assert rows[typ][1] == f"{n:,}", typ
        top = r.top_values("email", None, 1)[0]
        assert top.value in rows["email"][4]
        for typ in totals:   # one drill-down table per type, each row one artefact of that type
            assert len(page.body_rows(f"t-{typ}")) == min(totals[typ], 500)


def test_the_verdict_ranks_hash_set_hits_first_and_says_why(report_case: Path, page: Page, html: str) -> None:
    verdicts = re.findall(r'<article class="verdict">(.*?)</article>', html, re.S)
    hostile = next(v for v in verdicts if "<h3>hostile</h3>" in v)
    first = re.search(r"<li[^>]*><strong>(.*?)</strong>: (.*?)</li>", hostile, re.S)
    assert first is not None
    assert first.group(1) == "Notable hash-set hits: Test notable &lt;set&gt;"
    assert "2 files listed by the notable hash set" in first.group(2)
    structured = next(v for v in verdicts if "<h3>structured</h3>" in v)
    assert structured.index("Stealer logs") < structured.index("Payment card data") < structured.index(
        "Browser and web activity")
    assert "Nothing of note was found" in next(v for v in verdicts if "EV-01" in v)


def test_key_findings_are_numbered_drafts_linked_to_their_evidence(report_case: Path, page: Page,
                                                                     html: str) -> None:
    items = re.findall(r'<li id="kf-(\d+)">(.*?)</li>\s*(?=<li id="kf-|</ol>)', html, re.S)
    assert items and [int(n) for n, _ in items] == list(range(1, len(items) + 1))
    with open_case(report_case) as r:
        shas = {f.sha256 for f in r.iter_files(with_content_only=True)}
    for _n, body in items:
        assert "[draft]" in body
        assert "On exhibit " in body
        for sha in re.findall(r'<td class="hash">([0-9a-f]{64})</td>', body):
            assert sha in shas
    notable = next(b for _n, b in items if "notable hash set" in b)
    assert "/&lt;script&gt;" in notable or "/&lt;img src=x onerror=alert(1)&gt;.txt" in notable
    assert "DRAFT" in page.all_text


def test_card_numbers_are_masked_everywhere_unless_asked(report_case: Path, html: str, tmp_path: Path) -> None:
    with open_case(report_case) as r:
        pans = {a.value for a in r.iter_artefacts(types=sorted(CARD_TYPES)) if a.value.isdigit()}
    assert len(pans) > 5
    for pan in pans:
        assert pan not in html, pan
        assert mask_pan(pan) in html
    assert "4711 0665 8035 1735" not in html   # a card inside another hit's context is masked too
    out = tmp_path / "unmasked.html"
    done = triage("report", str(report_case), "-o", str(out), "--unmasked")
    assert done.returncode == 0, done.stderr
    whole = out.read_text(encoding="utf-8")
    page = Page(whole)
    assert "unmasked" in page.ids
    assert "SHOWN IN FULL (--unmasked)" in page.all_text
    for pan in pans:
        assert pan in whole


def test_gps_points_and_charts(report_case: Path, page: Page, html: str) -> None:
    with open_case(report_case) as r:
        gps = list(r.iter_artefacts(types=["exif_gps"]))
    rows = page.body_rows("t-gps")
    assert len(rows) == len(gps) > 0
    assert rows[0][2] == f"{gps[0].extra['latitude']:g}" and rows[0][3] == f"{gps[0].extra['longitude']:g}"
    for cid in ("chart-types", "chart-findings", "chart-files", "chart-visits", "chart-messages"):
        assert cid in page.ids
    assert html.count("<svg ") == 5
    assert html.count("<rect ") > 40


def test_long_tables_show_their_first_rows_and_say_how_many_there_are(report_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "short.html"
    done = triage("report", str(report_case), "-o", str(out), "--rows", "3")
    assert done.returncode == 0, done.stderr
    page = Page(out.read_text(encoding="utf-8"))
    with open_case(report_case) as r:
        urls = r.count_artefacts(types=["url"])
    assert len(page.body_rows("t-url")) == 3
    assert f"Showing the first 3 of {urls:,} rows." in page.all_text
    assert "triage export case.db --format csv -o DIR" in page.all_text


def test_evidence_selection(report_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.html"
    done = triage("report", str(report_case), "-o", str(out), "--evidence", "structured")
    assert done.returncode == 0, done.stderr
    page = Page(out.read_text(encoding="utf-8"))
    with open_case(report_case) as r:
        mine = {c.name: c.count for c in r.artefact_type_counts("structured")}
    rows = {row[0]: row[1] for row in page.body_rows("findings")}
    assert rows == {t: f"{n:,}" for t, n in mine.items()}
    assert "<img src" not in out.read_text(encoding="utf-8")
    assert not [row for row in page.body_rows("t-url") if row[1] != "structured"]


def test_tagged_only_shows_the_tagged_file_and_its_findings(report_case: Path, tmp_path: Path) -> None:
    case = copy_case(report_case, tmp_path / "tagged.db")
    with open_case(case) as r:
        card = next(a for a in r.iter_artefacts(["artefacts"], types=["payment_card"]) if a.file_id)
        same_file = {a.id for a in r.iter_artefacts(file_ids=[card.file_id])}
        others = [a for a in r.iter_artefacts(types=["payment_card"]) if a.file_id != card.file_id]
    done = triage("tag", str(case), "--file-id", str(card.file_id), "--tag", "relevant", "--note",
                  "<script>alert('note')</script> seized card list")
    assert done.returncode == 0, done.stderr
    out = tmp_path / "tagged.html"
    done = triage("report", str(case), "-o", str(out), "--tagged-only")
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    assert "tagged-only" in page.ids
    shown = {int(row[0]) for t in page.tables if t.startswith("t-") and t not in ("t-tags", "t-errors",
                                                                                    "t-error-stages", "t-gps",
                                                                                    "t-yara", "t-notable")
             for row in page.body_rows(t)}
    assert shown == same_file
    assert mask_pan(card.value) in html
    assert not [a for a in others if mask_pan(a.value) in html and a.value != card.value]
    tags = page.body_rows("t-tags")
    assert len(tags) == 1 and tags[0][5] == "<script>alert('note')</script> seized card list"
    assert "alert('note')</script>" not in html


def test_an_interrupted_case_is_reported_with_a_banner_and_exit_1(report_case: Path, tmp_path: Path) -> None:
    case = copy_case(report_case, tmp_path / "interrupted.db")
    w = CaseWriter(case)   # what a scan killed mid-way leaves: a run still running, an exhibit still scanning
    w.begin_run("triage scan hostile.raw (killed)", None, {}, {})
    w.set_evidence_status("hostile", "scanning")
    w.commit()
    w.conn.close()
    out = tmp_path / "interrupted.html"
    done = triage("report", str(case), "-o", str(out))
    assert done.returncode == 1
    assert "warning: the case may be incomplete" in done.stderr and "Traceback" not in done.stderr
    page = Page(out.read_text(encoding="utf-8"))
    assert "interrupted" in page.ids
    assert "evidence hostile: scan scanning" in page.all_text
    assert "Incomplete case" in page.all_text


def test_what_was_not_read_is_stated(tmp_path: Path) -> None:
    case = tmp_path / "bad.db"
    done = triage("scan", str(FIXTURES / "images/bad/unknown_fs_partition.raw"), "--case", str(case), "--quiet")
    assert done.returncode == 3
    out = tmp_path / "bad.html"
    done = triage("report", str(case), "-o", str(out))
    assert done.returncode == 1, done.stderr
    page = Page(out.read_text(encoding="utf-8"))
    text = page.all_text
    assert "interrupted" in page.ids and "scan failed" in text
    assert "no file system The Sleuth Kit reads (encrypted, unknown or damaged)" in text
    with open_case(case) as r:
        errors = list(r.iter_errors())
    assert len(page.body_rows("t-errors")) == len(errors) > 0
    assert "Possible encryption detected" in text


@pytest.mark.parametrize("case_kind", ["missing", "directory", "not-a-case", "newer"])
def test_a_case_that_cannot_be_read_is_one_line_and_exit_4(case_kind: str, report_case: Path,
                                                           tmp_path: Path) -> None:
    if case_kind == "missing":
        case = tmp_path / "nope.db"
    elif case_kind == "directory":
        case = tmp_path
    elif case_kind == "not-a-case":
        case = tmp_path / "notes.db"
        case.write_text("not a database\n" * 100)
    else:
        case = copy_case(report_case, tmp_path / "newer.db")
        with sqlite3.connect(case) as conn:
            conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                         "VALUES ('triage', '0099_future', 'x')")
        conn.close()
    out = tmp_path / "r.html"
    done = triage("report", str(case), "-o", str(out))
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    if case_kind == "newer":
        assert "newer triage" in lines[0]
    assert not out.exists()


def test_unknown_evidence_and_an_existing_output_are_usage_errors(report_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    done = triage("report", str(report_case), "-o", str(out), "--evidence", "nope<1>")
    assert done.returncode == 2 and "no evidence 'nope<1>'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not out.exists()
    out.write_text("the examiner's earlier report\n")
    done = triage("report", str(report_case), "-o", str(out))
    assert done.returncode == 2 and "use --force" in done.stderr
    assert out.read_text() == "the examiner's earlier report\n"
    done = triage("report", str(report_case), "-o", str(tmp_path))
    assert done.returncode == 2 and "is a folder" in done.stderr
    done = triage("report", str(report_case), "-o", str(out), "--force")
    assert done.returncode == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.html.")] == []   # no temporary left
    assert f"sha256 {hashlib.sha256(out.read_bytes()).hexdigest()}" in done.stdout


def test_the_reader_is_the_only_way_in(report_case: Path) -> None:
    """The report modules hold no SQL of their own (docs: every consumer reads through triage.case.reader)."""
    root = Path(sys.modules["triage"].__file__).parent
    for mod in ("reports/html.py", "reports/verdict.py", "reports/charts.py", "reports/pdf.py",
                "commands/report.py"):
        src = (root / mod).read_text(encoding="utf-8")
        assert "sqlite3" not in src and "SELECT " not in src, mod
