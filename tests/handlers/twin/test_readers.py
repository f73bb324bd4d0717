"""Hot readers: 400 with a reason for bad parameters, 500 for backend failures, Decimal-safe JSON."""

import json
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def seeded(hot_table):
    for minute, temperature in ((0, 20.5), (10, 21), (20, 22.25), (30, 23)):
        hot_table.put_item(
            Item={
                "iotDeviceId": "d1",
                "id": f"2025-01-01T00:{minute:02d}:00.000Z",
                "temperature": Decimal(str(temperature)),
                "humidity": 40 + minute,
            }
        )
    hot_table.put_item(Item={"iotDeviceId": "d2", "id": "2025-01-01T00:05:00.000Z", "temperature": 5})
    return hot_table


@pytest.fixture
def reader(load_function, hot_table):
    return load_function("hot-reader", DYNAMODB_TABLE_NAME=hot_table.name)


@pytest.fixture
def last_entry(load_function, hot_table):
    return load_function("hot-reader-last-entry", DYNAMODB_TABLE_NAME=hot_table.name)


def body(response):
    return json.loads(response["body"])


def test_hot_reader_returns_records_in_range_from_function_url_query(
    reader, seeded, url_event, context, logs
):
    event = url_event(
        None,
        method="GET",
        query={"iotDeviceId": "d1", "startTime": "2025-01-01T00:10:00Z", "endTime": "2025-01-01T00:20:00Z"},
    )
    response = reader.lambda_handler(event, context)

    assert response["statusCode"] == 200
    assert body(response) == {
        "iotDeviceId": "d1",
        "count": 2,
        "items": [
            {"time": "2025-01-01T00:10:00.000Z", "iotDeviceId": "d1", "temperature": 21, "humidity": 50},
            {"time": "2025-01-01T00:20:00.000Z", "iotDeviceId": "d1", "temperature": 22.25, "humidity": 60},
        ],
    }
    [entry] = logs.find("Hot records read")
    assert entry["count"] == 2


def test_hot_reader_accepts_json_body_direct_invoke_and_selected_properties(
    reader, seeded, url_event, context
):
    params = {
        "iotDeviceId": "d1",
        "startTime": "2025-01-01T00:00:00",
        "endTime": "2025-01-01T01:00:00+01:00",
        "selectedProperties": ["temperature"],
    }
    from_url = reader.lambda_handler(url_event(params), context)
    direct = reader.lambda_handler(params, context)

    assert body(from_url) == body(direct)
    assert body(direct)["items"] == [
        {"time": "2025-01-01T00:00:00.000Z", "iotDeviceId": "d1", "temperature": 20.5}
    ]


def test_hot_reader_selected_properties_as_comma_separated_query(reader, seeded, url_event, context):
    event = url_event(
        None,
        method="GET",
        query={
            "iotDeviceId": "d1",
            "startTime": "2025-01-01T00:30:00Z",
            "endTime": "2025-01-01T00:30:00Z",
            "selectedProperties": "humidity, temperature",
        },
    )
    assert body(reader.lambda_handler(event, context))["items"] == [
        {"time": "2025-01-01T00:30:00.000Z", "iotDeviceId": "d1", "temperature": 23, "humidity": 70}
    ]


def test_hot_reader_follows_pagination(reader, hot_table, context, monkeypatch):
    pages = [
        {"Items": [{"iotDeviceId": "d1", "id": "a"}], "LastEvaluatedKey": {"iotDeviceId": "d1", "id": "a"}},
        {"Items": [{"iotDeviceId": "d1", "id": "b"}]},
    ]
    seen = []

    class PagedTable:
        def query(self, **kwargs):
            seen.append(kwargs.get("ExclusiveStartKey"))
            return pages[len(seen) - 1]

    monkeypatch.setattr(reader.dynamodb, "Table", lambda name: PagedTable())
    response = reader.lambda_handler(
        {"iotDeviceId": "d1", "startTime": "2025-01-01", "endTime": "2025-01-02"}, context
    )
    assert [i["time"] for i in body(response)["items"]] == ["a", "b"]
    assert seen == [None, {"iotDeviceId": "d1", "id": "a"}]


@pytest.mark.parametrize(
    "params, reason",
    [
        ({"startTime": "2025-01-01T00:00:00Z", "endTime": "2025-01-02T00:00:00Z"}, "iotDeviceId is required"),
        (
            {"iotDeviceId": "  ", "startTime": "2025-01-01", "endTime": "2025-01-02"},
            "iotDeviceId is required",
        ),
        ({"iotDeviceId": "d1", "endTime": "2025-01-02T00:00:00Z"}, "startTime and endTime are required"),
        (
            {"iotDeviceId": "d1", "startTime": "yesterday", "endTime": "2025-01-02"},
            "startTime must be an ISO-8601 timestamp",
        ),
        (
            {"iotDeviceId": "d1", "startTime": "2025-01-01", "endTime": "soon"},
            "endTime must be an ISO-8601 timestamp",
        ),
        (
            {"iotDeviceId": "d1", "startTime": "2025-01-02T00:00:00Z", "endTime": "2025-01-01T00:00:00Z"},
            "startTime must not be after endTime",
        ),
        (
            {
                "iotDeviceId": "d1",
                "startTime": "2025-01-01",
                "endTime": "2025-01-02",
                "selectedProperties": [1],
            },
            "selectedProperties must be a non-empty list of property names",
        ),
        (
            {
                "iotDeviceId": "d1",
                "startTime": "2025-01-01",
                "endTime": "2025-01-02",
                "selectedProperties": [],
            },
            "selectedProperties must be a non-empty list of property names",
        ),
    ],
)
def test_hot_reader_returns_400_with_reason_for_bad_parameters(
    reader, seeded, url_event, context, logs, params, reason
):
    response = reader.lambda_handler(url_event(params), context)
    assert response["statusCode"] == 400
    assert body(response) == {"error": reason}
    [entry] = logs.find("Bad request")
    assert entry["reason"] == reason


