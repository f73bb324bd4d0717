"""The request router: one botocore hook that every AWS request from handler code passes through.

Installed once, in botocore's BUILTIN_HANDLERS, so it covers every client created afterwards — including
module-level clients that handler modules create at import time. moto's own `before-send` stubber is taken
out of that list and called from here instead, so that a fault can answer *in front of* moto (the request
never arrives) or *behind* it (the request is applied and the response is lost).

For each request of a running simulation the router:
1. refuses anything the backend would not answer on this machine (safety);
2. yields to the scheduler (an AWS request is a yield point);
3. asks the fault seam whether to answer with an injected fault (see `FaultSeam`);
4. routes `lambda:Invoke` to the harness's Lambda runtime, everything else to the backend;
5. records the call in the trace.
"""
from __future__ import annotations

import contextlib
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.handlers import BUILTIN_HANDLERS

from harness.errors import UnsafeEndpointError
from harness.lambda_runtime import recursion
from harness.sandbox import frozen, memory
from harness.scheduler import current_task

_local = threading.local()
_active: Router | None = None
_installed = False


@dataclass
class AwsCall:
    """One API call as the handler made it (botocore attempts share it)."""

    service: str
    operation: str
    params: dict = field(default_factory=dict)
    attempt: int = 0
    caller: str | None = None
    resource: str | None = None


class FaultSeam(Protocol):
    """Where the fault plan answers. `before_send` may return a response (the backend never sees the
    request) or raise a botocore network error; `after_send` sees the backend's response and may replace it
    or raise (the request was applied but the response is lost)."""

    def before_send(self, call: AwsCall, request: Any) -> Any: ...

    def after_send(self, call: AwsCall, request: Any, response: Any) -> Any: ...


class NoFaults:
    """The seam when no fault plan is active."""

    def before_send(self, call: AwsCall, request: Any) -> Any:
        return None

    def after_send(self, call: AwsCall, request: Any, response: Any) -> Any:
        return response


def install() -> None:
    """Put the router into botocore's built-in handlers (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.core.models import botocore_stubber

    BUILTIN_HANDLERS[:] = [h for h in BUILTIN_HANDLERS if h[1] is not botocore_stubber]
    BUILTIN_HANDLERS.append(("before-parameter-build", _capture_call))
    BUILTIN_HANDLERS.append(("before-send", _before_send))
    _installed = True


_session = None


def shared_session() -> Any:
    """One long-lived boto3 Session with the router's hooks: a new Session costs 70-90 ms (moto-facts.md), so
    handler modules (via boto3.DEFAULT_SESSION) and the harness reuse this one across simulations."""
    global _session
    _install_hooks()
    if _session is None:
        import boto3
        _session = boto3.session.Session()
    return _session


def made_emitters() -> list:
    """The event emitters of the shared session and of the harness's cached internal clients made so far: they
    copied botocore's built-in handlers when they were made, so a hook added there later is registered on them too."""
    if _session is None:
        return []
    simulation = sys.modules.get("harness.simulation")
    clients = getattr(simulation, "_CLIENTS", {}).values()
    return [_session.events, *(getattr(c, "_client", c).meta.events for c in clients)]


def activate(router: Router | None) -> None:
    """Make `router` the one that answers (None: behave exactly like plain moto)."""
    global _active
    _active = router


@contextlib.contextmanager
def internal():
    """Calls made by the harness itself inside this block: no yield, no faults, caller 'harness'."""
    previous = getattr(_local, "internal", False)
    _local.internal = True
    try:
        yield
    finally:
        _local.internal = previous


def is_internal() -> bool:
    """True inside `internal()`."""
    return getattr(_local, "internal", False)


def _capture_call(params: dict, model: Any, **_: Any) -> None:
    _local.call = AwsCall(model.service_model.service_id.hyphenize(), model.name, dict(params or {}))


def _before_send(request: Any, event_name: str, **kwargs: Any) -> Any:
    router = _active
    if router is None:
        from moto.core.models import botocore_stubber
        return botocore_stubber(event_name=event_name, request=request, **kwargs)
    return router.handle(request, event_name)


