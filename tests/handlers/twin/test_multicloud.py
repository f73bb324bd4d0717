"""Multi-cloud round trips over real HTTP: connector -> ingestion, remote L2 -> writer."""

import json
import urllib.request

import pytest
from botocore.stub import Stubber

TOKEN = "l1-to-l2-token"


def function_url_responder(handler, context, url_event):
    """Serve a Function URL handler the way Lambda does: HTTP request -> payload 2.0 event -> response."""

    def respond(path, headers, body):
        response = handler(url_event(body.decode("utf-8"), headers), context)
        return response["statusCode"], response["body"].encode("utf-8")

    return respond


@pytest.fixture
def pipeline(load_function, remote, twin_info):
    connector = load_function("connector", REMOTE_INGESTION_URL=remote.url, INTER_CLOUD_TOKEN=TOKEN)
    ingestion = load_function("ingestion", DIGITAL_TWIN_INFO=twin_info(name="plant"))
    return connector, ingestion


def test_connector_retries_until_ingestion_can_invoke_the_processor(
    pipeline, remote, context, url_event, logs, sleeps, monkeypatch
):
    connector, ingestion = pipeline
    monkeypatch.setenv("INTER_CLOUD_TOKEN", TOKEN)  # both sides share the hop's token
    remote.responder = function_url_responder(ingestion.lambda_handler, context, url_event)
    event = {"iotDeviceId": "temperature-sensor-1", "time": "2025-01-01T00:00:00.000Z", "temperature": 30}

    with Stubber(ingestion.lambda_client) as stub:
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "plant-temperature-sensor-1-processor",
                "InvocationType": "Event",
                "Payload": json.dumps(event).encode("utf-8"),
            },
        )
        assert connector.lambda_handler(event, context) == {"statusCode": 200, "attempts": 2}
        stub.assert_no_pending_responses()

    assert sleeps == [1.0]
    assert "Server Error (500)" in logs.messages("WARNING")
    assert "Processor invoke failed" in logs.messages("ERROR")


def test_bad_token_is_rejected_by_ingestion_and_the_connector_fails_fast(
    pipeline, remote, context, url_event, logs, sleeps, monkeypatch, invocations
):
    connector, ingestion = pipeline
    monkeypatch.setenv("INTER_CLOUD_TOKEN", TOKEN)
    calls = invocations(ingestion)
    remote.responder = function_url_responder(ingestion.lambda_handler, context, url_event)
    # Both functions run in this one process, so they share os.environ: give the connector a stale token.
    real_settings = connector._settings
    monkeypatch.setattr(connector, "_settings", lambda: {**real_settings(), "token": "stale-token"})

    with pytest.raises(connector.ClientRequestError):
        connector.lambda_handler({"iotDeviceId": "d1"}, context)

    assert len(remote.requests) == 1
    assert "Invalid X-Inter-Cloud-Token" in logs.messages("WARNING")
    assert logs.messages("ERROR") == ["Client Error (403)"]
    assert calls == []
    assert sleeps == []


def test_remote_l2_stores_a_record_through_the_writer(
    load_function, hot_table, remote, context, url_event, logs
):
    writer = load_function("writer", INTER_CLOUD_TOKEN="l2-to-l3-token", DYNAMODB_TABLE_NAME=hot_table.name)
    remote.responder = function_url_responder(writer.lambda_handler, context, url_event)
    record = {"iotDeviceId": "d1", "time": "2025-01-01T00:00:00.000Z", "temperature": 21.5}
    request = urllib.request.Request(
        remote.url,
        data=json.dumps({"source": "azure", "payload": record}).encode(),
        headers={"Content-Type": "application/json", "X-Inter-Cloud-Token": "l2-to-l3-token"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200

    stored = hot_table.get_item(Key={"iotDeviceId": "d1", "id": "2025-01-01T00:00:00.000Z"})["Item"]
    assert float(stored["temperature"]) == 21.5
