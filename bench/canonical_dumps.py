"""The canonical dump of every fixture image's case, written or compared: behaviour unchanged by a refactor.

    .venv/bin/python bench/canonical_dumps.py write /tmp/canon-before     # before the change
    .venv/bin/python bench/canonical_dumps.py compare /tmp/canon-before   # after: exit 1 on any difference

Each image a manifest names (the ones that scan: ``tests/conftest.py``
``image_manifests()``) is scanned with the default options into a case of
its own in a temporary folder, then exported with ``--format canonical
--unmasked``; the dump is ``<manifest name>.jsonl``. ``compare`` prints the
first differing line of each dump that differs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFESTS = ROOT / "fixtures" / "manifests"
NL = b"\n"


def images() -> dict[str, Path]:
    """Manifest name -> image, for the images that must scan (as ``tests/conftest.py`` picks them)."""
    out = {}
    for p in sorted(MANIFESTS.glob("*.json")):
        data = json.loads(p.read_text(encoding="utf-8"))
        if "image" not in data or data.get("missing_parent"):
            continue
        out[p.stem] = ROOT / "fixtures" / data["image"]
    return out


def dump(image: Path, work: Path) -> bytes:
    """The canonical dump of one image's case, scanned with the default options."""
    case = work / "case.db"
    scan = subprocess.run([sys.executable, "-m", "triage", "scan", str(image), "--case", str(case), "--quiet"],
                          capture_output=True, text=True)
    if scan.returncode not in (0, 1):
        raise RuntimeError(f"{image.name}: scan exit {scan.returncode}: {scan.stderr.strip()}")
    out = work / "export"
    exp = subprocess.run([sys.executable, "-m", "triage", "export", str(case), "--format", "canonical",
                          "--unmasked", "-o", str(out)], capture_output=True, text=True)
    if exp.returncode not in (0, 1):
        raise RuntimeError(f"{image.name}: export exit {exp.returncode}: {exp.stderr.strip()}")
    return (out / "canonical.jsonl").read_bytes()


def _first_difference(a: bytes, b: bytes) -> str:
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return f"line {i + 1}:\n  before {x[:400]!r}\n  after  {y[:400]!r}"
    return f"{len(la)} lines before, {len(lb)} after"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("action", choices=("write", "compare"))
    ap.add_argument("folder", type=Path)
    ap.add_argument("--only", action="append", help="just this manifest name (repeatable)")
    args = ap.parse_args(argv)
    todo = {k: v for k, v in images().items() if not args.only or k in args.only}
    if args.action == "write":
        args.folder.mkdir(parents=True, exist_ok=True)
    differ = 0
    for name, image in todo.items():
        with tempfile.TemporaryDirectory(prefix="canon-") as tmp:
            got = dump(image, Path(tmp))
        target = args.folder / f"{name}.jsonl"
        if args.action == "write":
            target.write_bytes(got)
            print(f"{name}: {got.count(NL)} rows")
        elif not target.exists():
            print(f"{name}: no dump in {args.folder}")
            differ += 1
        elif target.read_bytes() != got:
            print(f"{name}: DIFFERS, {_first_difference(target.read_bytes(), got)}")
            differ += 1
        else:
            print(f"{name}: same ({got.count(NL)} rows)")
    if args.action == "compare":
        print(f"{len(todo) - differ} of {len(todo)} dumps the same")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
