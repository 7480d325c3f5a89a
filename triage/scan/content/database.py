"""The Hyperscan databases of one matcher: every pattern in one, streaming and block mode, and the UTF-16LE detector.

* **One pass, all patterns.** Every scanner's pattern is compiled once into a
  single database in streaming mode, so a file's bytes are looked at once
  however many scanners are enabled, and a match spanning two chunks is
  still found. Identical prefilters share one expression (one callback):
  ``targets[expression id]`` lists the patterns it stands for.
* **Block mode for whole small files.** The same expressions compiled a
  second time in block mode: a file that fits one chunk is one scan call,
  no stream to open and close. Only a shortcut: should block mode refuse
  what stream mode took, those files stream too.
* **The UTF-16LE run detector** is a database of its own (see
  :mod:`triage.scan.content.utf16`), or the one expression of the main
  database when no pattern is left.
* **A bad pattern drops its scanner**, found by compiling the patterns one
  by one when the whole set fails, and recorded as an error.

Compiled databases are cached on disk (:mod:`triage.scan.content.hscache`).
One scratch per thread serves every stream; closing a stream uses the
database's own scratch, so it is done under :attr:`HyperscanDatabases.lock`.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from triage.extractors.api import HIT_CONTEXT_BYTES, Pattern
from triage.scan.content.hscache import compile_db
from triage.scan.content.patterns import CompiledPattern
from triage.scan.content.utf16 import U16_RUN_END

__all__ = ["HyperscanDatabases", "hs", "hyperscan_available"]

hs: Any
try:  # pragma: no cover - exercised by whichever engine is present
    import hyperscan as hs
except Exception:  # noqa: BLE001 - any import failure means "no hyperscan"
    hs = None


def hyperscan_available() -> bool:
    """True when the Hyperscan engine will be used by default."""
    return hs is not None and os.environ.get("TRIAGE_NO_HYPERSCAN", "") not in ("1", "true", "yes")


def _flags(p: Pattern) -> int:
    return hs.HS_FLAG_CASELESS if p.caseless else 0  # type: ignore[no-any-return]


class HyperscanDatabases:
    """The compiled databases and what maps their expression ids back to patterns.

    Build with :meth:`build`, which also says which scanners had to be dropped.
    """

    def __init__(self, db: Any, block_db: Any, u16_db: Any, targets: list[tuple[int, ...]],
                 margins: list[int]) -> None:
        #: streaming database of every expression (and the UTF-16 detector when it is the only one)
        self.db = db
        #: the same expressions in block mode, or None when block mode refused them
        self.block_db = block_db
        #: the UTF-16LE run detector's own streaming database; None when it is in ``db`` or off
        self.u16_db = u16_db
        #: expression id -> the patterns (indexes) it stands for
        self.targets = targets
        #: expression id -> how far behind the stream its events are all consumed
        self.margins = margins
        #: the detector's expression id (in ``db`` or ``u16_db``): the one after the patterns'
        self.u16_id = len(targets)
        self.lock = threading.Lock()
        self._tls = threading.local()

    @classmethod
    def build(cls, pats: list[CompiledPattern], utf16: bool,
              ) -> tuple[HyperscanDatabases, list[CompiledPattern], list[tuple[int, str]]]:
        """The databases of ``pats``; the patterns kept; ``(scanner index, message)`` of each scanner dropped."""
        assert hs is not None
        try:
            return cls._compile(pats, utf16), pats, []
        except Exception:  # noqa: BLE001 - find the culprit(s) below
            pass
        dropped: list[tuple[int, str]] = []
        bad: set[int] = set()
        for p in pats:
            try:
                db = hs.Database(mode=hs.HS_MODE_STREAM)
                db.compile(expressions=[p.pattern.prefilter or p.pattern.regex], ids=[0], elements=1,
                           flags=[_flags(p.pattern)])
            except Exception as exc:  # noqa: BLE001
                if p.scanner not in bad:
                    dropped.append((p.scanner, f"pattern {p.pattern.id!r} rejected by hyperscan: {exc}"))
                bad.add(p.scanner)
        kept = [p for p in pats if p.scanner not in bad]
        return cls._compile(kept, utf16), kept, dropped

    @classmethod
    def _compile(cls, pats: list[CompiledPattern], utf16: bool) -> HyperscanDatabases:
        key_to_id: dict[tuple[bytes, bool], int] = {}
        exprs: list[bytes] = []
        flags: list[int] = []
        targets: list[tuple[int, ...]] = []
        for pid, p in enumerate(pats):
            key = (p.pattern.prefilter or p.pattern.regex, p.pattern.caseless)
            hid = key_to_id.get(key)
            if hid is None:
                hid = key_to_id[key] = len(exprs)
                exprs.append(key[0])
                flags.append(_flags(p.pattern))
                targets.append(())
            targets[hid] = (*targets[hid], pid)
        u16_db = None
        if utf16:
            if exprs:
                u16_db = compile_db(hs, hs.HS_MODE_STREAM, [U16_RUN_END], [len(exprs)], [0])
            else:  # a database needs an expression: the detector is it
                exprs.append(U16_RUN_END)
                flags.append(0)
        db = compile_db(hs, hs.HS_MODE_STREAM, exprs, range(len(exprs)), flags)
        # the same expressions for a whole file in one block scan (most files): no stream
        # to open and close, which was a third of a small file's cost. Only a shortcut:
        # should block mode refuse what stream mode took, one-shot files stream too
        try:
            block_db = compile_db(hs, hs.HS_MODE_BLOCK, exprs, range(len(exprs)), flags)
        except Exception:  # noqa: BLE001 - the streaming database serves every file
            block_db = None
        margins = [max(pats[pid].max_len for pid in t) + HIT_CONTEXT_BYTES for t in targets]
        return cls(db, block_db, u16_db, targets, margins)

    def _scratch(self, name: str, db: Any) -> Any:
        scr = getattr(self._tls, name, None)
        if scr is None:
            scr = db.scratch.clone()
            setattr(self._tls, name, scr)
        return scr

    def scratch(self) -> Any:
        """This thread's scratch for the streaming database (a scan call never nests in another)."""
        return self._scratch("scratch", self.db)

    def block_scratch(self) -> Any:
        """This thread's scratch for the block-mode database."""
        return self._scratch("block_scratch", self.block_db)

    def u16_scratch(self) -> Any:
        """This thread's scratch for the UTF-16LE run detector's database."""
        return self._scratch("u16_scratch", self.u16_db)
