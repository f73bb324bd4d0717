"""Persister: validates iotDeviceId and time, writes the hot table, optionally hands off to the checker."""

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

CHECKER = "twin-event-checker"


@pytest.fixture
def persister(load_function, hot_table):
    return load_function("persister", DYNAMODB_TABLE_NAME=hot_table.name, EVENT_CHECKER_LAMBDA_NAME="")


def test_persister_writes_record_with_time_as_sort_key_and_floats_as_decimal(
    persister, hot_table, context, logs
):
    record = {
        "iotDeviceId": "temperature-sensor-1",
        "time": "2025-01-01T00:00:00.000Z",
        "temperature": 25.5,
        "readings": [0.5, 2],
        "meta": {"gain": 1.25},
    }

    result = persister.lambda_handler(record, context)

    assert result == {
        "status": "persisted",
        "iotDeviceId": "temperature-sensor-1",
        "id": "2025-01-01T00:00:00.000Z",
    }
    [item] = hot_table.scan()["Items"]
    assert item == {
        "iotDeviceId": "temperature-sensor-1",
        "id": "2025-01-01T00:00:00.000Z",
        "temperature": Decimal("25.5"),
        "readings": [Decimal("0.5"), Decimal(2)],
        "meta": {"gain": Decimal("1.25")},
    }
    assert logs.messages() == ["Record persisted"]


def test_persister_without_time_logs_validation_error_and_writes_nothing(persister, hot_table, context, logs):
    result = persister.lambda_handler({"iotDeviceId": "d1", "temperature": 20}, context)
    assert result == {"status": "rejected", "reason": "record has no time"}
    assert logs.messages("ERROR") == ["Validation Error: record has no time"]
    assert hot_table.scan()["Count"] == 0


@pytest.mark.parametrize(
    "record, reason",
    [
        ({"time": "t"}, "record has no iotDeviceId"),
        ({"iotDeviceId": "", "time": "t"}, "record has no iotDeviceId"),
        ({"iotDeviceId": ["d1"], "time": "t"}, "record has no iotDeviceId"),
        ({"iotDeviceId": "d1", "time": ""}, "record has no time"),
        ({"iotDeviceId": "d1", "time": None}, "record has no time"),
        ({"iotDeviceId": "d1", "time": {"at": 1}}, "record has no time"),
        ({"iotDeviceId": "d1", "time": True}, "record has no time"),
        ("a string", "record must be a JSON object, got str"),
        ([{"iotDeviceId": "d1"}], "record must be a JSON object, got list"),
    ],
)
def test_persister_rejects_invalid_records(persister, hot_table, context, logs, record, reason):
    assert persister.lambda_handler(record, context) == {"status": "rejected", "reason": reason}
    assert logs.messages("ERROR") == [f"Validation Error: {reason}"]
    assert hot_table.scan()["Count"] == 0


def test_persister_rejects_values_dynamodb_cannot_store(persister, hot_table, context, logs):
    result = persister.lambda_handler({"iotDeviceId": "d1", "time": "t", "v": float("nan")}, context)
    assert result["status"] == "rejected"
    [message] = logs.messages("ERROR")
    assert message.startswith("Validation Error: record has a value DynamoDB cannot store")


def test_persister_stores_numeric_time_as_text_id(persister, hot_table, context):
    persister.lambda_handler({"iotDeviceId": "d1", "time": 1735689600.5}, context)
    assert hot_table.get_item(Key={"iotDeviceId": "d1", "id": "1735689600.5"})["Item"]["iotDeviceId"] == "d1"


def test_persister_hands_record_to_event_checker_when_configured(
    persister, context, logs, invocations, monkeypatch
):
    monkeypatch.setenv("EVENT_CHECKER_LAMBDA_NAME", CHECKER)
    calls = invocations(persister)
    record = {"iotDeviceId": "d1", "time": "2025-01-01T00:00:00.000Z", "temperature": 31.5}

    persister.lambda_handler(record, context)

    assert calls == [{"FunctionName": CHECKER, "InvocationType": "Event", "Payload": record}]
    assert logs.messages() == ["Record persisted", "Record handed to event checker"]


def test_persister_does_not_invoke_event_checker_when_not_configured(persister, context, invocations):
    calls = invocations(persister)
    persister.lambda_handler({"iotDeviceId": "d1", "time": "t"}, context)
    assert calls == []


def test_persister_reraises_dynamodb_failure_for_lambda_retry(persister, context, logs, monkeypatch):
    class Throttled:
        def put_item(self, **kwargs):
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "PutItem"
            )

    monkeypatch.setattr(persister.dynamodb, "Table", lambda name: Throttled())
    with pytest.raises(ClientError, match="ThrottlingException"):
        persister.lambda_handler({"iotDeviceId": "d1", "time": "t"}, context)
    [entry] = logs.find("Hot table write failed")
    assert entry["table"] == "twin-hot-iot-data"


