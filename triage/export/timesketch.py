"""``timesketch``: the case's times as Timesketch JSONL events, streamed.

One JSON object per line with the fields Timesketch requires (``message``,
``datetime`` ISO 8601 with ``+00:00``, ``timestamp_desc``, ``timestamp`` in
microseconds since 1970 as an integer) and the fields an examiner filters on
(``exhibit``, ``path``, ``sha256``, ``data_type``, ``file_id``; for artefacts
``artefact_type``, ``value``, ``artefact_id``, ``plugin``).

- Files: one event per MACB time a row has, as plaso does (one event per
  timestamp, not one per file): ``Content Modification Time`` (mtime),
  ``Last Access Time`` (atime), ``Metadata Modification Time`` (ctime),
  ``Creation Time`` (crtime); ``data_type`` ``fs:stat``. Times come from the
  ``*_raw`` POSIX seconds, so sub-second precision is kept.
- Artefacts: one event per artefact with a ``timestamp`` (browser visits,
  downloads, searches, autofill, saved cards and logins, cookies, photos,
  documents, mail, stealer logs, ...), ``timestamp_desc`` saying what the
  time is for its type (``TIMESTAMP_DESC``), ``data_type``
  ``triage:artefact:TYPE``. ``extra`` is the artefact's extra fields as JSON
  text, not an object: its fields differ in type between artefacts
  (``source`` is an object for a browser record, a string for unallocated
  space) and Timesketch's index takes one type per field; a visit's
  ``title`` (a message's ``subject``) and the ``browser`` are fields of
  their own. Card numbers masked unless ``--unmasked``.

Events are written in case order (files, then artefacts), not sorted:
Timesketch sorts on import.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from triage.export import ExportOptions
from triage.export.safe import mask_card_numbers, mask_card_value

if TYPE_CHECKING:
    from triage.case.reader import ArtefactRow, CaseReader, FileRow

__all__ = ["EVENTS_FILE", "FILE_TIMES", "TIMESTAMP_DESC", "artefact_event", "export", "file_events", "parse_iso"]

EVENTS_FILE = "timesketch.jsonl"

#: file column -> plaso's timestamp_desc
FILE_TIMES = (("mtime", "Content Modification Time"), ("atime", "Last Access Time"),
              ("ctime", "Metadata Modification Time"), ("crtime", "Creation Time"))

#: artefact type -> what its ``timestamp`` is (docs/artefacts-structured.md)
TIMESTAMP_DESC = {
    "url": "Last Visited Time",
    "download": "Start Time",
    "search_term": "Last Used Time",
    "autofill": "Last Used Time",
    "saved_card": "Last Used Time",
    "saved_login": "Last Used Time",
    "cookie": "Creation Time",
    "stealer_log": "Earliest Member Modification Time",
    "exif_gps": "GPS Time",
    "exif_device": "Picture Taken Time",
    "document_meta": "Document Modification Time",
    "email_message": "Message Date",
    "email": "Message Date",
}
_DEFAULT_DESC = "Record Time"
_MIN_US, _MAX_US = -62135596800 * 10**6, 253402300799 * 10**6  # datetime's years 1..9999


def _event_time(us: int) -> str:
    return datetime.fromtimestamp(us / 1e6, UTC).isoformat(timespec="microseconds")


def parse_iso(text: str | None) -> int | None:
    """Microseconds since 1970 of a case time (ISO 8601 UTC text, ``Z`` or an offset); None when unreadable."""
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:  # the case keeps UTC only; a naive time is read as UTC
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds


def _us(seconds: float | None) -> int | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    us = round(seconds * 1e6)
    return us if _MIN_US <= us <= _MAX_US else None


def file_events(f: FileRow) -> Iterator[dict[str, Any]]:
    for column, desc in FILE_TIMES:
        us = _us(getattr(f, f"{column}_raw"))
        if us is None:
            continue
        yield {
            "message": f"{f.evidence_id}:{f.path}" + (" (deleted)" if f.deleted else ""),
            "datetime": _event_time(us), "timestamp": us, "timestamp_desc": desc,
            "data_type": "fs:stat", "exhibit": f.evidence_id, "path": f.path, "file_id": f.id,
            "sha256": f.sha256, "size": f.size, "file_type": f.type, "deleted": bool(f.deleted),
            "mime": f.mime,
        }


def artefact_event(a: ArtefactRow, unmasked: bool) -> dict[str, Any] | None:
    us = parse_iso(a.timestamp)
    if us is None or not _MIN_US <= us <= _MAX_US:
        return None
    value = a.value if unmasked else mask_card_value(a.type, a.value)
    extra = None if a.extra is None else json.dumps(a.extra, ensure_ascii=False, sort_keys=True)
    if not unmasked:
        extra = mask_card_numbers(extra)
    where = f" in {a.evidence_id}:{a.file_path}" if a.file_path else f" in {a.evidence_id} (unallocated)"
    return {
        "message": f"{a.type}: {value}{where}",
        "datetime": _event_time(us), "timestamp": us,
        "timestamp_desc": TIMESTAMP_DESC.get(a.type, _DEFAULT_DESC),
        "data_type": f"triage:artefact:{a.type}", "exhibit": a.evidence_id, "path": a.file_path,
        "file_id": a.file_id, "sha256": a.file_sha256, "artefact_id": a.id, "artefact_type": a.type,
        "value": value, "plugin": a.plugin, "offset": a.offset, "extra": extra,
        **_promoted(a.extra, unmasked),
    }


def _promoted(extra: Any, unmasked: bool) -> dict[str, Any]:
    """A few scalar extra fields as event fields of their own (a visit's title, the browser)."""
    if not isinstance(extra, dict):
        return {}
    out: dict[str, Any] = {}
    title = extra.get("title") or extra.get("subject")
    if isinstance(title, str):
        out["title"] = title if unmasked else mask_card_numbers(title)
    source = extra.get("source")
    if isinstance(source, dict) and isinstance(source.get("browser"), str):
        out["browser"] = source["browser"]
    return out


def export(reader: CaseReader, out: Path, options: ExportOptions,
           counts: dict[str, int | None] | None = None) -> list[Path]:
    """``timesketch.jsonl``: file MACB events, then every dated artefact."""
    path = out / EVENTS_FILE
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for f in reader.iter_files(options.evidence_ids):
            for ev in file_events(f):
                fh.write(json.dumps(ev, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
        for a in reader.iter_artefacts(options.evidence_ids, dated_only=True):
            dated = artefact_event(a, options.unmasked)
            if dated is not None:
                fh.write(json.dumps(dated, ensure_ascii=False, separators=(",", ":")) + "\n")
                n += 1
    if counts is not None:
        counts[path.name] = n
    return [path]
