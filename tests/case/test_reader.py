"""The case reader: read-only, refuses what it cannot read, streams, and agrees with the rows it reads."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from triage.case.reader import open_case
from triage.case.schema import SchemaError
from triage.case.writer import CaseWriter


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("reader") / "case.db"
    for image in ("artefacts.raw", "hostile.raw"):
        subprocess.run([sys.executable, "-m", "triage", "scan", str(FIXTURES / "images" / image), "--case", str(db),
                        "--no-yara", "--quiet"], check=True)
    return db


def _sql(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_reader_never_writes_to_the_case(case: Path) -> None:
    with open_case(case) as r:
        with pytest.raises(sqlite3.OperationalError):
            r.conn.execute("DELETE FROM files")
    assert _sql(case, "SELECT count(*) FROM files")[0][0] > 0


def test_missing_directory_and_non_case_files_are_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no such case database"):
        open_case(tmp_path / "nope.db")
    with pytest.raises(SchemaError, match="is a directory"):
        open_case(tmp_path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(SchemaError, match="not a usable SQLite"):
        open_case(junk)
    plain = tmp_path / "plain.db"
    sqlite3.connect(plain).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(SchemaError, match="not a triage case"):
        open_case(plain)


def test_a_case_from_a_newer_triage_is_refused(case: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    shutil.copyfile(case, newer)
    conn = sqlite3.connect(newer)
    conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                 "VALUES ('triage', '0099_future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="newer triage.*0099_future"):
        open_case(newer)


def test_a_version_one_case_opens_without_tags(case: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    shutil.copyfile(case, old)
    conn = sqlite3.connect(old)
    conn.execute("DROP TABLE tags")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0002_tags'")
    conn.commit()
    conn.close()
    with open_case(old) as r:
        assert r.schema_version == 1
        assert list(r.iter_tags()) == [] and r.tagged_file_ids() == set()
        assert r.count_files() > 0


def test_counts_agree_with_the_rows(case: Path) -> None:
    with open_case(case) as r:
        assert r.evidence_ids() == ["artefacts", "hostile"]
        for ev in r.evidence_ids():
            counts = {t.name: t.count for t in r.artefact_type_counts(ev)}
            streamed: dict[str, int] = {}
            for a in r.iter_artefacts([ev]):
                streamed[a.type] = streamed.get(a.type, 0) + 1
            assert counts == streamed
            fc = r.file_counts(ev)
            files = list(r.iter_files([ev], regular_only=True))
            assert fc["files"] == len(files) > 0
            assert fc["deleted"] == sum(1 for f in r.iter_files([ev]) if f.deleted)
        assert sum(len(v) for v in r.artefact_counts_by_evidence().values()) >= 2


def test_artefacts_carry_the_path_and_hash_of_their_file(case: Path) -> None:
    with open_case(case) as r:
        cards = [a for a in r.iter_artefacts(["hostile"], types=["payment_card"])]
        assert cards and all(a.file_path and a.file_sha256 for a in cards)
        assert "<img src=x onerror=alert(1)>.txt" in {Path(a.file_path or "").name for a in cards}
        f = r.file(cards[0].file_id or 0)
        assert f is not None and f.sha256 == cards[0].file_sha256
        # unallocated hits have no file
        assert any(a.file_id is None and a.file_path is None for a in r.iter_artefacts(["artefacts"]))


def test_top_values_rank_by_hits(case: Path) -> None:
    with open_case(case) as r:
        top = r.top_values("domain", limit=50)
        assert [v.hits for v in top] == sorted((v.hits for v in top), reverse=True)
        raw = _sql(case, "SELECT value, sum(count) FROM artefacts WHERE type = 'domain' GROUP BY value")
        assert {v.value: v.hits for v in top} == dict(raw)


def test_tags_select_files_and_the_findings_in_them(case: Path, tmp_path: Path) -> None:
    db = tmp_path / "tagged.db"
    shutil.copyfile(case, db)
    card_file, card_id = _sql(db, "SELECT file_id, id FROM artefacts WHERE type = 'payment_card' "
                                  "AND evidence_id = 'hostile' ORDER BY id LIMIT 1")[0]
    email_id, email_file = _sql(db, "SELECT id, file_id FROM artefacts WHERE type = 'email' AND file_id IS NOT NULL "
                                    "AND evidence_id = 'artefacts' ORDER BY id LIMIT 1")[0]
    w = CaseWriter(db)
    w.add_tag("file", int(card_file), "relevant", "the card file", "DC Test")  # type: ignore[arg-type]
    w.add_tag("artefact", int(email_id), "notable", None, "DC Test")  # type: ignore[arg-type]
    w.add_tag("file", int(card_file), "relevant", "note changed", "DC Other")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        w.add_tag("file", 10**9, "relevant")
    w.close()
    with open_case(db) as r:
        tags = list(r.iter_tags())
        assert len(tags) == 2 and {t.examiner for t in tags} == {"DC Other", "DC Test"}
        assert r.tagged_file_ids() == {card_file, email_file}
        assert r.tagged_file_ids(["hostile"]) == {card_file}
        in_card_file = {a.id for a in r.iter_artefacts(file_ids=[int(card_file)])}  # type: ignore[arg-type]
        assert card_id in in_card_file
        assert r.tagged_artefact_ids() == in_card_file | {email_id}


def test_iter_table_streams_raw_rows_in_schema_order(case: Path) -> None:
    with open_case(case) as r:
        cols = r.columns("errors")
        assert cols[:2] == ["id", "evidence_id"]
        rows = list(r.iter_table("files", ["hostile"]))
        assert rows and all(row["evidence_id"] == "hostile" for row in rows)
        assert list(rows[0]) == r.columns("files")
        assert list(r.iter_table("no_such_table")) == []


def test_an_interrupted_scan_is_reported(case: Path, tmp_path: Path) -> None:
    db = tmp_path / "interrupted.db"
    shutil.copyfile(case, db)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE evidence SET status = 'scanning' WHERE id = 'hostile'")
    conn.execute("UPDATE runs SET status = 'running' WHERE id = (SELECT max(id) FROM runs)")
    conn.commit()
    conn.close()
    with open_case(db) as r:
        reasons = r.interrupted()
        assert any("hostile" in x for x in reasons) and any("did not finish" in x for x in reasons)
    with open_case(case) as r:
        assert r.interrupted() == []


def test_each_run_records_the_libraries_that_decide_findings(case: Path) -> None:
    with open_case(case) as r:
        versions = r.runs()[-1].versions or {}
    import pyewf
    import yara

    assert versions["yara"] == yara.YARA_VERSION and versions["libewf"] == pyewf.get_version()
    assert {"tsk", "libmagic", "hyperscan", "sqlite", "plugins"} <= set(versions)
