"""Moved to :mod:`triage.scan.members.mime_parts`; alias kept for one release (tests: patch the new module)."""

from triage.scan.members.mime_parts import (ENCODINGS, MAX_LINE_BYTES, MAX_MESSAGES, MAX_MESSAGE_BYTES,
                                            MAX_NAME_CHARS, mail_part_members)

__all__ = ["ENCODINGS", "MAX_LINE_BYTES", "MAX_MESSAGES", "MAX_MESSAGE_BYTES", "MAX_NAME_CHARS", "mail_part_members"]
