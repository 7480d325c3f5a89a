"""E-mail stores: single messages (.eml), mailboxes (mbox, Thunderbird) and Outlook PST/OST.

Who wrote to whom and when is the backbone of most fraud and
money-laundering cases. Only headers are read (bodies and attachments go
to the content scanners and archive expansion); each message becomes an
``email_message`` artefact and every address in From/To/Cc an ``email``
artefact, so correspondents group with addresses found elsewhere.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
from collections.abc import Iterator
from datetime import UTC
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, BinaryIO

from triage.plugin_api import Artefact, Entry, hookimpl
from triage_plugins._times import iso


HEADER_MAX = 256 * 1024  # header block of one message; more is not a real header
MAX_MESSAGES = 1_000_000
EXTENSIONS = {".eml", ".mbox", ".mbx", ".pst", ".ost"}

# MAPI property tags of a recipient's address (PR_SMTP_ADDRESS, PR_EMAIL_ADDRESS) and type (PR_RECIPIENT_TYPE).
_PR_SMTP, _PR_EMAIL, _PR_DISPLAY, _PR_RECIP_TYPE = 0x39FE, 0x3003, 0x3001, 0x0C15
_RECIP_ROLE = {1: "to", 2: "cc", 3: "bcc"}


class MailStoreError(ValueError):
    """A mail store that cannot be read (not the format, corrupt, encrypted)."""


def _read_headers(fh: BinaryIO) -> bytes:
    """The header block (up to the first blank line), bounded."""
    out = bytearray()
    while len(out) < HEADER_MAX:
        line = fh.readline(HEADER_MAX)
        if not line or line in (b"\r\n", b"\n"):
            break
        out += line
    return bytes(out)


def _addresses(value: str | None) -> list[tuple[str, str]]:
    if not value:
        return []
    return [(n, a.strip().lower()) for n, a in email.utils.getaddresses([value]) if a and "@" in a]


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:  # "-0000" means UTC with unknown origin zone
        dt = dt.replace(tzinfo=UTC)
    return iso(dt)


class EmailStoreParser:
    """Headers of every message in .eml, mbox and PST/OST files."""

    name = "email_stores"
    version = "1.0.0"
    kind = "file"
    emits = ("email_message", "email")
    max_bytes = 50 * 1024**3  # mailboxes and PSTs are streamed, never loaded whole
    companion_suffixes: tuple[str, ...] = ()

    def wants(self, entry: Entry, mime: str | None) -> bool:
        if entry.type not in ("regular", "virtual", "unknown") or entry.stream:
            return False
        if entry.extension in EXTENSIONS or entry.name.lower() == "mbox":
            return True
        if mime in ("message/rfc822", "application/mbox", "application/vnd.ms-outlook-pst"):
            return True
        low = entry.path.lower()
        # Thunderbird keeps each folder as an extension-less mbox beside its .msf index.
        return ("/thunderbird/" in low or "/.thunderbird/" in low) and ("/mail/" in low or "/imapmail/" in low) \
            and entry.extension == ""

    def parse(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head[:4] == b"!BDN":
            yield from self._pst(path, entry)
        elif head.startswith(b"From "):
            yield from self._mbox(path, entry)
        elif entry.extension in (".pst", ".ost"):
            raise MailStoreError(f"{entry.name}: not a PST/OST file (no !BDN signature)")
        elif entry.extension in (".mbox", ".mbx") or entry.name.lower() == "mbox":
            if path.stat().st_size == 0:
                return
            raise MailStoreError(f"{entry.name}: not an mbox (does not start with a 'From ' line)")
        else:
            with open(path, "rb") as fh:
                raw = _read_headers(fh)
            if b":" not in raw:
                raise MailStoreError(f"{entry.name}: no RFC 5322 header found")
            yield from self._message(raw, entry, None)

    # -- one RFC 5322 message --------------------------------------------------
    def _message(self, raw: bytes, entry: Entry, index: int | None, offset: int | None = None,
                 store: str | None = None, folder: str | None = None,
                 fallback: dict[str, Any] | None = None) -> Iterator[Artefact]:
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(raw)

        def h(name: str) -> str | None:
            v = msg.get(name)
            if v is None:
                return None
            try:
                text = str(email.header.make_header(email.header.decode_header(str(v))))
            except (UnicodeError, LookupError, ValueError, email.errors.HeaderParseError):
                text = str(v)
            return " ".join(text.split()) or None

        fb = fallback or {}
        frm = h("From") or fb.get("from")
        to, cc, bcc = h("To") or fb.get("to"), h("Cc") or fb.get("cc"), h("Bcc")
        subject = h("Subject") if msg.get("Subject") is not None else fb.get("subject")
        date_raw = h("Date")
        ts = _date(date_raw) or fb.get("date")
        mid = (h("Message-ID") or "").strip() or None
        value = mid or f"{frm or ''}|{ts or date_raw or ''}|{subject or ''}"
        extra: dict[str, Any] = {
            "message_id": mid,
            "from": frm,
            "to": to,
            "cc": cc,
            "bcc": bcc,
            "reply_to": h("Reply-To"),
            "date": ts,
            "date_raw": date_raw,
            "subject": subject,
            "in_reply_to": h("In-Reply-To"),
            "x_originating_ip": h("X-Originating-IP"),
            "store": store,
            "folder": folder,
            "index": index,
        }
        extra.update({k: v for k, v in fb.items() if k not in extra or extra[k] is None})
        yield Artefact(type="email_message", value=value, raw=value, offset=offset, plugin=self.name,
                       plugin_version=self.version, timestamp=ts, extra=extra)
        seen: set[tuple[str, str]] = set()
        for role, field in (("from", frm), ("to", to), ("cc", cc), ("bcc", bcc), ("reply_to", extra["reply_to"])):
            for name, addr in _addresses(str(field) if field else None):
                if (role, addr) in seen:
                    continue
                seen.add((role, addr))
                yield Artefact(type="email", value=addr, raw=f"{name} <{addr}>" if name else addr, offset=offset,
                               plugin=self.name, plugin_version=self.version, timestamp=ts,
                               extra={"role": role, "display_name": name or None, "message_id": mid})

    # -- mbox --------------------------------------------------------------------
    def _mbox(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        """Stream the file line by line; a message starts at a "From " line after a blank line.

        Written out rather than using ``mailbox.mbox`` because that opens the
        file for update and indexes it whole before the first message.
        """
        index = 0
        prev_blank = True
        in_headers = False
        header = bytearray()
        start = offset = 0
        with open(path, "rb") as fh:
            for line in iter(lambda: fh.readline(1024 * 1024), b""):
                blank = line in (b"\n", b"\r\n")
                if prev_blank and line.startswith(b"From "):
                    if in_headers and header:
                        yield from self._message(bytes(header), entry, index, offset=start, store="mbox")
                        index += 1
                    if index >= MAX_MESSAGES:
                        return
                    in_headers, header, start = True, bytearray(), offset
                elif in_headers:
                    if blank or len(header) + len(line) > HEADER_MAX:
                        yield from self._message(bytes(header), entry, index, offset=start, store="mbox")
                        index += 1
                        in_headers = False
                    else:
                        header += line
                prev_blank = blank
                offset += len(line)
        if in_headers and header:
            yield from self._message(bytes(header), entry, index, offset=start, store="mbox")

    # -- PST / OST -------------------------------------------------------------------
    def _pst(self, path: Path, entry: Entry) -> Iterator[Artefact]:
        try:
            import pypff
        except ImportError as exc:
            raise MailStoreError("libpff-python (pypff) is not installed: PST/OST not readable") from exc
        pst = pypff.file()
        try:
            pst.open(str(path))
        except OSError as exc:
            raise MailStoreError(f"{entry.name}: cannot open PST/OST (corrupt or password-protected?): {exc}") \
                from exc
        try:
            root = pst.get_root_folder()
            count = [0]
            yield from self._pst_folder(root, "", entry, count)
        finally:
            pst.close()

    def _pst_folder(self, folder: Any, trail: str, entry: Entry, count: list[int]) -> Iterator[Artefact]:
        name = folder.name or ""
        here = f"{trail}/{name}" if name else trail or "/"
        for i in range(folder.number_of_sub_messages):
            if count[0] >= MAX_MESSAGES:
                return
            try:
                msg = folder.get_sub_message(i)
            except OSError:
                continue
            count[0] += 1
            headers = (msg.transport_headers or "").encode("utf-8", "replace")
            fb: dict[str, Any] = {"from": msg.sender_name or None, "subject": msg.subject}
            t = msg.delivery_time or msg.client_submit_time
            if t is not None:
                fb["date"] = iso(t)
                fb["delivery_time"] = iso(msg.delivery_time) if msg.delivery_time else None
            roles = self._pst_recipients(msg)
            for role in ("to", "cc"):
                if roles.get(role):
                    fb[role] = ", ".join(roles[role])
            yield from self._message(headers, entry, count[0] - 1, store="pst", folder=here, fallback=fb)
        for i in range(folder.number_of_sub_folders):
            try:
                sub = folder.get_sub_folder(i)
            except OSError:
                continue
            yield from self._pst_folder(sub, here, entry, count)

    @staticmethod
    def _pst_recipients(msg: Any) -> dict[str, list[str]]:
        """Recipient addresses from the MAPI recipient table (messages without transport headers)."""
        out: dict[str, list[str]] = {}
        try:
            recips = msg.recipients
            if recips is None:
                return out
            for r in range(recips.number_of_record_sets):
                rs = recips.get_record_set(r)
                addr, role = None, "to"
                for e in range(rs.number_of_entries):
                    ent = rs.get_entry(e)
                    tag = ent.entry_type
                    if tag in (_PR_SMTP, _PR_EMAIL) and addr is None or tag == _PR_SMTP:
                        try:
                            addr = ent.get_data_as_string()
                        except (OSError, ValueError):
                            pass
                    elif tag == _PR_RECIP_TYPE:
                        try:
                            role = _RECIP_ROLE.get(ent.get_data_as_integer(), "to")
                        except (OSError, ValueError):
                            pass
                if addr and "@" in addr:
                    out.setdefault(role, []).append(addr)
        except (OSError, AttributeError):
            return out
        return out


@hookimpl
def triage_extractors() -> list[object]:
    return [EmailStoreParser()]
