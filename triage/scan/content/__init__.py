"""Content matching: every content scanner's patterns over a file's bytes, in one pass, beside YARA.

| module | holds |
|---|---|
| `patterns.py` | a pattern compiled and analysed (the bytes a match can hold), what validating it needs |
| `database.py` | the Hyperscan databases (streaming, block mode, the UTF-16LE detector), scratch per thread |
| `hscache.py` | compiled databases saved and reloaded (checked by digest) |
| `lanes.py` | a lane: events to candidates, deferred validation, the rolling buffer |
| `utf16.py` | the UTF-16LE pass: runs found, squeezed, mapped back to offsets |
| `context.py` | a hit's escaped excerpt |
| `matcher.py` | `ContentMatcher` and `MatchStream`, the facade the scan uses |
| `bench.py` | a quick throughput figure |

Only :mod:`triage.extractors.api` (the contract: ``Pattern``, ``Hit``,
``ContentScanner``), :mod:`triage.records` and :mod:`triage.text` are
imported from outside the package.
"""

from triage.scan.content.matcher import ContentMatcher, MatchStream, hyperscan_available

__all__ = ["ContentMatcher", "MatchStream", "hyperscan_available"]
