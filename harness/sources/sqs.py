"""SQS event source mapping: polls a queue on virtual time and invokes the function with batches.

AWS's pollers long-poll; here polls are scheduled by `PollSchedule` exactly when something can be received, so
moto is never long-polled (a long poll would block on the frozen clock). Receives ask for at most 10 messages and
the queue is read without scanning when possible (moto's receive cost grows with depth).
"""
from __future__ import annotations

import base64
import contextlib
import itertools
from typing import TYPE_CHECKING, Any

from harness.aws.moto_sqs import request_time, unix_time_millis
from harness.aws.sqs_store import Messages
from harness.lambda_runtime.runtime import InvocationResult, InvokeRequest
from harness.sources.base import EventSpec, as_bool, as_number, register_source
from harness.sources.polling import PollSchedule

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

RECORD_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
                     "SequenceNumber", "MessageGroupId", "MessageDeduplicationId", "AWSTraceHeader",
                     "DeadLetterQueueSourceArn")
INITIAL_POLLERS = 5       # AWS: standard queues start with up to 5 concurrent batches ...
POLLERS_PER_MINUTE = 60   # ... and add pollers while messages keep coming (simplified: +60 per minute)
MAX_POLLERS = 1000


@register_source("SQS", {"Queue", "BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes",
                          "ScalingConfig", "FilterCriteria", "Enabled"})
