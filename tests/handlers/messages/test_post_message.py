"""POST /messages on the happy path, correlation ids and request validation."""
from __future__ import annotations

import json

import pytest

VALID = {"recipient": "+15550100", "content": "Your code is 4711", "metadata": {"campaign": "spring"}}


def body_of(response):
    return json.loads(response["body"])


def test_valid_message_is_stored_queued_and_sent_to_sqs(world, context, make_event):
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 202
    answer = body_of(response)
    assert answer["status"] == "QUEUED" and answer["correlationId"] == "apigw-req-1"
    record = world.record(answer["messageId"])
    assert record["status"] == "QUEUED"
    assert record["recipient"] == VALID["recipient"] and record["content"] == VALID["content"]
    assert record["metadata"] == {"campaign": "spring"}
    assert record["sentAt"] >= record["queuedAt"] >= record["createdAt"]
    assert "awaitingConfirmationSince" not in record  # confirmed: not in the reconciler's index
    [sent] = world.queued_bodies()
    assert record["sqsMessageId"]
    assert sent["body"] == {
        "schemaVersion": 1, "messageId": answer["messageId"], "sendAttemptId": record["sendAttemptId"],
        "correlationId": "apigw-req-1", "recipient": VALID["recipient"], "content": VALID["content"],
        "metadata": {"campaign": "spring"}, "createdAt": record["createdAt"],
    }
    assert sent["messageAttributes"]["correlationId"]["StringValue"] == "apigw-req-1"
    assert sent["attributes"]["MessageGroupId"] == answer["messageId"]
    assert sent["attributes"]["MessageDeduplicationId"] == answer["messageId"]
    assert world.log("message queued")["sqsMessageId"] == record["sqsMessageId"]


def test_message_passes_through_pending_before_queued(world, context, make_event, faults, step):
    handler = world.post()
    seen = []
    # Look at the record at the moment SendMessage is called, and at the moment of the QUEUED update.
    faults(handler.dynamodb, "UpdateItem", [step.before(lambda: seen.extend(world.all_records()), step.ok)])
    faults(handler.sqs, "SendMessage", [step.before(lambda: seen.extend(world.all_records()), step.ok)])

    handler.lambda_handler(make_event(VALID), context)

    assert [r["status"] for r in seen] == ["PENDING", "QUEUED"]


def test_standard_queue_send_carries_no_fifo_parameters(world, context, make_event):
    standard = world.sqs.create_queue(QueueName="message-api-outbound")["QueueUrl"]
    world.monkeypatch.setenv("OUTBOUND_QUEUE_URL", standard)
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 202
    [sent] = world.queued_bodies(standard)
    assert "MessageGroupId" not in sent["attributes"]
    assert sent["body"]["messageId"] == body_of(response)["messageId"]


def test_correlation_id_header_is_used_case_insensitively_everywhere(world, context, make_event):
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID, headers={"x-correlation-id": "client-abc.123"}), context)

    assert response["headers"]["X-Correlation-Id"] == "client-abc.123"
    assert body_of(response)["correlationId"] == "client-abc.123"
    record = world.record(body_of(response)["messageId"])
    assert record["correlationId"] == record["sendCorrelationId"] == "client-abc.123"
    assert world.queued_bodies()[0]["body"]["correlationId"] == "client-abc.123"
    assert {line["correlation_id"] for line in world.log_lines()} == {"client-abc.123"}


def test_correlation_id_falls_back_to_the_api_gateway_request_id(world, context, make_event):
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["headers"]["X-Correlation-Id"] == "apigw-req-1"


def test_correlation_id_falls_back_to_the_lambda_request_id_without_api_gateway_id(world, context, make_event):
    handler = world.post()
    event = make_event(VALID)
    event["requestContext"] = {}

    response = handler.lambda_handler(event, context)

    assert body_of(response)["correlationId"] == "lambda-req-0001"


def test_unsafe_correlation_id_header_is_replaced_and_warned_without_echoing_it(world, context, make_event):
    handler = world.post()
    hostile = 'x"\n{"level":"CRITICAL"}'

    response = handler.lambda_handler(make_event(VALID, headers={"X-Correlation-Id": hostile}), context)

    assert response["statusCode"] == 202
    assert body_of(response)["correlationId"] == "apigw-req-1"
    warning = world.log("X-Correlation-Id header ignored: not a safe token; using a generated id")
    assert warning["level"] == "WARNING" and warning["correlation_id"] == "apigw-req-1"
    assert hostile not in world.logs.getvalue()


def test_base64_encoded_body_is_accepted(world, context, make_event):
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID, base64_body=True), context)

    assert response["statusCode"] == 202


def test_multi_value_headers_are_read_when_single_headers_are_absent(world, context, make_event):
    handler = world.post()
    event = make_event(VALID)
    event["headers"] = None
    event["multiValueHeaders"] = {"X-Correlation-Id": ["from-multi"]}

    response = handler.lambda_handler(event, context)

    assert body_of(response)["correlationId"] == "from-multi"


def test_other_http_methods_are_refused_with_405(world, context, make_event):
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID, method="GET"), context)

    assert response["statusCode"] == 405
    assert body_of(response) == {"error": "METHOD_NOT_ALLOWED", "correlationId": "apigw-req-1"}
    assert world.all_records() == []