def test_persister_retry_after_failed_checker_invoke_stores_record_once(
    persister, hot_table, context, logs, monkeypatch
):
    monkeypatch.setenv("EVENT_CHECKER_LAMBDA_NAME", CHECKER)
    record = {"iotDeviceId": "d1", "time": "t", "v": 1}
    with Stubber(persister.lambda_client) as stub:
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
        stub.add_response("invoke", {"StatusCode": 202})
        with pytest.raises(ClientError):
            persister.lambda_handler(record, context)
        assert persister.lambda_handler(record, context)["status"] == "persisted"  # Lambda's async retry

    assert hot_table.scan()["Count"] == 1
    assert "Event checker invoke failed" in logs.messages("ERROR")


def test_persister_without_table_name_raises_configuration_error(persister, context, logs, monkeypatch):
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "")
    with pytest.raises(persister.ConfigurationError):
        persister.lambda_handler({"iotDeviceId": "d1", "time": "t"}, context)
    assert logs.messages("ERROR") == ["Persister misconfigured: DYNAMODB_TABLE_NAME is not set"]


HANDOFFS = "twin-event-handoffs"


@pytest.fixture
def handoffs(hot_table, aws_client, monkeypatch):
    """The hand-off claims table, configured with the event checker."""
    aws_client("dynamodb").create_table(
        TableName=HANDOFFS,
        KeySchema=[{"AttributeName": "recordKey", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "recordKey", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("EVENT_CHECKER_LAMBDA_NAME", CHECKER)
    monkeypatch.setenv("HANDOFF_TABLE_NAME", HANDOFFS)
    return HANDOFFS


def _request(context, request_id):
    context.aws_request_id = request_id
    return context


def test_a_record_redelivered_by_another_request_is_stored_again_but_checked_once(
    persister, handoffs, hot_table, context, logs, invocations
):
    # Lambda retried the processor after it had invoked the persister: a new request with the same record.
    calls = invocations(persister)
    record = {"iotDeviceId": "d1", "time": "2025-01-01T00:00:00.000Z", "temperature": 31.5}

    first = persister.lambda_handler(record, _request(context, "req-first"))
    again = persister.lambda_handler(record, _request(context, "req-redelivered"))

    assert first == again and first["status"] == "persisted"
    assert calls == [{"FunctionName": CHECKER, "InvocationType": "Event", "Payload": record}]
    assert logs.messages() == ["Record persisted", "Record handed to event checker",
                               "Record persisted", "Record already handed to event checker"]
    assert hot_table.scan()["Count"] == 1


def test_lambdas_retry_of_the_same_request_hands_the_record_over_after_a_failed_invoke(
    persister, handoffs, context, logs
):
    record = {"iotDeviceId": "d1", "time": "t", "v": 1}
    with Stubber(persister.lambda_client) as stub:
        stub.add_client_error("invoke", service_error_code="TooManyRequestsException", http_status_code=429)
        stub.add_response("invoke", {"StatusCode": 202})
        with pytest.raises(ClientError):
            persister.lambda_handler(record, _request(context, "req-1"))
        persister.lambda_handler(record, _request(context, "req-1"))  # Lambda's async retry: same request id
        stub.assert_no_pending_responses()
    assert logs.messages()[-1] == "Record handed to event checker"


def test_a_failed_invoke_releases_the_claim_so_a_later_redrive_hands_the_record_over(
    persister, handoffs, context, invocations
):
    record = {"iotDeviceId": "d1", "time": "t", "v": 1}
    with Stubber(persister.lambda_client) as stub:
        stub.add_client_error("invoke", service_error_code="ServiceException", http_status_code=500)
        with pytest.raises(ClientError):
            persister.lambda_handler(record, _request(context, "req-failed"))
    calls = invocations(persister)
    persister.lambda_handler(record, _request(context, "req-redrive"))
    assert len(calls) == 1


def test_a_corrected_record_under_the_same_key_is_checked_again(persister, handoffs, context, invocations):
    calls = invocations(persister)
    persister.lambda_handler({"iotDeviceId": "d1", "time": "t", "v": 1}, _request(context, "req-1"))
    persister.lambda_handler({"iotDeviceId": "d1", "time": "t", "v": 2}, _request(context, "req-2"))
    assert [call["Payload"]["v"] for call in calls] == [1, 2]
    assert persister.handoff_key({"iotDeviceId": "d1", "time": "t", "v": 1}) != \
        persister.handoff_key({"v": 1, "time": "t", "iotDeviceId": "d1", "extra": None})
