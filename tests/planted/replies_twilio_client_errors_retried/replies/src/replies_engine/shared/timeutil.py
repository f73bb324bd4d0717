"""UTC timestamps in one fixed-width ISO-8601 format, so stored strings sort and compare chronologically."""
from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """``2026-01-02T03:04:05.678901Z``: always 27 characters, so string order is time order."""
    return moment.astimezone(UTC).strftime(_FORMAT)


def now_iso() -> str:
    return to_iso(utc_now())


def parse_iso(value: str) -> datetime:
    """Parse a timestamp written by :func:`to_iso` (or any ISO-8601 string with an offset or ``Z``)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
