"""Hash sets and YARA in the scan: known files skip the work, notable ones are flagged, rules find what they should."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import tlsh

from tests.conftest import FIXTURES, load_manifest, rows

IMAGE = FIXTURES / "images/fat16_mbr.raw"
MANIFEST = load_manifest("fat16_mbr")
BY_PATH = {f["path"]: f for f in MANIFEST["files"]}
KNOWN = "/README.TXT"
NOTABLE = "/Documents/Reports/2023/summary.txt"


def triage(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "triage", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _rules(tmp_path: Path) -> Path:
    rule = tmp_path / "unseen.yar"
    rule.write_text(
        'rule any_file_with_bytes { meta: author = "test" score = 10 condition: filesize > 0 }\n'
        'rule quarterly { strings: $q = "Quarterly summary" condition: $q and extension == ".txt" }\n')
    return rule


def _hashsets(tmp_path: Path) -> Path:
    db = tmp_path / "sets.db"
    known = tmp_path / "known.txt"
    known.write_text(f"# an NSRL-like known list\n{BY_PATH[KNOWN]['sha256']}\nnot-a-hash\n")
    notable = tmp_path / "notable.md5"
    notable.write_text(f"{BY_PATH[NOTABLE]['md5']}  summary.txt\n")
    assert triage("hashset", "import", known, "--name", "os-files", "--kind", "known", "--db", db).returncode == 0
    assert triage("hashset", "import", notable, "--name", "case-41", "--kind", "notable", "--db", db).returncode == 0
    return db


def test_known_files_are_marked_and_skip_yara(tmp_path: Path) -> None:
    case = tmp_path / "c.db"
    proc = triage("scan", IMAGE, "--case", case, "--rules", _rules(tmp_path), "--hashsets", _hashsets(tmp_path),
                  "--no-bundled-rules", "-q")
    assert proc.returncode == 0, proc.stderr
    known = rows(case, "SELECT id, known, notable FROM files WHERE path = ?", (KNOWN,))[0]
    assert known["known"] == 1 and known["notable"] == 0
    assert not rows(case, "SELECT 1 FROM yara_matches WHERE file_id = ?", (known["id"],))
    hits = rows(case, "SELECT set_name, kind, algorithm FROM hash_hits WHERE file_id = ?", (known["id"],))
    assert [tuple(h) for h in hits] == [("os-files", "known", "sha256")]
    # every other file with bytes still went through YARA
    other = rows(case, "SELECT count(*) AS n FROM files f WHERE f.size > 0 AND f.known = 0 AND f.type = 'regular' "
                       "AND f.deleted = 0 AND NOT EXISTS (SELECT 1 FROM yara_matches y WHERE y.file_id = f.id)")
    assert other[0]["n"] == 0


def test_scan_known_overrides_the_skip(tmp_path: Path) -> None:
    case = tmp_path / "c.db"
    triage("scan", IMAGE, "--case", case, "--rules", _rules(tmp_path), "--hashsets", _hashsets(tmp_path),
           "--no-bundled-rules", "--scan-known", "-q")
    known = rows(case, "SELECT id FROM files WHERE path = ?", (KNOWN,))[0]
    assert rows(case, "SELECT rule FROM yara_matches WHERE file_id = ?", (known["id"],))


def test_notable_files_are_flagged_with_their_set(tmp_path: Path) -> None:
    case = tmp_path / "c.db"
    proc = triage("scan", IMAGE, "--case", case, "--hashsets", _hashsets(tmp_path), "--no-yara", "--json")
    assert '"notable": 1' in proc.stdout
    hit = rows(case, "SELECT f.path, h.set_name, h.kind, h.algorithm, h.value FROM hash_hits h JOIN files f "
                     "ON f.id = h.file_id WHERE h.kind = 'notable'")
    assert [tuple(h) for h in hit] == [(NOTABLE, "case-41", "notable", "md5", BY_PATH[NOTABLE]["md5"])]


def test_unseen_rule_gives_a_match_row_with_string_offsets(tmp_path: Path) -> None:
    case = tmp_path / "c.db"
    triage("scan", IMAGE, "--case", case, "--rules", _rules(tmp_path), "--no-bundled-rules", "-q")
    m = rows(case, "SELECT y.rule, y.namespace, y.strings, y.meta, f.path FROM yara_matches y JOIN files f "
                   "ON f.id = y.file_id WHERE y.rule = 'quarterly'")
    assert [r["path"] for r in m] == [NOTABLE]
    assert '"identifier": "$q"' in m[0]["strings"] and '"offset": 0' in m[0]["strings"]
    assert m[0]["namespace"] == "unseen"


def test_near_copy_of_a_notable_file_is_flagged_with_its_distance(tmp_path: Path) -> None:
    # the notable list holds the TLSH of a modified copy of /bin/blob300k.bin
    import random

    blob = bytearray(random.Random("fat16-blob").randbytes(307200))
    assert hashlib.sha256(blob).hexdigest() == BY_PATH["/bin/blob300k.bin"]["sha256"]
    blob[1000:1400] = bytes(400)
    fuzzy = tmp_path / "fuzzy.txt"
    fuzzy.write_text(f"{tlsh.hash(bytes(blob))} altered-blob\n")
    sets = tmp_path / "sets.db"
    assert triage("hashset", "import", fuzzy, "--name", "near", "--kind", "notable", "--format", "tlsh",
                  "--db", sets).returncode == 0
    case = tmp_path / "c.db"
    triage("scan", IMAGE, "--case", case, "--hashsets", sets, "--no-yara", "--no-plugins", "-q")
    hit = rows(case, "SELECT f.path, h.algorithm, h.distance FROM hash_hits h JOIN files f ON f.id = h.file_id")
    assert [(h["path"], h["algorithm"]) for h in hit] == [("/bin/blob300k.bin", "tlsh")]
    assert 0 < hit[0]["distance"] <= 40
    blob_tlsh = rows(case, "SELECT tlsh FROM files WHERE path = '/bin/blob300k.bin'")[0]["tlsh"]
    assert blob_tlsh == tlsh.hash(blob_bytes())


def test_tlsh_is_computed_only_when_a_list_needs_it_or_when_asked(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    asked = tmp_path / "asked.db"
    sets = _hashsets(tmp_path)  # hash lists, no TLSH list
    assert triage("scan", IMAGE, "--case", plain, "--hashsets", sets, "--no-yara", "--no-plugins", "-q").returncode == 0
    assert triage("scan", IMAGE, "--case", asked, "--hashsets", sets, "--no-yara", "--no-plugins", "--tlsh",
                  "-q").returncode == 0
    assert rows(plain, "SELECT count(*) AS n FROM files WHERE tlsh IS NOT NULL")[0]["n"] == 0
    got = rows(asked, "SELECT tlsh FROM files WHERE path = '/bin/blob300k.bin'")[0]["tlsh"]
    assert got == tlsh.hash(blob_bytes())


def blob_bytes() -> bytes:
    import random

    return random.Random("fat16-blob").randbytes(307200)


def test_bad_rules_stop_the_scan_before_it_starts_unless_skipped(tmp_path: Path) -> None:
    bad = tmp_path / "rules"
    bad.mkdir()
    (bad / "good.yar").write_text('rule fine { strings: $a = "Quarterly" condition: $a }\n')
    (bad / "broken.yar").write_text("rule broken {\n  strings: $a = \"x\"\n  condition: $b\n}\n")
    case = tmp_path / "c.db"
    proc = triage("scan", IMAGE, "--case", case, "--rules", bad, "--no-bundled-rules", "--no-plugins")
    import re

    assert proc.returncode == 4 and "Traceback" not in proc.stderr
    assert re.search(r"broken\.yar:\d+: undefined string", proc.stderr)
    assert not case.exists() or not rows(case, "SELECT 1 FROM files")
    proc = triage("scan", IMAGE, "--case", case, "--rules", bad, "--no-bundled-rules", "--no-plugins",
                  "--skip-bad-rules", "-q")
    assert proc.returncode == 0, proc.stderr
    skipped = rows(case, "SELECT stage, path, message FROM errors WHERE stage = 'yara'")
    assert [r["path"].endswith("broken.yar") for r in skipped] == [True]
    assert rows(case, "SELECT count(*) AS n FROM yara_matches WHERE rule = 'fine'")[0]["n"] == 1
