"""Asynchronous invocation: Lambda's internal event queue, retries, event age, destinations and DLQs."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.lambda_runtime.config import Destination, FunctionConfig
from harness.lambda_runtime.runtime import InvocationResult, InvokeRequest, LambdaRuntime

# AWS: "waits one minute before the first retry and two minutes before the second" (AWS_BEHAVIOUR.md).
RETRY_DELAYS = (60.0, 120.0)
# Throttles and Lambda's own 5xx: backoff from 1 s rising to 5 minutes while the event is young enough.
THROTTLE_BACKOFF_MAX = 300.0


@dataclass
class AsyncEvent:
    """An event in Lambda's internal queue."""

    request_id: str
    function: str
    payload: Any
    enqueued_at: float
    attempts: int = 0
    throttles: int = 0
    last: InvocationResult | None = None
    trace_header: str | None = None  # the X-Ray header of the request that queued it (recursive loop detection)


class AsyncInvoker:
    """Accepts Event invocations (202) and runs them with AWS's retry rules."""

    def __init__(self, runtime: LambdaRuntime, send: Callable[[Destination, Any, dict], None]):
        self.runtime = runtime
        self.scheduler, self.trace = runtime.scheduler, runtime.trace
        self._send = send  # delivers a record to an SQS/SNS/Lambda/EventBridge target
        self.events: list[AsyncEvent] = []

    def submit(self, config: FunctionConfig, payload: Any, request_id: str | None = None,
               trace_header: str | None = None) -> str:
        """Queue an event; returns its request id at once (the function runs later)."""
        event = AsyncEvent(request_id or self.runtime.new_request_id(), config.name, payload,
                           self.scheduler.clock.now(), trace_header=trace_header)
        self.events.append(event)
        self.trace.record("async_queued", function=config.name, request_id=event.request_id)
        self._schedule(event, 0.0)
        return event.request_id

    def _schedule(self, event: AsyncEvent, delay: float) -> None:
        self.scheduler.spawn(lambda: self._attempt(event), name=f"async:{event.function}:{event.request_id[:8]}",
                             delay=delay)

    def _attempt(self, event: AsyncEvent) -> None:
        config = self.runtime.functions[event.function]
        age = self.scheduler.clock.now() - event.enqueued_at
        if age > config.max_event_age:
            return self._fail(config, event, "EventAgeExceeded")
        if self.runtime.throttled(config):
            event.throttles += 1
            self.runtime.throttle_result(config, InvokeRequest(config.name, event.payload, "Event",
                                                               event.request_id, event.attempts + 1))
            delay = min(2.0 ** (event.throttles - 1), THROTTLE_BACKOFF_MAX)
            return self._schedule(event, delay)
        event.attempts += 1
        self.runtime.reserve(config)
        result = self.runtime.execute(config, InvokeRequest(config.name, event.payload, "Event", event.request_id,
                                                            event.attempts, {"trace_header": event.trace_header}))
        event.last = result
        if result.status == "recursive_loop":  # stopped: no retries, straight to the DLQ / on-failure destination
            return self._fail(config, event, "RetriesExhausted")
        if result.ok:
            if config.on_success:
                self._deliver(config.on_success, self._record(config, event, "Success", result), {})
            return None
        if event.attempts <= config.max_retry_attempts:
            delay = RETRY_DELAYS[min(event.attempts - 1, len(RETRY_DELAYS) - 1)]
            if self.scheduler.clock.now() + delay - event.enqueued_at > config.max_event_age:
                return self._fail(config, event, "EventAgeExceeded")
            self.trace.record("async_retry", function=config.name, request_id=event.request_id,
                              attempt=event.attempts + 1, delay=delay)
            return self._schedule(event, delay)
        return self._fail(config, event, "RetriesExhausted")

    def _fail(self, config: FunctionConfig, event: AsyncEvent, condition: str) -> None:
        self.trace.record("async_failed", function=config.name, request_id=event.request_id, condition=condition,
                          attempts=event.attempts)
        if config.on_failure:
            self._deliver(config.on_failure, self._record(config, event, condition, event.last), {})
        if config.dead_letter:
            error = (event.last.error or {}) if event.last else {}
            message = str(error.get("errorMessage", condition))[:1024]
            attributes = {
                "RequestID": {"DataType": "String", "StringValue": event.request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                "ErrorMessage": {"DataType": "String", "StringValue": message},
            }
            self._deliver(config.dead_letter, event.payload, attributes)

    def _record(self, config: FunctionConfig, event: AsyncEvent, condition: str,
                result: InvocationResult | None) -> dict:
        record = {
            "version": "1.0",
            "timestamp": self.scheduler.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {"requestId": event.request_id, "functionArn": f"{config.arn}:$LATEST",
                               "condition": condition, "approximateInvokeCount": event.attempts},
            "requestPayload": event.payload,
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        }
        if result is not None and not result.ok:
            record["responseContext"]["functionError"] = "Unhandled"
        if result is not None:
            record["responsePayload"] = result.aws_payload()
        return record

    def _deliver(self, target: Destination, body: Any, attributes: dict) -> None:
        self.trace.record("destination", target=target.type, arn=target.arn)
        self._send(target, body, attributes)


def encode(body: Any) -> str:
    """Message body text for a destination."""
    return body if isinstance(body, str) else json.dumps(body)
