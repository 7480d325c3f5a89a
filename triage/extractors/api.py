"""The plugin contract: what an extractor declares and what it may return.

Three kinds of plugin exist. A *content scanner* declares trigger patterns;
the engine compiles every scanner's patterns into one multi-pattern matcher,
runs it over the bytes of every file (8-bit and UTF-16LE) and of unallocated
space, and hands each candidate to the owning scanner's ``validate``. A
*file parser* declares which files it wants and gets a read-only temporary
copy of each. A *tree analyser* looks at a volume's whole file list once
(folder layouts such as stealer-log bundles). All only return :class:`triage.records.Artefact` records:
they never print, never write to the case and never open the evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from triage.records import Artefact, Entry

#: Bytes of context the engine gives a validator on each side of a match.
HIT_CONTEXT_BYTES = 256
#: how much of a stream's start every Hit carries (see Hit.head)
HEAD_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Pattern:
    """A trigger for the multi-pattern matcher.

    ``regex`` must be in the common subset of Hyperscan and Python ``re``
    (bytes): no back-references, no look-around. It should match the whole
    candidate; the validator decides. ``max_len`` bounds a match's length so
    the engine knows how much overlap a chunk boundary needs.
    """

    id: str  # unique within its plugin
    regex: bytes
    max_len: int = 128
    caseless: bool = False
    #: Optional Hyperscan-only trigger, for speed. Every match of ``regex``
    #: must contain a match of ``prefilter`` (typically its distinctive
    #: tail, e.g. ``@domain.tld`` of an e-mail address): the engine runs
    #: ``regex`` itself around each place the prefilter fires. Hyperscan is
    #: slow on a large character class with a bounded repeat ahead of the
    #: literal that makes a pattern rare; the prefilter leaves it out.
    prefilter: bytes | None = None
    #: Optional promise, for speed: the validator reads no more than this many
    #: bytes on each side of the match (0: the match alone), and its answer
    #: depends on those bytes alone. Within a file, a candidate whose bytes
    #: and reach repeat an earlier one's is then not validated again: it is
    #: counted into the earlier candidate's artefacts (a domain in every
    #: e-mail address of a mail log, one test card all through a file).
    #: None: no promise, every candidate is validated.
    reach: int | None = None


@dataclass(slots=True)
class Hit:
    """A candidate found by the matcher, with the bytes around it.

    ``data`` is a window of the (decoded, for UTF-16LE) stream; ``start`` and
    ``end`` locate the match inside ``data``. ``offset`` is the match's
    position in the file (or volume), in original bytes, whatever the
    encoding. Validators may look at the bytes around the match (for a sort
    code near an account number, a key word near a number).

    Not frozen: one is built for every candidate (tens of thousands per GB of
    text) and a frozen dataclass's ``__init__`` costs three times as much.
    The engine makes a new one for each call and never reads it back.
    """

    pattern_id: str
    data: bytes
    start: int
    end: int
    offset: int
    encoding: str  # "ascii" or "utf-16le"
    #: the first bytes of the stream (up to HEAD_BYTES; of the decoded text,
    #: for UTF-16LE): where a table's header row names its columns, for a
    #: validator that judges a row by its column (a sort code under "Sort
    #: Code"). A validator that reads it must not promise a ``reach``.
    head: bytes = b""

    @property
    def match(self) -> bytes:
        return self.data[self.start : self.end]

    @property
    def before(self) -> bytes:
        return self.data[: self.start]

    @property
    def after(self) -> bytes:
        return self.data[self.end :]

    def offset_at(self, pos: int) -> int:
        """Original-byte offset of position ``pos`` of ``data``.

        For a validator whose artefact starts elsewhere than the match (a
        sort code found before the account number, a combo line's leading
        newline): UTF-16LE text was squeezed to one byte a character, so one
        step in ``data`` is two bytes of the file. Exact within one run of
        text, which is all a validator should span.
        """
        step = 2 if self.encoding == "utf-16le" else 1
        return self.offset + (pos - self.start) * step


@runtime_checkable
class ContentScanner(Protocol):
    name: str
    version: str
    kind: str  # "content"
    emits: Sequence[str]  # artefact types this scanner may produce
    patterns: Sequence[Pattern]

    def validate(self, hit: Hit) -> Iterable[Artefact]:
        """Return the artefacts this candidate really is (none for a near miss)."""
        ...


@runtime_checkable
class FileParser(Protocol):
    name: str
    version: str
    kind: str  # "file"
    emits: Sequence[str]
    #: upper bound of file size the parser accepts; bigger files are skipped
    max_bytes: int
    #: sibling files copied next to the temporary copy when present, as
    #: suffixes of the entry's name (``("-wal", "-journal")`` for SQLite)
    companion_suffixes: Sequence[str]

    def wants(self, entry: Entry, mime: str | None) -> bool:
        """Cheap decision from the entry's name, path and MIME type."""
        ...

    def parse(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        """Parse a read-only temporary copy of the entry's bytes at ``path``.

        ``path`` keeps the entry's own file name, and companions sit beside it
        under their own names, so ``path.with_name(path.name + "-wal")``
        exists when the evidence had one.
        """
        ...


#: reads up to ``max_bytes`` of the file at a volume path; raises OSError
ReadFile = Callable[[str, int], bytes]


@runtime_checkable
class TreeAnalyser(Protocol):
    """Runs once per volume after its walk, over every entry's path.

    For what only a folder layout shows: a credential-stealer log bundle
    (Passwords.txt beside Autofills/ and Cookies/), a wallet's app folder.
    Yields ``(path, artefact)`` pairs: the path of the file or directory
    the artefact belongs to.

    ``entries`` is streamed from the case database, in path order (a folder
    before what it holds), not a list: each ``for`` over it reads the
    volume's entries again and ``len()`` counts them, but it cannot be
    indexed. A volume may hold millions of entries, so keep what is needed
    per folder of interest, with a bound, never a copy of every entry.
    """

    name: str
    version: str
    kind: str  # "tree"
    emits: Sequence[str]

    def analyse(self, entries: Iterable[Entry], read: ReadFile) -> Iterator[tuple[str, Artefact]]: ...


Plugin = ContentScanner | FileParser | TreeAnalyser