def resource_of(params: dict) -> str | None:
    """The resource a call addresses: table, queue, function, bucket, secret, bus or topic name."""
    for key in ("TableName", "FunctionName", "Bucket", "SecretId", "Name", "EventBusName", "TopicArn",
                "QueueName"):
        value = params.get(key)
        if isinstance(value, str):
            return value.rsplit(":", 1)[-1] if value.startswith("arn:") else value
    url = params.get("QueueUrl")
    if isinstance(url, str):
        return url.rstrip("/").rsplit("/", 1)[-1]
    entries = params.get("Entries")
    if isinstance(entries, list) and entries and isinstance(entries[0], dict):
        bus = entries[0].get("EventBusName")
        if isinstance(bus, str):
            return bus.rsplit("/", 1)[-1]
        return "default"
    return None


def error_code(response: Any) -> str | None:
    """AWS error code of an error response (JSON `__type`, header, or query XML), else None."""
    if response is None or response.status_code < 300:
        return None
    header = response.headers.get("x-amzn-ErrorType") or response.headers.get("x-amzn-query-error")
    if header:
        return header.split(":")[0].split(";")[0]
    body = response.content or b""
    try:
        kind = json.loads(body).get("__type")
        if kind:
            return str(kind).rsplit("#", 1)[-1]
    except (ValueError, AttributeError):
        pass
    text = body.decode("utf-8", "replace")
    if "<Code>" in text:
        return text.split("<Code>", 1)[1].split("</Code>", 1)[0]
    return str(response.status_code)


class Router:
    """Answers the requests of one simulation."""

    def __init__(self, backend: Any, scheduler: Any, trace: Any,
                 lambda_invoke: Callable[[AwsCall, Any], Any]):
        self.backend, self.scheduler, self.trace = backend, scheduler, trace
        self.lambda_invoke = lambda_invoke
        self.faults: FaultSeam = NoFaults()
        self.refusals: list[str] = []

    def handle(self, request: Any, event_name: str) -> Any:
        """Answer one botocore request attempt."""
        _, service, operation = (event_name.split(".") + ["", ""])[:3]
        call = getattr(_local, "call", None)
        if call is None or (call.service, call.operation) != (service, operation):
            call = _local.call = AwsCall(service, operation)
        call.attempt += 1
        task = current_task()
        handler_call = task is not None and not is_internal()
        call.caller = task.meta.get("function") if handler_call else ("harness" if is_internal() else "test")
        call.resource = resource_of(call.params)
        try:
            self.backend.check_endpoint(request.url)
        except UnsafeEndpointError as exc:
            self.refusals.append(str(exc))
            self.trace.record("refused", service=service, operation=operation, caller=call.caller,
                              message=str(exc))
            raise
        if handler_call:
            frozen.refuse_if_ended(task, f"{service}.{operation}", self.trace.record)
            self.scheduler.yield_now()
        response = self.faults.before_send(call, request) if handler_call else None
        if response is None:
            if service == "lambda" and operation in ("Invoke", "InvokeAsync"):
                response = self.lambda_invoke(call, request)
            else:
                if handler_call and service == "sqs" and operation in ("SendMessage", "SendMessageBatch"):
                    recursion.carry_on_sqs_send(request)  # the message keeps the sender's X-Ray header, as SQS does
                chain = recursion.header_of(request) if handler_call and service in recursion.CARRYING_SERVICES \
                    else None  # an SNS publish or S3 write goes on to invoke functions: they continue the chain
                with memory.paused(self.scheduler.gauge if handler_call else None, task.meta if task else {}), \
                        recursion.carrying(chain):
                    response = self.backend.answer(request, event_name)  # moto's memory is not the handler's
            if handler_call:
                response = self.faults.after_send(call, request, response)
        # A None response means botocore sends it over loopback HTTP (moto-server, LocalStack).
        self.trace.record("aws", service=service, operation=operation, resource=call.resource,
                          caller=call.caller, request_id=task.meta.get("request_id") if handler_call else None,
                          attempt=call.attempt,
                          status=None if response is None else response.status_code,
                          error=error_code(response))
        return response


def _install_hooks() -> None:
    """The router's hooks, clients of one service sharing their endpoint rule set (harness/aws/clients.py), valid
    parameters answered, JSON bodies written and JSON answers parsed by remembered walks, boto3's DynamoDB
    parameters copied and converted for less, the endpoint rule set's parameters found from per-operation plans, plain requests prepared in one pass.
    Kept at the end of the module: handler tracebacks record this module's line numbers (in trace hashes)."""
    from harness.aws import (
        clients,
        dynamodb_params,
        endpoint_params,
        json_requests,
        json_responses,
        param_checks,
        prepared_requests,
    )
    install()
    clients.install()
    param_checks.install()
    json_requests.install()
    json_responses.install()
    dynamodb_params.install()
    endpoint_params.install()
    prepared_requests.install()
