"""Fixtures for the Message API tests: moto, fresh handler modules, log capture, scripted faults.

Each test gets its own ``mock_aws`` with the table and queue the template declares, and imports the
handler modules afresh inside it, so module-level clients (and botocore's per-client retry quota)
start clean. ``time.sleep`` is replaced by a recorder for every test: botocore's backoff costs no
wall time and its delays can be asserted.

Faults are scripted per client and operation *in front of* moto (moto's stubber is unhooked from
that one client and called only when a step forwards the request), so a step decides whether the
request reached the backend: ``error`` = it never arrived, ``lost`` = it was executed and the
response was lost, ``raise_`` = a connection error before sending.
"""
from __future__ import annotations

import base64
import importlib
import io
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer
from botocore.awsrequest import AWSResponse
from moto import mock_aws
from moto.core.models import botocore_stubber

SRC = Path(__file__).resolve().parents[3] / "handlers" / "messages" / "src"
TEMPLATE = SRC.parent / "template.yaml"
TABLE = "message-api-messages"
SERVICE = "message-api"
COLD_START_MODULES = ("post_message_handler", "reconcile_queued_handler", "message_api.observability")

_deserializer = TypeDeserializer()
_shared: dict[str, Any] = {}


def _long_lived_session() -> boto3.session.Session:
    """One Session for the whole run: a new one costs 70-90 ms, a client from this one ~2 ms."""
    if "session" not in _shared:
        _shared["session"] = boto3.session.Session()
    return _shared["session"]


def _test_client(service: str) -> Any:
    """The tests' own clients live for the whole run (moto mocks them in every test's mock_aws);
    the handlers' clients are created afresh by every cold start."""
    if service not in _shared:
        _shared[service] = _long_lived_session().client(service)
    return _shared[service]


# ---------------------------------------------------------------- scripted faults in front of moto
class _Raw(io.BytesIO):
    def stream(self, **_kwargs: Any):
        yield self.getvalue()


Step = Callable[[Any, Callable[[], Any]], Any]


def error(status: int, code: str, query_code: str | None = None, message: str = "injected fault") -> Step:
    """An AWS error answer; the request never reached the backend."""
    def step(request: Any, forward: Callable[[], Any]) -> AWSResponse:
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
        if query_code:
            headers["x-amzn-query-error"] = f"{query_code};Sender"
        body = json.dumps({"__type": code, "message": message}).encode()
        return AWSResponse(request.url, status, headers, _Raw(body))
    return step


def lost(status: int = 500, code: str = "InternalError") -> Step:
    """The backend executed the request; the client sees an error instead of its answer."""
    def step(request: Any, forward: Callable[[], Any]) -> AWSResponse:
        forward()
        return error(status, code)(request, forward)
    return step


def raise_(exception_class: type[Exception]) -> Step:
    """A connection-level failure before anything was sent (e.g. EndpointConnectionError)."""
    def step(request: Any, forward: Callable[[], Any]) -> None:
        raise exception_class(endpoint_url=request.url)
    return step


def ok(request: Any, forward: Callable[[], Any]) -> Any:
    return forward()


def before(action: Callable[[], None], then: Step) -> Step:
    """Run ``action`` (e.g. a concurrent writer) at the moment the request is made, then ``then``."""
    def step(request: Any, forward: Callable[[], Any]) -> Any:
        action()
        return then(request, forward)
    return step


@dataclass
class FaultScript:
    """Answers one operation of one client from a list of steps; later calls pass through."""

    operation: str
    steps: list[Step]
    calls: int = 0


