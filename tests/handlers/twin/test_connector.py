"""Connector: envelope and token header, fail fast on 4xx, bounded backoff on 5xx/connection errors."""

import json
import socket
import urllib.error

import pytest

TOKEN = "s3cr3t-inter-cloud-token"


@pytest.fixture
def connector(load_function, remote):
    return load_function("connector", REMOTE_INGESTION_URL=remote.url, INTER_CLOUD_TOKEN=TOKEN)


def attempts_logged(logs):
    return [e["attempt"] for e in logs.find("Posting event to remote ingestion")]


def test_connector_posts_wrapped_event_with_token_header(connector, remote, context, logs, sleeps):
    remote.script = [200]
    event = {"iotDeviceId": "temperature-sensor-1", "temperature": 25.5}

    assert connector.lambda_handler(event, context) == {"statusCode": 200, "attempts": 1}

    [request] = remote.requests
    assert json.loads(request["body"]) == {"source": "aws", "payload": event}
    assert request["headers"]["X-Inter-Cloud-Token"] == TOKEN
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["path"] == "/api/ingest"
    [entry] = logs.find("Posting event to remote ingestion")
    assert (entry["url"], entry["attempt"], entry["max_attempts"]) == (remote.url, 1, 3)
    assert sleeps == []


def test_connector_retries_500_with_exponential_backoff_then_succeeds(
    connector, remote, context, logs, sleeps
):
    remote.script = [500, 503, 200]

    assert connector.lambda_handler({"iotDeviceId": "d1"}, context) == {"statusCode": 200, "attempts": 3}

    assert len(remote.requests) == 3
    assert sleeps == [1.0, 2.0]
    assert attempts_logged(logs) == [1, 2, 3]
    assert logs.messages("WARNING") == ["Server Error (500)", "Server Error (503)"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_connector_gives_up_after_max_attempts_on_server_errors(
    connector, remote, context, logs, sleeps, status
):
    remote.script = [status]

    with pytest.raises(connector.RemoteUnavailableError, match="after 3 attempts"):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)

    assert len(remote.requests) == 3
    assert sleeps == [1.0, 2.0]
    assert logs.messages("ERROR") == ["Remote ingestion unavailable"]


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_connector_fails_fast_on_client_error_without_retry(connector, remote, context, logs, sleeps, status):
    remote.script = [status]

    with pytest.raises(connector.ClientRequestError) as raised:
        connector.lambda_handler({"iotDeviceId": "d1"}, context)

    assert raised.value.status == status
    assert len(remote.requests) == 1
    assert sleeps == []
    [entry] = logs.find(f"Client Error ({status})")
    assert entry["level"] == "ERROR"
    assert entry["attempt"] == 1


def test_connector_fails_fast_on_400_without_retry(connector, remote, context, logs, sleeps):
    remote.script = [400, 200]

    with pytest.raises(connector.ClientRequestError, match=r"Client Error \(400\)"):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)

    assert len(remote.requests) == 1
    assert sleeps == []
    assert logs.messages("ERROR") == ["Client Error (400)"]


@pytest.mark.parametrize("status", [409, 429, 501])
def test_connector_does_not_retry_statuses_outside_the_retry_list(
    connector, remote, context, logs, sleeps, status
):
    remote.script = [status]
    with pytest.raises(connector.ConnectorError, match=f"Unexpected HTTP status \\({status}\\)"):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)
    assert len(remote.requests) == 1
    assert logs.messages("ERROR") == [f"Unexpected HTTP status ({status})"]


def test_connector_retries_connection_refused(load_function, context, logs, sleeps):
    with socket.socket() as probe:  # a port with no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = load_function(
        "connector", REMOTE_INGESTION_URL=f"http://127.0.0.1:{port}/ingest", INTER_CLOUD_TOKEN=TOKEN
    )

    with pytest.raises(connector.RemoteUnavailableError):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)

    assert attempts_logged(logs) == [1, 2, 3]
    assert logs.messages("WARNING") == ["Connection Error"] * 3
    assert sleeps == [1.0, 2.0]


