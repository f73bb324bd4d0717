"""Fixtures for the MarkEarningsProcessed tests: moto tables and DLQ, a Lambda context on a fake clock,
captured JSON logs and EMF lines, and fault injection on the handler's own boto3 clients."""
from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

REPO = Path(__file__).resolve().parents[3]
SYSTEM = REPO / "handlers" / "earnings"
SRC = SYSTEM / "src"

ACCOUNT = "123456789012"
REGION = "us-east-1"
EARNINGS_TABLE = "test-earnings"
AUDIT_TABLE = "test-earnings-audit"
DLQ_NAME = "test-earnings-dlq"
DLQ_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{DLQ_NAME}"
FUNCTION_NAME = "test-mark-earnings-processed"
FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{FUNCTION_NAME}"
SOURCE = "com.example.earnings"
DETAIL_TYPE = "EarningsProcessingCompleted"

HANDLER_ENV = {
    "EARNINGS_TABLE_NAME": EARNINGS_TABLE,
    "AUDIT_TABLE_NAME": AUDIT_TABLE,
    "DLQ_URL": DLQ_URL,
    "EVENT_SOURCE": SOURCE,
    "EVENT_DETAIL_TYPE": DETAIL_TYPE,
    "ALLOWED_PREVIOUS_STATUSES": "PENDING,PROCESSING",
    "POWERTOOLS_SERVICE_NAME": "mark-earnings-processed",
    "POWERTOOLS_METRICS_NAMESPACE": "Earnings",
    "POWERTOOLS_LOG_LEVEL": "INFO",
}


@dataclass(frozen=True)
class Handler:
    """The handler package, imported once (as the Lambda runtime would, with CodeUri on sys.path)."""

    app: Any
    store: Any
    retry: Any
    validation: Any
    errors: Any
    observability: Any


@pytest.fixture(scope="session")
def handler() -> Handler:
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    with mock.patch.dict(os.environ, HANDLER_ENV), mock_aws():
        modules = {name: importlib.import_module(f"mark_earnings_processed.{name}")
                   for name in ("app", "store", "retry", "validation", "errors", "observability")}
    return Handler(**modules)


@pytest.fixture(scope="session")
def session() -> boto3.session.Session:
    """One long-lived session for test-side clients (a new session per test costs ~70 ms)."""
    return boto3.session.Session(region_name=REGION)


@pytest.fixture(scope="session")
def clients(session):
    return {name: session.client(name) for name in ("dynamodb", "sqs", "events")}


def event(earnings_id: str = "earn-001", **detail_overrides: Any) -> dict:
    """A valid EventBridge envelope as delivered to the function; detail fields can be overridden."""
    detail = {
        "earningsId": earnings_id,
        "processedBy": "payout-batch",
        "processedAt": "2026-11-23T09:00:00Z",
        "correlationId": f"corr-{earnings_id}",
    }
    detail.update(detail_overrides)
    return {
        "version": "0",
        "id": f"evt-{earnings_id}",
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": ACCOUNT,
        "time": "2026-11-23T09:00:01Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


@pytest.fixture
def make_event() -> Callable[..., dict]:
    return event


@dataclass
class Aws:
    """Moto resources of one test, reached through a test-side client (never the handler's own)."""

    dynamodb: Any
    sqs: Any

    def put_record(self, earnings_id: str = "earn-001", status: str | None = "PENDING", **attributes: Any) -> None:
        item = {"earningsId": {"S": earnings_id}, **attributes}
        if status is not None:
            item["status"] = {"S": status}
        self.dynamodb.put_item(TableName=EARNINGS_TABLE, Item=item)

    def record(self, earnings_id: str = "earn-001") -> dict | None:
        return self.dynamodb.get_item(TableName=EARNINGS_TABLE, Key={"earningsId": {"S": earnings_id}},
                                      ConsistentRead=True).get("Item")

    def audit(self, earnings_id: str = "earn-001") -> list[dict]:
        return self.dynamodb.query(
            TableName=AUDIT_TABLE, KeyConditionExpression="earningsId = :e",
            ExpressionAttributeValues={":e": {"S": earnings_id}},
        )["Items"]

    def dlq(self) -> list[dict]:
        return self.sqs.receive_message(QueueUrl=DLQ_URL, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                        MessageAttributeNames=["All"]).get("Messages", [])


@pytest.fixture
def aws(handler, clients) -> Aws:
    with mock_aws():
        ddb, sqs = clients["dynamodb"], clients["sqs"]
        ddb.create_table(TableName=EARNINGS_TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "earningsId", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "earningsId", "KeyType": "HASH"}])
        ddb.create_table(TableName=AUDIT_TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "earningsId", "AttributeType": "S"},
                                               {"AttributeName": "auditId", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "earningsId", "KeyType": "HASH"},
                                    {"AttributeName": "auditId", "KeyType": "RANGE"}])
        assert sqs.create_queue(QueueName=DLQ_NAME)["QueueUrl"] == DLQ_URL
        yield Aws(ddb, sqs)


