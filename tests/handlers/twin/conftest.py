"""Shared fixtures for the digital-twin pipeline tests: moto, function loading, log capture."""

import base64
import importlib
import importlib.util
import itertools
import json
import logging
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.core.model_instances import reset_model_data

TWIN_DIR = Path(__file__).resolve().parents[3] / "handlers" / "twin"
FUNCTIONS_DIR = TWIN_DIR / "functions"
HOT_TABLE = "twin-hot-iot-data"
_counter = itertools.count()


def _twin_info(name="twin", hot_days=7, cold_days=30, devices=("temperature-sensor-1",), events=()):
    return json.dumps(
        {
            "config": {
                "digital_twin_name": name,
                "hot_storage_size_in_days": hot_days,
                "cold_storage_size_in_days": cold_days,
            },
            "config_iot_devices": [{"id": d} for d in devices],
            "config_events": list(events),
        }
    )


@pytest.fixture
def twin_info():
    """Builder of a DIGITAL_TWIN_INFO value as the deployers and the SAM template write it."""
    return _twin_info


@pytest.fixture
def invocations(monkeypatch):
    """Replace a module's ``lambda_client.invoke`` with a recorder; returns the list of calls."""
    calls = []

    def _record(module):
        def invoke(**kwargs):
            calls.append({**kwargs, "Payload": json.loads(kwargs["Payload"])})
            return {"StatusCode": 202}

        monkeypatch.setattr(module.lambda_client, "invoke", invoke)
        return calls

    return _record


def _function_url_event(body=None, headers=None, query=None, method="POST", base64_body=False):
    """A Lambda Function URL request (payload format 2.0); header names are lower-case, as AWS sends."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if base64_body and body is not None:
        body = base64.b64encode(body.encode("utf-8")).decode("ascii")
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/",
        "rawQueryString": "&".join(f"{k}={v}" for k, v in (query or {}).items()),
        "headers": {k.lower(): v for k, v in {"content-type": "application/json", **(headers or {})}.items()},
        "queryStringParameters": query,
        "requestContext": {
            "http": {"method": method, "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"},
            "requestId": "url-req-1",
            "domainName": "abc.lambda-url.us-east-1.on.aws",
        },
        "body": body,
        "isBase64Encoded": base64_body,
    }


@pytest.fixture
def url_event():
    return _function_url_event


@pytest.fixture(autouse=True)
def _no_proxies(monkeypatch):
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(key, raising=False)


_SESSION = {}


@pytest.fixture(scope="module")
def _moto_for_module(request):
    # Starting moto costs ~20 ms (it registers thousands of URL patterns), so it is started once per
    # test module and its state is wiped after every test instead. A module may set MOTO_CONFIG.
    with mock_aws(config=getattr(request.module, "MOTO_CONFIG", None)):
        yield
    boto3.DEFAULT_SESSION = None  # leave boto3 as moto found it for the test modules that follow


@pytest.fixture
def aws(_moto_for_module):
    """A clean moto account for the test. moto drops boto3's default session on start; putting back
    one long-lived session keeps ``boto3.client(...)`` at module scope cheap (~2 ms, not ~80 ms)."""
    boto3.DEFAULT_SESSION = _cached("session", boto3.session.Session)
    yield
    BackendDict.reset()
    reset_model_data()


def _cached(key: str, make):
    if key not in _SESSION:
        _SESSION[key] = make()
    return _SESSION[key]


def client(service: str):
    """A moto-backed client from the long-lived session (cached: clients cost ~10 ms each)."""
    return _cached(f"client:{service}", lambda: _SESSION["session"].client(service))


_MODULES = {}


def _import_function(name: str, folder: Path):
    sys.modules.pop("process", None)
    module_name = f"twin_fn_{name.replace('-', '_')}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(module_name, folder / "lambda_function.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def load_function(aws, monkeypatch):
    """Import ``functions/<name>/lambda_function.py`` as the Lambda runtime does.

    The function folder goes on sys.path first, as the runtime does with the package root, so the
    processor wrapper's ``from process import process`` resolves to its own process.py. Modules are
    imported once per session and reused (the handlers keep no state besides their boto3 clients,
    which moto intercepts in every test); ``fresh=True`` or a ``folder`` gives a new cold container.
    """

    def _load(name, folder=None, fresh=False, **env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        path = Path(folder) if folder else FUNCTIONS_DIR / name
        monkeypatch.syspath_prepend(str(path))
        if folder or fresh:
            return _import_function(name, path)
        if name not in _MODULES:
            _MODULES[name] = _import_function(name, path)
        return _MODULES[name]

    yield _load
    sys.modules.pop("process", None)


def _deployer_module(name: str):
    """Import ``handlers/twin/deployer/<name>.py`` as ``twin_deployer.<name>`` (a unique package name,
    so no other system's modules can collide with it)."""
    if "twin_deployer" not in sys.modules:
        folder = TWIN_DIR / "deployer"
        spec = importlib.util.spec_from_file_location(
            "twin_deployer", folder / "__init__.py", submodule_search_locations=[str(folder)]
        )
        package = importlib.util.module_from_spec(spec)
        sys.modules["twin_deployer"] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"twin_deployer.{name}")


