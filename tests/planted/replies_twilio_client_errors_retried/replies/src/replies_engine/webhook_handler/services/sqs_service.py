"""Send a context object to an SQS queue."""
from __future__ import annotations

import boto3

from replies_engine.shared.config import BOTO_CONFIG
from replies_engine.shared.jsonutil import dumps

sqs = boto3.client("sqs", config=BOTO_CONFIG)


def send_message(queue_url: str, context_object: dict, delay_seconds: int = 0) -> str:
    """Send the context as JSON with ``conversation_id`` as a message attribute; return the MessageId.

    ``delay_seconds`` (0-900) opens the batching window on the batch queues. Errors propagate.
    """
    attributes = {}
    conversation_id = context_object.get("conversation_id")
    if conversation_id:
        attributes["conversation_id"] = {"DataType": "String", "StringValue": str(conversation_id)}
    response = sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=dumps(context_object),
        DelaySeconds=max(0, min(900, int(delay_seconds))),
        MessageAttributes=attributes,
    )
    return response["MessageId"]
