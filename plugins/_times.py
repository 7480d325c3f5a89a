"""Time conversions shared by the structured-record parsers (not a plugin).

Every parser must write timestamps the same way (ISO 8601 UTC with a ``Z``)
or the case database cannot sort a timeline across browsers, images and
mail; the epochs differ per format, so the conversions live in one place.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_WEBKIT_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
_UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Anything outside these years is a corrupt or placeholder value, not a time.
_MIN_YEAR, _MAX_YEAR = 1980, 2200


def iso(dt: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z`` in UTC; naive datetimes are taken as UTC."""
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    if not (_MIN_YEAR <= dt.year <= _MAX_YEAR):
        return None
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if dt.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return dt.strftime(fmt)


def _valid(value: object) -> int | None:
    if value is None or isinstance(value, (bytes, bytearray)):
        return None
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def webkit(value: object) -> str | None:
    """Chromium time: microseconds since 1601-01-01 UTC; 0/NULL means none."""
    us = _valid(value)
    if us is None:
        return None
    try:
        return iso(_WEBKIT_EPOCH + timedelta(microseconds=us))
    except OverflowError:
        return None


def prtime(value: object) -> str | None:
    """Mozilla PRTime: microseconds since 1970-01-01 UTC; 0/NULL means none."""
    us = _valid(value)
    if us is None:
        return None
    try:
        return iso(_UNIX_EPOCH + timedelta(microseconds=us))
    except OverflowError:
        return None


def unix_seconds(value: object) -> str | None:
    """POSIX seconds (Chromium's autofill and card tables use these)."""
    s = _valid(value)
    if s is None:
        return None
    try:
        return iso(_UNIX_EPOCH + timedelta(seconds=s))
    except OverflowError:
        return None


def unix_millis(value: object) -> str | None:
    """POSIX milliseconds (Firefox logins.json and download metadata)."""
    ms = _valid(value)
    if ms is None:
        return None
    try:
        return iso(_UNIX_EPOCH + timedelta(milliseconds=ms))
    except OverflowError:
        return None