class SqsMapping:
    """One `Type: SQS` event: BatchSize, MaximumBatchingWindowInSeconds, FunctionResponseTypes, ScalingConfig,
    FilterCriteria, Enabled."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec = sources, spec
        self.sim = sources.sim
        props = spec.properties
        if not props.get("Queue"):
            raise spec.error("Queue is required (the queue ARN, e.g. !GetAtt MyQueue.Arn)")
        self.queue_arn = str(props["Queue"])
        self.queue_url = self.sim.queue_url(self.queue_arn)
        self.queue_name = self.queue_arn.rsplit(":", 1)[-1]
        self.fifo = self.queue_name.endswith(".fifo")
        self.batch_size = int(as_number(spec, "BatchSize", props.get("BatchSize"), 1, 10 if self.fifo else 10000, 10))
        self.window = as_number(spec, "MaximumBatchingWindowInSeconds", props.get("MaximumBatchingWindowInSeconds"),
                                0, 300, 0)
        if self.batch_size > 10 and self.window < 1:
            raise spec.error("BatchSize above 10 needs MaximumBatchingWindowInSeconds of at least 1")
        types = props.get("FunctionResponseTypes") or []
        unknown = [t for t in types if t != "ReportBatchItemFailures"]
        if unknown:
            raise spec.error(f"FunctionResponseTypes {unknown} not understood (the only value is "
                             f"ReportBatchItemFailures)")
        self.report_failures = "ReportBatchItemFailures" in types
        self.enabled = as_bool(props.get("Enabled"))
        scaling = props.get("ScalingConfig") or {}
        self.max_concurrency = int(as_number(spec, "ScalingConfig.MaximumConcurrency",
                                             scaling.get("MaximumConcurrency"), 2, 1000, MAX_POLLERS))
        self.filters = sources.load_filters(spec, props.get("FilterCriteria"))
        self.function = spec.function
        self.in_flight = 0
        self.batches = 0
        self._window_start: float | None = None
        self._busy_since: float | None = None
        self.schedule = PollSchedule(self.sim, f"sqs-poll:{spec.label}", self._poll, enabled=self.enabled,
                                     has_items=lambda: self._depth() != 0)
        self.poke = self.schedule.poke  # a send, a redrive or a batch end was seen

    one_clock_reading = True  # False: every count, receive and due-time question of a poll reads the clock itself

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Begin polling (a first poll now picks up anything already queued)."""
        self.schedule.start()

    def stop(self) -> None:
        """Stop polling."""
        self.schedule.stop()

    # ------------------------------------------------------------------ polling (daemon task)
    def _poll(self) -> None:
        # One reading of moto's clock for the whole poll (counts, receives, deletes, the next due time): a poll
        # never yields, so simulated time cannot move inside it (as inside one request: moto_sqs.request_time).
        with request_time() if self.one_clock_reading else contextlib.nullcontext():
            self._poll_now()

    def _poll_now(self) -> None:
        now = self.sim.clock.now()
        while self.in_flight < self._pollers(now):
            visible = self._visible()
            if visible == 0:
                self._busy_since = None
                break
            if self._busy_since is None:
                self._busy_since = now
            if self.window > 0 and (visible is None or visible < self.batch_size):
                if self._window_start is None:
                    self._window_start = now
                if now < self._window_start + self.window:
                    self.poke(self._window_start + self.window)
                    return
            messages = self._receive()
            self._window_start = None
            if not messages:
                break
            messages = self._filter(messages)
            if messages:
                self.in_flight += 1
                self.sim.scheduler.spawn(lambda batch=messages: self._run_batch(batch),
                                         name=f"sqs-batch:{self.spec.label}")
        self._schedule_next(now)

    def _pollers(self, now: float) -> int:
        ramp = INITIAL_POLLERS
        if self._busy_since is not None:
            ramp += POLLERS_PER_MINUTE * int((now - self._busy_since) // 60)
        limit = min(ramp, self.max_concurrency)
        reserved = self.function.reserved_concurrency
        return max(1, min(limit, reserved)) if reserved is not None else limit

    def _receive(self) -> list[dict]:
        got: list[dict] = []
        queue = self._queue()
        if self.fifo and queue is not None:
            # moto clears an in-flight message whose visibility timeout ran out only when its receive loop reaches
            # it, so a later message of the same group can be handed out before an earlier one comes back (a3
            # before a2). Clearing those first keeps the group in order, as SQS does.
            with request_time():
                for message in list(queue.pending_messages):
                    if message.visible:
                        queue.pending_messages.discard(message)
        sqs = self.sim.client("sqs")
        while len(got) < self.batch_size:
            response = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, self.batch_size - len(got)),
                WaitTimeSeconds=0, AttributeNames=["All"], MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["All"])
            batch = response.get("Messages", [])
            got += batch
            if not batch:
                break
        return got

    def _filter(self, messages: list[dict]) -> list[dict]:
        """FilterCriteria: messages that match no filter are deleted without invoking (AWS's behaviour)."""
        if not self.filters:
            return messages
        keep, drop = [], []
        for message in messages:
            (keep if self.sources.matches_filters(self.filters, self._record(message)) else drop).append(message)
        if drop:
            self._delete(drop)
            self.sim.trace.record("sqs_filtered", source=self.spec.label, dropped=len(drop))
        return keep

    def _schedule_next(self, now: float) -> None:
        nxt = self._next_visible(now)
        if nxt is not None:
            self.poke(nxt)

    # ------------------------------------------------------------------ one batch (non-daemon task)
    def _run_batch(self, messages: list[dict]) -> None:
        runtime, config = self.sim.runtime, self.function
        ids = [m["MessageId"] for m in messages]
        try:
            records = [self._record(m) for m in messages]
            # The fault plan's delivery seam: duplicate, reorder or hold back records for a later redelivery.
            delivery = self.sim.faults.on_delivery("sqs", records, function=config.name, resource=self.queue_name)
            records = list(delivery.records)
            held_back = {r["messageId"] for r in delivery.redeliver}
            request = InvokeRequest(config.name, {"Records": records}, "RequestResponse", runtime.new_request_id())
            if runtime.throttled(config):
                runtime.throttle_result(config, request)
                failed, reason = set(ids), "throttled"
            else:
                runtime.reserve(config)
                result = runtime.execute(config, request)
                failed, reason = self._failed(result, ids)
            # Held-back records stay on the queue: SQS redelivers them after the visibility timeout.
            failed = set(failed) | held_back
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self._delete(done)
            self.batches += 1
            self.sim.trace.record("sqs_batch", source=self.spec.label, function=config.name,
                                  queue=self.queue_name, size=len(messages), deleted=len(done),
                                  failed=len(failed), reason=reason)
            if self.fifo and failed and reason == "partial":
                self._check_fifo_order(messages, failed)
        finally:
            self.in_flight -= 1
            self.poke()

    def _failed(self, result: InvocationResult, ids: list[str]) -> tuple[set, str | None]:
        """Which messages go back to the queue, and why (AWS_BEHAVIOUR "ReportBatchItemFailures")."""
        if not result.ok:
            return set(ids), result.status  # error or timeout: the whole batch returns
        if not self.report_failures:
            return set(), None
        payload = result.payload
        if payload is None:
            return set(), None  # null response = complete success
        if not isinstance(payload, dict):
            return set(ids), "invalid response"
        items = payload.get("batchItemFailures")
        if items is None:
            return set(), None  # empty response or null list = complete success
        if not isinstance(items, list):
            return set(ids), "invalid response"
        failed = set()
        for item in items:
            identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
            if not isinstance(identifier, str) or identifier not in ids:
                return set(ids), "invalid itemIdentifier"  # empty, null, bad key or unknown id: whole batch
            failed.add(identifier)
        return failed, ("partial" if failed else None)

    def _check_fifo_order(self, messages: list[dict], failed: set) -> None:
        """FIFO: a handler must stop at its first failure; deleting a later message of the same group breaks
        the group's order, which the trace reports."""
        seen_failure: set[str] = set()
        for message in messages:
            group = message.get("Attributes", {}).get("MessageGroupId")
            if message["MessageId"] in failed:
                seen_failure.add(group)
            elif group in seen_failure:
                self.sim.trace.record("sqs_fifo_order_broken", source=self.spec.label, group=group,
                                      message_id=message["MessageId"])

    def _delete(self, messages: list[dict]) -> None:
        sqs = self.sim.client("sqs")
        for start in range(0, len(messages), 10):
            chunk = messages[start:start + 10]
            sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)])

    def _record(self, message: dict) -> dict:
        """The record shape Lambda delivers for one SQS message."""
        attributes = message.get("Attributes", {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": {k: attributes[k] for k in RECORD_ATTRIBUTES if k in attributes},
            "messageAttributes": {name: _attribute(value)
                                  for name, value in (message.get("MessageAttributes") or {}).items()},
            "md5OfBody": message.get("MD5OfBody"),
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.sim.region,
        }

    # ------------------------------------------------------------------ queue state
    def _queue(self) -> Any:
        return self.sources.moto_queue(self.queue_name)

    def _depth(self) -> int | None:
        queue = self._queue()
        if queue is None:  # not moto: the backend's own counts (visible, in flight and delayed)
            return sum(self._remote_counts())
        return len(queue._messages)

    def _remote_counts(self) -> tuple[int, int]:
        """(receivable, in flight or delayed) as the backend reports them (LocalStack: no queue object here)."""
        attributes = self.sim.client("sqs").get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed"]).get("Attributes", {})
        waiting = (int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
                   + int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)))
        return int(attributes.get("ApproximateNumberOfMessages", 0)), waiting

    def _visible(self) -> int | None:
        """Receivable messages, counted up to a full batch (all the poll needs to know)."""
        queue = self._queue()
        if queue is None:
            return None  # not moto: try a receive
        with request_time():
            messages = queue._messages
            receivable = (messages.receivable(unix_time_millis()) if isinstance(messages, Messages)  # the index
                          else (m for m in messages if m.visible and not m.delayed))
            return sum(1 for _ in itertools.islice(receivable, self.batch_size))

    def _next_visible(self, now: float) -> float | None:
        """When the next delayed or in-flight message can be received (moto's timers are in ms and its
        visibility check is strict, hence +1 ms)."""
        queue = self._queue()
        if queue is None:
            # The backend's timers are not readable here: look again in a second while messages are in flight or
            # delayed, and not at all once the queue is empty (a send seen by the router pokes the poller).
            return now + 1.0 if sum(self._remote_counts()) else None
        with request_time():
            return next_receivable(queue._messages, unix_time_millis(), now)


