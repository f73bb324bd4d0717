"""Parse SQS records from the batch queues, group them by conversation and order each group."""
from __future__ import annotations

import json
from dataclasses import dataclass, field


class InvalidBatchMessage(ValueError):
    """The record cannot be processed (not JSON, or no conversation id / MessageSid)."""


@dataclass
class BatchMessage:
    message_id: str  # SQS messageId, the batchItemFailures identifier
    body: str  # the raw body, re-sent unchanged on requeue
    context: dict
    conversation_id: str
    message_sid: str
    received_at: str
    sent_timestamp: int
    retry_attempt: int
    source_arn: str
    attributes: dict = field(default_factory=dict)  # SQS event messageAttributes


def _attribute_value(attributes: dict, name: str) -> str | None:
    attribute = attributes.get(name)
    if not isinstance(attribute, dict):
        return None
    value = attribute.get("stringValue", attribute.get("StringValue"))
    return None if value is None else str(value)


def parse_record(record: dict) -> BatchMessage:
    """Build a :class:`BatchMessage`; raise :class:`InvalidBatchMessage` for unusable records."""
    try:
        context = json.loads(record.get("body") or "")
    except ValueError as exc:
        raise InvalidBatchMessage("body is not JSON") from exc
    if not isinstance(context, dict):
        raise InvalidBatchMessage("body is not a JSON object")
    attributes = record.get("messageAttributes") or {}
    conversation_id = _attribute_value(attributes, "conversation_id") or context.get("conversation_id")
    message_sid = context.get("message_sid")
    if not conversation_id or not message_sid:
        raise InvalidBatchMessage("conversation_id and message_sid are required")
    try:
        retry_attempt = max(0, int(float(_attribute_value(attributes, "RetryAttempt") or 0)))
    except ValueError:
        retry_attempt = 0
    try:
        sent_timestamp = int((record.get("attributes") or {}).get("SentTimestamp") or 0)
    except ValueError:
        sent_timestamp = 0
    return BatchMessage(
        message_id=str(record.get("messageId") or ""),
        body=record["body"],
        context=context,
        conversation_id=str(conversation_id),
        message_sid=str(message_sid),
        received_at=str(context.get("received_at") or ""),
        sent_timestamp=sent_timestamp,
        retry_attempt=retry_attempt,
        source_arn=str(record.get("eventSourceARN") or ""),
        attributes=attributes,
    )


def group_by_conversation(messages: list[BatchMessage]) -> dict[str, list[BatchMessage]]:
    """``{conversation_id: [messages sorted by original timestamp]}`` in first-seen conversation order.

    Sort key: the webhook's ``received_at``, then SQS ``SentTimestamp``; ties keep delivery order.
    """
    groups: dict[str, list[BatchMessage]] = {}
    for message in messages:
        groups.setdefault(message.conversation_id, []).append(message)
    for group in groups.values():
        group.sort(key=lambda m: (m.received_at, m.sent_timestamp))
    return groups
