"""DynamoDB access: read an earnings record's status; mark it PROCESSED together with its audit entry.

The status change and its audit entry are one TransactWriteItems call, so an audit entry exists exactly
when the status changed. The update is conditional on the status read just before (optimistic
concurrency): a repeat delivery or a concurrent writer makes the condition fail instead of writing a
second change, and the caller re-reads.

botocore's own retries are off for this client (``total_max_attempts=1``): the handler owns the retry
policy so that backoff bounds, attempt counts and the deadline budget are exactly the documented ones.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mark_earnings_processed.errors import Failure, classify
from mark_earnings_processed.validation import EarningsProcessedEvent

PROCESSED = "PROCESSED"

dynamodb = boto3.client(
    "dynamodb",
    config=Config(connect_timeout=1, read_timeout=2, retries={"mode": "standard", "total_max_attempts": 1}),
)
EARNINGS_TABLE = os.environ["EARNINGS_TABLE_NAME"]
AUDIT_TABLE = os.environ["AUDIT_TABLE_NAME"]


class StoreError(Exception):
    """A DynamoDB call failed; ``failure`` says how (category, code, retryable/conflict)."""

    def __init__(self, operation: str, failure: Failure):
        self.operation = operation
        self.failure = failure
        super().__init__(f"{operation} failed: {failure.code}")


@dataclass(frozen=True)
class Record:
    """What this function needs from an earnings record (nothing else is read into memory)."""

    status: str | None
    last_event_id: str | None


@dataclass(frozen=True)
class Actor:
    """Who performs the change: this function (ARN) in one invocation (request id)."""

    function_arn: str
    request_id: str


def read_record(earnings_id: str) -> Record | None:
    """Strongly consistent read of the record's status; None when the record does not exist."""
    response = _call(
        "GetItem",
        dynamodb.get_item,
        TableName=EARNINGS_TABLE,
        Key={"earningsId": {"S": earnings_id}},
        ConsistentRead=True,
        ProjectionExpression="#status, lastEventId",
        ExpressionAttributeNames={"#status": "status"},
    )
    item = response.get("Item")
    if item is None:
        return None
    return Record(
        status=item.get("status", {}).get("S"),
        last_event_id=item.get("lastEventId", {}).get("S"),
    )


def mark_processed(event: EarningsProcessedEvent, previous_status: str, changed_at: str, actor: Actor) -> None:
    """Set status PROCESSED if it is still ``previous_status``, and write the audit entry, atomically."""
    audit_item = {
        "earningsId": {"S": event.earnings_id},
        "auditId": {"S": f"{changed_at}#{event.event_id}"},
        "action": {"S": "MARK_PROCESSED"},
        "previousStatus": {"S": previous_status},
        "newStatus": {"S": PROCESSED},
        "changedAt": {"S": changed_at},
        "requestedBy": {"S": event.processed_by},
        "changedBy": {"S": actor.function_arn},
        "requestId": {"S": actor.request_id},
        "correlationId": {"S": event.correlation_id},
        "eventId": {"S": event.event_id},
        "eventSource": {"S": event.source},
        "detailType": {"S": event.detail_type},
    }
    update = {
        "TableName": EARNINGS_TABLE,
        "Key": {"earningsId": {"S": event.earnings_id}},
        "UpdateExpression": (
            "SET #status = :new, processedAt = :processedAt, processedBy = :processedBy, "
            "statusUpdatedAt = :changedAt, lastEventId = :eventId, lastCorrelationId = :cid "
            "ADD #version :one"
        ),
        "ConditionExpression": "attribute_exists(earningsId) AND #status = :previous",
        "ExpressionAttributeNames": {"#status": "status", "#version": "version"},
        "ExpressionAttributeValues": {
            ":new": {"S": PROCESSED},
            ":previous": {"S": previous_status},
            ":processedAt": {"S": event.processed_at},
            ":processedBy": {"S": event.processed_by},
            ":changedAt": {"S": changed_at},
            ":eventId": {"S": event.event_id},
            ":cid": {"S": event.correlation_id},
            ":one": {"N": "1"},
        },
    }
    put = {
        "TableName": AUDIT_TABLE,
        "Item": audit_item,
        "ConditionExpression": "attribute_not_exists(auditId)",
    }
    _call("TransactWriteItems", dynamodb.transact_write_items, TransactItems=[{"Update": update}, {"Put": put}])


def _call(operation: str, method, **kwargs):
    try:
        return method(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise StoreError(operation, classify(exc)) from exc
