"""moto's own deliveries reach the simulation.

moto enqueues messages by itself: an SQS redrive to a dead-letter queue (inside ReceiveMessage), an SNS
subscription's fan-out to a queue, an S3 notification to a queue; and S3's `EventBridgeConfiguration` sends its
events to the bus's rules inside moto. None of these is an API call the harness's botocore hooks see, so without
these wrappers a mapping on a DLQ never polls and S3 events never reach the harness's rules.

The wrappers are installed once per process on moto's model classes and consult the active simulation (a cheap
check when none is active). They also set what AWS sets and moto does not: `DeadLetterQueueSourceArn` on a
redriven message, and a `SequenceNumber` on every FIFO message (moto sets one only with an explicit
deduplication id).
"""
from __future__ import annotations

import threading
from typing import Any

_installed = False
_local = threading.local()  # the queue a ReceiveMessage is reading (its redrives come from there)
_sequences: dict[str, int] = {}  # FIFO queue ARN -> last sequence number handed out
_dlq_sources: dict[str, str] = {}  # message id -> ARN of the queue it was redriven from


def install() -> None:
    """Wrap moto's enqueue, receive and S3-to-EventBridge paths (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.s3 import notifications
    from moto.sns.models import Subscription
    from moto.sqs.models import Queue, SQSBackend
    Queue.add_message = _wrap_add_message(Queue.add_message)
    SQSBackend.receive_message = _wrap_receive(SQSBackend.receive_message)
    notifications._send_event_bridge_message = _send_event_bridge_message
    notifications._invoke_awslambda = _wrap_s3_to_lambda(notifications._invoke_awslambda)
    Subscription.publish = _wrap_sns_publish(Subscription.publish)
    from moto.dynamodb.models.table import StreamShard
    from moto.kinesis.models import Shard
    StreamShard.add = _wake_streams(StreamShard.add)
    Shard.put_record = _wake_streams(Shard.put_record)
    _installed = True


def reset() -> None:
    """Forget per-simulation state (FIFO sequence counters), so every run numbers from the start."""
    _sequences.clear()
    _dlq_sources.clear()


def add_dlq_sources(parsed: dict, params: dict) -> None:
    """ReceiveMessage: add `DeadLetterQueueSourceArn` to redriven messages when asked for (as SQS does)."""
    wanted = set(params.get("MessageSystemAttributeNames") or []) | set(params.get("AttributeNames") or [])
    if not _dlq_sources or not wanted & {"All", "DeadLetterQueueSourceArn"}:
        return
    for message in parsed.get("Messages") or []:
        source = _dlq_sources.get(message.get("MessageId", ""))
        if source is not None:
            message.setdefault("Attributes", {})["DeadLetterQueueSourceArn"] = source


def _current() -> Any:
    from harness.sources import extension
    return extension._current


def _wrap_add_message(original: Any) -> Any:
    def add_message(queue: Any, message: Any) -> None:
        source = getattr(_local, "receiving", None)
        if source is not None and source is not queue and getattr(source, "dead_letter_queue", None) is queue:
            _dlq_sources[message.id] = source.queue_arn
        if queue.fifo_queue and getattr(message, "sequence_number", None) is None:
            _sequences[queue.queue_arn] = _sequences.get(queue.queue_arn, 0) + 1
            # AWS: a large, non-consecutive, increasing number per queue; 20 digits as SQS shows it.
            message.sequence_number = f"{18_000_000_000_000_000_000 + _sequences[queue.queue_arn] * 1000:020d}"
        before = len(queue._messages)
        original(queue, message)
        sources = _current()
        if sources is not None and len(queue._messages) > before:
            sources.on_enqueue(queue.name)

    add_message.__wrapped__ = original  # type: ignore[attr-defined]
    return add_message


def _wrap_receive(original: Any) -> Any:
    def receive_message(backend: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        previous = getattr(_local, "receiving", None)
        try:
            _local.receiving = backend.get_queue(queue_name)
        except Exception:  # noqa: BLE001 - moto raises its own error for a missing queue below
            _local.receiving = None
        try:
            return original(backend, queue_name, *args, **kwargs)
        finally:
            _local.receiving = previous

    receive_message.__wrapped__ = original  # type: ignore[attr-defined]
    return receive_message


def _wake_streams(original: Any) -> Any:
    """A record appended to a DynamoDB stream or a Kinesis shard wakes the stream mappings."""
    def append(shard: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(shard, *args, **kwargs)
        sources = _current()
        if sources is not None:
            sources.on_stream_record()
        return result

    append.__wrapped__ = original  # type: ignore[attr-defined]
    return append


def _wrap_sns_publish(original: Any) -> Any:
    """A message for a `lambda` subscription is delivered by the harness (moto would run the function itself)."""
    def publish(subscription: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict | None = None, *args: Any, **kwargs: Any) -> None:
        sources = _current()
        if subscription.protocol != "lambda" or sources is None:
            return original(subscription, message, message_id, subject, message_attributes, *args, **kwargs)
        matcher = subscription._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if kwargs.get("message_structure") == "json":
            message = subscription._parse_message_structure(message, "lambda")
        from harness.sources import sns
        stamp = sources.sim.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        event = sns.notification(subscription.arn, subscription.topic.arn, message, message_id, subject,
                                 message_attributes, stamp)
        sources.deliver_async(subscription.endpoint, event, f"sns:{subscription.topic.name}")
        return None

    publish.__wrapped__ = original  # type: ignore[attr-defined]
    return publish


def _wrap_s3_to_lambda(original: Any) -> Any:
    """S3 -> Lambda notifications are delivered by the harness, asynchronously, in AWS's event shape."""
    def invoke(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        sources = _current()
        if sources is None:
            return original(account_id, event_body, fn_arn, region_name)
        from harness.sources import s3
        sources.deliver_async(fn_arn, s3.complete_event(event_body, sources), "s3")
        return None

    invoke.__wrapped__ = original  # type: ignore[attr-defined]
    return invoke


def _send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    """S3 -> EventBridge (the bucket's `EventBridgeConfiguration`): the event goes to the default bus's rules, in
    the shape AWS documents for S3 events delivered to EventBridge."""
    sources = _current()
    if sources is None:
        return
    from moto.s3.notifications import _detail_type
    event = {
        "version": "0", "id": sources.new_id(), "detail-type": _detail_type(event_name),
        "source": "aws.s3", "account": account_id,
        "time": sources.sim.clock.datetime().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": bucket.region_name, "resources": [bucket.arn],
        "detail": {
            "version": "0", "bucket": {"name": bucket.name},
            "object": {"key": key.name, "size": key.size, "etag": key.etag.replace('"', ""),
                       **({"version-id": key.version_id} if key.version_id not in (None, "null") else {}),
                       "sequencer": f"{int(sources.sim.clock.now() * 1000):016X}"},
            "request-id": sources.new_id().replace("-", "")[:16].upper(),
            "requester": account_id, "source-ip-address": "127.0.0.1",
            "reason": _reason(event_name),
        },
    }
    sources.eventbridge.publish(event, "default")


def _reason(event_name: str) -> str:
    """AWS's `reason` field: PutObject, CopyObject, DeleteObject, ... from the notification event name."""
    action = str(event_name).split(":")[-1]
    return {"Put": "PutObject", "Post": "PostObject", "Copy": "CopyObject",
            "CompleteMultipartUpload": "CompleteMultipartUpload", "Delete": "DeleteObject",
            "DeleteMarkerCreated": "DeleteObject"}.get(action, action)
