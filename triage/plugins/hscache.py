"""Moved to :mod:`triage.scan.content.hscache`; this alias goes in the next release."""

from triage.scan.content.hscache import CACHE_FORMAT, compile_db

__all__ = ["CACHE_FORMAT", "compile_db"]
