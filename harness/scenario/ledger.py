"""The ledger: a passive record of what crossed the AWS API and what each invocation received.

Invariants need facts the trace does not carry (message ids, bodies, receipt handles, invocation payloads).
Two read-only observers collect them while a scenario runs: a botocore `after-call` handler (installed in
botocore's built-in handlers, like the router, so module-level clients of handler code have it too) and a
Lambda runtime hook. Neither changes a request or a response; outside a scenario run they do nothing.
"""
from __future__ import annotations

import json
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

_active: Ledger | None = None
_installed = False
_lock = threading.Lock()


@dataclass(frozen=True)
class SentMessage:
    """A message SQS accepted (a 2xx answer with a MessageId)."""

    queue: str
    message_id: str
    body: str
    attributes: dict
    sender: str
    request_id: str | None
    t: float
    group_id: str | None = None
    dedup_id: str | None = None

    def json(self) -> Any:
        """The body parsed as JSON (None when it is not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(frozen=True)
class Call:
    """One API call as its caller saw it (after botocore's retries)."""

    service: str
    operation: str
    resource: str | None
    caller: str
    request_id: str | None
    t: float
    status: int
    error: str | None
    retries: int
    params: dict = field(default_factory=dict, compare=False)


@dataclass
class Ledger:
    """Facts collected during one run."""

    clock: Any = None
    calls: list[Call] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    receipts: dict[str, str] = field(default_factory=dict)  # receipt handle -> message id
    received: Counter = field(default_factory=Counter)  # message id -> times received
    deleted: dict[str, tuple[str, str | None, float]] = field(default_factory=dict)  # id -> (caller, req, t)
    payloads: dict[str, list[Any]] = field(default_factory=dict)  # request id -> payload per attempt

    def now(self) -> float:
        """Virtual seconds since the start."""
        return self.clock.elapsed() if self.clock is not None else 0.0

    def message(self, message_id: str) -> SentMessage | None:
        """The sent message with this id, if any."""
        return next((m for m in self.sent if m.message_id == message_id), None)

    # -------------------------------------------------------------- runtime hook
    def before_invoke(self, config: Any, container: Any, request: Any, cold: bool) -> None:
        """Runtime hook: remember what each invocation attempt received."""
        self.payloads.setdefault(request.request_id, []).append(request.payload)

    # -------------------------------------------------------------- botocore observer
    def observe(self, service: str, operation: str, params: dict, parsed: dict, status: int) -> None:
        """Record one finished API call."""
        from harness.aws import router
        from harness.scheduler import current_task
        task = current_task()
        if router.is_internal():
            caller, request_id = "harness", None
        elif task is not None:
            caller, request_id = task.meta.get("function") or task.name, task.meta.get("request_id")
        else:
            caller, request_id = "test", None
        meta = parsed.get("ResponseMetadata") or {}
        error = (parsed.get("Error") or {}).get("Code") if status >= 300 else None
        t = self.now()
        self.calls.append(Call(service, operation, router.resource_of(params), caller, request_id, t, status, error,
                               int(meta.get("RetryAttempts") or 0), _small(params)))
        if service == "sqs" and status < 300:
            self._sqs(operation, params, parsed, caller, request_id, t)

    def _sqs(self, operation: str, params: dict, parsed: dict, caller: str, request_id: str | None,
             t: float) -> None:
        queue = str(params.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1]
        if operation == "SendMessage" and parsed.get("MessageId"):
            self.sent.append(SentMessage(queue, parsed["MessageId"], str(params.get("MessageBody", "")),
                                         _attributes(params.get("MessageAttributes")), caller, request_id, t,
                                         params.get("MessageGroupId"), params.get("MessageDeduplicationId")))
        elif operation == "SendMessageBatch":
            entries = {e.get("Id"): e for e in params.get("Entries") or []}
            for ok in parsed.get("Successful") or []:
                entry = entries.get(ok.get("Id"), {})
                self.sent.append(SentMessage(queue, ok["MessageId"], str(entry.get("MessageBody", "")),
                                             _attributes(entry.get("MessageAttributes")), caller, request_id, t,
                                             entry.get("MessageGroupId"), entry.get("MessageDeduplicationId")))
        elif operation == "ReceiveMessage":
            for message in parsed.get("Messages") or []:
                self.receipts[message["ReceiptHandle"]] = message["MessageId"]
                self.received[message["MessageId"]] += 1
        elif operation == "DeleteMessage":
            self._deleted(params.get("ReceiptHandle"), caller, request_id, t)
        elif operation == "DeleteMessageBatch":
            entries = {e.get("Id"): e for e in params.get("Entries") or []}
            for ok in parsed.get("Successful") or []:
                self._deleted(entries.get(ok.get("Id"), {}).get("ReceiptHandle"), caller, request_id, t)

    def _deleted(self, handle: Any, caller: str, request_id: str | None, t: float) -> None:
        message_id = self.receipts.get(str(handle))
        if message_id and message_id not in self.deleted:
            self.deleted[message_id] = (caller, request_id, t)

    def record_delete(self, message_id: str, caller: str = "harness") -> None:
        """For event sources that delete through the backend directly: mark a message processed."""
        if message_id not in self.deleted:
            self.deleted[message_id] = (caller, None, self.now())


def _attributes(raw: Any) -> dict:
    out = {}
    for name, value in (raw or {}).items():
        if isinstance(value, dict):
            out[name] = value.get("StringValue", value.get("BinaryValue"))
    return out


def _small(params: dict) -> dict:
    """The call's parameters without large bodies (kept for invariants that compare calls); a DynamoDB item's
    top-level attributes stay (effects_at_most_once keys writes by them)."""
    out = {k: v for k, v in params.items() if k not in ("MessageBody", "Entries", "Item", "Body", "Detail")}
    if isinstance(params.get("Item"), dict):
        out["Item"] = {k: v for k, v in params["Item"].items() if not isinstance(v, (dict, list)) or
                       len(json.dumps(v, default=str)) <= 200}
    return out


def _current() -> Ledger | None:
    """The active ledger of the module as imported now: a handler registered by an earlier copy of this module
    (e.g. one that pytester's module snapshot dropped) must still find the ledger the runner activated."""
    module = sys.modules.get(__name__)
    return getattr(module, "_active", None) if module is not None else _active


def _before_parameter_build(params: dict, context: dict, **_: Any) -> None:
    if _current() is not None and context is not None:
        context["harness_ledger_params"] = dict(params or {})


def _after_call(http_response: Any, parsed: dict, model: Any, context: dict, **_: Any) -> None:
    ledger = _current()
    if ledger is None or context is None or "harness_ledger_params" not in context \
            or context.get("harness_ledger_done"):
        return
    context["harness_ledger_done"] = True  # the handler may be registered twice on one client (see install)
    status = getattr(http_response, "status_code", None) or \
        int((parsed.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    ledger.observe(model.service_model.service_id.hyphenize(), model.name, context["harness_ledger_params"],
                   parsed or {}, int(status))


def install() -> None:
    """Add the observers to botocore's built-in handlers (for sessions created later), to the harness's shared
    session (for clients created later, including handler modules' clients) and to the cached internal clients.
    Idempotent."""
    global _installed
    from harness.aws import router
    with _lock:
        if not _installed:
            BUILTIN_HANDLERS.append(("before-parameter-build", _before_parameter_build))
            BUILTIN_HANDLERS.append(("after-call", _after_call))
            _installed = True
        router.shared_session()
        for events in router.made_emitters():
            events.register("before-parameter-build", _before_parameter_build, unique_id="harness-ledger-params")
            events.register("after-call", _after_call, unique_id="harness-ledger-after-call")


def activate(ledger: Ledger | None) -> None:
    """Make `ledger` the one that records (None: record nothing)."""
    global _active
    _active = ledger
