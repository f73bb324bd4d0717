"""MarkEarningsProcessed Lambda handler: EventBridge event -> earnings record PROCESSED + audit entry.

Outcomes (returned, and logged as ``outcome`` in the final "Invocation finished" line):
- PROCESSED: the status changed; an audit entry was written in the same transaction.
- ALREADY_PROCESSED: repeat delivery or concurrent duplicate; nothing written.
- REJECTED: a permanent failure (invalid event, unknown record, disallowed transition, access denied,
  non-retryable DynamoDB error): the original event is sent to the DLQ with the reason, and the
  invocation returns normally so neither Lambda nor EventBridge retries it.
- raised RetriesExhaustedError / DeadLetterError: a transient failure outlasted this invocation's budget
  (or the DLQ itself failed): Lambda's async retries and then the function's DLQ take over.
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mark_earnings_processed import store
from mark_earnings_processed.errors import ERROR_METRIC, Category
from mark_earnings_processed.observability import MetricsRecorder, memory_used_percent
from mark_earnings_processed.retry import RetryPolicy
from mark_earnings_processed.validation import (
    EarningsProcessedEvent,
    EventValidationError,
    correlation_id_of,
    event_id_of,
    iso_utc,
    parse_event,
)

logger = Logger()
metrics = Metrics()
sqs = boto3.client(
    "sqs",
    config=Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 3}),
)

DLQ_URL = os.environ["DLQ_URL"]
EVENT_SOURCE = os.environ.get("EVENT_SOURCE", "com.example.earnings")
EVENT_DETAIL_TYPE = os.environ.get("EVENT_DETAIL_TYPE", "EarningsProcessingCompleted")
ALLOWED_PREVIOUS_STATUSES = frozenset(
    status.strip() for status in os.environ.get("ALLOWED_PREVIOUS_STATUSES", "PENDING,PROCESSING").split(",")
    if status.strip()
)
MEMORY_WARNING_PERCENT = float(os.environ.get("MEMORY_WARNING_PERCENT", "80"))
POLICY = RetryPolicy(
    max_throttle_attempts=int(os.environ.get("MAX_THROTTLE_ATTEMPTS", "8")),
    reserve_ms=int(os.environ.get("RETRY_RESERVE_MS", "7000")),
)
DLQ_REASON_LIMIT = 1024


class RetriesExhaustedError(Exception):
    """A transient failure outlasted this invocation's retry budget; Lambda's async retries take over."""


class DeadLetterError(Exception):
    """The event could not be sent to the DLQ; raised so that it is not lost."""


@dataclass
class Invocation:
    """Per-invocation bookkeeping for the final log line and the metrics."""

    context: Any
    correlation_id: str
    recorder: MetricsRecorder
    attempts: int = 0
    retries: int = 0
    backoff_s: float = 0.0
    outcome: str = "ERROR"
    error_category: str | None = None

    def error(self, category: Category) -> None:
        self.error_category = category.value
        self.recorder.count(ERROR_METRIC[category])


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: Any, context: Any) -> dict:
    started = time.perf_counter()
    correlation_id = correlation_id_of(event) or context.aws_request_id
    logger.set_correlation_id(correlation_id)
    run = Invocation(context, correlation_id, MetricsRecorder(metrics, logger, correlation_id))
    run.recorder.count("EventsReceived")
    logger.info("Event received", extra={"event_id": event_id_of(event)})
    try:
        result = _handle(event, run)
        run.outcome = result["status"]
        return result
    finally:
        _finish(run, started)


def _handle(event: Any, run: Invocation) -> dict:
    try:
        parsed = parse_event(event, expected_source=EVENT_SOURCE, expected_detail_type=EVENT_DETAIL_TYPE)
    except EventValidationError as exc:
        logger.error(
            "Event validation failed",
            extra={
                "error_category": Category.VALIDATION.value,
                "event_id": event_id_of(event),
                "validation_errors": [asdict(issue) for issue in exc.issues],
            },
        )
        return _reject(event, run, Category.VALIDATION, "INVALID_EVENT", exc.summary())
    logger.append_keys(earnings_id=parsed.earnings_id, event_id=parsed.event_id)
    return _mark_processed(parsed, event, run)


def _mark_processed(parsed: EarningsProcessedEvent, event: dict, run: Invocation) -> dict:
    failures: Counter[Category] = Counter()
    conflicts = 0
    while True:
        run.attempts += 1
        try:
            return _attempt(parsed, event, run)
        except store.StoreError as exc:
            error = exc
        failure = error.failure
        logger.warning(
            "DynamoDB call failed",
            extra={"operation": error.operation, "error_category": failure.category.value,
                   "aws_error_code": failure.code, "attempt": run.attempts, "retryable": failure.retryable},
        )
        if failure.conflict:
            conflicts += 1
            if conflicts < POLICY.max_conflict_rounds:
                logger.info("Record changed concurrently; re-reading", extra={"conflicts": conflicts})
                continue
            return _give_up(run, failure.category, failure.code, "concurrent updates")
        if failure.category is Category.ACCESS_DENIED:
            logger.error(
                "SECURITY: DynamoDB access denied; not retrying",
                extra={"security_event": True, "error_category": failure.category.value,
                       "aws_error_code": failure.code, "operation": error.operation},
            )
            run.recorder.count("SecurityAlerts")
            return _reject(event, run, failure.category, failure.code, f"{error.operation} access denied")
        if not failure.retryable:
            logger.error(
                "DynamoDB call failed permanently; not retrying",
                extra={"error_category": failure.category.value, "aws_error_code": failure.code,
                       "operation": error.operation},
            )
            return _reject(event, run, failure.category, failure.code, f"{error.operation} failed")

        failures[failure.category] += 1
        if failures[failure.category] >= POLICY.attempt_limit(failure):
            return _give_up(run, failure.category, failure.code, "attempt limit")
        delay_s = POLICY.delay_s(run.retries + 1)
        remaining_ms = run.context.get_remaining_time_in_millis()
        if not POLICY.fits_deadline(delay_s, remaining_ms):
            return _give_up(run, failure.category, failure.code, "deadline")
        run.retries += 1
        run.backoff_s += delay_s
        logger.warning(
            "Retrying after backoff",
            extra={"error_category": failure.category.value, "retry": run.retries,
                   "delay_ms": round(delay_s * 1000), "remaining_ms": remaining_ms},
        )
        time.sleep(delay_s)


def _attempt(parsed: EarningsProcessedEvent, event: dict, run: Invocation) -> dict:
    record = store.read_record(parsed.earnings_id)
    if record is None:
        logger.error("Earnings record not found", extra={"error_category": Category.VALIDATION.value})
        return _reject(event, run, Category.VALIDATION, "RECORD_NOT_FOUND", "no earnings record with this id")
    if record.status == store.PROCESSED:
        by_this_event = record.last_event_id == parsed.event_id
        logger.info(
            "Earnings record already processed; nothing to do",
            extra={"processed_by_this_event": by_this_event},
        )
        run.recorder.count("DuplicateEvents")
        return _result("ALREADY_PROCESSED", parsed, run, processedByThisEvent=by_this_event)
    if record.status not in ALLOWED_PREVIOUS_STATUSES:
        logger.error(
            "Status transition not allowed",
            extra={"error_category": Category.VALIDATION.value, "current_status": record.status,
                   "allowed_previous_statuses": sorted(ALLOWED_PREVIOUS_STATUSES)},
        )
        return _reject(event, run, Category.VALIDATION, "INVALID_TRANSITION",
                       f"status {record.status} cannot become {store.PROCESSED}")
    changed_at = iso_utc(datetime.now(UTC))
    actor = store.Actor(run.context.invoked_function_arn, run.context.aws_request_id)
    store.mark_processed(parsed, record.status, changed_at, actor)
    logger.info(
        "Earnings record marked PROCESSED",
        extra={"previous_status": record.status, "changed_at": changed_at},
    )
    run.recorder.count("EventsProcessed")
    return _result("PROCESSED", parsed, run, previousStatus=record.status)


def _result(status: str, parsed: EarningsProcessedEvent, run: Invocation, **extra: Any) -> dict:
    return {"status": status, "earningsId": parsed.earnings_id, "correlationId": run.correlation_id, **extra}


def _give_up(run: Invocation, category: Category, code: str, reason: str) -> NoReturn:
    logger.error(
        "Giving up: retry budget exhausted",
        extra={"error_category": category.value, "aws_error_code": code, "reason": reason,
               "attempts": run.attempts, "remaining_ms": run.context.get_remaining_time_in_millis()},
    )
    run.error(category)
    run.outcome = "RETRIES_EXHAUSTED"
    raise RetriesExhaustedError(
        f"{category.value} failure {code} after {run.attempts} attempts ({reason}); "
        f"correlation_id={run.correlation_id}"
    )


def _reject(event: Any, run: Invocation, category: Category, code: str, reason: str) -> dict:
    run.error(category)
    attributes = {
        "ErrorCategory": category.value,
        "ErrorCode": code,
        "ErrorMessage": reason[:DLQ_REASON_LIMIT],
        "CorrelationId": run.correlation_id,
        "RequestId": run.context.aws_request_id,
    }
    try:
        response = sqs.send_message(
            QueueUrl=DLQ_URL,
            MessageBody=json.dumps(event, default=str),
            MessageAttributes={k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()},
        )
    except (ClientError, BotoCoreError) as exc:
        dlq_code = exc.response["Error"].get("Code", "Unknown") if isinstance(exc, ClientError) else type(exc).__name__
        logger.error(
            "Failed to send event to DLQ",
            extra={"error_category": category.value, "error_code": code, "dlq_error_code": dlq_code},
        )
        run.recorder.count("DLQSendFailures")
        run.outcome = "DLQ_SEND_FAILED"
        raise DeadLetterError(
            f"could not dead-letter event ({dlq_code}) after {category.value} failure {code}; "
            f"correlation_id={run.correlation_id}"
        ) from exc
    run.recorder.count("DLQMessagesSent")
    logger.warning(
        "Event sent to DLQ",
        extra={"error_category": category.value, "error_code": code, "dlq_message_id": response["MessageId"]},
    )
    return {"status": "REJECTED", "errorCategory": category.value, "errorCode": code,
            "correlationId": run.correlation_id}


def _finish(run: Invocation, started: float) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    memory_percent = memory_used_percent(run.context.memory_limit_in_mb)
    run.recorder.add("ProcessingDuration", MetricUnit.Milliseconds, duration_ms)
    run.recorder.add("MemoryUsedPercent", MetricUnit.Percent, memory_percent)
    run.recorder.count("RetryAttempts", run.retries)
    run.recorder.count("RetriedEvents", 1 if run.retries else 0)
    if memory_percent > MEMORY_WARNING_PERCENT:
        logger.warning(
            "Memory usage above threshold",
            extra={"memory_used_percent": memory_percent, "threshold_percent": MEMORY_WARNING_PERCENT},
        )
    logger.info(
        "Invocation finished",
        extra={"outcome": run.outcome, "error_category": run.error_category, "duration_ms": duration_ms,
               "attempts": run.attempts, "retries": run.retries, "backoff_ms": round(run.backoff_s * 1000),
               "memory_used_percent": memory_percent},
    )
    run.recorder.flush()
