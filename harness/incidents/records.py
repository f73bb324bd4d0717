"""The values the incident importer passes around: a log line as read from a file, and the facts lines state."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.errors import InputError


class IncidentInputError(InputError):
    """A log, DLQ or event file the importer cannot read: names the file, the place and what was expected."""


@dataclass(frozen=True)
class LogLine:
    """One CloudWatch log event: its function (physical name, if the file says), time, text and origin."""

    time: datetime
    message: str
    where: str                      # file:entry, for messages about this line
    function: str | None = None
    stream: str | None = None


@dataclass(frozen=True)
class Fact:
    """Something a line states; `request_id` ties it to an invocation (None: the line does not say)."""

    kind: str
    request_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A field of the fact."""
        return self.data.get(key, default)


def fact(kind: str, request_id: str | None = None, **data: Any) -> Fact:
    """A Fact without None fields."""
    return Fact(kind, request_id, {k: v for k, v in data.items() if v is not None})
