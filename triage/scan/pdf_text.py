"""Moved to :mod:`triage.scan.members.pdf_text`; alias kept for one release (tests: patch the new module)."""

from triage.scan.members.pdf_text import MAX_PAGES, MAX_PAGE_ERRORS, MAX_SECONDS, pdf_text_member, quiet_pypdf

__all__ = ["MAX_PAGES", "MAX_PAGE_ERRORS", "MAX_SECONDS", "pdf_text_member", "quiet_pypdf"]
