"""Moved to :mod:`triage.scan.members.office_text`; alias kept for one release (tests: patch the new module)."""

from triage.scan.members.office_text import (MAX_SPACES, ODF, OUT_CHUNK_CHARS, SHARED_STRINGS, SLIDES, WORD, Dialect,
                                             office_text_member, paragraphs, text_parts)

__all__ = ["MAX_SPACES", "ODF", "OUT_CHUNK_CHARS", "SHARED_STRINGS", "SLIDES", "WORD", "Dialect",
           "office_text_member", "paragraphs", "text_parts"]