def install_faults(client: Any, operation: str, steps: list[Step]) -> FaultScript:
    service = client.meta.service_model.service_id.hyphenize()
    script = FaultScript(operation, list(steps))
    scripts: dict[str, FaultScript] | None = getattr(client, "_test_fault_scripts", None)
    if scripts is None:
        # What answers this client's requests (botocore registers no before-send handler of its own): moto's
        # stubber, or, once a harness simulation ran in this process, the harness's hook that calls it. The proxy
        # replaces it and forwards to moto's stubber itself.
        for handler in list(client.meta.events._emitter._handlers.prefix_search(f"before-send.{service}.{operation}")):
            client.meta.events.unregister("before-send", handler)
        scripts = {}
        client._test_fault_scripts = scripts

        def proxy(event_name: str, request: Any, **kwargs: Any) -> Any:
            def forward() -> Any:
                return botocore_stubber(event_name=event_name, request=request, **kwargs)
            target = scripts.get(event_name.rsplit(".", 1)[-1])
            if target is None:
                return forward()
            target.calls += 1
            if target.steps:
                return target.steps.pop(0)(request, forward)
            return forward()

        client.meta.events.register("before-send", proxy)
    scripts[operation] = script
    return script


# ---------------------------------------------------------------- Lambda context and API events
@dataclass
class LambdaContext:
    function_name: str = "message-api-post-message"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:message-api-post-message"
    aws_request_id: str = "lambda-req-0001"
    remaining_ms: list[int] = field(default_factory=lambda: [25_000])

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms.pop(0) if len(self.remaining_ms) > 1 else self.remaining_ms[0]


def api_event(body: Any = None, headers: dict[str, str] | None = None, method: str = "POST",
              raw_body: str | None = None, base64_body: bool = False) -> dict[str, Any]:
    """An API Gateway REST proxy (payload 1.0) event for POST /messages."""
    text = raw_body if raw_body is not None else (None if body is None else json.dumps(body))
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": "/messages",
        "path": "/messages",
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "pathParameters": None,
        "requestContext": {"requestId": "apigw-req-1", "stage": "v1", "httpMethod": method,
                           "resourcePath": "/messages"},
        "body": text,
        "isBase64Encoded": base64_body,
    }


# ---------------------------------------------------------------- the AWS world of one test
@dataclass
class World:
    ddb: Any
    sqs: Any
    queue_url: str
    monkeypatch: pytest.MonkeyPatch
    sleeps: list[float]
    logs: io.StringIO = field(default_factory=io.StringIO)

    def load(self, name: str) -> Any:
        """Import ``name`` afresh (a cold start) with the current environment.

        The handler module (settings, clients) and ``message_api.observability`` (Logger, Metrics)
        are re-executed; the stateless rest of ``message_api`` is reused to keep tests fast.
        """
        _forget_handler_modules()
        module = importlib.import_module(name)
        obs = sys.modules["message_api.observability"]
        obs.logger.logger_handler.setStream(self.logs)
        obs.metrics.clear_metrics()
        return module

    def post(self) -> Any:
        return self.load("post_message_handler")

    def reconciler(self) -> Any:
        return self.load("reconcile_queued_handler")

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs.getvalue().splitlines() if line.strip()]

    def log(self, message: str) -> dict[str, Any]:
        """The one log line with exactly this message."""
        found = [line for line in self.log_lines() if line["message"] == message]
        assert len(found) == 1, f"expected one log line {message!r}, got {[x['message'] for x in self.log_lines()]}"
        return found[0]

    def messages(self) -> list[str]:
        return [line["message"] for line in self.log_lines()]

    def record(self, message_id: str) -> dict[str, Any] | None:
        item = self.ddb.get_item(TableName=TABLE, Key={"messageId": {"S": message_id}}, ConsistentRead=True)
        raw = item.get("Item")
        return None if raw is None else {k: _deserializer.deserialize(v) for k, v in raw.items()}

    def all_records(self) -> list[dict[str, Any]]:
        items = self.ddb.scan(TableName=TABLE)["Items"]
        return [{k: _deserializer.deserialize(v) for k, v in item.items()} for item in items]

    def set_attributes(self, message_id: str, **values: Any) -> None:
        """A concurrent writer (another request, a consumer) changing the record."""
        names = {f"#a{i}": key for i, key in enumerate(values)}
        self.ddb.update_item(
            TableName=TABLE, Key={"messageId": {"S": message_id}},
            UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={f":v{i}": {"S": str(v)} for i, v in enumerate(values.values())},
        )

    def queued_bodies(self, queue_url: str | None = None) -> list[dict[str, Any]]:
        """Every message in the queue (read once, with attributes), oldest first."""
        found = []
        while True:
            page = self.sqs.receive_message(QueueUrl=queue_url or self.queue_url, MaxNumberOfMessages=10,
                                            VisibilityTimeout=60, MessageAttributeNames=["All"],
                                            AttributeNames=["All"])
            if not page.get("Messages"):
                return found
            for message in page["Messages"]:
                found.append({"body": json.loads(message["Body"]), "attributes": message["Attributes"],
                              "messageAttributes": message.get("MessageAttributes", {})})

    def emf(self, capsys: pytest.CaptureFixture[str]) -> dict[str, float]:
        """Metric name -> summed value, from the EMF lines printed to stdout."""
        totals: dict[str, float] = {}
        for line in capsys.readouterr().out.splitlines():
            if '"_aws"' not in line:
                continue
            blob = json.loads(line)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = blob[metric["Name"]]
                    totals[metric["Name"]] = totals.get(metric["Name"], 0) + (
                        sum(value) if isinstance(value, list) else value)
        return totals


