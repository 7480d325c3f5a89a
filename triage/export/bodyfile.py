r"""``bodyfile``: every file of the case as a TSK 3.x body line, for ``mactime``.

``MD5|name|inode|mode_as_string|UID|GID|size|atime|mtime|ctime|crtime``, one
line per ``files`` row (directories, deleted entries, alternate data streams
and archive members too), as ``fls -m`` writes them:

- ``name`` is ``EXHIBIT/path`` (``EXHIBIT/vol_ADDR/path`` when the exhibit
  has more than one file-system volume), `` (deleted)`` appended to a deleted
  entry;
- ``mactime`` splits a line on ``|`` and then decodes every ``%XX`` of each
  field (its ``tm_split``: ``s/%([A-F0-9][A-F0-9])/pack("C", hex($1))/egis``),
  so ``%`` is written ``%25`` and ``|`` ``%7C``: such a name comes back from
  mactime as it was;
- a control character (newline, CR, tab, DEL ...) is written ``^``, as
  ``fls`` prints it: ``%0A`` would be decoded into a newline that mactime's
  own sort key (``/^(\d+),([\d-]+),(.*)$/``) cannot hold, and the line would
  silently drop out of the timeline. The exact name is in the csv/jsonl
  exports (``files.path``);
- the mode string is the file type (``r/r``, ``d/d``, ``l/l``, ``v/v`` ...)
  with ``---------``: the case does not keep permission bits; UID and GID are
  0 (not kept either); a missing MD5 is ``0``, a missing number ``0``; times
  are whole POSIX seconds (fractions dropped, as in TSK 3.x bodies).

``mactime`` skips a line whose four times are all 0 (nothing to place on a
timeline), as it does for fls output.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from triage.export import ExportOptions

if TYPE_CHECKING:
    from triage.case.reader import CaseReader, FileRow

__all__ = ["BODYFILE", "body_line", "escape_field", "export"]

BODYFILE = "bodyfile.txt"

_TYPE_LETTER = {"regular": "r", "dir": "d", "link": "l", "virtual": "v", "virtual_dir": "V", "fifo": "p",
                "char": "c", "block": "b", "socket": "s"}
_ESCAPE = {ord("%"): "%25", ord("|"): "%7C", **{c: "^" for c in [*range(0x20), 0x7F]}}


def escape_field(text: str) -> str:
    """A body field: ``%`` and ``|`` as ``%XX`` (mactime decodes them back), control characters as ``^``."""
    return text.translate(_ESCAPE)


def _secs(value: float | None) -> int:
    if value is None or not math.isfinite(value):
        return 0
    return math.floor(value)


def body_line(f: FileRow, prefix: str) -> str:
    t = _TYPE_LETTER.get(f.type, "-")
    name = prefix + f.path + (" (deleted)" if f.deleted else "")
    fields = [f.md5 or "0", escape_field(name), str(f.inode or 0), f"{t}/{t}---------", "0", "0",
              str(f.size or 0), str(_secs(f.atime_raw)), str(_secs(f.mtime_raw)), str(_secs(f.ctime_raw)),
              str(_secs(f.crtime_raw))]
    return "|".join(fields) + "\n"


def _prefixes(reader: CaseReader, evidence_ids: list[str]) -> dict[tuple[str, int | None], str]:
    prefixes: dict[tuple[str, int | None], str] = {}
    for ev in evidence_ids:
        fs_volumes = [v for v in reader.volumes(ev) if v.fs_type]
        for v in reader.volumes(ev):
            prefixes[(ev, v.id)] = f"{ev}/vol_{v.addr}" if len(fs_volumes) > 1 else ev
        prefixes[(ev, None)] = ev
    return prefixes


def export(reader: CaseReader, out: Path, options: ExportOptions,
           counts: dict[str, int | None] | None = None) -> list[Path]:
    """``bodyfile.txt``: one body line per file of the exhibits asked for, streamed."""
    evidence_ids = list(options.evidence_ids) if options.evidence_ids is not None else reader.evidence_ids()
    prefixes = _prefixes(reader, evidence_ids)
    path = out / BODYFILE
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for f in reader.iter_files(evidence_ids):
            prefix = prefixes.get((f.evidence_id, f.volume_id)) or f.evidence_id
            fh.write(body_line(f, prefix))
            n += 1
    if counts is not None:
        counts[path.name] = n
    return [path]
