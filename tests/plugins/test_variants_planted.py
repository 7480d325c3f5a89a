"""Issue 28 end to end: an ext4 image (mke2fs -d) planted with the written forms real data carries, scanned by
the real ``triage scan``: every planted address, table pair and bare pair found whole, no near-miss decoy."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.case.test_extension_mismatch import needs_mke2fs

FILES = {
    "contacts.txt": "To: Sean O'Brien <o'brien@example.co.uk>\r\nCc: \"mary o'hara\"@example.ie, "
                    "ops{team}@example.org\r\nemail=ann.smith@example.com\r\n",
    "web.log": "GET /login?next=/home&user=kim@example.net HTTP/1.1 200\n/home/u/lee@example.com\n",
    "payees.csv": "Payee export March\r\n\"Payee\",\"sort_code\",\"ACCOUNT_NO\",\"Amount (GBP)\"\r\n"
                  "\"J Smith\",\"08-99-99\",\"66374958\",\"10.00\"\r\n",
    "mules.tsv": "Mule accounts\n\nname\tSort Code (6 digits)\taccountNumber\nK Jones\t107999\t88837491\n",
    "notes.txt": "Bank transfer to Barclays\n202959 63748472\n",
    # decoys: a bare pair that fails the modulus check in a banking context, one that passes without any,
    # an address cut by a non-ASCII local part, one with no known TLD, a URL's user name
    "decoys.txt": "Bank transfer to Lloyds\n089999 66374959\n",
    "build.log": "build 118765 64371389 ok\nj\u00f6rg@example.de bob@example.notatld https://eve@example.com/\n",
}
WANT_EMAIL = {"o'brien@example.co.uk", '"mary o\'hara"@example.ie', "ops{team}@example.org", "ann.smith@example.com",
              "kim@example.net", "lee@example.com"}
WANT_PAIRS = {"089999-66374958", "107999-88837491", "202959-63748472"}


@needs_mke2fs
def test_planted_variants_are_found_whole_and_no_decoy(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    for name, text in FILES.items():
        (src / name).write_bytes(text.encode("utf-8"))
    image = tmp_path / "variants.raw"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-E", "root_owner=0:0", "-d", str(src),
                    str(image), "2M"], check=True, stdout=subprocess.DEVNULL,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "E2FSPROGS_FAKE_TIME": "1700000000"})
    case = tmp_path / "case.db"
    proc = subprocess.run([sys.executable, "-m", "triage", "scan", str(image), "--case", str(case), "--quiet",
                           "--no-yara"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with sqlite3.connect(case) as conn:
        emails = {v for (v,) in conn.execute("SELECT value FROM artefacts WHERE type = 'email'")}
        pairs = dict(conn.execute("SELECT value, json_extract(extra, '$.modulus') FROM artefacts "
                                  "WHERE type = 'uk_bank_account'").fetchall())
    assert emails == WANT_EMAIL  # recall 1.0; nothing truncated ("rg@..."), no decoy
    assert set(pairs) == WANT_PAIRS and set(pairs.values()) == {"pass"}