@pytest.fixture
def validator():
    return _deployer_module("validator")


@pytest.fixture
def util():
    return _deployer_module("util")


@pytest.fixture
def aws_deployer(aws):
    return _deployer_module("aws_deployer")


@dataclass
class FakeContext:
    function_name: str = "twin-test-function"
    memory_limit_in_mb: int = 128
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:twin-test-function"
    aws_request_id: str = "req-0001"
    remaining_ms: list = field(default_factory=lambda: [300_000])

    def get_remaining_time_in_millis(self) -> int:
        # Each call pops the next value; the last one repeats.
        return self.remaining_ms.pop(0) if len(self.remaining_ms) > 1 else self.remaining_ms[0]


@pytest.fixture
def context():
    return FakeContext()


class LogCapture(logging.Handler):
    """Collects the JSON lines the functions' Powertools loggers emit."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.entries = []

    def addFilter(self, filter):
        # Powertools adds a SuppressFilter for its service to every root handler when a Logger is
        # created, to avoid duplicate lines; this capture must still see those records.
        pass

    def emit(self, record):
        if not record.name.startswith("twin-"):
            return
        source = logging.getLogger(record.name)
        formatter = next(h.formatter for h in source.handlers if h.formatter is not None)
        self.entries.append(json.loads(formatter.format(record)))

    def messages(self, level=None):
        return [e["message"] for e in self.entries if level is None or e["level"] == level]

    def find(self, message):
        """The entries whose message is exactly ``message``."""
        return [e for e in self.entries if e["message"] == message]

    @property
    def text(self) -> str:
        return "\n".join(json.dumps(e) for e in self.entries)


@pytest.fixture
def logs():
    capture = LogCapture()
    root = logging.getLogger()
    root.addHandler(capture)
    yield capture
    root.removeHandler(capture)


@pytest.fixture
def aws_client(aws):
    """``aws_client("s3")``: a cached moto-backed client."""
    return client


@pytest.fixture
def hot_table(aws):
    dynamodb = _cached("dynamodb", lambda: _SESSION["session"].resource("dynamodb"))
    table = dynamodb.create_table(
        TableName=HOT_TABLE,
        KeySchema=[
            {"AttributeName": "iotDeviceId", "KeyType": "HASH"},
            {"AttributeName": "id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "iotDeviceId", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return table


@pytest.fixture
def sleeps(monkeypatch):
    """Record ``time.sleep`` calls instead of waiting."""
    recorded = []
    monkeypatch.setattr("time.sleep", recorded.append)
    return recorded


class RemoteEndpoint:
    """A scripted HTTP endpoint on 127.0.0.1 standing in for another cloud's ingestion URL."""

    def __init__(self):
        self.script = []  # statuses to answer, in order; the last one repeats
        self.requests = []
        self.delay = 0.0
        # Optional: responder(path, headers, body) -> (status, body bytes), e.g. a Function URL handler.
        self.responder = None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if outer.delay:
                    threading.Event().wait(outer.delay)
                if outer.responder:
                    status, payload = outer.responder(self.path, dict(self.headers), body)
                else:
                    status = outer.script.pop(0) if len(outer.script) > 1 else (outer.script or [200])[0]
                    payload = json.dumps({"status": status}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}/api/ingest"


@pytest.fixture
def remote():
    endpoint = RemoteEndpoint()
    endpoint.thread.start()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()
