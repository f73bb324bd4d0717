"""SQS writes of Stage 2: requeue on lock contention, the dead-letter queue, and the AI queue."""
from __future__ import annotations

import boto3

from replies_engine.batch_processor.grouping import BatchMessage
from replies_engine.shared.config import BOTO_CONFIG, env_int, env_str
from replies_engine.shared.jsonutil import dumps

sqs = boto3.client("sqs", config=BOTO_CONFIG)

SQS_MAX_DELAY_SECONDS = 900
_queue_urls: dict[str, str] = {}  # queue ARN -> URL, per container


class QueueNotConfigured(RuntimeError):
    pass


def max_requeue_attempts() -> int:
    return env_int("MAX_REQUEUE_ATTEMPTS", 3, minimum=0, maximum=10)


def requeue_delay_seconds(attempt: int) -> int:
    """Delay for requeue number ``attempt`` (1, 2, ...): the batching delay plus a growing increment.

    ``BATCH_DELAY_SECONDS + REQUEUE_DELAY_INCREMENT_SECONDS * 2**(attempt-1)``, capped at SQS's 900 s;
    with the defaults (15 s, 20 s): 35 s, 55 s, 95 s.
    """
    base = env_int("BATCH_DELAY_SECONDS", 15, minimum=0, maximum=SQS_MAX_DELAY_SECONDS)
    increment = env_int("REQUEUE_DELAY_INCREMENT_SECONDS", 20, minimum=0, maximum=SQS_MAX_DELAY_SECONDS)
    return min(SQS_MAX_DELAY_SECONDS, base + increment * 2 ** max(0, attempt - 1))


def queue_url_for_arn(arn: str) -> str:
    """Resolve (and cache) the URL of the queue an SQS record came from."""
    if arn not in _queue_urls:
        parts = arn.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            raise QueueNotConfigured(f"Not an SQS queue ARN: {arn!r}")
        response = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])
        _queue_urls[arn] = response["QueueUrl"]
    return _queue_urls[arn]


def _carried_attributes(message: BatchMessage) -> dict:
    """The record's String/Number attributes in SendMessage shape, with ``conversation_id`` always set."""
    carried = {}
    for name, attribute in (message.attributes or {}).items():
        data_type = attribute.get("dataType") or attribute.get("DataType") or ""
        value = attribute.get("stringValue", attribute.get("StringValue"))
        if value is not None and data_type.split(".")[0] in ("String", "Number"):
            carried[name] = {"DataType": data_type, "StringValue": str(value)}
    carried["conversation_id"] = {"DataType": "String", "StringValue": message.conversation_id}
    return carried


def requeue(message: BatchMessage, attempt: int, delay_seconds: int) -> None:
    """Send the original body back to its source queue with ``RetryAttempt`` = ``attempt``."""
    attributes = _carried_attributes(message)
    attributes["RetryAttempt"] = {"DataType": "Number", "StringValue": str(attempt)}
    sqs.send_message(
        QueueUrl=queue_url_for_arn(message.source_arn),
        MessageBody=message.body,
        DelaySeconds=delay_seconds,
        MessageAttributes=attributes,
    )


def send_to_dead_letter_queue(message: BatchMessage, reason: str) -> None:
    """Move the message to ``BATCH_DLQ_URL`` with ``FailureReason`` and its ``RetryAttempt`` count."""
    dlq_url = env_str("BATCH_DLQ_URL")
    if dlq_url is None:
        raise QueueNotConfigured("BATCH_DLQ_URL is not set")
    attributes = _carried_attributes(message)
    attributes["RetryAttempt"] = {"DataType": "Number", "StringValue": str(message.retry_attempt)}
    attributes["FailureReason"] = {"DataType": "String", "StringValue": reason}
    sqs.send_message(QueueUrl=dlq_url, MessageBody=message.body, MessageAttributes=attributes)


def send_to_ai_queue(ai_context: dict) -> str:
    """Hand the batch's context to the AI/reply stage; returns the SQS MessageId."""
    queue_url = env_str("AI_QUEUE_URL")
    if queue_url is None:
        raise QueueNotConfigured("AI_QUEUE_URL is not set")
    response = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=dumps(ai_context),
        MessageAttributes={
            "conversation_id": {"DataType": "String", "StringValue": ai_context["conversation_id"]},
            "batch_id": {"DataType": "String", "StringValue": ai_context["batch_id"]},
        },
    )
    return response["MessageId"]
