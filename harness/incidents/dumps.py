"""Files besides the logs: a DLQ dump (`aws sqs receive-message --attribute-names All
--message-attribute-names All --max-number-of-messages 10 > dlq.json`, one answer or a list of them) and a file
of events (one event, a list of events, or a list of {"function", "time", "event"})."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.incidents.formats import epoch_ms, insights_time
from harness.incidents.inputs import Input, shape, steps_for
from harness.incidents.records import IncidentInputError
from harness.incidents.system import SystemMap
from harness.incidents.timeline import Timeline, Unmapped


@dataclass(frozen=True)
class DeadLetter:
    """One message received from a DLQ."""

    queue: str | None
    message_id: str
    body: str
    attributes: dict
    message_attributes: dict
    where: str

    @property
    def sent(self) -> datetime | None:
        """When it was sent to the DLQ (SentTimestamp; for a redriven message, the original send)."""
        stamp = self.attributes.get("SentTimestamp")
        return epoch_ms(int(stamp)) if str(stamp or "").isdigit() else None

    def attribute(self, name: str) -> str | None:
        """A message attribute's string value."""
        value = self.message_attributes.get(name)
        return value.get("StringValue") if isinstance(value, dict) else None


def _load(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IncidentInputError(f"{path}: no such file (expected {what})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise IncidentInputError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}) - "
                                 f"the file looks truncated; expected {what}") from None


def read_dlq(spec: str, system: SystemMap) -> list[DeadLetter]:
    """Messages of a `[QUEUE=]FILE` DLQ dump; QUEUE (name or logical id) says which queue it was."""
    queue_name, _, file = spec.rpartition("=") if "=" in spec else ("", "", spec)
    path = Path(file)
    what = "the JSON of aws sqs receive-message --attribute-names All --message-attribute-names All"
    doc = _load(path, what)
    answers = doc if isinstance(doc, list) else [doc]
    queue = None
    if queue_name:
        queue = system.queue(queue_name)
        if queue is None:
            known = ", ".join(system.catalog.logical_ids("queue"))
            raise IncidentInputError(f"--dlq {spec}: no queue {queue_name!r} in the template; expected one of {known}")
    found = []
    for n, answer in enumerate(answers):
        if not isinstance(answer, dict) or not isinstance(answer.get("Messages", []), list):
            raise IncidentInputError(f"{path}: answer {n} is not a receive-message answer ({{\"Messages\": [...]}}); "
                                     f"expected {what}")
        for i, msg in enumerate(answer.get("Messages", [])):
            where = f"{path}:Messages[{i}]"
            if not isinstance(msg, dict) or "Body" not in msg or "MessageId" not in msg:
                raise IncidentInputError(f"{where}: a message needs MessageId and Body (is the dump cut short?)")
            found.append(DeadLetter(queue, msg["MessageId"], msg["Body"], msg.get("Attributes") or {},
                                    msg.get("MessageAttributes") or {}, where))
    return found


def dlq_inputs(letters: list[DeadLetter], timeline: Timeline, system: SystemMap) -> tuple[list[Input], list[Unmapped]]:
    """Inputs recovered from DLQ bodies: an EventBridge event, a Lambda destination record's requestPayload, a
    redriven SQS body (back to its source queue), or an async event of the function whose DLQ this is."""
    inputs, unmapped = [], []
    for letter in letters:
        try:
            body = json.loads(letter.body)
        except json.JSONDecodeError:
            body = letter.body
        function = _dlq_function(letter, body, system)
        at = _time_of(letter, timeline)
        if isinstance(body, dict) and "requestPayload" in body and "requestContext" in body:
            body = body["requestPayload"]
        source = letter.attributes.get("DeadLetterQueueSourceArn")
        if source and system.queue(source):
            step = {"send_message": {"queue": system.queue(source), "body": letter.body}}
            inputs.append(Input(at, step, f"DLQ message {letter.message_id}", f"sqs:{letter.message_id}"))
            continue
        steps, why = steps_for(body, function, system)
        if why:
            unmapped.append(Unmapped(letter.where, f"DLQ body is not an input: {why}", letter.body[:120]))
        for step, key in steps:
            inputs.append(Input(at, step, f"DLQ message {letter.message_id}", key))
    return inputs, unmapped


def _dlq_function(letter: DeadLetter, body: Any, system: SystemMap) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("requestContext"), dict):
        arn = str(body["requestContext"].get("functionArn", ""))
        name = arn.split(":function:")[-1].split(":")[0]
        if system.function(name):
            return system.function(name)
    if letter.queue:
        return system.dead_letter_owner(letter.queue)
    return None


def _time_of(letter: DeadLetter, timeline: Timeline) -> float:
    request_id = letter.attribute("RequestID")
    for inv in timeline.invocations:
        if request_id and inv.request_id == request_id:
            return inv.start
    sent = letter.sent
    return max(0.0, round((sent - timeline.start).total_seconds(), 3)) if sent else 0.0


def read_events(path: Path, timeline: Timeline, system: SystemMap) -> tuple[list[Input], list[Unmapped]]:
    """Inputs from an events file (the incident's events when the functions did not log them)."""
    doc = _load(path, "a Lambda event, a list of events, or a list of {\"function\", \"time\", \"event\"}")
    items = doc if isinstance(doc, list) else [doc]
    inputs, unmapped = [], []
    for i, item in enumerate(items):
        where = f"{path}:[{i}]"
        wrapped = isinstance(item, dict) and "event" in item and shape(item) == "direct"
        event = item["event"] if wrapped else item
        function = system.function(item.get("function")) if wrapped else None
        if wrapped and item.get("function") and function is None:
            raise IncidentInputError(f"{where}: function {item['function']!r} is not in the template")
        at = 0.0
        if wrapped and item.get("time") is not None:
            at = float(item["time"]) if isinstance(item["time"], (int, float)) else \
                round((insights_time(str(item["time"]), where) - timeline.start).total_seconds(), 3)
        steps, why = steps_for(event, function, system)
        if why:
            unmapped.append(Unmapped(where, f"event is not an input: {why}", json.dumps(event)[:120]))
        for step, key in steps:
            inputs.append(Input(at, step, f"event {where}", key))
    return inputs, unmapped
