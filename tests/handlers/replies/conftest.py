"""Shared fixtures for the replies-engine tests: moto resources built from template.yaml, events, faults.

The handler modules are imported inside the first ``mock_aws`` block (their module-level clients stay
mocked afterwards because moto's botocore hook is global) and handed to tests by fixtures.
"""
from __future__ import annotations

import importlib
import io
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

import boto3
import pytest
import requests
import yaml
from botocore.exceptions import ClientError
from freezegun import freeze_time
from moto import mock_aws
from twilio.request_validator import RequestValidator

SYSTEM_DIR = Path(__file__).resolve().parents[3] / "handlers" / "replies"
CODE_DIR = SYSTEM_DIR / "src"
TEMPLATE_PATH = SYSTEM_DIR / "template.yaml"
if str(CODE_DIR) not in sys.path:
    sys.path.insert(0, str(CODE_DIR))

ACCOUNT_SID = "AC" + "a" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
COMPANY_NUMBER = "+15005550006"
USER_NUMBER = "+14155238886"
COMPANY_EMAIL = "support@company.example"
USER_EMAIL = "jane@example.com"
API_HOST = "abc123.execute-api.us-east-1.amazonaws.com"
SECRET_NAME = "/replies-engine/test/twilio"
TABLE_NAME = "replies-engine-test-conversations"

# A long-lived session and clients for the tests' own calls: creating clients on boto3's default session
# would cost a session rebuild per test, because mock_aws resets boto3.DEFAULT_SESSION. Clients created
# once stay mocked (moto's botocore hook is global) and moto's state is reset when each mock stops.
_TEST_SESSION = boto3.session.Session(region_name="us-east-1")
_TEST_CLIENTS: dict = {}


def _test_client(service: str):
    if service not in _TEST_CLIENTS:
        _TEST_CLIENTS[service] = (
            _TEST_SESSION.resource("dynamodb") if service == "dynamodb-resource" else _TEST_SESSION.client(service)
        )
    return _TEST_CLIENTS[service]


# ---------------------------------------------------------------- template


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template() -> dict:
    return yaml.load(TEMPLATE_PATH.read_text(), Loader=_CfnLoader)


@pytest.fixture(scope="session")
def template() -> dict:
    return load_template()


# ---------------------------------------------------------------- AWS resources


