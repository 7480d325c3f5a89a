"""The writer replaces a file's findings on a rescan, and leaves a first scan's rows alone.

A first write of a file skips clearing its old findings (there are none: its
id is above every id that has any); these tests check both sides of that
shortcut on a real case database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from triage.case.writer import CaseWriter
from triage.records import Artefact, Entry, Evidence, FileResult, HashHit, Volume


def _result(path: str, values: list[str], notable: bool = False) -> FileResult:
    entry = Entry(path=path, name=path.rsplit("/", 1)[-1], inode=len(path), size=10, type="regular")
    arts = tuple(Artefact(type="email", value=v, raw=v, offset=i, encoding="ascii", plugin="selectors")
                 for i, v in enumerate(values))
    hits = (HashHit(set_name="case-1", kind="notable", algorithm="md5", value="0" * 32),) if notable else ()
    return FileResult(entry=entry, volume_addr=0, artefacts=arts, hash_hits=hits, notable=notable)


def _write(db: Path, results: list[FileResult]) -> None:
    w = CaseWriter(db)
    w.begin_run("test", None, {}, {})
    w.upsert_evidence(Evidence(id="E1", path="/x.raw", format="raw", size=1), None, "scanning")
    vol = w.upsert_volume(Volume(evidence_id="E1", addr=0, offset=0, length=1, kind="whole"))
    for r in results:
        w.write_file("E1", vol, r)
    w.close()


def _findings(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT f.path, a.value FROM artefacts a JOIN files f ON f.id = a.file_id "
                           "UNION ALL SELECT f.path, 'hit:' || h.set_name FROM hash_hits h "
                           "JOIN files f ON f.id = h.file_id ORDER BY 1, 2").fetchall()
    return [tuple(r) for r in rows]


def test_rescan_replaces_findings_and_new_files_keep_theirs(tmp_path: Path) -> None:
    db = tmp_path / "case.db"
    _write(db, [_result("/a.txt", ["x@example.com", "y@example.com"], notable=True),
                _result("/b.txt", ["z@example.com"])])
    assert _findings(db) == [("/a.txt", "hit:case-1"), ("/a.txt", "x@example.com"), ("/a.txt", "y@example.com"),
                             ("/b.txt", "z@example.com")]
    # a later scan finds less in /a.txt, the same in /b.txt, and a new /c.txt
    _write(db, [_result("/a.txt", ["y@example.com"]), _result("/b.txt", ["z@example.com"]),
                _result("/c.txt", ["c@example.com"])])
    assert _findings(db) == [("/a.txt", "y@example.com"), ("/b.txt", "z@example.com"), ("/c.txt", "c@example.com")]


def test_a_file_written_twice_by_one_writer_keeps_only_the_second(tmp_path: Path) -> None:
    db = tmp_path / "case.db"
    _write(db, [_result("/a.txt", ["x@example.com"], notable=True), _result("/a.txt", ["q@example.com"])])
    assert _findings(db) == [("/a.txt", "q@example.com")]
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM files").fetchone()[0] == 1


def test_a_files_keys_hashed_from_a_shared_head_equal_each_key_alone() -> None:
    """Rows written before this shortcut (and by its fallback) must keep matching on a rescan."""
    from triage.case.writer import _artefact_keys, artefact_key

    values = ["a@example.com", "é@exämple.com", "\udcff odd", "x'\"\x1f", ""]
    arts = [Artefact(type=t, value=v, encoding="ascii") for t in ("email", "phone") for v in values]
    arts.append(Artefact(type="browser_visit", value="https://x/", encoding=None, timestamp="2024-01-01T00:00:00Z",
                         extra={"title": "t"}, plugin="chromium"))
    for ev, vol, fid in (("E1", 3, 17), ("case 'é'", None, 1), ("E1", 0, None)):
        assert _artefact_keys(ev, vol, fid, arts) == [artefact_key(ev, vol, fid, a) for a in arts]
    assert len(set(_artefact_keys("E1", 3, 17, arts))) == len(arts)


def test_extra_json_is_the_same_whether_remembered_or_not() -> None:
    import json

    from triage.case.writer import _json

    for extra in ({"region": "GB"}, {"x": 1}, {"x": True}, {"x": 1.0}, {"x": None}, {"x": [1, 2]},
                  {"b": 1, "a": 2}, {"a": 2, "b": 1}, {"é": "ü"}, {1: 2}, {"x": 1}):
        expected = json.dumps(extra, sort_keys=True, ensure_ascii=False, default=str)
        assert _json(extra) == expected and _json(dict(extra)) == expected
