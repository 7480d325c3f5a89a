"""Where triage keeps what it can rebuild: compiled YARA rules, compiled Hyperscan databases.

Nothing here is evidence or a finding. Deleting the folder costs a recompile
on the next scan, nothing else. Compiling is the slow part of starting a
process (Hyperscan takes about 0.2 s for the shipped scanners), and a scan
starts one process per worker, so every process loads what the first one
compiled.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "cache_dir"]


def cache_dir(kind: str) -> Path:
    """``$TRIAGE_CACHE_DIR/KIND``, else ``$XDG_CACHE_HOME/triage/KIND``, else ``~/.cache/triage/KIND``."""
    env = os.environ.get("TRIAGE_CACHE_DIR")
    if env:
        return Path(env).expanduser() / kind
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "triage" / kind


def atomic_write_bytes(dest: Path, data: bytes) -> None:
    """Write ``dest`` whole or not at all: processes starting together may race to fill the cache."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=dest.name, suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
