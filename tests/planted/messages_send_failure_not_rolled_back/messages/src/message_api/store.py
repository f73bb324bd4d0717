"""The messages table: every status change is one conditional UpdateItem, so each is atomic.

Status model owned by this API: ``PENDING`` (stored, not handed to SQS) -> ``QUEUED`` (handed to
SQS by the request whose ``sendAttemptId`` is on the record). A request that moves a message to
``QUEUED`` stamps a fresh ``sendAttemptId`` and ``awaitingConfirmationSince``; the attribute is the
key of a sparse index that holds only sends nobody has confirmed yet, and it is removed by the send
confirmation (``sentAt``, ``sqsMessageId``) or by a rollback. A rollback only succeeds from the exact
state its request (or the reconciler's scan) saw, and it changes nothing but the status and the
rollback bookkeeping: every other attribute is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from message_api.errors import is_conditional_check_failure

PENDING = "PENDING"
QUEUED = "QUEUED"
AWAITING_CONFIRMATION_INDEX = "awaiting-confirmation-index"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(record: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in record.items()}


def from_item(item: dict[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {key: _deserializer.deserialize(value) for key, value in item.items()}


class TransitionRefused(Exception):
    """A conditional status change found the record in another state; ``current`` is what it found."""

    def __init__(self, current: dict[str, Any] | None):
        super().__init__("conditional status change refused")
        self.current = current

    @property
    def current_status(self) -> str | None:
        return None if self.current is None else self.current.get("status")


@dataclass(frozen=True)
class RollbackOutcome:
    rolled_back: bool
    current_status: str | None = None


class MessageStore:
    """Conditional reads and writes of message records in one DynamoDB table."""

    def __init__(self, client: Any, table_name: str):
        self._client = client
        self._table = table_name

    def create_pending(self, record: dict[str, Any]) -> dict[str, Any] | None:
        """Store a new ``PENDING`` record; return the existing record if the id is already taken."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item({**record, "status": PENDING}),
                ConditionExpression="attribute_not_exists(messageId)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as error:
            if is_conditional_check_failure(error):
                return from_item(error.response.get("Item")) or {}
            raise
        return None

    def mark_queued(self, message_id: str, send_attempt_id: str, correlation_id: str, now: str) -> None:
        """``PENDING`` -> ``QUEUED`` for this send attempt; ``TransitionRefused`` from any other state."""
        self._update(
            message_id,
            "SET #status = :queued, sendAttemptId = :attempt, sendCorrelationId = :cid, "
            "queuedAt = :now, awaitingConfirmationSince = :now, updatedAt = :now",
            "#status = :pending",
            {":queued": QUEUED, ":pending": PENDING, ":attempt": send_attempt_id,
             ":cid": correlation_id, ":now": now},
        )

    def confirm_sent(self, message_id: str, send_attempt_id: str, sqs_message_id: str, now: str) -> bool:
        """Record the send confirmation; False if the record moved on (e.g. a consumer took it)."""
        try:
            self._update(
                message_id,
                "SET sentAt = :now, sqsMessageId = :sqs, updatedAt = :now REMOVE awaitingConfirmationSince",
                "#status = :queued AND sendAttemptId = :attempt",
                {":queued": QUEUED, ":attempt": send_attempt_id, ":sqs": sqs_message_id, ":now": now},
            )
        except TransitionRefused:
            return False
        return True

    def rollback_to_pending(self, message_id: str, send_attempt_id: str, reason: str,
                            now: str) -> RollbackOutcome:
        """``QUEUED`` -> ``PENDING``, only from the state ``send_attempt_id`` set and never after a
        confirmed send; refuses (without writing) when anybody else changed the record since."""
        try:
            self._update(
                message_id,
                "SET #status = :pending, updatedAt = :now, lastRollbackAt = :now, "
                "lastRollbackReason = :reason ADD rollbackCount :one REMOVE awaitingConfirmationSince",
                "#status = :queued AND sendAttemptId = :attempt AND attribute_not_exists(sentAt)",
                {":pending": PENDING, ":queued": QUEUED, ":attempt": send_attempt_id,
                 ":reason": reason, ":now": now, ":one": 1},
            )
        except TransitionRefused as refused:
            return RollbackOutcome(rolled_back=False, current_status=refused.current_status)
        return RollbackOutcome(rolled_back=True, current_status=PENDING)

    def scan_unconfirmed(self, cutoff: str, limit: int,
                         start_key: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], Any]:
        """One page of the sparse index: sends unconfirmed since ``cutoff`` or earlier."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": AWAITING_CONFIRMATION_INDEX,
            "FilterExpression": "awaitingConfirmationSince <= :cutoff",
            "ExpressionAttributeValues": {":cutoff": {"S": cutoff}},
            "Limit": limit,
        }
        if start_key:
            request["ExclusiveStartKey"] = start_key
        page = self._client.scan(**request)
        return [from_item(item) for item in page.get("Items", [])], page.get("LastEvaluatedKey")

    def _update(self, message_id: str, update: str, condition: str, values: dict[str, Any]) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"messageId": {"S": message_id}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(values),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except Exception as error:
            if is_conditional_check_failure(error):
                raise TransitionRefused(from_item(error.response.get("Item"))) from None
            raise
