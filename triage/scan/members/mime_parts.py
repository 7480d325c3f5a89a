"""Decoded MIME parts of e-mail (.eml files, mbox mailboxes) as members of the mail file.

A mail's attachments and often its body travel base64 or quoted-printable
encoded: a card number in an attached spreadsheet, or in a body whose
quoted-printable soft line break (``=`` at the end of a line) falls inside
it, is not in the raw bytes the content scanners see. Each part with such a
Content-Transfer-Encoding becomes a decoded member, so it is hashed,
recorded and scanned like any file, and an attached ZIP, PDF or document is
expanded in turn (the depth limit applies). 7bit and 8bit parts need no
member: their bytes are already scanned in the raw file.

Members are named ``message-N/<attachment file name>`` (the name sanitised
as archive member names are, a repeat within a message numbered) or
``message-N/part-M.<ext>`` for a part without one; N counts the messages of
the file from 1, M the leaf parts of the message from 1.

Everything comes from evidence: messages are bounded in size and number,
parts in number and decoded bytes (the archive budget), and the standard
library parser (``policy=default``) is lenient; whatever it still raises on
a message or part is recorded and the next one goes on.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from email import policy
from email.message import Message
from email.parser import BytesParser
from pathlib import Path
from typing import IO

from triage.records import Entry, ScanError
from triage.scan.members.limits import CHUNK_BYTES, Budget, admit, bounded, member_entry, safe_name
from triage.text import one_line

__all__ = ["ENCODINGS", "MAX_LINE_BYTES", "MAX_MESSAGES", "MAX_MESSAGE_BYTES", "MAX_NAME_CHARS", "mail_part_members"]

#: a message larger than this is not parsed (its raw bytes are still scanned)
MAX_MESSAGE_BYTES = 100 * 1024 * 1024
#: messages read from one mailbox
MAX_MESSAGES = 1_000_000
#: an attachment name is cut to this many characters
MAX_NAME_CHARS = 200
#: lines are read in pieces of at most this size (a base64 body may have none)
MAX_LINE_BYTES = 1024 * 1024
ENCODINGS = ("base64", "quoted-printable")
_ENCODED = re.compile(rb"(?im)^content-transfer-encoding[ \t]*:\s*\"?(base64|quoted-printable)")


def mail_part_members(path: Path, parent: Entry, budget: Budget, errors: list[ScanError]
                      ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    """Yield a decoded member for every base64 or quoted-printable part of the mail file at ``path``."""
    parser = BytesParser(policy=policy.default)
    with open(path, "rb") as fh:
        is_mbox = fh.read(5) == b"From "
        fh.seek(0)
        messages = _mbox_messages(fh) if is_mbox else _single_message(fh)
        for number, raw in messages:
            if number > MAX_MESSAGES:
                errors.append(ScanError("limit", f"mail: more than {MAX_MESSAGES} messages; rest skipped",
                                        parent.path))
                return
            if raw is None:
                errors.append(ScanError("limit", f"mail: message {number} larger than {MAX_MESSAGE_BYTES} bytes; "
                                                 "its parts not decoded", parent.path))
                continue
            if not _ENCODED.search(raw):
                continue  # nothing encoded: every byte of it was scanned in the raw file
            try:
                message = parser.parsebytes(raw)
            except Exception as exc:  # the parser is lenient; anything it still raises is recorded
                errors.append(ScanError("archive", f"mail: message {number}: {type(exc).__name__}: {one_line(exc)}",
                                        parent.path))
                continue
            for entry, chunks in _encoded_parts(message, number, parent, errors):
                if not admit(budget, errors, parent):
                    return
                yield entry, bounded(chunks, budget, errors, entry.path, None)


def _single_message(fh: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    raw = fh.read(MAX_MESSAGE_BYTES + 1)
    yield 1, raw if len(raw) <= MAX_MESSAGE_BYTES else None


def _mbox_messages(fh: IO[bytes]) -> Iterator[tuple[int, bytes | None]]:
    """Split an mbox into (number, message bytes, or None when too large).

    A message starts at a ``From `` line at the start of the file or after a
    blank line (mboxo/mboxrd writers escape the others as ``>From ``); the
    ``From `` line itself is the envelope, not part of the message.
    """
    buf: list[bytes] = []
    size = 0
    too_big = False
    number = 0
    line_start = True  # the next piece read begins a line
    prev_blank = True  # the previous line was blank (or there was none)
    while True:
        piece = fh.readline(MAX_LINE_BYTES)
        if not piece:
            break
        begins = line_start
        line_start = piece.endswith(b"\n")
        if begins and prev_blank and piece.startswith(b"From "):
            if number:
                yield number, None if too_big else b"".join(buf)
            number += 1
            buf, size, too_big = [], 0, False
            prev_blank = False
            continue
        prev_blank = begins and piece in (b"\n", b"\r\n")
        if too_big:
            continue
        size += len(piece)
        if size > MAX_MESSAGE_BYTES:
            too_big, buf = True, []
            continue
        buf.append(piece)
    if number:
        yield number, None if too_big else b"".join(buf)


def _encoded_parts(message: Message, number: int, parent: Entry, errors: list[ScanError]
                   ) -> Iterator[tuple[Entry, Iterator[bytes]]]:
    used: set[str] = set()
    leaves = [p for p in message.walk() if not p.is_multipart()]
    for index, part in enumerate(leaves, 1):
        try:
            if str(part.get("Content-Transfer-Encoding", "")).strip().strip('"').lower() not in ENCODINGS:
                continue
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                continue
            name = _part_name(part, number, index, used)
        except Exception as exc:  # a hostile header or body: this part is recorded, the others go on
            errors.append(ScanError("archive", f"mail: message {number} part {index}: {type(exc).__name__}: "
                                               f"{one_line(exc)}", parent.path))
            continue
        entry = member_entry(parent, name, len(payload), parent.mtime)
        yield entry, (payload[i:i + CHUNK_BYTES] for i in range(0, len(payload), CHUNK_BYTES))


def _part_name(part: Message, number: int, index: int, used: set[str]) -> str:
    """``message-N/<file name>`` (sanitised, a repeat numbered) or ``message-N/part-M.<ext>``."""
    filename = part.get_filename()
    if filename:
        clean = safe_name(str(filename)[-MAX_NAME_CHARS:])
        name = f"message-{number}/{clean}"
        if name in used:
            stem, dot, ext = clean.rpartition(".")
            name = f"message-{number}/{stem}~{index}.{ext}" if dot and stem else f"message-{number}/{clean}~{index}"
    else:
        ext = mimetypes.guess_extension(part.get_content_type(), strict=False) or ".bin"
        name = f"message-{number}/part-{index}{ext}"
    used.add(name)
    return name