@pytest.mark.parametrize(
    "raw, reason", [("{nope", "Malformed JSON body"), ("[1]", "JSON body must be an object")]
)
def test_hot_reader_returns_400_for_malformed_body(reader, url_event, context, raw, reason):
    response = reader.lambda_handler(url_event(raw), context)
    assert (response["statusCode"], body(response)) == (400, {"error": reason})


def test_hot_reader_returns_400_for_non_object_request(reader, context):
    assert body(reader.lambda_handler(["d1"], context)) == {"error": "request must be a JSON object"}


def test_hot_reader_returns_500_when_the_query_fails(reader, context, logs, monkeypatch):
    class Broken:
        def query(self, **kwargs):
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "boom"}}, "Query")

    monkeypatch.setattr(reader.dynamodb, "Table", lambda name: Broken())
    response = reader.lambda_handler(
        {"iotDeviceId": "d1", "startTime": "2025-01-01", "endTime": "2025-01-02"}, context
    )
    assert (response["statusCode"], body(response)) == (500, {"error": "hot storage query failed"})
    [entry] = logs.find("Hot table query failed")
    assert "InternalServerError" in entry["error"]


def test_hot_reader_returns_500_when_the_table_is_missing(load_function, context, logs, aws):
    reader = load_function("hot-reader", DYNAMODB_TABLE_NAME="no-such-table")
    response = reader.lambda_handler(
        {"iotDeviceId": "d1", "startTime": "2025-01-01", "endTime": "2025-01-02"}, context
    )
    assert response["statusCode"] == 500
    assert logs.messages("ERROR") == ["Hot table query failed"]


def test_hot_reader_without_table_name_returns_500(reader, context, logs, monkeypatch):
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "")
    assert reader.lambda_handler({"iotDeviceId": "d1"}, context)["statusCode"] == 500
    assert logs.messages("ERROR") == ["Hot reader misconfigured: DYNAMODB_TABLE_NAME is not set"]


def test_last_entry_returns_newest_record(last_entry, seeded, url_event, context, logs):
    response = last_entry.lambda_handler(url_event(None, method="GET", query={"iotDeviceId": "d1"}), context)
    assert response["statusCode"] == 200
    assert body(response) == {
        "iotDeviceId": "d1",
        "item": {"time": "2025-01-01T00:30:00.000Z", "iotDeviceId": "d1", "temperature": 23, "humidity": 70},
    }
    [entry] = logs.find("Last hot record read")
    assert entry["found"] is True


def test_last_entry_with_selected_properties_and_base64_body(last_entry, seeded, url_event, context):
    event = url_event({"iotDeviceId": "d1", "selectedProperties": ["humidity"]}, base64_body=True)
    assert body(last_entry.lambda_handler(event, context))["item"] == {
        "time": "2025-01-01T00:30:00.000Z",
        "iotDeviceId": "d1",
        "humidity": 70,
    }


def test_last_entry_for_device_without_data_returns_null_item(last_entry, seeded, context):
    response = last_entry.lambda_handler({"iotDeviceId": "unknown"}, context)
    assert (response["statusCode"], body(response)) == (200, {"iotDeviceId": "unknown", "item": None})


@pytest.mark.parametrize(
    "params, reason",
    [
        ({}, "iotDeviceId is required"),
        ({"iotDeviceId": 7}, "iotDeviceId is required"),
        (
            {"iotDeviceId": "d1", "selectedProperties": "  ,  "},
            "selectedProperties must be a non-empty list of property names",
        ),
    ],
)
def test_last_entry_returns_400_with_reason_for_bad_parameters(last_entry, context, logs, params, reason):
    response = last_entry.lambda_handler(params, context)
    assert (response["statusCode"], body(response)) == (400, {"error": reason})
    assert logs.find("Bad request")[0]["reason"] == reason


@pytest.mark.parametrize(
    "raw, reason", [("{nope", "Malformed JSON body"), ('"text"', "JSON body must be an object")]
)
def test_last_entry_returns_400_for_malformed_body(last_entry, url_event, context, raw, reason):
    assert body(last_entry.lambda_handler(url_event(raw), context)) == {"error": reason}


def test_last_entry_returns_400_for_non_object_request(last_entry, context):
    assert last_entry.lambda_handler("d1", context)["statusCode"] == 400


def test_last_entry_returns_500_when_the_query_fails(last_entry, context, logs, monkeypatch):
    class Throttled:
        def query(self, **kwargs):
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "Query"
            )

    monkeypatch.setattr(last_entry.dynamodb, "Table", lambda name: Throttled())
    response = last_entry.lambda_handler({"iotDeviceId": "d1"}, context)
    assert (response["statusCode"], body(response)) == (500, {"error": "hot storage query failed"})
    assert logs.messages("ERROR") == ["Hot table query failed"]


def test_last_entry_without_table_name_returns_500(last_entry, context, logs, monkeypatch):
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "")
    assert last_entry.lambda_handler({"iotDeviceId": "d1"}, context)["statusCode"] == 500
    assert logs.messages("ERROR") == ["Hot reader misconfigured: DYNAMODB_TABLE_NAME is not set"]