def _create_table(client, template: dict) -> None:
    props = template["Resources"]["ConversationsTable"]["Properties"]
    client.create_table(
        TableName=TABLE_NAME,
        BillingMode=props["BillingMode"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
    )


QUEUE_NAMES = {
    "whatsapp": "whatsapp-queue",
    "sms": "sms-queue",
    "email": "email-queue",
    "handoff": "handoff-queue",
    "batch_dlq": "batch-dlq",
    "ai": "ai-reply-queue",
}
QUEUE_URLS = {key: f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}" for key, name in QUEUE_NAMES.items()}
HANDLER_MODULES = (
    "replies_engine.webhook_handler.app",
    "replies_engine.batch_processor.app",
    "replies_engine.reply_sender.app",
    "replies_engine.stalled_reset.app",
)


@pytest.fixture(scope="session")
def loaded():
    """Import every handler module once, inside a mock, so their module-level clients are moto's."""
    with mock_aws():
        for name in HANDLER_MODULES:
            importlib.import_module(name)


@pytest.fixture(scope="module", autouse=True)
def moto_mock(loaded):
    """One moto mock per test module: starting mock_aws costs ~25 ms (it registers ~1,300 URL patterns),
    so each test resets moto's state through moto's reset API instead (see ``aws``)."""
    with mock_aws():
        yield


@pytest.fixture(autouse=True)
def env(monkeypatch, loaded):
    """The functions' environment (as template.yaml sets it) and fresh per-container caches."""
    values = {
        "ENVIRONMENT_NAME": "test",
        "CONVERSATIONS_TABLE": TABLE_NAME,
        "TWILIO_SECRET_NAME": SECRET_NAME,
        "WHATSAPP_QUEUE_URL": QUEUE_URLS["whatsapp"],
        "SMS_QUEUE_URL": QUEUE_URLS["sms"],
        "EMAIL_QUEUE_URL": QUEUE_URLS["email"],
        "HANDOFF_QUEUE_URL": QUEUE_URLS["handoff"],
        "BATCH_DLQ_URL": QUEUE_URLS["batch_dlq"],
        "AI_QUEUE_URL": QUEUE_URLS["ai"],
        "BATCH_DELAY_SECONDS": "15",
        "MAX_REQUEUE_ATTEMPTS": "3",
        "REQUEUE_DELAY_INCREMENT_SECONDS": "20",
        "LOCK_TIMEOUT_SECONDS": "300",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    for key in ("TWILIO_WEBHOOK_BASE_URL", "CONVERSATION_LOCKED_MESSAGE", "SECRET_CACHE_TTL_SECONDS",
                "AI_CONTEXT_HISTORY_LIMIT", "TWILIO_MAX_ATTEMPTS", "TWILIO_RETRY_BASE_DELAY_SECONDS"):
        monkeypatch.delenv(key, raising=False)
    _reset_module_caches()
    return values


MOTO_RESET_URL = "http://motoapi.amazonaws.com/moto-api/reset"


@pytest.fixture
def aws(template):
    """Fresh moto state with the conversations table (schema from template.yaml), queues and the secret."""
    assert requests.post(MOTO_RESET_URL, timeout=5).status_code == 200
    _create_table(_test_client("dynamodb"), template)
    sqs = _test_client("sqs")
    for key, name in QUEUE_NAMES.items():
        assert sqs.create_queue(QueueName=name)["QueueUrl"] == QUEUE_URLS[key]
    secrets = _test_client("secretsmanager")
    secrets.create_secret(
        Name=SECRET_NAME,
        SecretString=json.dumps({"twilio_account_sid": ACCOUNT_SID, "twilio_auth_token": AUTH_TOKEN}),
    )
    return SimpleNamespace(
        sqs=sqs,
        secrets=secrets,
        table=_test_client("dynamodb-resource").Table(TABLE_NAME),
        urls=dict(QUEUE_URLS),
        queue_arn=lambda key: f"arn:aws:sqs:us-east-1:123456789012:{QUEUE_NAMES[key]}",
    )


def _reset_module_caches() -> None:
    from replies_engine.batch_processor import queues
    from replies_engine.reply_sender import twilio_service
    from replies_engine.shared import observability, secrets

    secrets._cache.clear()
    queues._queue_urls.clear()
    twilio_service._clients.clear()
    observability.metrics.clear_metrics()


def _module(name: str):
    return importlib.import_module(name)


@pytest.fixture
def webhook(aws):
    return _module("replies_engine.webhook_handler.app")


@pytest.fixture
def batch(aws):
    return _module("replies_engine.batch_processor.app")


@pytest.fixture
def sender(aws):
    return _module("replies_engine.reply_sender.app")


@pytest.fixture
def stalled(aws):
    return _module("replies_engine.stalled_reset.app")


@pytest.fixture
def mod(loaded):
    """Import any replies_engine module by dotted name (request ``aws`` too when the test calls AWS)."""
    return lambda name: _module(f"replies_engine.{name}")


# ---------------------------------------------------------------- time, logs, metrics


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """Record every time.sleep (handler backoff and botocore retry backoff) instead of waiting."""
    recorded: list[float] = []
    monkeypatch.setattr(time, "sleep", lambda seconds: recorded.append(seconds))
    return recorded


class LogCapture:
    def __init__(self, stream: io.StringIO):
        self._stream = stream

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self._stream.getvalue().splitlines() if line.strip()]

    def messages(self, level: str | None = None) -> list[str]:
        return [r["message"] for r in self.records if level is None or r["level"] == level]

    def find(self, message: str) -> list[dict]:
        return [r for r in self.records if r["message"] == message]

    def one(self, message: str) -> dict:
        found = self.find(message)
        assert len(found) == 1, f"expected one log {message!r}, got {len(found)}: {self.messages()}"
        return found[0]

    @property
    def text(self) -> str:
        return self._stream.getvalue()


@pytest.fixture
def logs(loaded):
    """The JSON lines written by the Powertools logger during the test."""
    from replies_engine.shared.observability import logger

    stream = io.StringIO()
    handler = logger.registered_handler
    previous = handler.setStream(stream)
    yield LogCapture(stream)
    handler.setStream(previous)


@pytest.fixture
def emf(capsys):
    """Return {metric name: [values]} from the EMF blobs printed so far."""

    def read() -> dict[str, list[float]]:
        metrics: dict[str, list[float]] = {}
        for line in capsys.readouterr().out.splitlines():
            try:
                blob = json.loads(line)
            except ValueError:
                continue
            if not isinstance(blob, dict) or "_aws" not in blob:
                continue
            for definition in blob["_aws"]["CloudWatchMetrics"]:
                for metric in definition["Metrics"]:
                    value = blob[metric["Name"]]
                    metrics.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
        return metrics

    return read


@pytest.fixture
def lambda_context():
    return SimpleNamespace(
        function_name="replies-engine-test",
        function_version="$LATEST",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:replies-engine-test",
        aws_request_id=str(uuid.uuid4()),
        log_group_name="/aws/lambda/replies-engine-test",
        log_stream_name="2026/11/23/[$LATEST]abc",
        get_remaining_time_in_millis=lambda: 30000,
    )


# ---------------------------------------------------------------- data


def conversation(**overrides) -> dict:
    item = {
        "conversation_id": "conv-1",
        "gsi_company_whatsapp_number": COMPANY_NUMBER,
        "gsi_company_sms_number": COMPANY_NUMBER,
        "gsi_recipient_tel": USER_NUMBER,
        "gsi_company_email": COMPANY_EMAIL,
        "gsi_recipient_email": USER_EMAIL,
        "task_complete": 0,
        "project_status": "active",
        "allowed_channels": ["whatsapp", "sms", "email"],
        "conversation_status": "initial_message_sent",
        "created_at": "2026-01-01T00:00:00.000000Z",
        "company_name": "Acme",
        "messages": [],
        "auto_queue_reply_message": False,
        "auto_queue_reply_message_from_number": [],
        "auto_queue_reply_message_from_email": [],
    }
    item.update(overrides)
    return {key: value for key, value in item.items() if value is not None}


@pytest.fixture
def put_conversation(aws):
    def put(**overrides) -> dict:
        item = conversation(**overrides)
        aws.table.put_item(Item=item)
        return item

    return put


def twilio_params(channel: str = "whatsapp", **overrides) -> dict:
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    params = {
        "From": f"{prefix}{USER_NUMBER}",
        "To": f"{prefix}{COMPANY_NUMBER}",
        "Body": "Hello there!",
        "MessageSid": "SM" + "1" * 32,
        "AccountSid": ACCOUNT_SID,
        "NumMedia": "0",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def api_event(path: str, body: str | None, headers: dict | None = None, stage: str = "dev", **extra) -> dict:
    """An API Gateway REST proxy (payload 1.0) event."""
    headers = {"Host": API_HOST, "X-Forwarded-Proto": "https", **(headers or {})}
    event = {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {"path": f"/{stage}{path}", "stage": stage, "httpMethod": "POST", "requestId": "req-1"},
        "body": body,
        "isBase64Encoded": False,
    }
    event.update(extra)
    return event


def twilio_event(channel: str = "whatsapp", params: dict | None = None, token: str = AUTH_TOKEN,
                 signature: str | None = None, **param_overrides) -> dict:
    """A signed Twilio webhook as API Gateway delivers it."""
    params = params if params is not None else twilio_params(channel, **param_overrides)
    url = f"https://{API_HOST}/dev/{channel}"
    sig = signature if signature is not None else RequestValidator(token).compute_signature(url, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig}
    return api_event(f"/{channel}", urlencode(params), headers=headers)


def email_event(payload: dict | None = None, **overrides) -> dict:
    body = {"from": USER_EMAIL, "to": COMPANY_EMAIL, "subject": "Question", "body": "Hello by mail",
            "message_id": "<msg-1@example.com>"}
    body.update(overrides)
    raw = json.dumps(payload if payload is not None else body)
    return api_event("/email", raw, headers={"Content-Type": "application/json"})


def client_error(code: str, status: int = 400, operation: str = "Operation") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": f"injected {code}"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


@pytest.fixture
def fail_call():
    """Make a client operation raise: ``fail_call(client, "Query", exc, when=pred, times=n, stage=...)``.

    The default stage raises before botocore's retry loop (the caller sees the ClientError as if AWS had
    answered it once); ``when`` sees the operation's parameters. ``stage="before-send"`` raises at the
    HTTP layer, so botocore retries transient errors first (``exc`` may then be a factory of the kwargs).
    Returns a dict whose ``calls`` counts the injected failures.
    """
    registered = []

    def install(client, operation, exc, when=None, times=None, stage="before-parameter-build"):
        service = client.meta.service_model.service_id.hyphenize()
        event_name = f"{stage}.{service}.{operation}"
        state = {"calls": 0}

        def handler(**kwargs):
            params = kwargs.get("params") or {}
            if when is not None and not when(params):
                return
            if times is not None and state["calls"] >= times:
                return
            state["calls"] += 1
            raise exc(kwargs) if callable(exc) and not isinstance(exc, BaseException) else exc

        unique_id = f"fail-{uuid.uuid4()}"
        client.meta.events.register_first(event_name, handler, unique_id=unique_id)
        registered.append((client, event_name, unique_id))
        return state

    yield install
    for client, event_name, unique_id in registered:
        client.meta.events.unregister(event_name, unique_id=unique_id)


def sqs_record(context: dict, message_id: str | None = None, queue_arn: str = "", retry_attempt: int | None = None,
               sent_timestamp: int = 1700000000000, body: str | None = None) -> dict:
    """An SQS event record as the Lambda event source mapping delivers it."""
    attributes = {}
    if context.get("conversation_id"):
        attributes["conversation_id"] = {"stringValue": context["conversation_id"], "dataType": "String",
                                         "stringListValues": [], "binaryListValues": []}
    if retry_attempt is not None:
        attributes["RetryAttempt"] = {"stringValue": str(retry_attempt), "dataType": "Number",
                                      "stringListValues": [], "binaryListValues": []}
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": "handle",
        "body": body if body is not None else json.dumps(context),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(sent_timestamp),
                       "SenderId": "AIDA", "ApproximateFirstReceiveTimestamp": str(sent_timestamp)},
        "messageAttributes": attributes,
        "md5OfBody": "x",
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": "us-east-1",
    }


