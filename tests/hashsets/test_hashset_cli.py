"""`triage hashset` click commands: output and exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from triage.commands.hashset import hashset_group

MD5 = hashlib.md5(b"x").hexdigest()


def test_hashset_import_list_lookup(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    f = tmp_path / "l.txt"
    f.write_text(f"{MD5}\nnope\n")
    r = CliRunner().invoke(hashset_group, ["import", str(f), "--name", "op", "--kind", "notable", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "1 added, 0 duplicates, 1 malformed" in r.output and "line 2: 'nope'" in r.output
    r = CliRunner().invoke(hashset_group, ["list", "--db", str(db), "--json"])
    data = json.loads(r.output)
    assert data[0]["name"] == "op" and data[0]["count"] == 1 and data[0]["imported"]
    r = CliRunner().invoke(hashset_group, ["list", "--db", str(db)])
    assert "op" in r.output and "notable" in r.output
    r = CliRunner().invoke(hashset_group, ["lookup", MD5.upper(), "--db", str(db)])
    assert r.exit_code == 0 and f"op (notable) md5 {MD5}" in r.output
    r = CliRunner().invoke(hashset_group, ["lookup", "0" * 40, "--db", str(db)])
    assert r.exit_code == 0 and "not found" in r.output


def test_hashset_env_db(tmp_path: Path) -> None:
    f = tmp_path / "l.txt"
    f.write_text(f"{MD5}\n")
    env = {"TRIAGE_HASHSET_DB": str(tmp_path / "env.db")}
    r = CliRunner().invoke(hashset_group, ["import", str(f), "--name", "a", "--kind", "known"], env=env)
    assert r.exit_code == 0 and (tmp_path / "env.db").exists()


def test_hashset_errors_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    r = CliRunner().invoke(hashset_group, ["lookup", "xyz", "--db", str(db)])
    assert r.exit_code != 0 and "Traceback" not in r.output and "not found" in r.output
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n")
    r = CliRunner().invoke(hashset_group, ["import", str(f), "--name", "a", "--kind", "known", "--format", "csv",
                                           "--db", str(db)])
    assert r.exit_code == 1 and r.output.startswith("Error: ") and len(r.output.strip().splitlines()) == 1
    r = CliRunner().invoke(hashset_group, ["lookup", "xyz", "--db", str(db)])
    assert r.exit_code == 1 and "not an md5/sha1/sha256/TLSH digest" in r.output