BAD_REQUESTS = [
    pytest.param({"raw_body": None}, [("body", "a JSON object body is required")], id="missing-body"),
    pytest.param({"raw_body": "{not json"}, [("body", "must be a JSON object")], id="not-json"),
    pytest.param({"raw_body": "[1, 2]"}, [("body", "must be a JSON object")], id="json-array"),
    pytest.param({"raw_body": "%%%", "base64_body": False, "b64": True},
                 [("body", "is not valid base64-encoded UTF-8")], id="bad-base64"),
    pytest.param({"body": {"content": "hi"}},
                 [("recipient", "is required: a non-blank string of at most 256 characters")], id="no-recipient"),
    pytest.param({"body": {"recipient": "x" * 257, "content": "hi"}},
                 [("recipient", "is required: a non-blank string of at most 256 characters")], id="long-recipient"),
    pytest.param({"body": {"recipient": "+1555", "content": "   "}},
                 [("content", "is required: a non-blank string")], id="blank-content"),
    pytest.param({"body": {"recipient": "+1555", "content": 42}},
                 [("content", "is required: a non-blank string")], id="content-not-string"),
    pytest.param({"body": {"recipient": "+1555", "content": "é" * 32769}},
                 [("content", "must be at most 65536 bytes of UTF-8")], id="content-too-large-in-utf8"),
    pytest.param({"body": {"recipient": "+1555", "content": "hi", "priority": "high"}},
                 [("priority", "is not a recognised field")], id="unknown-field"),
    pytest.param({"body": {"recipient": "+1555", "content": "hi", "metadata": ["a"]}},
                 [("metadata", "must be an object of string values")], id="metadata-not-object"),
    pytest.param({"body": {"recipient": "+1555", "content": "hi", "metadata": {"k": 1}}},
                 [("metadata.k", "must be a string of at most 256 characters")], id="metadata-value-not-string"),
    pytest.param({"body": {"recipient": "+1555", "content": "hi", "metadata": {"bad key": "v"}}},
                 [("metadata", "keys must be 1-64 characters of A-Z a-z 0-9 _ . : -")], id="metadata-bad-key"),
    pytest.param({"body": {"recipient": "+1555", "content": "hi", "metadata": {f"k{i}": "v" for i in range(21)}}},
                 [("metadata", "must have at most 20 entries")], id="metadata-too-many"),
    pytest.param({"body": {"recipient": "", "content": ""}},
                 [("recipient", "is required: a non-blank string of at most 256 characters"),
                  ("content", "is required: a non-blank string")], id="every-problem-reported-at-once"),
    pytest.param({"body": VALID, "headers": {"Idempotency-Key": "has spaces"}},
                 [("Idempotency-Key", "must be 1-128 characters of A-Z a-z 0-9 . _ : -")], id="bad-idempotency-key"),
]


def build_event(make_event, parts):
    parts = dict(parts)
    if parts.pop("b64", False):
        event = make_event(raw_body=parts["raw_body"])
        event["isBase64Encoded"] = True
        return event
    event = make_event(parts.get("body"), headers=parts.get("headers"), raw_body=parts.get("raw_body"))
    if "raw_body" in parts and parts["raw_body"] is None:
        event["body"] = None
    return event


@pytest.mark.parametrize(("request_parts", "problems"), BAD_REQUESTS)
def test_invalid_request_is_reported_field_by_field(import_src, make_event, request_parts, problems):
    validation = import_src("message_api.validation")

    with pytest.raises(validation.RequestInvalid) as invalid:
        validation.parse_request(build_event(make_event, request_parts), 65536)

    assert [(d["field"], d["problem"]) for d in invalid.value.problems] == problems


def test_invalid_request_is_rejected_with_400_and_nothing_is_stored_or_sent(world, context, make_event):
    handler = world.post()
    event = make_event({"recipient": "", "content": "", "priority": "high"})

    response = handler.lambda_handler(event, context)

    assert response["statusCode"] == 400
    answer = body_of(response)
    assert answer == {"error": "VALIDATION_ERROR", "correlationId": "apigw-req-1", "details": [
        {"field": "priority", "problem": "is not a recognised field"},
        {"field": "recipient", "problem": "is required: a non-blank string of at most 256 characters"},
        {"field": "content", "problem": "is required: a non-blank string"}]}
    assert world.all_records() == []
    assert world.queued_bodies() == []
    logged = world.log("request rejected: validation failed")
    assert logged["level"] == "INFO" and logged["problems"] == answer["details"]


def test_invalid_idempotency_key_is_rejected_before_anything_is_stored(world, context, make_event):
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID, headers={"Idempotency-Key": "x" * 129}), context)

    assert response["statusCode"] == 400
    assert body_of(response)["details"][0]["field"] == "Idempotency-Key"
    assert world.all_records() == []


def test_validation_errors_never_echo_the_submitted_values(world, context, make_event):
    handler = world.post()
    event = make_event({"recipient": "+15559999", "content": "secret-text", "metadata": {"k": 7},
                        "extra-field": "secret-extra"})

    response = handler.lambda_handler(event, context)

    assert response["statusCode"] == 400
    for secret in ("+15559999", "secret-text", "secret-extra"):
        assert secret not in response["body"] and secret not in world.logs.getvalue()


def test_non_string_body_is_rejected(import_src, make_event):
    validation = import_src("message_api.validation")
    event = make_event(VALID)
    event["body"] = {"recipient": "+1"}

    with pytest.raises(validation.RequestInvalid) as invalid:
        validation.parse_request(event, 65536)

    assert invalid.value.problems == [{"field": "body", "problem": "must be a JSON object"}]
