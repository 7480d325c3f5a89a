"""Hash-set import formats, lookups, idempotency and bounded-memory imports."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import tracemalloc
from pathlib import Path

import pytest
import tlsh

from triage.hashsets.importers import detect_format
from triage.hashsets.store import HashSetStore, HashSetStoreError, default_db_path
from triage.records import HashHit


def h(alg: str, s: str) -> str:
    return hashlib.new(alg, s.encode()).hexdigest()


MD5, SHA1, SHA256 = h("md5", "a"), h("sha1", "b"), h("sha256", "c")


@pytest.fixture()
def store(tmp_path: Path) -> HashSetStore:
    s = HashSetStore(tmp_path / "hs.db")
    yield s
    s.close()


def make_rds_v3(path: Path, rows: list[tuple[str, str, str, str, int, int]]) -> Path:
    """A tiny database shaped like NSRL RDS v3 (FILE/PKG/MFG/OS tables)."""
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL,
            CONSTRAINT PK_FILE__FILE PRIMARY KEY (sha256, sha1, md5, file_name, file_size, package_id));
        CREATE TABLE MFG (manufacturer_id INTEGER NOT NULL, name VARCHAR NOT NULL,
            CONSTRAINT PK_MFG__MFG_ID PRIMARY KEY (manufacturer_id));
        CREATE TABLE OS (operating_system_id INTEGER, name VARCHAR NOT NULL, version VARCHAR NOT NULL,
            manufacturer_id INTEGER NOT NULL);
        CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL,
            operating_system_id INTEGER NOT NULL, manufacturer_id INTEGER NOT NULL,
            language VARCHAR NOT NULL, application_type VARCHAR NOT NULL);
        CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5 FROM FILE;
    """)
    con.executemany("INSERT INTO FILE VALUES (?,?,?,?,?,?)", rows)
    con.commit()
    con.close()
    return path


def test_default_db_path_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRIAGE_HASHSET_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("TRIAGE_HASHSET_DB")
    assert default_db_path().name == "hashsets.db"


def test_schema_without_rowid_and_pk(store: HashSetStore) -> None:
    sql = store._con.execute("SELECT sql FROM sqlite_master WHERE name = 'hashes'").fetchone()[0]
    assert "WITHOUT ROWID" in sql and "PRIMARY KEY (algorithm, value, set_id)" in sql
    plan = " ".join(r[3] for r in store._con.execute(
        "EXPLAIN QUERY PLAN SELECT set_id FROM hashes WHERE algorithm = 'md5' AND value = 'x'"))
    assert "USING PRIMARY KEY" in plan or "USING INDEX" in plan


