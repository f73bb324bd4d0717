"""Dispatcher: safe parsing, iotDeviceId and DIGITAL_TWIN_INFO checks, target naming, wrapped invoke."""

import json

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber


@pytest.fixture
def dispatcher(load_function, twin_info):
    return load_function("dispatcher", DIGITAL_TWIN_INFO=twin_info(name="factory"))


def test_dispatcher_invokes_processor_asynchronously_with_the_event(dispatcher, context, logs):
    event = {"iotDeviceId": "temperature-sensor-1", "time": "2025-01-01T00:00:00.000Z", "temperature": 21.5}
    with Stubber(dispatcher.lambda_client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "factory-temperature-sensor-1-processor",
                "InvocationType": "Event",
                "Payload": json.dumps(event).encode("utf-8"),
            },
        )
        result = dispatcher.lambda_handler(event, context)
        stub.assert_no_pending_responses()

    assert result == {"status": "dispatched", "target": "factory-temperature-sensor-1-processor"}
    [entry] = logs.find("Dispatching event")
    assert entry["target_function"] == "factory-temperature-sensor-1-processor"
    assert logs.messages() == ["Dispatching event", "Dispatch successful"]


def test_dispatcher_uses_target_function_suffix_for_multi_cloud(dispatcher, context, monkeypatch):
    monkeypatch.setenv("TARGET_FUNCTION_SUFFIX", "-connector")
    with Stubber(dispatcher.lambda_client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "factory-pump-7-connector",
                "InvocationType": "Event",
                "Payload": json.dumps({"iotDeviceId": "pump-7"}).encode("utf-8"),
            },
        )
        assert (
            dispatcher.lambda_handler({"iotDeviceId": "pump-7"}, context)["target"]
            == "factory-pump-7-connector"
        )


def test_dispatcher_defaults_suffix_to_processor_when_variable_is_empty(dispatcher, context, monkeypatch):
    monkeypatch.setenv("TARGET_FUNCTION_SUFFIX", "")
    with Stubber(dispatcher.lambda_client) as stub:
        stub.add_response("invoke", {"StatusCode": 202})
        assert dispatcher.lambda_handler({"iotDeviceId": "d1"}, context)["target"] == "factory-d1-processor"


def test_dispatcher_parses_an_event_delivered_as_json_text(dispatcher, context):
    with Stubber(dispatcher.lambda_client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 202},
            {
                "FunctionName": "factory-d1-processor",
                "InvocationType": "Event",
                "Payload": json.dumps({"iotDeviceId": "d1", "v": 1}).encode("utf-8"),
            },
        )
        assert dispatcher.lambda_handler('{"iotDeviceId": "d1", "v": 1}', context)["status"] == "dispatched"


def test_dispatcher_without_iot_device_id_logs_and_rejects_without_invoking(
    dispatcher, context, logs, invocations
):
    calls = invocations(dispatcher)
    result = dispatcher.lambda_handler({"temperature": 20}, context)

    assert result == {"status": "rejected", "reason": "iotDeviceId missing"}
    [entry] = logs.find("iotDeviceId missing")
    assert entry["level"] == "ERROR"
    assert entry["event_keys"] == ["temperature"]
    assert calls == []


@pytest.mark.parametrize("device_id", ["", None, 42])
def test_dispatcher_rejects_empty_or_non_string_iot_device_id(dispatcher, context, logs, device_id):
    assert dispatcher.lambda_handler({"iotDeviceId": device_id}, context)["status"] == "rejected"
    assert logs.messages("ERROR") == ["iotDeviceId missing"]


@pytest.mark.parametrize("event", ["{not json", "[1, 2]", 7, None])
def test_dispatcher_rejects_malformed_event(dispatcher, context, logs, event):
    assert dispatcher.lambda_handler(event, context) == {"status": "rejected", "reason": "malformed event"}
    assert logs.messages("ERROR") == ["Malformed event"]


@pytest.mark.parametrize(
    "raw", ["", "{broken", json.dumps({"config": {}}), json.dumps({"config": {"digital_twin_name": ""}})]
)
def test_dispatcher_with_missing_or_invalid_twin_info_logs_and_raises(
    load_function, context, logs, monkeypatch, raw
):
    dispatcher = load_function("dispatcher")
    monkeypatch.setenv("DIGITAL_TWIN_INFO", raw)
    with pytest.raises(dispatcher.ConfigurationError):
        dispatcher.lambda_handler({"iotDeviceId": "d1"}, context)
    [message] = logs.messages("ERROR")
    assert message.startswith("DIGITAL_TWIN_INFO missing or invalid")


def test_dispatcher_logs_and_reraises_when_target_function_does_not_exist(dispatcher, context, logs):
    # No stub: moto answers ResourceNotFoundException for the missing processor, as Lambda does.
    with pytest.raises(dispatcher.lambda_client.exceptions.ResourceNotFoundException):
        dispatcher.lambda_handler({"iotDeviceId": "ghost"}, context)
    [entry] = logs.find("Dispatch failed")
    assert entry["target_function"] == "factory-ghost-processor"
    assert "ResourceNotFoundException" in entry["error"]


def test_dispatcher_reraises_connection_errors_so_lambda_retries(dispatcher, context, logs, monkeypatch):
    def refuse(**kwargs):
        raise EndpointConnectionError(endpoint_url="https://lambda.us-east-1.amazonaws.com")

    monkeypatch.setattr(dispatcher.lambda_client, "invoke", refuse)
    with pytest.raises(EndpointConnectionError):
        dispatcher.lambda_handler({"iotDeviceId": "d1"}, context)
    assert logs.messages("ERROR") == ["Dispatch failed"]
