"""Ingestion (Function URL): token check, malformed bodies, unwrap and invoke, 500 on invoke failure."""

import json

import pytest
from botocore.stub import Stubber

TOKEN = "l1-to-l2-token"


@pytest.fixture
def ingestion(load_function, twin_info):
    return load_function("ingestion", INTER_CLOUD_TOKEN=TOKEN, DIGITAL_TWIN_INFO=twin_info(name="plant"))


def envelope(payload):
    return {"source": "azure", "payload": payload}


def test_ingestion_unwraps_payload_and_invokes_processor(ingestion, url_event, context, logs, invocations):
    calls = invocations(ingestion)
    payload = {"iotDeviceId": "temperature-sensor-1", "time": "2025-01-01T00:00:00.000Z", "temperature": 30}

    response = ingestion.lambda_handler(url_event(envelope(payload), {"X-Inter-Cloud-Token": TOKEN}), context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "status": "accepted",
        "target": "plant-temperature-sensor-1-processor",
    }
    assert calls == [
        {
            "FunctionName": "plant-temperature-sensor-1-processor",
            "InvocationType": "Event",
            "Payload": payload,
        }
    ]
    [entry] = logs.find("Forwarding remote event")
    assert entry["source"] == "azure"


def test_ingestion_accepts_base64_encoded_body(ingestion, url_event, context, invocations):
    calls = invocations(ingestion)
    event = url_event(envelope({"iotDeviceId": "d1"}), {"x-inter-cloud-token": TOKEN}, base64_body=True)
    assert ingestion.lambda_handler(event, context)["statusCode"] == 200
    assert calls[0]["Payload"] == {"iotDeviceId": "d1"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Inter-Cloud-Token": "wrong"}, {"X-Inter-Cloud-Token": TOKEN + "x"}, {"X-Inter-Cloud-Token": ""}],
)
def test_ingestion_rejects_missing_or_wrong_token_with_403(
    ingestion, url_event, context, logs, invocations, headers
):
    calls = invocations(ingestion)
    response = ingestion.lambda_handler(url_event(envelope({"iotDeviceId": "d1"}), headers), context)
    assert response["statusCode"] == 403
    assert json.loads(response["body"]) == {"error": "Forbidden"}
    assert logs.messages("WARNING") == ["Invalid X-Inter-Cloud-Token"]
    assert calls == []


def test_ingestion_compares_tokens_in_constant_time(ingestion, url_event, context, monkeypatch):
    compared = []
    real = ingestion.hmac.compare_digest
    monkeypatch.setattr(ingestion.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))
    ingestion.lambda_handler(
        url_event(envelope({"iotDeviceId": "d1"}), {"X-Inter-Cloud-Token": "guess"}), context
    )
    assert compared == [(b"guess", TOKEN.encode())]


@pytest.mark.parametrize("body", ["{not json", "", None, "[1, 2", "\u00ff\u00fe"])
def test_ingestion_returns_400_for_malformed_json(ingestion, url_event, context, logs, invocations, body):
    calls = invocations(ingestion)
    response = ingestion.lambda_handler(url_event(body, {"X-Inter-Cloud-Token": TOKEN}), context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": "Malformed JSON body"}
    assert logs.messages("ERROR") == ["Malformed JSON body"]
    assert calls == []


def test_ingestion_returns_400_for_invalid_base64_body(ingestion, url_event, context, logs):
    event = url_event("ignored", {"X-Inter-Cloud-Token": TOKEN})
    event["isBase64Encoded"], event["body"] = True, "***not base64***"
    assert ingestion.lambda_handler(event, context)["statusCode"] == 400
    assert logs.messages("ERROR") == ["Malformed JSON body"]


@pytest.mark.parametrize(
    "body, reason",
    [
        ([1, 2], "payload must be a JSON object"),
        ({"source": "azure"}, "payload must be a JSON object"),
        ({"payload": "text"}, "payload must be a JSON object"),
        ({"payload": {"temperature": 1}}, "payload.iotDeviceId missing"),
        ({"payload": {"iotDeviceId": 12}}, "payload.iotDeviceId missing"),
    ],
)
def test_ingestion_returns_400_for_invalid_payload(ingestion, url_event, context, logs, body, reason):
    response = ingestion.lambda_handler(url_event(body, {"X-Inter-Cloud-Token": TOKEN}), context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": reason}
    assert logs.messages("ERROR") == [f"Validation Error: {reason}"]


def test_ingestion_returns_500_when_processor_invoke_fails_so_connector_retries(
    ingestion, url_event, context, logs
):
    with Stubber(ingestion.lambda_client) as stub:
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
        response = ingestion.lambda_handler(
            url_event(envelope({"iotDeviceId": "d1"}), {"X-Inter-Cloud-Token": TOKEN}), context
        )
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"error": "processor invoke failed"}
    [entry] = logs.find("Processor invoke failed")
    assert entry["target_function"] == "plant-d1-processor"


def test_ingestion_returns_500_when_processor_does_not_exist(ingestion, url_event, context, logs):
    response = ingestion.lambda_handler(
        url_event(envelope({"iotDeviceId": "d1"}), {"X-Inter-Cloud-Token": TOKEN}), context
    )
    assert response["statusCode"] == 500
    assert logs.messages("ERROR") == ["Processor invoke failed"]


@pytest.mark.parametrize(
    "env", [{"INTER_CLOUD_TOKEN": ""}, {"DIGITAL_TWIN_INFO": "{}"}, {"DIGITAL_TWIN_INFO": ""}]
)
def test_ingestion_without_configuration_refuses_everything_with_500(
    ingestion, url_event, context, logs, monkeypatch, env
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    response = ingestion.lambda_handler(
        url_event(envelope({"iotDeviceId": "d1"}), {"X-Inter-Cloud-Token": ""}), context
    )
    assert response["statusCode"] == 500
    assert logs.messages("ERROR") == [
        "Ingestion misconfigured: INTER_CLOUD_TOKEN or DIGITAL_TWIN_INFO missing"
    ]


def test_ingestion_never_logs_the_token(ingestion, url_event, context, logs, invocations):
    invocations(ingestion)
    ingestion.lambda_handler(
        url_event(envelope({"iotDeviceId": "d1"}), {"X-Inter-Cloud-Token": TOKEN}), context
    )
    ingestion.lambda_handler(
        url_event(envelope({"iotDeviceId": "d1"}), {"X-Inter-Cloud-Token": "bad"}), context
    )
    assert TOKEN not in logs.text