def test_plain_list(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(f"# notable hashes from op X\n\n{MD5.upper()}\n{SHA1}  # inline comment\n{SHA256}\n"
                 "not-a-hash\n12345\n")
    assert detect_format(f) == "list"
    rep = store.import_file(f, name="opx", kind="notable")
    assert (rep.format, rep.added, rep.duplicates, rep.malformed) == ("list", 3, 0, 2)
    assert rep.malformed_examples[0].startswith("line 6: 'not-a-hash'")
    assert store.lookup(md5=MD5) == [HashHit("opx", "notable", "md5", MD5)]
    assert store.lookup(sha1=SHA1.upper())[0].algorithm == "sha1"
    assert [x.algorithm for x in store.lookup(MD5, SHA1, SHA256)] == ["md5", "sha1", "sha256"]
    assert store.lookup(md5=h("md5", "zzz")) == []
    info = store.sets()[0]
    assert (info.name, info.kind, info.count, info.malformed, info.format) == ("opx", "notable", 3, 2, "list")
    assert info.imported


def test_reimport_idempotent(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_text(f"{MD5}\n{MD5}\n{SHA1}\n")
    r1 = store.import_file(f, name="s", kind="known")
    assert (r1.added, r1.duplicates) == (2, 1)
    r2 = store.import_file(f, name="s", kind="known")
    assert (r2.added, r2.duplicates) == (0, 3)
    assert store._con.execute("SELECT count(*) FROM hashes").fetchone()[0] == 2
    assert store.sets()[0].count == 2
    with pytest.raises(HashSetStoreError, match="already exists with kind"):
        store.import_file(f, name="s", kind="notable")


def test_two_sets_same_hash(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_text(f"{MD5}\n")
    store.import_file(f, name="nsrl", kind="known")
    store.import_file(f, name="bad", kind="notable")
    assert {(x.set_name, x.kind) for x in store.lookup(md5=MD5)} == {("nsrl", "known"), ("bad", "notable")}


def test_hashdeep(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "hd.txt"
    f.write_text("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n"
                 "## Invoked from: /home/x\n## $ hashdeep -r .\n##\n"
                 f"10,{MD5},{SHA256},/evidence/a,b.txt\n"
                 f"10,{MD5},short,/evidence/c.txt\n"
                 "garbage\n")
    assert detect_format(f) == "hashdeep"
    rep = store.import_file(f, name="hd", kind="known")
    assert (rep.added, rep.duplicates, rep.malformed) == (2, 1, 1)
    assert store.lookup(sha256=SHA256)[0].set_name == "hd"


def test_md5sum_and_bsd(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "sums.md5"
    f.write_text(f"{MD5}  ./a file.txt\n{SHA1} *bin.exe\nSHA256 (x.bin) = {SHA256}\nzz  broken\n")
    assert detect_format(f) == "md5sum"
    rep = store.import_file(f, name="sums", kind="known")
    assert (rep.added, rep.malformed) == (3, 1)
    assert len(store.lookup(MD5, SHA1, SHA256)) == 3


def test_csv_header_case_insensitive(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text(f'Name,"MD5",Sha256,Notes\n"a, b.exe",{MD5},{SHA256},x\nc.exe,,{h("sha256", "d")},y\n'
                 f"d.exe,nothex,,z\n")
    assert detect_format(f) == "csv"
    rep = store.import_file(f, name="c", kind="notable")
    assert (rep.added, rep.malformed) == (3, 1)
    assert store.lookup(sha256=h("sha256", "d"))


def test_csv_generic_hash_column_tsv(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "x.tsv"
    f.write_text(f"id\tHash\n1\t{MD5}\n2\t{SHA1}\n")
    rep = store.import_file(f, name="t", kind="notable", fmt="csv")
    assert rep.added == 2 and {x.algorithm for x in store.lookup(MD5, SHA1)} == {"md5", "sha1"}


def test_csv_without_hash_column_is_error(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n")
    with pytest.raises(HashSetStoreError, match="no md5/sha1/sha256/hash column"):
        store.import_file(f, name="t", kind="notable", fmt="csv")
    assert store.sets() == []  # failed import leaves no empty set behind


def test_nsrl_rds_v3(store: HashSetStore, tmp_path: Path) -> None:
    rows = [(h("sha256", f"f{i}").upper(), h("sha1", f"f{i}").upper(), h("md5", f"f{i}").upper(),
             f"file{i}.dll", i, 100 + i % 2) for i in range(50)]
    rows.append(rows[0][:3] + ("copy.dll", 1, 999))  # same file in another package
    db = make_rds_v3(tmp_path / "RDS_2024.12.1_modern_minimal.db", rows)
    assert detect_format(db) == "nsrl"
    rep = store.import_file(db, name="nsrl-modern", kind="known")
    assert (rep.format, rep.added, rep.duplicates, rep.malformed) == ("nsrl", 150, 3, 0)
    hits = store.lookup(md5=h("md5", "f7"), sha1=None, sha256=h("sha256", "f7"))
    assert [(x.set_name, x.kind, x.algorithm) for x in hits] == [
        ("nsrl-modern", "known", "md5"), ("nsrl-modern", "known", "sha256")]


def test_sqlite_without_file_table(store: HashSetStore, tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    sqlite3.connect(db).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(HashSetStoreError, match="FILE table"):
        store.import_file(db, name="x", kind="known")


def _tlsh_of(seed: int, mutate: int = 0) -> str:
    rnd = random.Random(seed)
    data = bytearray(rnd.randbytes(4096))
    for i in range(mutate):
        data[i * 37] ^= 0xFF
    return tlsh.hash(bytes(data))


def test_tlsh_list_and_distance(store: HashSetStore, tmp_path: Path) -> None:
    base, other = _tlsh_of(1), _tlsh_of(2)
    f = tmp_path / "fuzzy.txt"
    f.write_text(f"# tlsh list\n{base} skimmer loader v1\n{other[2:].lower()}\nT1XYZ broken\n")
    assert detect_format(f) == "tlsh"
    rep = store.import_file(f, name="fz", kind="notable")
    assert (rep.format, rep.added, rep.malformed) == ("tlsh", 2, 1)
    near = _tlsh_of(1, mutate=10)
    hits = store.lookup_tlsh(near)
    assert len(hits) == 1 and hits[0].value == base and hits[0].algorithm == "tlsh"
    assert hits[0].distance == tlsh.diff(near, base) and hits[0].distance <= 40
    assert store.lookup_tlsh_detailed(near)[0].label == "skimmer loader v1"
    assert store.lookup_tlsh(_tlsh_of(3)) == []  # unrelated data is far away
    assert len(store.lookup_tlsh(_tlsh_of(3), max_distance=10_000)) == 2
    assert store.lookup_tlsh("TNULL") == []
    assert store.lookup_value(base)[0].distance == 0


def test_add_fuzzy(store: HashSetStore) -> None:
    rep = store.add_fuzzy("fz2", [(_tlsh_of(5), "a"), ("bogus", "b")])
    assert (rep.added, rep.malformed) == (1, 1)
    assert store.lookup_tlsh(_tlsh_of(5))[0].set_name == "fz2"


def test_readonly(tmp_path: Path) -> None:
    with pytest.raises(HashSetStoreError, match="not found"):
        HashSetStore(tmp_path / "missing.db", readonly=True)
    f = tmp_path / "l.txt"
    f.write_text(MD5 + "\n")
    with HashSetStore(tmp_path / "db.db") as rw:
        rw.import_file(f, name="s", kind="known")
    with HashSetStore(tmp_path / "db.db", readonly=True) as ro:
        assert ro.lookup(md5=MD5)
        with pytest.raises(HashSetStoreError, match="read-only"):
            ro.import_file(f, name="s2", kind="known")


def test_bad_kind_and_format(store: HashSetStore, tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_text(MD5 + "\n")
    with pytest.raises(HashSetStoreError, match="kind"):
        store.import_file(f, name="s", kind="maybe")
    with pytest.raises(HashSetStoreError, match="unknown format"):
        store.import_file(f, name="s", kind="known", fmt="xml")


def test_million_row_import_bounded_memory(tmp_path: Path) -> None:
    """1M hashes stream through in 50k-row batches: Python memory stays small."""
    f = tmp_path / "big.txt"
    with f.open("w") as fh:
        for i in range(1_000_000):
            fh.write(f"{i:032x}\n")
    with HashSetStore(tmp_path / "big.db") as st:
        tracemalloc.start()
        try:
            rep = st.import_file(f, name="big", kind="known")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert rep.added == 1_000_000 and rep.malformed == 0
        assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
        assert st.lookup(md5=f"{999_999:032x}")[0].set_name == "big"