def test_connector_retries_a_read_timeout_then_succeeds(
    connector, remote, context, logs, sleeps, monkeypatch
):
    monkeypatch.setenv("CONNECTOR_TIMEOUT_SECONDS", "0.05")
    remote.delay = 0.3
    remote.script = [200]
    real_post = connector._post
    calls = []

    def post(url, token, body, timeout):
        calls.append(timeout)
        if len(calls) == 2:
            remote.delay = 0
        return real_post(url, token, body, timeout)

    monkeypatch.setattr(connector, "_post", post)

    assert connector.lambda_handler({"iotDeviceId": "d1"}, context) == {"statusCode": 200, "attempts": 2}
    [warning] = logs.find("Connection Error")
    assert warning["error"].startswith(("TimeoutError", "URLError"))
    assert calls == [0.05, 0.05]


def test_connector_backoff_is_bounded_by_the_maximum(load_function, remote, context, sleeps, monkeypatch):
    connector = load_function(
        "connector",
        REMOTE_INGESTION_URL=remote.url,
        INTER_CLOUD_TOKEN=TOKEN,
        CONNECTOR_MAX_ATTEMPTS="6",
        CONNECTOR_BACKOFF_BASE_SECONDS="1",
        CONNECTOR_BACKOFF_MAX_SECONDS="5",
    )
    remote.script = [502]
    with pytest.raises(connector.RemoteUnavailableError):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert len(remote.requests) == 6


def test_connector_never_logs_the_token_and_strips_query_from_logged_url(
    load_function, remote, context, logs, sleeps
):
    connector = load_function(
        "connector", REMOTE_INGESTION_URL=remote.url + "?code=function-key-123", INTER_CLOUD_TOKEN=TOKEN
    )
    remote.script = [500, 401]
    with pytest.raises(connector.ClientRequestError):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)

    assert remote.requests[0]["path"] == "/api/ingest?code=function-key-123"
    assert {e["url"] for e in logs.find("Posting event to remote ingestion")} == {remote.url}
    assert TOKEN not in logs.text
    assert "function-key-123" not in logs.text


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"REMOTE_INGESTION_URL": ""}, "REMOTE_INGESTION_URL is not set"),
        ({"INTER_CLOUD_TOKEN": ""}, "INTER_CLOUD_TOKEN is not set"),
        ({"REMOTE_INGESTION_URL": "ftp://example.com/x"}, "REMOTE_INGESTION_URL must be an http(s) URL"),
        ({"CONNECTOR_MAX_ATTEMPTS": "many"}, "CONNECTOR_MAX_ATTEMPTS must be an integer, got 'many'"),
        ({"CONNECTOR_MAX_ATTEMPTS": "0"}, "CONNECTOR_MAX_ATTEMPTS must be >= 1, got 0"),
        ({"CONNECTOR_TIMEOUT_SECONDS": "soon"}, "CONNECTOR_TIMEOUT_SECONDS must be a number, got 'soon'"),
        ({"CONNECTOR_BACKOFF_BASE_SECONDS": "-1"}, "CONNECTOR_BACKOFF_BASE_SECONDS must be > 0, got -1.0"),
    ],
)
def test_connector_misconfiguration_is_logged_and_raised_before_any_request(
    connector, remote, context, logs, monkeypatch, env, problem
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(connector.ConfigurationError):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)
    assert logs.messages("ERROR") == [f"Connector misconfigured: {problem}"]
    assert remote.requests == []


def test_connector_http_error_objects_are_closed(connector, context, monkeypatch, sleeps):
    closed = []

    class Closing(urllib.error.HTTPError):
        def close(self):
            closed.append(self.code)

    def fail(*args, **kwargs):
        raise Closing("http://x", 400, "Bad Request", {}, None)

    monkeypatch.setattr(connector.urllib.request, "urlopen", fail)
    with pytest.raises(connector.ClientRequestError):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)
    assert closed == [400]


def test_connector_logged_url_drops_credentials_query_and_fragment(connector):
    assert connector.loggable_url("https://user:pw@example.com:8443/api/x?code=k#frag") == (
        "https://example.com:8443/api/x"
    )