def receive_all(sqs, url: str, include_delayed: bool = False) -> list[dict]:
    """Every visible message in the queue (left visible: moto keeps ``VisibilityTimeout=0`` receipts visible).

    ``include_delayed`` reads from 901 s in the future (freezegun), past any SQS delay.
    """

    def receive() -> list[dict]:
        response = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                       AttributeNames=["All"], VisibilityTimeout=0)
        return response.get("Messages", [])

    if not include_delayed:
        return receive()
    with freeze_time(datetime.now(UTC) + timedelta(seconds=901)):
        return receive()


@pytest.fixture
def record_calls():
    """Record the request parameters of a client operation: ``sent = record_calls(client, "SendMessage")``."""
    registered = []

    def install(client, operation):
        service = client.meta.service_model.service_id.hyphenize()
        event_name = f"before-parameter-build.{service}.{operation}"
        calls: list[dict] = []
        unique_id = f"record-{uuid.uuid4()}"
        client.meta.events.register(event_name, lambda **kw: calls.append(dict(kw["params"])), unique_id=unique_id)
        registered.append((client, event_name, unique_id))
        return calls

    yield install
    for client, event_name, unique_id in registered:
        client.meta.events.unregister(event_name, unique_id=unique_id)


@pytest.fixture
def h():
    """Helpers and constants for test modules (which cannot import this conftest)."""
    return SimpleNamespace(
        ACCOUNT_SID=ACCOUNT_SID,
        AUTH_TOKEN=AUTH_TOKEN,
        COMPANY_NUMBER=COMPANY_NUMBER,
        USER_NUMBER=USER_NUMBER,
        COMPANY_EMAIL=COMPANY_EMAIL,
        USER_EMAIL=USER_EMAIL,
        API_HOST=API_HOST,
        SECRET_NAME=SECRET_NAME,
        TABLE_NAME=TABLE_NAME,
        TEMPLATE_PATH=TEMPLATE_PATH,
        QUEUE_URLS=dict(QUEUE_URLS),
        CODE_DIR=CODE_DIR,
        conversation=conversation,
        twilio_params=twilio_params,
        twilio_event=twilio_event,
        email_event=email_event,
        api_event=api_event,
        client_error=client_error,
        sqs_record=sqs_record,
        receive_all=receive_all,
    )
