"""Writer (Function URL): token check, payload validation, put_item into the hot table, 500 on failure."""

import json
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

TOKEN = "l2-to-l3-token"


@pytest.fixture
def writer(load_function, hot_table):
    return load_function("writer", INTER_CLOUD_TOKEN=TOKEN, DYNAMODB_TABLE_NAME=hot_table.name)


def request(url_event, payload, token=TOKEN, **kwargs):
    return url_event({"source": "azure", "payload": payload}, {"X-Inter-Cloud-Token": token}, **kwargs)


def test_writer_stores_record_in_hot_table_keyed_by_device_and_time(
    writer, hot_table, url_event, context, logs
):
    payload = {
        "iotDeviceId": "temperature-sensor-1",
        "time": "2025-01-01T00:00:00.000Z",
        "temperature": 25.5,
        "nested": {"ratio": 0.25},
    }

    response = writer.lambda_handler(request(url_event, payload), context)

    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "status": "stored",
        "iotDeviceId": "temperature-sensor-1",
        "id": "2025-01-01T00:00:00.000Z",
    }
    item = hot_table.get_item(Key={"iotDeviceId": "temperature-sensor-1", "id": "2025-01-01T00:00:00.000Z"})[
        "Item"
    ]
    assert item == {
        "iotDeviceId": "temperature-sensor-1",
        "id": "2025-01-01T00:00:00.000Z",
        "temperature": Decimal("25.5"),
        "nested": {"ratio": Decimal("0.25")},
    }
    assert logs.messages() == ["Record stored"]


def test_writer_retried_request_stores_the_record_once(writer, hot_table, url_event, context):
    payload = {"iotDeviceId": "d1", "time": "2025-01-01T00:00:00.000Z", "v": 1}
    writer.lambda_handler(request(url_event, payload), context)
    writer.lambda_handler(request(url_event, payload), context)
    assert hot_table.scan()["Count"] == 1


def test_writer_accepts_numeric_time_and_base64_body(writer, hot_table, url_event, context):
    response = writer.lambda_handler(
        request(url_event, {"iotDeviceId": "d1", "time": 1735689600}, base64_body=True), context
    )
    assert response["statusCode"] == 200
    assert hot_table.get_item(Key={"iotDeviceId": "d1", "id": "1735689600"})["Item"]["iotDeviceId"] == "d1"


@pytest.mark.parametrize("token", [None, "", "nope"])
def test_writer_rejects_bad_token_with_403_and_writes_nothing(
    writer, hot_table, url_event, context, logs, token
):
    headers = {} if token is None else {"X-Inter-Cloud-Token": token}
    event = url_event({"payload": {"iotDeviceId": "d1", "time": "t"}}, headers)
    assert writer.lambda_handler(event, context)["statusCode"] == 403
    assert logs.messages("WARNING") == ["Invalid X-Inter-Cloud-Token"]
    assert hot_table.scan()["Count"] == 0


@pytest.mark.parametrize(
    "body", ["{oops", None, "", '{"payload": {"iotDeviceId": "d1", "time": "t", "v": NaN}}']
)
def test_writer_returns_400_for_malformed_json(writer, url_event, context, logs, body):
    response = writer.lambda_handler(url_event(body, {"X-Inter-Cloud-Token": TOKEN}), context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": "Malformed JSON body"}
    assert logs.messages("ERROR") == ["Malformed JSON body"]


@pytest.mark.parametrize(
    "payload, reason",
    [
        ("a string", "payload must be a JSON object, got str"),
        ([{"iotDeviceId": "d1"}], "payload must be a JSON object, got list"),
        (None, "payload must be a JSON object, got NoneType"),
        ({"time": "2025-01-01T00:00:00Z"}, "payload.iotDeviceId missing"),
        ({"iotDeviceId": "", "time": "t"}, "payload.iotDeviceId missing"),
        ({"iotDeviceId": "d1"}, "payload.time missing"),
        ({"iotDeviceId": 5, "time": "t"}, "payload.iotDeviceId must be a string"),
        ({"iotDeviceId": "d1", "time": True}, "payload.time must be a string or a number"),
        ({"iotDeviceId": "d1", "time": {"at": 1}}, "payload.time must be a string or a number"),
    ],
)
def test_writer_logs_validation_error_and_returns_400_for_bad_payload(
    writer, hot_table, url_event, context, logs, payload, reason
):
    response = writer.lambda_handler(request(url_event, payload), context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"]) == {"error": reason}
    assert logs.messages("ERROR") == [f"Validation Error: {reason}"]
    assert hot_table.scan()["Count"] == 0


def test_writer_accepts_a_bare_record_without_envelope_as_invalid(writer, url_event, context, logs):
    event = url_event({"iotDeviceId": "d1", "time": "t"}, {"X-Inter-Cloud-Token": TOKEN})
    assert writer.lambda_handler(event, context)["statusCode"] == 400
    assert logs.messages("ERROR") == ["Validation Error: payload must be a JSON object, got NoneType"]


def test_writer_returns_500_when_dynamodb_put_item_fails(writer, url_event, context, logs, monkeypatch):
    class FailingTable:
        def put_item(self, **kwargs):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}},
                "PutItem",
            )

    monkeypatch.setattr(writer.dynamodb, "Table", lambda name: FailingTable())
    response = writer.lambda_handler(request(url_event, {"iotDeviceId": "d1", "time": "t"}), context)
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"error": "storage write failed"}
    [entry] = logs.find("DynamoDB put_item failed")
    assert "ProvisionedThroughputExceededException" in entry["error"]


def test_writer_returns_500_when_the_table_does_not_exist(load_function, url_event, context, logs, aws):
    writer = load_function("writer", INTER_CLOUD_TOKEN=TOKEN, DYNAMODB_TABLE_NAME="missing-table")
    response = writer.lambda_handler(request(url_event, {"iotDeviceId": "d1", "time": "t"}), context)
    assert response["statusCode"] == 500
    assert logs.messages("ERROR") == ["DynamoDB put_item failed"]


def test_writer_returns_500_on_connection_error(writer, url_event, context, logs, monkeypatch):
    class Unreachable:
        def put_item(self, **kwargs):
            raise EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")

    monkeypatch.setattr(writer.dynamodb, "Table", lambda name: Unreachable())
    assert (
        writer.lambda_handler(request(url_event, {"iotDeviceId": "d1", "time": "t"}), context)["statusCode"]
        == 500
    )


@pytest.mark.parametrize("env", [{"INTER_CLOUD_TOKEN": ""}, {"DYNAMODB_TABLE_NAME": ""}])
def test_writer_without_configuration_returns_500(writer, url_event, context, logs, monkeypatch, env):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert (
        writer.lambda_handler(request(url_event, {"iotDeviceId": "d1", "time": "t"}, token=""), context)[
            "statusCode"
        ]
        == 500
    )
    assert logs.messages("ERROR") == [
        "Writer misconfigured: INTER_CLOUD_TOKEN or DYNAMODB_TABLE_NAME missing"
    ]
