"""Schema of the "earnings processing completed" EventBridge event and its validation.

The envelope is EventBridge's (``id``, ``source``, ``detail-type``, ``time``, ``detail``, ...). The
``detail`` carries:

| field           | required | rule                                                            |
|-----------------|----------|-----------------------------------------------------------------|
| earningsId      | yes      | identifier, 1-128 chars of ``A-Z a-z 0-9 _ . : -``              |
| processedBy     | yes      | identifier of the system/job that finished processing, same rule |
| processedAt     | yes      | ISO-8601 timestamp with a UTC offset                            |
| correlationId   | no       | identifier, same rule; defaults to the event ``id``             |

Other detail fields are allowed and ignored: they are never stored, logged or echoed, because an
earnings event may carry amounts and payee data. Validation reports every problem at once, naming the
field and the rule it broke, never the offending value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
IDENTIFIER_RULE = "must be a string of 1-128 characters from A-Z a-z 0-9 _ . : - (starting alphanumeric)"


@dataclass(frozen=True)
class ValidationIssue:
    """One broken rule: which field, and what the rule is (the value itself is never reported)."""

    field: str
    problem: str


class EventValidationError(ValueError):
    """The event does not follow the schema; ``issues`` lists every problem found."""

    def __init__(self, issues: list[ValidationIssue]):
        self.issues = issues
        super().__init__(self.summary())

    def summary(self) -> str:
        return "; ".join(f"{issue.field}: {issue.problem}" for issue in self.issues)


@dataclass(frozen=True)
class EarningsProcessedEvent:
    """A validated event: only the fields this function uses."""

    event_id: str
    source: str
    detail_type: str
    earnings_id: str
    processed_by: str
    processed_at: str
    correlation_id: str


def correlation_id_of(event: Any) -> str | None:
    """The correlation id of a possibly invalid event: ``detail.correlationId``, else the event ``id``.

    Only well-formed identifiers are returned, so a malformed (or hostile) value never reaches a log line.
    """
    if not isinstance(event, dict):
        return None
    detail = event.get("detail")
    candidates = [detail.get("correlationId") if isinstance(detail, dict) else None, event.get("id")]
    for candidate in candidates:
        if _is_identifier(candidate):
            return candidate
    return None


def event_id_of(event: Any) -> str | None:
    """The EventBridge event id if it is a well-formed identifier (safe to log)."""
    value = event.get("id") if isinstance(event, dict) else None
    return value if _is_identifier(value) else None


def parse_event(event: Any, *, expected_source: str, expected_detail_type: str) -> EarningsProcessedEvent:
    """Validate an EventBridge event against the schema above; raise EventValidationError listing all issues."""
    if not isinstance(event, dict):
        raise EventValidationError([ValidationIssue("event", "must be a JSON object")])
    issues: list[ValidationIssue] = []
    _require_identifier(event, "id", "id", issues)
    if event.get("source") != expected_source:
        issues.append(ValidationIssue("source", f"must be '{expected_source}'"))
    if event.get("detail-type") != expected_detail_type:
        issues.append(ValidationIssue("detail-type", f"must be '{expected_detail_type}'"))
    if "time" in event and _parse_timestamp(event["time"]) is None:
        issues.append(ValidationIssue("time", "must be an ISO-8601 timestamp with a UTC offset"))

    detail = event.get("detail")
    processed_at = None
    if not isinstance(detail, dict):
        issues.append(ValidationIssue("detail", "must be a JSON object"))
    else:
        _require_identifier(detail, "earningsId", "detail.earningsId", issues)
        _require_identifier(detail, "processedBy", "detail.processedBy", issues)
        if "processedAt" not in detail:
            issues.append(ValidationIssue("detail.processedAt", "is required"))
        else:
            processed_at = _parse_timestamp(detail["processedAt"])
            if processed_at is None:
                issues.append(
                    ValidationIssue("detail.processedAt", "must be an ISO-8601 timestamp with a UTC offset")
                )
        if "correlationId" in detail and not _is_identifier(detail["correlationId"]):
            issues.append(ValidationIssue("detail.correlationId", IDENTIFIER_RULE))
    if issues:
        raise EventValidationError(issues)

    return EarningsProcessedEvent(
        event_id=event["id"],
        source=event["source"],
        detail_type=event["detail-type"],
        earnings_id=detail["earningsId"],
        processed_by=detail["processedBy"],
        processed_at=iso_utc(processed_at),
        correlation_id=detail.get("correlationId", event["id"]),
    )


def iso_utc(moment: datetime) -> str:
    """``2026-11-23T09:15:00.000Z``: the one timestamp format this function writes."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_identifier(value: Any) -> bool:
    return isinstance(value, str) and IDENTIFIER.fullmatch(value) is not None


def _require_identifier(container: dict, key: str, field: str, issues: list[ValidationIssue]) -> None:
    if key not in container:
        issues.append(ValidationIssue(field, "is required"))
    elif not _is_identifier(container[key]):
        issues.append(ValidationIssue(field, IDENTIFIER_RULE))


def _parse_timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
