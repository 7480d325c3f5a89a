"""Moved to :mod:`triage.scan.content` (patterns, database, lanes, utf16, context, matcher).

This alias re-exports the public names for one release; import
``triage.scan.content`` instead.
"""

from triage.scan.content.bench import benchmark
from triage.scan.content.context import CONTEXT_CHARS
from triage.scan.content.database import hyperscan_available
from triage.scan.content.hscache import compile_db
from triage.scan.content.lanes import MEMO_MAX, MEMO_PROBE, PROCESS_EVERY
from triage.scan.content.matcher import MAX_ERRORS_PER_SCANNER, ONE_SHOT_MAX, ContentMatcher, MatchStream

__all__ = ["CONTEXT_CHARS", "MAX_ERRORS_PER_SCANNER", "MEMO_MAX", "MEMO_PROBE", "ONE_SHOT_MAX", "PROCESS_EVERY",
           "ContentMatcher", "MatchStream", "benchmark", "compile_db", "hyperscan_available"]
