"""Applies a scenario's `setup`: items into tables, objects into buckets, messages into queues, secrets."""
from __future__ import annotations

import json
from typing import Any

from harness.aws import router
from harness.scenario.model import QueuedMessage, Setup
from harness.scenario.state import to_dynamo


def apply_setup(ctx: Any, setup: Setup) -> None:
    """Write the setup data through the simulation's internal clients (never faulted, no yield)."""
    from boto3.dynamodb.types import TypeSerializer
    serializer = TypeSerializer()
    sim = ctx.sim
    with router.internal():
        for table, items in setup.items.items():
            name = ctx.physical("table", table)
            for item in items:
                sim.client("dynamodb").put_item(
                    TableName=name, Item={k: serializer.serialize(to_dynamo(v)) for k, v in item.items()})
        for bucket, objects in setup.objects.items():
            name = ctx.physical("bucket", bucket)
            for key, body in objects.items():
                data = body if isinstance(body, str) else json.dumps(body)
                sim.client("s3").put_object(Bucket=name, Key=key, Body=data.encode("utf-8"))
        for queue, messages in setup.messages.items():
            url = sim.queue_url(ctx.catalog.names.get("queue", {}).get(queue, queue))
            for message in messages:
                sim.client("sqs").send_message(**_send_kwargs(url, message))
        for secret, value in setup.secrets.items():
            _put_secret(sim, ctx, secret, value if isinstance(value, str) else json.dumps(value))


def _send_kwargs(url: str, message: QueuedMessage) -> dict:
    body = message.body if isinstance(message.body, str) else json.dumps(message.body)
    kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
    if message.delay_seconds:
        kwargs["DelaySeconds"] = message.delay_seconds
    if message.attributes:
        kwargs["MessageAttributes"] = {name: _attribute(value) for name, value in message.attributes.items()}
    if message.group_id:
        kwargs["MessageGroupId"] = message.group_id
    if message.deduplication_id:
        kwargs["MessageDeduplicationId"] = message.deduplication_id
    elif url.endswith(".fifo"):
        # A FIFO queue without content-based deduplication needs an id; the body is a stable one.
        import hashlib
        kwargs["MessageDeduplicationId"] = hashlib.sha256(body.encode()).hexdigest()[:64]
    if url.endswith(".fifo") and "MessageGroupId" not in kwargs:
        kwargs["MessageGroupId"] = "setup"
    return kwargs


def _attribute(value: Any) -> dict:
    """SQS message attribute for a plain value: numbers as Number, everything else as String."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"DataType": "Number", "StringValue": str(value)}
    return {"DataType": "String", "StringValue": "" if value is None else str(value)}


def _put_secret(sim: Any, ctx: Any, secret: str, text: str) -> None:
    sm = sim.client("secretsmanager")
    logical = ctx.catalog.names.get("secret", {}).get(secret)
    if logical is not None:
        sm.put_secret_value(SecretId=ctx.physical("secret", secret), SecretString=text)
    else:
        sm.create_secret(Name=secret, SecretString=text)
