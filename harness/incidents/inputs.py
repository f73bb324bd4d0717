"""The incident's inputs as scenario steps: events the functions logged (Powertools `log_event=True`), events
given in a file, and DLQ message bodies. An event a function received from another function of the system
(a chained invoke, a queue another function feeds, a schedule) is not an input: the replay produces it."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.incidents.system import SystemMap
from harness.incidents.timeline import Invocation, Timeline, Unmapped

CHAIN_GAP = 1.0  # a direct invoke starting within this many seconds of a caller's invocation came from it
_DROP_HEADERS = {"host", "content-length", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto",
                 "x-amzn-trace-id", "via", "x-amz-cf-id", "cloudfront-viewer-country"}


@dataclass(frozen=True)
class Input:
    """One input of the incident: a scenario step at `at` seconds, and where it came from; `done` is when the
    step returns (a synchronous HTTP step waits for its invocation to end)."""

    at: float
    step: dict
    origin: str
    key: str
    done: float | None = None


def shape(event: Any) -> str:
    """api | function_url | eventbridge | schedule | sqs | direct: how the event reached the function."""
    if not isinstance(event, dict):
        return "direct"
    if "httpMethod" in event and "requestContext" in event:
        return "api"
    if event.get("version") == "2.0" and isinstance((event.get("requestContext") or {}).get("http"), dict):
        return "function_url"
    if "detail-type" in event and "source" in event:
        return "schedule" if event.get("detail-type") == "Scheduled Event" else "eventbridge"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict) and \
            records[0].get("eventSource") == "aws:sqs":
        return "sqs"
    return "direct"


def _body(event: dict) -> Any:
    body = event.get("body")
    if body is not None and event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8", "replace")
    return body


def _headers(event: dict) -> dict:
    return {k: v for k, v in (event.get("headers") or {}).items() if k.lower() not in _DROP_HEADERS}


def steps_for(event: Any, function: str | None, system: SystemMap,
              fed: Callable[[str, dict], bool] | None = None) -> tuple[list[tuple[dict, str]], str | None]:
    """([(step, dedupe key)], None) for an event, or ([], why it is not an input). `fed(feeder, record)`: did
    that function run before the SQS record was sent (None: assume so)? A record no feeder could have sent is
    an input."""
    kind = shape(event)
    if kind == "eventbridge" and function is not None and not system.routes(function, event):
        kind = "direct"  # EventBridge-shaped, but no rule of the function routes it: invoked directly
    if kind == "api":
        step = {"method": event["httpMethod"], "path": event.get("path") or "/", "headers": _headers(event)}
        if event.get("queryStringParameters"):
            step["query"] = event["queryStringParameters"]
        if _body(event) is not None:
            step["body"] = _body(event)
        return [({"http": step}, f"api:{(event.get('requestContext') or {}).get('requestId') or json.dumps(step)}")], None
    if kind == "function_url":
        http = event["requestContext"]["http"]
        step = {"function_url": function, "method": http.get("method", "GET"), "path": event.get("rawPath", "/"),
                "headers": _headers(event)}
        if event.get("queryStringParameters"):
            step["query"] = event["queryStringParameters"]
        if _body(event) is not None:
            step["body"] = _body(event)
        return [({"http": step}, f"url:{event['requestContext'].get('requestId')}")], None
    if kind == "schedule":
        return [], "a scheduled event: the schedule fires it again in the replay"
    if kind == "eventbridge":
        step = {"source": event["source"], "detail_type": event["detail-type"], "detail": event.get("detail", {})}
        if event.get("event-bus-name") not in (None, "default"):
            step["bus"] = event["event-bus-name"]
        return [({"put_event": step}, f"eventbridge:{event.get('id') or json.dumps(step, sort_keys=True)}")], None
    if kind == "sqs":
        return _sqs_steps(event, system, fed)
    if function is None:
        return [], "an event with no trigger shape and no function to invoke"
    payload_key = json.dumps(event, sort_keys=True, default=str)
    return [({"invoke": {"function": function, "type": "Event", "payload": event}}, f"invoke:{function}:{payload_key}")], None


def _sqs_steps(event: dict, system: SystemMap,
               fed: Callable[[str, dict], bool] | None) -> tuple[list[tuple[dict, str]], str | None]:
    steps = []
    for record in event["Records"]:
        queue = system.queue(str(record.get("eventSourceARN", "")))
        if queue is None:
            return [], f"SQS records from {record.get('eventSourceARN')}, a queue not in the template"
        feeders = [f for f in system.feeders(queue) if fed is None or fed(f, record)]
        if feeders:
            return [], f"SQS records from {queue}, which {', '.join(feeders)} sends to: the replay produces them"
        step = {"queue": queue, "body": record.get("body", "")}
        attributes = {k: v.get("stringValue") for k, v in (record.get("messageAttributes") or {}).items()
                      if isinstance(v, dict) and v.get("stringValue") is not None}
        if attributes:
            step["attributes"] = attributes
        group = (record.get("attributes") or {}).get("MessageGroupId")
        if group:
            step["group_id"] = group
        steps.append(({"send_message": step}, f"sqs:{record.get('messageId')}"))
    return steps, None


def _schedule_step(inv: Invocation, system: SystemMap) -> dict | None:
    """`fire_schedule` for a scheduled run the replay's own schedule (a rate counted from the start) would not
    make at that time; None when it would (production's schedule and the replay's agree)."""
    logical = system.function(inv.function)
    period = system.schedule_period(logical) if logical else None
    if period and inv.start >= period - 1.0 and min(inv.start % period, period - inv.start % period) < 1.0:
        return None
    return {"fire_schedule": logical} if logical else None


def _chained(inv: Invocation, timeline: Timeline, system: SystemMap) -> str | None:
    """The caller a direct invocation came from (a caller function ran just before or during it), or None."""
    logical = system.function(inv.function)
    if logical is None:
        return None
    callers = set(system.callers(logical))
    for other in timeline.invocations:
        if other is inv:
            break  # a caller started first: in the same millisecond, its START came first in the logs
        if system.function(other.function) not in callers:
            continue
        until = (other.end if other.end is not None else other.last_line) + CHAIN_GAP
        if other.start <= inv.start <= until:
            return system.function(other.function)
    return None


def _sent_at(record: dict, timeline: Timeline, inv: Invocation) -> float:
    """When an SQS record was sent (its SentTimestamp, seconds into the incident): the replay sends it then, so
    the queue's batching window and polling deliver it when production did; else when it was received."""
    stamp = (record.get("attributes") or {}).get("SentTimestamp")
    if not str(stamp or "").isdigit():
        return inv.start
    at = round(int(stamp) / 1000 - timeline.start.timestamp(), 3)
    return at if 0.0 <= at <= inv.start else inv.start