def _add_src_to_path() -> None:
    """The harness puts CodeUri on sys.path; so do we, once (appended: it shadows nothing).
    Not monkeypatch.syspath_prepend: that invalidates the import caches on every test."""
    if str(SRC) not in sys.path:
        sys.path.append(str(SRC))


def _forget_handler_modules() -> None:
    for stale in COLD_START_MODULES:
        sys.modules.pop(stale, None)


def create_table(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "messageId", "AttributeType": "S"},
                              {"AttributeName": "awaitingConfirmationSince", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "messageId", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "awaiting-confirmation-index",
            "KeySchema": [{"AttributeName": "awaitingConfirmationSince", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["sendAttemptId", "sendCorrelationId"]},
        }],
    )


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]):
    with mock_aws():
        session = _long_lived_session()
        # mock_aws start clears it; the handlers' boto3.client() uses it; restored after the test.
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
        ddb = _test_client("dynamodb")
        sqs = _test_client("sqs")
        create_table(ddb)
        queue_url = sqs.create_queue(QueueName="message-api-outbound.fifo",
                                     Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "false"})["QueueUrl"]
        for key, value in {
            "MESSAGES_TABLE_NAME": TABLE,
            "OUTBOUND_QUEUE_URL": queue_url,
            "POWERTOOLS_SERVICE_NAME": SERVICE,
            "POWERTOOLS_METRICS_NAMESPACE": "MessageApi",
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }.items():
            monkeypatch.setenv(key, value)
        for key in ("SQS_MAX_ATTEMPTS", "DYNAMODB_MAX_ATTEMPTS", "STUCK_THRESHOLD_SECONDS",
                    "RECONCILER_SAFETY_MARGIN_MS", "RECONCILER_PAGE_SIZE", "MAX_CONTENT_BYTES"):
            monkeypatch.delenv(key, raising=False)
        _add_src_to_path()
        yield World(ddb=ddb, sqs=sqs, queue_url=queue_url, monkeypatch=monkeypatch, sleeps=sleeps)
    _forget_handler_modules()


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture
def faults():
    """``faults(client, "SendMessage", [error(...), ok])``: script the next calls of one operation."""
    return install_faults


@pytest.fixture
def make_event():
    return api_event


# Step builders for tests (test modules cannot import this conftest under --import-mode=importlib).
@pytest.fixture
def step():
    return type("Steps", (), {"error": staticmethod(error), "lost": staticmethod(lost),
                              "raise_": staticmethod(raise_), "ok": staticmethod(ok),
                              "before": staticmethod(before)})


@pytest.fixture
def import_src(monkeypatch: pytest.MonkeyPatch):
    """Import a module of the functions' CodeUri without AWS (pure helpers, config)."""
    _add_src_to_path()

    def load(name: str) -> Any:
        return importlib.import_module(name)
    yield load
    _forget_handler_modules()
