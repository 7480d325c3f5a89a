"""The regex scanner helpers: a content scanner as a class of patterns and ``check_<id>`` methods.

Shared by every shipped content scanner (and offered to third-party ones
through :mod:`triage.plugin_api`) so that offsets, ``raw`` and versions are
filled the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from triage.extractors.api import Hit, Pattern
from triage.records import Artefact

__all__ = ["RegexScanner", "artefact", "text"]


class RegexScanner:
    """Base of the shipped content scanners: dispatch a hit by pattern id."""

    name: str = ""
    version: str = "1.0.0"
    kind: str = "content"
    emits: Sequence[str] = ()
    patterns: Sequence[Pattern] = ()

    #: pattern id -> bound check_<id> method, made per instance on first use
    #: (no __init__: a subclass with its own need not call this one's)
    _checks: dict[str, Any] | None = None

    def validate(self, hit: Hit) -> Iterable[Artefact]:
        checks = self._checks
        if checks is None:
            checks = self._checks = {}
        check = checks.get(hit.pattern_id)
        if check is None:
            check = checks[hit.pattern_id] = getattr(self, "check_" + hit.pattern_id)
        return check(hit)

    def validator_for(self, pattern_id: str) -> Any:
        """The ``check_<id>`` method: the engine calls it for the pattern's hits, skipping ``validate``.

        None (use ``validate``) when a subclass routes some patterns itself.
        """
        if type(self).validate is not RegexScanner.validate:
            return None
        return getattr(self, "check_" + pattern_id, None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self.version}>"


def artefact(
    hit: Hit,
    type_: str,
    value: str,
    *,
    start: int | None = None,
    end: int | None = None,
    confidence: float = 1.0,
    extra: dict[str, Any] | None = None,
) -> Artefact:
    """An artefact for ``hit.data[start:end]`` (default: the whole match).

    The offset is mapped back to the original bytes (UTF-16LE aware); the
    engine fills encoding, context and plugin name/version.
    """
    s = hit.start if start is None else start
    e = hit.end if end is None else end
    # positional (the fields' order): the engine's hot path
    return Artefact(type_, value, hit.data[s:e].decode("latin-1"), hit.offset_at(s), None, "", "", "", confidence,
                    None, 1, extra or {})


def text(hit: Hit) -> str:
    """The match as text (bytes are ASCII-range by pattern design)."""
    return hit.match.decode("latin-1")
