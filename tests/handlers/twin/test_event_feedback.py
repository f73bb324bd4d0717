"""Event feedback: publishes to the device topic; bad requests and publish failures are logged."""

import json

import pytest
from botocore.stub import Stubber
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iotdata.models import iotdata_backends


@pytest.fixture
def feedback(load_function):
    return load_function("event-feedback")


def published():
    return iotdata_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].published_payloads


def test_event_feedback_publishes_message_to_twin_device_topic(feedback, context, logs):
    event = {"detail": {"digitalTwinName": "plant", "iotDeviceId": "fan-1", "payload": "turn on"}}

    assert feedback.lambda_handler(event, context) == {"status": "sent", "topic": "plant-fan-1"}

    [(topic, payload)] = published()
    assert topic == "plant-fan-1"
    assert json.loads(payload) == {"message": "turn on"}
    assert logs.messages() == ["Feedback sent"]


@pytest.mark.parametrize(
    "event, reason",
    [
        ({}, "event has no detail object"),
        ({"detail": "x"}, "event has no detail object"),
        ("text", "event has no detail object"),
        ({"detail": {"iotDeviceId": "fan-1", "payload": "p"}}, "detail.digitalTwinName missing"),
        ({"detail": {"digitalTwinName": "plant", "payload": "p"}}, "detail.iotDeviceId missing"),
        ({"detail": {"digitalTwinName": "plant", "iotDeviceId": "fan-1"}}, "detail.payload missing"),
        (
            {"detail": {"digitalTwinName": "plant", "iotDeviceId": "fan/#", "payload": "p"}},
            "detail.iotDeviceId must be a string without MQTT wildcards or '/'",
        ),
        (
            {"detail": {"digitalTwinName": 3, "iotDeviceId": "fan", "payload": "p"}},
            "detail.digitalTwinName must be a string without MQTT wildcards or '/'",
        ),
    ],
)
def test_event_feedback_rejects_malformed_request_and_logs_failure(feedback, context, logs, event, reason):
    assert feedback.lambda_handler(event, context) == {"status": "rejected", "reason": reason}
    assert logs.messages("ERROR") == [f"Event Feedback Failed: {reason}"]
    assert published() == []


def test_event_feedback_reraises_publish_failure(feedback, context, logs):
    event = {"detail": {"digitalTwinName": "plant", "iotDeviceId": "fan-1", "payload": {"speed": 3}}}
    with Stubber(feedback.iot_data_client) as stub:
        stub.add_client_error("publish", service_error_code="ThrottlingException", http_status_code=429)
        with pytest.raises(feedback.iot_data_client.exceptions.ThrottlingException):
            feedback.lambda_handler(event, context)
    [entry] = logs.find("Event Feedback Failed: publish failed")
    assert entry["topic"] == "plant-fan-1"
