"""Where an export may write, and the manifest that proves what it wrote.

Shared by every command that writes files from a case (export, report,
extract): an existing output is never overwritten unless the examiner said
``--force``, and every output folder ends with two manifests:

- ``MANIFEST.sha256``: ``<sha256>  <relative path>`` lines, what
  ``sha256sum -c MANIFEST.sha256`` checks from inside the folder (it lists
  ``manifest.json`` too);
- ``manifest.json``: tool and version, when, the case (path, size, mtime and
  SHA-256 of the database file as it was read; a ``-wal`` beside it is
  recorded, since its pages are part of what was read but not of that hash),
  the case's run ids, the options, whether card numbers are masked, notes
  (CSV neutralisation, an interrupted case, truncated cells) and per file its
  SHA-256, size and row count.

An existing output is refused with :class:`OutputExists` (the commands turn it
into one line and exit code 2: the command line named a path that is taken).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage import __version__

if TYPE_CHECKING:
    from triage.case.reader import CaseReader

__all__ = [
    "MANIFEST_JSON", "MANIFEST_SHA256", "OutputExists", "ManifestFiles",
    "check_output_file", "prepare_output_dir", "sha256_file", "write_manifest",
]

MANIFEST_SHA256 = "MANIFEST.sha256"
MANIFEST_JSON = "manifest.json"
_CHUNK = 1 << 20


class OutputExists(Exception):
    """The output path is taken and ``--force`` was not given (or cannot help: a file where a folder goes)."""


@dataclass(frozen=True)
class ManifestFiles:
    """The two manifests written into an output folder."""

    sha256: Path
    json: Path


def prepare_output_dir(path: str | Path, force: bool) -> Path:
    """Make ``path`` ready to receive an export: new, empty, or (with ``force``) existing.

    An existing non-empty folder is refused without ``force``; with it, files
    of the same name are overwritten and other files are left alone (the
    manifest lists only what this export wrote). A file at ``path`` is refused
    either way: removing it is not ours to do.
    """
    out = Path(path)
    if out.exists() or out.is_symlink():
        if not out.is_dir():
            raise OutputExists(f"{out}: exists and is not a folder; give a new folder for the export")
        if not force and any(out.iterdir()):
            raise OutputExists(f"{out}: folder exists and is not empty; nothing overwritten (use --force)")
    out.mkdir(parents=True, exist_ok=True)
    return out


def check_output_file(path: str | Path, force: bool) -> Path:
    """A single output file (a report): refused when it exists, unless ``force``; never a folder."""
    out = Path(path)
    if out.is_dir():
        raise OutputExists(f"{out}: is a folder; give a file name")
    if (out.exists() or out.is_symlink()) and not force:
        raise OutputExists(f"{out}: exists; nothing overwritten (use --force)")
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _sum_line(digest: str, rel: str) -> str:
    """One ``sha256sum`` line; a name with a backslash, newline or CR in the escaped form sha256sum reads."""
    if any(c in rel for c in "\\\n\r"):
        esc = rel.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
        return f"\\{digest}  {esc}"
    return f"{digest}  {rel}"


def _case_record(reader: CaseReader) -> dict[str, Any]:
    path = reader.path.resolve()
    st = path.stat()
    wal = path.with_name(path.name + "-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    return {
        "path": str(path),
        "size": st.st_size,
        "mtime": datetime.fromtimestamp(st.st_mtime, UTC).isoformat().replace("+00:00", "Z"),
        "sha256": sha256_file(path),
        "wal_bytes": wal_bytes,
        "schema_version": reader.schema_version,
        "run_ids": [r.id for r in reader.runs()],
        "runs": [{"id": r.id, "status": r.status, "tool_version": r.tool_version, "started": r.started,
                  "finished": r.finished} for r in reader.runs()],
    }


def write_manifest(out_dir: Path, files: Sequence[Path], *, kind: str, reader: CaseReader | None,
                   options: Mapping[str, Any], rows: Mapping[str, int | None] | None = None,
                   notes: Sequence[str] = (), extra: Mapping[str, Any] | None = None) -> ManifestFiles:
    """Write ``manifest.json`` then ``MANIFEST.sha256`` (listing every file and manifest.json) into ``out_dir``.

    ``files`` are the outputs (inside ``out_dir``); ``rows`` maps a file's
    relative path to its row count (None where the format has no rows);
    ``kind`` names what was made (``export:csv``, ``report``, ``extract``).
    """
    out_dir = Path(out_dir)
    rows = rows or {}
    entries = []
    for f in files:
        rel = Path(f).resolve().relative_to(out_dir.resolve()).as_posix()
        entries.append({"path": rel, "sha256": sha256_file(Path(f)), "bytes": Path(f).stat().st_size,
                        "rows": rows.get(rel)})
    doc: dict[str, Any] = {
        "tool": "triage",
        "tool_version": __version__,
        "kind": kind,
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "host": os.uname().nodename if hasattr(os, "uname") else None,
        "case": _case_record(reader) if reader is not None else None,
        "options": dict(options),
        "card_numbers": "unmasked" if options.get("unmasked") else "masked (first six and last four digits)",
        "interrupted": reader.interrupted() if reader is not None else [],
        "notes": list(notes),
        "files": entries,
    }
    if extra:
        doc.update(extra)
    json_path = out_dir / MANIFEST_JSON
    json_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sha_path = out_dir / MANIFEST_SHA256
    lines = [_sum_line(str(e["sha256"]), str(e["path"])) for e in entries]
    lines.append(f"{sha256_file(json_path)}  {MANIFEST_JSON}")
    sha_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ManifestFiles(sha_path, json_path)