class LambdaClock:
    """Time as the function sees it: sleeps are recorded and advance the clock instead of waiting."""

    def __init__(self) -> None:
        self.elapsed_ms = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed_ms += seconds * 1000


class FakeContext:
    """The Lambda context attributes the handler and Powertools read; remaining time follows the clock."""

    function_name = FUNCTION_NAME
    function_version = "$LATEST"
    invoked_function_arn = FUNCTION_ARN
    memory_limit_in_mb = "1024"  # a string, as in the real Python runtime
    log_group_name = f"/aws/lambda/{FUNCTION_NAME}"
    log_stream_name = "2026/11/23/[$LATEST]0123456789abcdef"

    def __init__(self, clock: LambdaClock, timeout_ms: int, request_id: str) -> None:
        self._clock = clock
        self._timeout_ms = timeout_ms
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._timeout_ms - self._clock.elapsed_ms))


@dataclass
class Run:
    """What one invocation did: its result (or exception), its log lines, EMF lines and sleeps."""

    response: Any
    error: BaseException | None
    logs: list[dict]
    emf: list[dict]
    sleeps: list[float]
    stdout: str

    def messages(self) -> list[str]:
        return [line["message"] for line in self.logs]

    def log(self, message: str) -> dict:
        matches = [line for line in self.logs if line["message"] == message]
        assert len(matches) == 1, f"expected one {message!r} line, got {self.messages()}"
        return matches[0]

    def metric(self, name: str) -> float | None:
        values = [value for blob in self.emf if name in blob
                  for value in (blob[name] if isinstance(blob[name], list) else [blob[name]])]
        return sum(values) if values else None


@pytest.fixture
def clock(handler, monkeypatch) -> LambdaClock:
    lambda_clock = LambdaClock()
    monkeypatch.setattr(time, "sleep", lambda_clock.sleep)
    return lambda_clock


@pytest.fixture
def invoke(handler, clock, capsys) -> Iterator[Callable[..., Run]]:
    """Run the handler once with a fresh context; never raises: the exception is in ``Run.error``."""
    counter = iter(range(1, 10_000))
    log_handler = handler.app.logger.registered_handler
    original_stream = log_handler.stream

    def run(payload: Any, timeout_ms: int = 30_000) -> Run:
        capsys.readouterr()
        log_handler.stream = sys.stdout  # capsys's stream for this test (setStream would flush a closed one)
        context = FakeContext(clock, timeout_ms, f"req-{next(counter):04d}")
        sleeps_before = len(clock.sleeps)
        response, error = None, None
        try:
            response = handler.app.lambda_handler(payload, context)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            error = exc
        out = capsys.readouterr().out
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        return Run(
            response=response,
            error=error,
            logs=[line for line in lines if "_aws" not in line],
            emf=[line for line in lines if "_aws" in line],
            sleeps=clock.sleeps[sleeps_before:],
            stdout=out,
        )

    yield run
    log_handler.stream = original_stream


def client_error(code: str, operation: str, status: int = 400, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"injected {code}"},
                        "ResponseMetadata": {"HTTPStatusCode": status}, **extra}, operation)


@pytest.fixture
def fail(handler, monkeypatch) -> Callable[..., list]:
    """``fail("get_item", exc1, exc2)``: the handler's client raises these, then behaves normally.

    Returns the list of calls made (one entry per attempt) so tests can count attempts.
    """

    def install(method: str, *exceptions: BaseException, client: Any = None) -> list:
        target = client or handler.store.dynamodb
        real = getattr(target, method)
        queue = list(exceptions)
        calls: list = []

        def patched(**kwargs: Any) -> Any:
            calls.append(kwargs)
            if queue:
                raise queue.pop(0)
            return real(**kwargs)

        monkeypatch.setattr(target, method, patched)
        return calls

    return install


class MinRng:
    """Jitter always at the lower bound."""

    @staticmethod
    def uniform(low: float, high: float) -> float:
        return low


class MaxRng:
    """Jitter always at the upper bound (the worst case for the deadline)."""

    @staticmethod
    def uniform(low: float, high: float) -> float:
        return high


@pytest.fixture
def jitter(handler, monkeypatch) -> Callable[[Any], None]:
    return lambda rng: monkeypatch.setattr(handler.retry, "_rng", rng)


@pytest.fixture
def max_jitter(jitter):
    jitter(MaxRng())


@pytest.fixture
def min_jitter(jitter):
    jitter(MinRng())


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags as {"Ref": ...} / {"Fn::X": ...}."""


def _cfn_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


@pytest.fixture(scope="session")
def template() -> dict:
    return yaml.load((SYSTEM / "template.yaml").read_text(), Loader=_CfnLoader)


@pytest.fixture(name="client_error")
def client_error_fixture() -> Callable[..., ClientError]:
    return client_error
