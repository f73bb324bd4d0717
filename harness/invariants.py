"""Invariants: properties that must hold at the end of every run of a system, whatever the faults.

Each invariant is a small config model registered in INVARIANTS by name; systems configure them (tables,
queues, thresholds, sensitive fields) in `scenarios/<system>/_system.yaml`, scenarios pick them by name.
`check(view)` reads only a `RunView` (trace, ledger and end-of-run state), so a test can hand it a
hand-made violating run.
"""
from __future__ import annotations

import functools
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl

from pydantic import Field

from harness.memo import remember
from harness.scenario.match import copied
from harness.scenario.registry import Registry
from harness.scenario.values import Duration, Model, QueueRef, TableRef


@dataclass(frozen=True)
class Violation:
    """One breach, with the trace events that show it."""

    message: str
    seqs: tuple[int, ...] = ()


@dataclass(frozen=True)
class InvariantResult:
    """An invariant's verdict for one run."""

    name: str
    violations: tuple[Violation, ...] = ()
    config: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when nothing was violated."""
        return not self.violations

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "passed": self.passed, "config": self.config,
                "violations": [{"message": v.message, "seqs": list(v.seqs)} for v in self.violations]}


class RunView(Protocol):
    """What an invariant may look at: the trace, the ledger and the backend state at the end."""

    trace: Any
    ledger: Any
    now_epoch: float

    def physical(self, kind: str, ref: str) -> str: ...  # noqa: E704 - a protocol: signatures only
    def queue_messages(self, queue: str) -> list: ...
    def queue_names(self) -> list[str]: ...
    def table_items(self, table: str) -> list[dict]: ...
    def secret_values(self) -> list[str]: ...


class Invariant(Model):
    """Base of every invariant: its fields are its per-system configuration."""

    name: ClassVar[str] = ""

    def check(self, view: RunView) -> list[Violation]:
        """Every violation found in the run."""
        raise NotImplementedError

    @functools.cached_property
    def config(self) -> dict:
        """Its configuration as JSON values, as results show it (made once: a model's fields never change)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def run(self, view: RunView) -> InvariantResult:
        """Check and wrap (a check that raises is reported as a violation, not a crash)."""
        try:
            violations = tuple(self.check(view))
        except Exception as exc:  # noqa: BLE001 - a broken check must not hide the rest of the report
            violations = (Violation(f"the invariant could not be checked: {type(exc).__name__}: {exc}"),)
        return InvariantResult(self.name, violations, copied(self.config))


INVARIANTS: Registry[type[Invariant]] = Registry("invariant")


def invariant(cls: type[Invariant]) -> type[Invariant]:
    """Class decorator: register an invariant under its `name`."""
    return INVARIANTS.register(cls.name)(cls)


# ------------------------------------------------------------------------------------------- helpers
def body_path(body: Any, path: str) -> Any:
    """`a.b.0.c` inside a JSON body (text or parsed); None when absent."""
    value = body
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    for part in path.split(".") if path else []:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def epoch_of(value: Any) -> float | None:
    """Epoch seconds from an ISO-8601 string or a number (seconds, or milliseconds when huge)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) / (1000.0 if value > 1e11 else 1.0)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return epoch_of(float(text))
    try:
        moment = datetime.fromisoformat(text)  # Python 3.11 reads a trailing Z
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _attempt_of(view: RunView) -> Any:
    """`attempt(request_id, t)`: the Lambda attempt of that request running at virtual time t (1 when unknown)."""
    starts: dict[str, list[tuple[float, int]]] = {}
    for event in view.trace.of("invoke_start"):
        starts.setdefault(str(event.data.get("request_id")), []).append((event.t, int(event.data.get("attempt") or 1)))

    def attempt(request_id: Any, t: float) -> int:
        found = [a for start, a in starts.get(str(request_id), []) if start <= t]
        return found[-1] if found else 1

    return attempt


def _age(view: RunView, since: float) -> float:
    """Seconds from `since` to the end of the run, at most the run's own length: a timestamp a skewed handler clock
    wrote earlier than the run began does not make a record older than the run."""
    events = view.trace.events
    length = max((e.t for e in events), default=0.0)
    return min(view.now_epoch - since, length) if events else view.now_epoch - since


def _handler_calls(view: RunView) -> list:
    return [c for c in view.ledger.calls if c.caller not in ("test", "harness") and c.request_id]


def _same_call(call: Any) -> tuple:
    """What makes two calls "the same call for the same input": the invocation, the API and the resource, and for
    item operations the item's key (updating two conversations in one run is not a retry)."""
    key = (getattr(call, "params", None) or {}).get("Key")
    item = json.dumps(key, sort_keys=True, default=str) if key is not None else ""
    return call.request_id, call.service, call.operation, call.resource, item


def _http_calls(view: RunView) -> list:
    """Outbound HTTP exchanges of handler code as calls (error `HTTP <status>`), attributed to the invocation
    that made them when only one invocation of the calling function was running."""
    from harness.scenario.ledger import Call
    running: dict[str, list[str]] = {}
    out = []
    for event in view.trace.events:
        data = event.data
        if event.kind == "invoke_start":
            running.setdefault(data.get("function"), []).append(data.get("request_id"))
        elif event.kind == "invoke_end" and data.get("request_id") in running.get(data.get("function"), []):
            running[data.get("function")].remove(data.get("request_id"))
        elif event.kind == "http" and len(running.get(data.get("caller"), [])) == 1:
            status = int(data.get("status") or 0)
            out.append(Call("http", str(data.get("method")), f"{data.get('host')}{data.get('path')}",
                            str(data.get("caller")), running[data.get("caller")][0], event.t, status,
                            f"HTTP {status}" if status >= 400 else None, 0))
    return out


# ------------------------------------------------------------------------------------------- invariants
@invariant
class NoMessageLost(Invariant):
    """Every accepted input ends processed, still in flight, or in a DLQ: SQS messages (by MessageId) and
    asynchronous invocations (by request id). A message whose fate the caller never learnt is not lost: a FIFO
    copy SQS deduplicated after an earlier attempt's response was lost, and a received message deleted by a
    request whose response was lost or whose caller died right after it (`lambda_crash` `after`)."""

    name: ClassVar[str] = "no_message_lost"
    ignore_queues: list[QueueRef] = Field(default_factory=list)
    check_async: bool = True
    # A scheduled tick that fails is dropped by AWS and the next tick does the work: not an accepted input.
    ignore_schedules: bool = True

    def check(self, view: RunView) -> list[Violation]:
        ignored = {view.physical("queue", q) for q in self.ignore_queues}
        present: dict[str, str] = {}
        survivors: set[tuple[str, str]] = set()
        for queue in view.queue_names():
            for message in view.queue_messages(queue):
                present[message.message_id] = queue
                # The first copy may have been sent by a request whose response was lost (not in the ledger).
                survivors.add((queue, _dedup_key(message)))
        out = []
        survivors |= {(m.queue, _dedup_key(m)) for m in view.ledger.sent if m.message_id in present
                      or m.message_id in view.ledger.deleted}
        unacknowledged = _unacknowledged(view)
        for message in view.ledger.sent:
            if message.queue in ignored or message.message_id in present or message.message_id in view.ledger.deleted:
                continue
            if message.queue.endswith(".fifo") and (message.queue, _dedup_key(message)) in survivors:
                continue  # FIFO deduplication dropped this copy; the first one is accounted for
            if message.queue.endswith(".fifo") and any(
                    t <= message.t for t in unacknowledged.get((message.queue, "SendMessage"), [])):
                continue  # an earlier attempt was applied but its response lost: SQS deduplicated this copy
            if view.ledger.received.get(message.message_id) and unacknowledged.get((message.queue, "DeleteMessage")):
                continue  # received, then deleted by a request whose answer never reached its caller
            seqs = tuple(e.seq for e in view.trace.of("aws", resource=message.queue))[-6:]
            out.append(Violation(f"message {message.message_id} sent to {message.queue} at t={message.t:g}s by "
                                 f"{message.sender} was neither processed (deleted) nor left in a queue or DLQ; "
                                 f"body {message.body[:120]!r}", seqs))
        if self.check_async:
            out += _lost_async(view, self.ignore_schedules)
        return out


LOST_ANSWER_EFFECTS = ("response_lost",)


def _unacknowledged(view: RunView) -> dict[tuple[str, str], list[float]]:
    """(queue, SendMessage|DeleteMessage) -> times an SQS request was applied but its caller never got the
    answer: a lost response, or a crash right after the call."""
    out: dict[tuple[str, str], list[float]] = {}
    for event in view.trace.events:
        data = event.data
        applied = (event.kind == "fault" and data.get("effect") in LOST_ANSWER_EFFECTS) or event.kind == "crash"
        if applied and data.get("service") == "sqs" and data.get("resource"):
            operation = str(data.get("operation") or "").replace("Batch", "")
            out.setdefault((str(data["resource"]), operation), []).append(event.t)
    return out


def _dedup_key(message: Any) -> str:
    """A sent message's or a queued message's FIFO deduplication id (its body without one)."""
    return str(getattr(message, "dedup_id", None) or getattr(message, "deduplication_id", None) or message.body)


def _lost_async(view: RunView, ignore_schedules: bool = True) -> list[Violation]:
    events = view.trace.events
    succeeded = {e.data.get("request_id") for e in events if e.kind == "invoke_end" and e.data.get("status") == "success"}
    scheduled = {e.data.get("request_id") for previous, e in itertools.pairwise(events)
                 if previous.kind == "schedule" and e.kind == "async_queued"} if ignore_schedules else set()
    out = []
    for event in events:
        if event.kind != "async_failed" or event.data.get("request_id") in succeeded | scheduled:
            continue
        follow = events[event.seq + 1: event.seq + 5]
        if not any(e.kind == "destination" for e in follow):
            out.append(Violation(f"async event {event.data.get('request_id')} of {event.data.get('function')} failed "
                                 f"({event.data.get('condition')}) with no DLQ or on-failure destination: it is lost",
                                 (event.seq,)))
    return out


@invariant
class LocksReleased(Invariant):
    """No item is still locked at the end of the run longer than `threshold` (or without a timestamp)."""

    name: ClassVar[str] = "locks_released"
    table: TableRef
    attribute: str
    locked: list[Any] = Field(default_factory=list)  # empty: the attribute being present is the lock
    since: str | None = None  # attribute with the lock's ISO-8601 / epoch timestamp
    threshold: Duration = 0.0

    def check(self, view: RunView) -> list[Violation]:
        table = view.physical("table", self.table)
        out = []
        for item in view.table_items(table):
            if self.attribute not in item or (self.locked and item[self.attribute] not in self.locked):
                continue
            started = epoch_of(item.get(self.since)) if self.since else None
            age = None if started is None else _age(view, started)
            if age is not None and age <= self.threshold:
                continue
            seqs = tuple(e.seq for e in view.trace.of("aws", resource=table))[-6:]
            held = "with no lock timestamp" if age is None else f"for {age:g}s (threshold {self.threshold:g}s)"
            out.append(Violation(f"{self.table} item {_key_text(item)} is still {self.attribute}="
                                 f"{item[self.attribute]!r} {held}", seqs))
        return out


def _key_text(item: dict) -> str:
    keys = [k for k in item if k.endswith(("id", "Id"))][:2]
    return json.dumps({k: item[k] for k in keys} if keys else item, default=str)[:160]


@invariant
class NoDuplicates(Invariant):
    """Nothing is done twice: no SQS message processed successfully by two invocations, no two messages in
    `queues` with the same key (body path), no two items in `tables` with the same attribute value."""

    name: ClassVar[str] = "no_duplicates"
    queues: dict[QueueRef, str] = Field(default_factory=dict)
    tables: dict[TableRef, str] = Field(default_factory=dict)
    processed_once: bool = True

    def check(self, view: RunView) -> list[Violation]:
        out = []
        for queue_ref, path in self.queues.items():
            queue = view.physical("queue", queue_ref)
            seen: dict[str, Any] = {}
            for message in view.ledger.sent:
                if message.queue != queue:
                    continue
                key = body_path(message.body, path)
                if key is None:
                    continue
                key = json.dumps(key, sort_keys=True, default=str)
                if key in seen and not _fifo_dropped(view, message):
                    out.append(Violation(f"two messages in {queue_ref} with {path}={key} (ids {seen[key]} and "
                                         f"{message.message_id}, the second sent by {message.sender} at "
                                         f"t={message.t:g}s)"))
                seen.setdefault(key, message.message_id)
        for table_ref, attribute in self.tables.items():
            counts: dict[str, int] = {}
            for item in view.table_items(view.physical("table", table_ref)):
                if attribute in item:
                    value = json.dumps(item[attribute], default=str)
                    counts[value] = counts.get(value, 0) + 1
            out += [Violation(f"{n} items in {table_ref} with {attribute}={v}") for v, n in counts.items() if n > 1]
        if self.processed_once and not _redelivered_by_fault(view):
            out += _processed_twice(view)
        return out


def _fifo_dropped(view: RunView, message: Any) -> bool:
    """A FIFO copy SQS deduplicated never reached a consumer."""
    return message.queue.endswith(".fifo") and message.message_id not in view.ledger.deleted and \
        message.message_id not in {m.message_id for q in [message.queue] for m in view.queue_messages(q)}


def _redelivered_by_fault(view: RunView) -> bool:
    """True when the fault plan made SQS deliver a message again (redeliver or duplicate deliveries): processing
    it twice is then SQS's at-least-once contract, and `effects_at_most_once` judges what the handler did twice."""
    return any(e.data.get("effect") in ("redeliver", "duplicate") and
               (e.data.get("point") == "delivery" or e.data.get("service") == "sqs") for e in view.trace.of("fault"))


def _processed_twice(view: RunView) -> list[Violation]:
    done: dict[str, tuple[str, int]] = {}
    out = []
    for end in view.trace.of("invoke_end", status="success"):
        request_id, attempt = end.data.get("request_id"), int(end.data.get("attempt") or 1)
        payloads = view.ledger.payloads.get(request_id) or []
        payload = payloads[attempt - 1] if len(payloads) >= attempt else (payloads[-1] if payloads else None)
        records = payload.get("Records") if isinstance(payload, dict) else None
        if not isinstance(records, list):
            continue
        failed = _failed_items(view, request_id)
        for record in records:
            message_id = record.get("messageId") if isinstance(record, dict) else None
            if not message_id or message_id in failed:
                continue
            if message_id in done and done[message_id][0] != request_id:
                out.append(Violation(f"SQS message {message_id} was processed successfully twice (by invocations "
                                     f"{done[message_id][0]} and {request_id} of {end.data.get('function')})",
                                     (done[message_id][1], end.seq)))
            done.setdefault(message_id, (request_id, end.seq))
    return out


def _failed_items(view: RunView, request_id: str) -> set[str]:
    results = getattr(view, "results", None) or []
    for result in results:
        if result.request_id == request_id and isinstance(result.payload, dict):
            return {str(f.get("itemIdentifier")) for f in result.payload.get("batchItemFailures") or []
                    if isinstance(f, dict)}
    return set()


PERMANENT_DEFAULT = (
    "AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId",
    "ValidationException", "ValidationError", "ResourceNotFoundException", "InvalidParameterValue",
    "InvalidParameterCombination", "MissingParameter", "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist", "NoSuchBucket", "NoSuchKey", "InvalidRequestContentException", "SerializationException",
    "RequestEntityTooLarge", "KmsAccessDenied", "InvalidSignatureException", "NotAuthorized",
)


@invariant
class ClientErrorsNotRetried(Invariant):
    """After a call fails with an error the plan calls permanent, the same call (service, operation,
    resource) is not made again for the same input: not by botocore, the handler, nor Lambda's retries."""

    name: ClassVar[str] = "client_errors_not_retried"
    permanent: list[str] = Field(default_factory=lambda: list(PERMANENT_DEFAULT))
    permanent_http: list[int] = Field(default_factory=lambda: [s for s in range(400, 500) if s not in (408, 425, 429)])

    @functools.cached_property
    def permanent_errors(self) -> frozenset[str]:
        """Error codes and `HTTP <status>` texts of permanent failures (made once: a model's fields never change)."""
        return frozenset(self.permanent) | {f"HTTP {s}" for s in self.permanent_http}

    def check(self, view: RunView) -> list[Violation]:
        permanent = self.permanent_errors
        failed: dict[tuple, Any] = {}
        out = []
        attempt = _attempt_of(view)
        forced = _forced_retries(view)
        for call in sorted(_handler_calls(view) + _http_calls(view), key=lambda c: c.t):
            key = _same_call(call)
            if key in failed and (call.request_id, attempt(call.request_id, call.t)) in forced and \
                    attempt(call.request_id, call.t) != attempt(call.request_id, failed[key].t):
                failed.pop(key)  # Lambda retried because an injected fault ended the earlier attempt
            if call.error in permanent and call.retries:
                out.append(Violation(f"{call.caller}: {call.service}:{call.operation} on {call.resource} failed with "
                                     f"permanent {call.error} and botocore retried it {call.retries} time(s)"))
            if key in failed:
                first = failed.pop(key)
                out.append(Violation(f"{call.caller}: {call.service}:{call.operation} on {call.resource} was called "
                                     f"again at t={call.t:g}s for the same input after a permanent {first.error} at "
                                     f"t={first.t:g}s (request {call.request_id})"))
            if call.error in permanent:
                failed[key] = call
        return out


def _forced_retries(view: RunView) -> set[tuple[str, int]]:
    """(request id, attempt) of Lambda retries that follow an attempt an injected fault ended (a timeout or
    crash the run's fault plan caused, not the handler's own outcome)."""
    injected_at: dict[str, list[float]] = {}
    for event in view.trace.of("fault"):
        if event.data.get("point") in ("invoke", "admit"):
            injected_at.setdefault(str(event.data.get("function")), []).append(event.t)
    for event in view.trace.of("crash"):
        injected_at.setdefault(str(event.data.get("function")), []).append(event.t)
    out: set[tuple[str, int]] = set()
    last_start: dict[str, float] = {}
    for event in view.trace.of("invoke_start"):
        request_id, function = str(event.data.get("request_id")), str(event.data.get("function"))
        attempt = int(event.data.get("attempt") or 1)
        if attempt > 1 and any(last_start.get(request_id, event.t) <= t <= event.t
                               for t in injected_at.get(function, [])):
            out.add((request_id, attempt))
        last_start[request_id] = event.t
    return out


@invariant
class RetriesBounded(Invariant):
    """Retries stay within bounds: attempts per AWS call, repeats of one call per input, Lambda attempts per
    async event, and receives per SQS message."""

    name: ClassVar[str] = "retries_bounded"
    max_call_attempts: int = Field(10, ge=1)
    max_same_call: int = Field(10, ge=1)
    max_lambda_attempts: int = Field(3, ge=1)
    max_receives: int | None = Field(None, ge=1)

    def check(self, view: RunView) -> list[Violation]:
        out = []
        repeats: dict[tuple, int] = {}
        attempt = _attempt_of(view)
        for call in _handler_calls(view):
            if call.retries + 1 > self.max_call_attempts:
                out.append(Violation(f"{call.caller}: {call.service}:{call.operation} took {call.retries + 1} "
                                     f"attempts (bound {self.max_call_attempts})"))
            # Per invocation attempt: Lambda's own retries are bounded by max_lambda_attempts below.
            key = (call.request_id, attempt(call.request_id, call.t), *_same_call(call)[1:])
            repeats[key] = repeats.get(key, 0) + 1
            if repeats[key] == self.max_same_call + 1:
                out.append(Violation(f"{call.caller}: {call.service}:{call.operation} on {call.resource} was called "
                                     f"more than {self.max_same_call} times in one invocation (request "
                                     f"{call.request_id}, attempt {key[1]})"))
        attempts: dict[str, Any] = {}
        for event in view.trace.of("invoke_start", type="Event"):
            attempts[event.data.get("request_id")] = event
        for request_id, event in attempts.items():
            if int(event.data.get("attempt") or 1) > self.max_lambda_attempts:
                out.append(Violation(f"async event {request_id} of {event.data.get('function')} ran "
                                     f"{event.data.get('attempt')} times (bound {self.max_lambda_attempts})",
                                     (event.seq,)))
        if self.max_receives is not None:
            for message_id, n in view.ledger.received.items():
                if n > self.max_receives:
                    out.append(Violation(f"SQS message {message_id} was received {n} times (bound "
                                         f"{self.max_receives})"))
        return out


SECRET_PATTERNS = {
    "AWS access key id": r"\b(AKIA|ASIA)[A-Z0-9]{16}\b",
    "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "authorization header": r"(?i)\bauthorization\b[\"']?\s*[:=]\s*[\"']?(basic|bearer)\s+[A-Za-z0-9+/=._~-]{8,}",
    "AWS secret key assignment": r"(?i)aws_secret_access_key\s*[:=]\s*\S{16,}",
}
# Text every match of a SECRET_PATTERNS pattern contains (one of them), so a line without any is not searched.
# For a case-insensitive pattern the text is lowercase and is looked for in an ASCII line lowered: Unicode case
# folding lets `(?i)` match a few other letters (`ı`, `ſ`, the Kelvin sign), so other lines are always searched.
# tests/harness/test_invariants_hints.py checks that every match contains its hint.
SECRET_HINTS = {
    "AWS access key id": ("AKIA", "ASIA"),
    "private key": ("PRIVATE KEY-----",),
    "authorization header": ("authorization",),
    "AWS secret key assignment": ("aws_secret_access_key",),
}


@dataclass(frozen=True)
class LinePattern:
    """A compiled pattern a log line is searched with, and the texts one of which every match contains (none
    known: empty); `lowered` when those are lowercase, for a case-insensitive pattern."""

    name: str
    pattern: re.Pattern
    hints: tuple[str, ...] = ()
    lowered: bool = False

    @classmethod
    def of(cls, name: str, pattern: str) -> LinePattern:
        """`pattern` compiled, with its SECRET_HINTS when it is the built-in one of that name."""
        hints = SECRET_HINTS.get(name, ()) if SECRET_PATTERNS.get(name) == pattern else ()
        compiled = re.compile(pattern)
        return cls(name, compiled, hints, bool(compiled.flags & re.IGNORECASE))

    def search(self, line: str, lowered: str | None) -> bool:
        """Does the pattern match `line`? (`lowered`: the line in lowercase when it is ASCII, else None.)"""
        if self.hints:
            text = lowered if self.lowered else line
            if text is not None and not any(hint in text for hint in self.hints):
                return False
        return self.pattern.search(line) is not None


@invariant
class NoSecretsInLogs(Invariant):
    """No log line carries a secret: Secrets Manager values, configured `values`, credential patterns, or the
    values of configured sensitive `fields` (as JSON keys, `field=value`, or as sent in invocation inputs)."""

    name: ClassVar[str] = "no_secrets_in_logs"
    fields: list[str] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    min_length: int = Field(6, ge=1)
    redacted: list[str] = Field(default_factory=lambda: ["***", "[REDACTED]", "REDACTED", "<redacted>", "****"])

    @functools.cached_property
    def line_patterns(self) -> tuple[list[LinePattern], list[tuple[str, re.Pattern]]]:
        """The credential patterns and each sensitive field's `field: value` pattern, compiled once."""
        patterns = {**SECRET_PATTERNS, **{f"pattern {p!r}": p for p in self.patterns}}
        field_res = [(f, re.compile(rf"[\"']?\b{re.escape(f)}\b[\"']?\s*[:=]\s*[\"']?([^\"',}}\s][^\"',}}]*)"))
                     for f in self.fields]
        return [LinePattern.of(name, p) for name, p in patterns.items()], field_res

    def check(self, view: RunView) -> list[Violation]:
        secrets = {v: "a stored secret" for v in view.secret_values() if len(v) >= self.min_length}
        secrets.update({v: "a configured secret value" for v in self.values if v})
        secrets.update(_input_values(view, set(self.fields), self.min_length))
        compiled, field_res = self.line_patterns
        out = []
        for event in view.trace.of("log"):
            line = str(event.data.get("message", ""))
            found = [what for value, what in secrets.items() if value in line]
            lowered = line.lower() if line.isascii() else None
            found += [p.name for p in compiled if p.search(line, lowered)]
            for name, pattern in field_res:
                match = pattern.search(line) if name in line else None  # every match holds the field's name
                value = match.group(1).strip() if match else ""
                # A masked value (`+*******8886`, `j***@example.com`) or a redaction marker is fine.
                if value and value not in self.redacted and "***" not in value:
                    found.append(f"sensitive field {name!r}")
            if found:
                out.append(Violation(f"{event.data.get('function')} logged {', '.join(sorted(set(found)))}: "
                                     f"{_mask(line, secrets)[:200]}", (event.seq,)))
        return out


def _input_values(view: RunView, fields: set[str], min_length: int) -> dict[str, str]:
    """Values of sensitive fields found in invocation inputs (JSON bodies, form bodies, records)."""
    out: dict[str, str] = {}
    if fields:
        found: list[tuple[str, str]] = []
        sensitive = frozenset(fields)
        for payloads in view.ledger.payloads.values():
            _field_values(payloads, sensitive, min_length, found)
        for value, key in found:
            out[value] = f"the value of input field {key!r}"
    return out


def _field_values(value: Any, fields: frozenset[str], min_length: int, found: list[tuple[str, str]]) -> None:
    """Append (value, field) for each sensitive field's value inside `value`, in order (a text that is a JSON or
    form body is parsed and looked into)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in fields and isinstance(item, (str, int)) and len(str(item)) >= min_length:
                found.append((str(item), key))
            if item.__class__ not in _NOTHING_INSIDE:
                _field_values(item, fields, min_length, found)
    elif isinstance(value, list):
        for item in value:
            if item.__class__ not in _NOTHING_INSIDE:
                _field_values(item, fields, min_length, found)
    elif isinstance(value, str) and len(value) >= min_length:
        found += _text_field_values(value, fields, min_length)


_NOTHING_INSIDE = frozenset({int, float, bool, type(None)})  # values `_field_values` finds nothing in
# A run's inputs are mostly the texts the run before it sent (a scenario's webhook bodies, queued records): what a
# text holds is worked out once per text, fields and minimum length (a text is immutable; so is the answer).
_TEXT_VALUES: dict[tuple[str, frozenset[str], int], tuple[tuple[str, str], ...]] = {}
_TEXT_VALUES_MAX = 512


def _text_field_values(text: str, fields: frozenset[str], min_length: int) -> tuple[tuple[str, str], ...]:
    """The (value, field) pairs inside a text that is a JSON or form body (none for other text)."""
    key = (text, fields, min_length)
    known = _TEXT_VALUES.get(key)
    if known is not None:
        return known
    found: list[tuple[str, str]] = []
    stripped = text.strip()
    if stripped[:1] in "{[":
        try:
            _field_values(json.loads(stripped), fields, min_length, found)
        except ValueError:
            pass  # not JSON (what was found before the error counts, as it always did)
    elif "=" in stripped and " " not in stripped:
        _field_values(dict(parse_qsl(stripped)), fields, min_length, found)
    return remember(_TEXT_VALUES, key, tuple(found), _TEXT_VALUES_MAX)


def _mask(line: str, secrets: dict[str, str]) -> str:
    for value in secrets:
        line = line.replace(value, "***")
    return line


@invariant
class NoOrphanedQueued(Invariant):
    """Every item in the `queued` state has its message: one sent to `queues` whose body `message_key`
    equals the item's `key` (unless the item entered the state less than `grace` ago)."""

    name: ClassVar[str] = "no_orphaned_queued"
    table: TableRef
    key: str
    queues: list[QueueRef] = Field(min_length=1)
    status_attribute: str = "status"
    queued: str = "QUEUED"
    message_key: str | None = None
    since: str | None = None
    grace: Duration = 0.0

    def check(self, view: RunView) -> list[Violation]:
        queues = {view.physical("queue", q) for q in self.queues}
        path = self.message_key or self.key
        sent = {json.dumps(body_path(m.body, path), default=str) for m in view.ledger.sent if m.queue in queues}
        sent |= {json.dumps(body_path(m.body, path), default=str) for q in queues for m in view.queue_messages(q)}
        unacknowledged = _unacknowledged(view)
        if any(unacknowledged.get((q, "SendMessage")) for q in queues):
            return []  # a send was applied but its answer never reached the caller: its message may exist
        out = []
        for item in view.table_items(view.physical("table", self.table)):
            if item.get(self.status_attribute) != self.queued:
                continue
            started = epoch_of(item.get(self.since)) if self.since else None
            if started is not None and _age(view, started) < self.grace:
                continue
            if json.dumps(item.get(self.key), default=str) not in sent:
                out.append(Violation(f"{self.table} item {self.key}={item.get(self.key)!r} is {self.queued} but no "
                                     f"message with {path}={item.get(self.key)!r} was ever sent to "
                                     f"{', '.join(sorted(queues))}"))
        return out


WRITE_OPERATIONS = ("PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem")


@invariant
class EffectsAtMostOnce(Invariant):
    """A configured side effect happens at most once per input: a function invoked (new request ids, not
    Lambda's own retries of one request) with the same input, an HTTP request sent to a host with the same
    method, path and body and applied (answered 2xx, or its response lost), an item written with the same key.
    `invocations` maps functions (`*`: all) to the event's id path (empty: the whole event); `http` lists
    hosts (globs); `writes` maps tables to the key attribute; `idempotent` lists what may repeat."""

    name: ClassVar[str] = "effects_at_most_once"
    invocations: dict[str, str | None] = Field(default_factory=dict)
    http: list[str] = Field(default_factory=list)
    writes: dict[TableRef, str] = Field(default_factory=dict)
    idempotent: list[str] = Field(default_factory=list)

    def check(self, view: RunView) -> list[Violation]:
        return self._invocations(view) + self._http(view) + self._writes(view)

    def _resolve(self, view: RunView, name: str) -> set[str]:
        try:
            return {name, view.physical("function", name)}
        except Exception:  # noqa: BLE001 - a glob or an unknown name stays as written
            return {name}

    def _invocations(self, view: RunView) -> list[Violation]:
        paths = {physical: path for name, path in self.invocations.items() for physical in self._resolve(view, name)}
        skip = {physical for name in self.idempotent for physical in self._resolve(view, name)}
        seen: dict[tuple[str, str], list[Any]] = {}
        for event in view.trace.of("invoke_start"):
            function, request_id = str(event.data.get("function")), event.data.get("request_id")
            path = paths.get(function, paths.get("*", "<none>"))
            if function in skip or path == "<none>" or int(event.data.get("attempt") or 1) > 1:
                continue
            payload = (view.ledger.payloads.get(request_id) or [None])[0]
            key = json.dumps(body_path(payload, path) if path else payload, sort_keys=True, default=str)
            seen.setdefault((function, key), []).append(event)
        return [Violation(f"{function} ran {len(events)} times for the same input {key[:160]} (requests "
                          f"{', '.join(str(e.data.get('request_id')) for e in events)}); its effects happened "
                          f"{len(events)} times", tuple(e.seq for e in events))
                for (function, key), events in seen.items() if len(events) > 1]

    def _http(self, view: RunView) -> list[Violation]:
        if not self.http:
            return []
        import fnmatch
        seen: dict[tuple, list[Any]] = {}
        lost: set[tuple[str, str]] = set()
        for event in view.trace.events:
            data = event.data
            if event.kind == "fault" and data.get("point") == "http" and data.get("effect") in LOST_ANSWER_EFFECTS:
                lost.add((str(data.get("function")), str(data.get("host"))))
                continue
            if event.kind != "http":
                continue
            host = str(data.get("host"))
            if not any(fnmatch.fnmatchcase(host, pattern) for pattern in self.http) or host in self.idempotent:
                continue
            status = data.get("status")
            applied = (status is not None and 200 <= int(status) < 300) or (str(data.get("caller")), host) in lost
            lost.discard((str(data.get("caller")), host))
            if applied:
                key = (data.get("method"), host, data.get("path"), (event.extra or {}).get("body"))
                seen.setdefault(key, []).append(event)
        return [Violation(f"HTTP {method} {host}{path} with the same body was applied {len(events)} times (by "
                          f"{', '.join(sorted({str(e.data.get('caller')) for e in events}))})",
                          tuple(e.seq for e in events))
                for (method, host, path, _), events in seen.items() if len(events) > 1]

    def _writes(self, view: RunView) -> list[Violation]:
        out = []
        for table_ref, attribute in self.writes.items():
            if table_ref in self.idempotent:
                continue
            table = view.physical("table", table_ref)
            counts: dict[str, list[Any]] = {}
            for call in view.ledger.calls:
                if call.service != "dynamodb" or call.operation not in WRITE_OPERATIONS or call.resource != table \
                        or call.status >= 300 or call.caller in ("test", "harness"):
                    continue
                value = _attribute(call.params.get("Key") or call.params.get("Item") or {}, attribute)
                if value is not None:
                    counts.setdefault(value, []).append(call)
            out += [Violation(f"{table_ref} item {attribute}={value} was written {len(calls)} times (by "
                              f"{', '.join(sorted({c.caller for c in calls}))}, t="
                              f"{', '.join(f'{c.t:g}s' for c in calls)})")
                    for value, calls in counts.items() if len(calls) > 1]
        return out


def _attribute(item: dict, attribute: str) -> str | None:
    """An item attribute as text, whether the call carried typed (`{"S": "x"}`) or plain values."""
    value = item.get(attribute)
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("S", "N", "B", "BOOL"):
        value = next(iter(value.values()))
    return None if value is None else json.dumps(value, default=str)