def next_receivable(messages: Any, now_ms: float, now: float) -> float | None:
    """When the first of a moto queue's `_messages` not receivable at moto's clock reading `now_ms` can be received
    (moto's timers are in ms and its visibility check is strict, hence +1 ms), in the poller's seconds `now`."""
    if isinstance(messages, Messages):
        # Only the messages due within 2 ms of the first (each is receivable within 1 ms of its due time) or by
        # `now` can give the earliest time below; the index finds them without walking the queue.
        messages = messages.waiting(now_ms, within=2.0, floor=now * 1000.0 + 2.0)
    times = []
    for message in messages:
        # moto's Message.visible and .delayed, read against one clock reading
        if now_ms > message.visible_at and not now_ms < message.delayed_until:
            continue  # receivable now (or held back by its FIFO group until a batch ends)
        ready = max(message.delayed_until / 1000.0, (message.visible_at + 1) / 1000.0)
        times.append(ready if ready > now else now + 0.001)  # ms rounding: look again 1 ms later
    return min(times) if times else None


def _attribute(value: dict) -> dict:
    """A message attribute as Lambda's record has it (lower camel case, binary as base64)."""
    out: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType")}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        out["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, (bytes, bytearray)) else raw
    return dict(sorted(out.items(), key=lambda kv: ["stringValue", "binaryValue", "stringListValues",
                                                    "binaryListValues", "dataType"].index(kv[0])))