def logged_inputs(timeline: Timeline, system: SystemMap) -> tuple[list[Input], list[Unmapped]]:
    """Inputs from the events the functions logged; the events that are not inputs, with the reason."""
    inputs: dict[str, Input] = {}
    skipped: list[Unmapped] = []
    for inv in timeline.invocations:
        for event in inv.events:
            where = f"{inv.function} request {inv.request_id} attempt {inv.attempt}"
            if inv.attempt > 1:
                continue  # a retry of an event already taken from the first attempt
            if shape(event) == "schedule":
                step = _schedule_step(inv, system)
                if step is None:
                    skipped.append(Unmapped(where, "a scheduled event at a time the replay's schedule fires it "
                                            "again", ""))
                else:
                    key = f"schedule:{inv.request_id}"
                    inputs.setdefault(key, Input(inv.start, step, f"scheduled event logged by {where}", key))
                continue
            if shape(event) in ("direct", "function_url"):
                caller = _chained(inv, timeline, system)
                if caller:
                    skipped.append(Unmapped(where, f"invoked by {caller} (its configuration names this function "
                                            "and it ran just before): the replay invokes it again", ""))
                    continue
            def fed(feeder: str, record: dict, inv: Invocation = inv) -> bool:
                sent = _sent_at(record, timeline, inv)
                return any(o is not inv and o.start <= sent and system.function(o.function) == feeder
                           for o in timeline.invocations)
            steps, why = steps_for(event, system.function(inv.function), system, fed)
            if why:
                skipped.append(Unmapped(where, f"logged event is not an input: {why}", ""))
            sent = [_sent_at(r, timeline, inv) for r in event["Records"]] if shape(event) == "sqs" and not why else []
            for n, (step, key) in enumerate(steps):
                done = inv.end if "http" in step and inv.end is not None else None
                at = sent[n] if n < len(sent) else inv.start
                inputs.setdefault(key, Input(at, step, f"event logged by {where}", key, done))
    return sorted(inputs.values(), key=lambda i: i.at), skipped
