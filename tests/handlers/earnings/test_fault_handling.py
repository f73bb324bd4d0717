"""Each error category under injected faults: retries and their bounds, DLQ, security alerts, giving up."""
from __future__ import annotations

import io
import json

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

DDB_URL = "https://dynamodb.us-east-1.amazonaws.com/"


def throttle(client_error, operation="GetItem"):
    return client_error("ProvisionedThroughputExceededException", operation)


def retry_lines(run):
    return [(line["error_category"], line["retry"], line["delay_ms"], line["remaining_ms"])
            for line in run.logs if line["message"] == "Retrying after backoff"]


# --- DynamoDB throttling: exponential backoff with jitter, 1-30 s, within the deadline ------------------

def test_throttled_read_is_retried_with_backoff_and_then_succeeds(aws, invoke, make_event, fail, client_error,
                                                                   max_jitter):
    aws.put_record()
    calls = fail("get_item", throttle(client_error), throttle(client_error))

    run = invoke(make_event())

    assert run.response["status"] == "PROCESSED"
    assert len(calls) == 3
    assert run.sleeps == [2.0, 4.0]
    assert retry_lines(run) == [("dynamodb_throttling", 1, 2000, 30000), ("dynamodb_throttling", 2, 4000, 28000)]
    finished = run.log("Invocation finished")
    assert (finished["attempts"], finished["retries"], finished["backoff_ms"]) == (3, 2, 6000)
    assert (run.metric("RetryAttempts"), run.metric("RetriedEvents")) == (2, 1)
    assert run.metric("DynamoDBThrottlingErrors") is None
    assert len(aws.audit()) == 1


def test_throttled_transaction_is_retried_and_writes_a_single_audit_entry(aws, invoke, make_event, fail,
                                                                           client_error, min_jitter):
    aws.put_record()
    cancelled = client_error("TransactionCanceledException", "TransactWriteItems",
                             CancellationReasons=[{"Code": "ThrottlingError"}, {"Code": "None"}])
    calls = fail("transact_write_items", cancelled)

    run = invoke(make_event())

    assert run.response["status"] == "PROCESSED"
    assert len(calls) == 2
    assert run.sleeps == [1.0]
    assert run.log("DynamoDB call failed")["aws_error_code"] == "TransactionCanceled:ThrottlingError"
    assert len(aws.audit()) == 1


def test_persistent_throttling_stops_while_time_remains_to_fail_cleanly(aws, invoke, make_event, fail,
                                                                        client_error, max_jitter, handler):
    aws.put_record()
    calls = fail("get_item", *[throttle(client_error) for _ in range(20)])

    run = invoke(make_event(), timeout_ms=30_000)

    # worst-case waits 2 + 4 + 8 s; the next (16 s) would leave 0 s < the 7 s reserve, so it stops
    assert run.sleeps == [2.0, 4.0, 8.0]
    assert len(calls) == 4
    assert isinstance(run.error, handler.app.RetriesExhaustedError)
    assert str(run.error) == ("dynamodb_throttling failure ProvisionedThroughputExceededException after 4 attempts "
                              "(deadline); correlation_id=corr-earn-001")
    give_up = run.log("Giving up: retry budget exhausted")
    assert (give_up["level"], give_up["reason"], give_up["attempts"], give_up["remaining_ms"]) == (
        "ERROR", "deadline", 4, 16000)
    assert run.metric("DynamoDBThrottlingErrors") == 1
    assert run.log("Invocation finished")["outcome"] == "RETRIES_EXHAUSTED"
    assert aws.record()["status"] == {"S": "PENDING"}
    assert aws.dlq() == [], "a transient failure is left to Lambda's async retries, not dead-lettered"


def test_persistent_throttling_with_short_waits_stops_at_the_attempt_limit(aws, invoke, make_event, fail,
                                                                           client_error, min_jitter, handler):
    aws.put_record()
    calls = fail("get_item", *[throttle(client_error) for _ in range(20)])

    run = invoke(make_event())

    assert len(calls) == 8
    assert run.sleeps == [1.0] * 7
    assert run.log("Giving up: retry budget exhausted")["reason"] == "attempt limit"
    assert isinstance(run.error, handler.app.RetriesExhaustedError)


@pytest.mark.parametrize(("timeout_ms", "expected_sleeps"), [(9_000, [2.0]), (8_999, [])])
def test_retry_budget_edge_never_runs_past_the_remaining_time(aws, invoke, make_event, fail, client_error,
                                                              max_jitter, timeout_ms, expected_sleeps):
    aws.put_record()
    fail("get_item", *[throttle(client_error) for _ in range(5)])

    run = invoke(make_event(), timeout_ms=timeout_ms)

    assert run.sleeps == expected_sleeps
    assert run.log("Giving up: retry budget exhausted")["reason"] == "deadline"
    assert run.log("Giving up: retry budget exhausted")["remaining_ms"] >= 7000


# --- network: up to 3 attempts --------------------------------------------------------------------------

def test_network_timeouts_are_tried_three_times_then_left_to_lambda(aws, invoke, make_event, fail, max_jitter,
                                                                    handler):
    aws.put_record()
    calls = fail("get_item", *[ReadTimeoutError(endpoint_url=DDB_URL) for _ in range(5)])

    run = invoke(make_event())

    assert len(calls) == 3
    assert run.sleeps == [2.0, 4.0]
    assert [line["error_category"] for line in run.logs if line["message"] == "DynamoDB call failed"] == [
        "network"] * 3
    assert run.log("Giving up: retry budget exhausted")["reason"] == "attempt limit"
    assert str(run.error) == ("network failure ReadTimeoutError after 3 attempts (attempt limit); "
                              "correlation_id=corr-earn-001")
    assert run.metric("NetworkErrors") == 1


def test_connection_error_on_the_write_is_retried_and_succeeds_on_the_third_attempt(aws, invoke, make_event,
                                                                                    fail, min_jitter):
    aws.put_record()
    calls = fail("transact_write_items", EndpointConnectionError(endpoint_url=DDB_URL),
                 EndpointConnectionError(endpoint_url=DDB_URL))

    run = invoke(make_event())

    assert len(calls) == 3
    assert run.response["status"] == "PROCESSED"
    assert run.sleeps == [1.0, 1.0]


def test_server_errors_are_retried_like_network_errors(aws, invoke, make_event, fail, client_error, min_jitter,
                                                       handler):
    aws.put_record()
    calls = fail("get_item", *[client_error("InternalServerError", "GetItem", 500) for _ in range(3)])

    run = invoke(make_event())

    assert len(calls) == 3
    assert str(run.error) == ("dynamodb_other failure InternalServerError after 3 attempts (attempt limit); "
                              "correlation_id=corr-earn-001")
    assert run.metric("DynamoDBOtherErrors") == 1


def test_throttles_and_timeouts_count_against_separate_limits(aws, invoke, make_event, fail, client_error,
                                                             min_jitter):
    aws.put_record()
    timeout = ReadTimeoutError(endpoint_url=DDB_URL)
    calls = fail("get_item", throttle(client_error), timeout, throttle(client_error), timeout)

    run = invoke(make_event())

    assert len(calls) == 5
    assert run.response["status"] == "PROCESSED"


def test_botocore_itself_does_not_retry_so_each_handler_attempt_is_one_request(aws, invoke, make_event,
                                                                               handler, min_jitter):
    """A throttle arriving on the wire is parsed by botocore and reaches the handler after one request."""
    aws.put_record()
    hits = []

    class _Raw(io.BytesIO):
        def stream(self, **_):
            yield self.getvalue()

    def throttle_twice(request, **_):
        hits.append(request.url)
        if len(hits) <= 2:
            body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                               "message": "Rate exceeded"}).encode()
            return AWSResponse(request.url, 400, {"x-amzn-RequestId": "fault"}, _Raw(body))
        return None

    events = handler.store.dynamodb.meta.events
    events.register_first("before-send.dynamodb.GetItem", throttle_twice)
    try:
        run = invoke(make_event())
    finally:
        events.unregister("before-send.dynamodb.GetItem", throttle_twice)

    assert len(hits) == 3
    assert run.sleeps == [1.0, 1.0]
    assert [line["aws_error_code"] for line in run.logs if line["message"] == "DynamoDB call failed"] == [
        "ThrottlingException", "ThrottlingException"]
    assert run.response["status"] == "PROCESSED"


# --- access denied: security error, alert metric, no retry ----------------------------------------------

@pytest.mark.parametrize("method, operation", [("get_item", "GetItem"),
                                               ("transact_write_items", "TransactWriteItems")])
def test_access_denied_logs_a_security_error_emits_an_alert_and_does_not_retry(aws, invoke, make_event, fail,
                                                                               client_error, method, operation):
    aws.put_record()
    calls = fail(method, client_error("AccessDeniedException", operation), client_error("AccessDeniedException",
                                                                                         operation))

    run = invoke(make_event())

    assert len(calls) == 1
    assert run.sleeps == []
    assert run.error is None
    assert run.response == {"status": "REJECTED", "errorCategory": "access_denied",
                            "errorCode": "AccessDeniedException", "correlationId": "corr-earn-001"}
    security = run.log("SECURITY: DynamoDB access denied; not retrying")
    assert (security["level"], security["security_event"], security["operation"], security["aws_error_code"]) == (
        "ERROR", True, operation, "AccessDeniedException")
    assert (run.metric("SecurityAlerts"), run.metric("AccessDeniedErrors")) == (1, 1)
    [message] = aws.dlq()
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {"ErrorCategory": "access_denied", "ErrorCode": "AccessDeniedException",
                          "ErrorMessage": f"{operation} access denied", "CorrelationId": "corr-earn-001",
                          "RequestId": "req-0001"}
    assert aws.record()["status"] == {"S": "PENDING"}


def test_permanent_dynamodb_error_is_dead_lettered_without_retry(aws, invoke, make_event, fail, client_error):
    aws.put_record()
    calls = fail("transact_write_items", client_error("ValidationException", "TransactWriteItems"))

    run = invoke(make_event())

    assert len(calls) == 1
    assert run.response["errorCategory"] == "dynamodb_other"
    line = run.log("DynamoDB call failed permanently; not retrying")
    assert (line["aws_error_code"], line["operation"]) == ("ValidationException", "TransactWriteItems")
    assert run.metric("DynamoDBOtherErrors") == 1
    assert len(aws.dlq()) == 1


# --- invalid events: detailed validation log and a DLQ message --------------------------------------------

def test_invalid_event_is_logged_in_detail_and_sent_to_the_dlq_without_touching_dynamodb(
        aws, invoke, make_event, fail):
    reads = fail("get_item")
    event = make_event(processedAt="not a time")
    del event["detail"]["processedBy"]

    run = invoke(event)

    assert reads == []
    assert run.error is None
    assert run.response == {"status": "REJECTED", "errorCategory": "validation", "errorCode": "INVALID_EVENT",
                            "correlationId": "corr-earn-001"}
    line = run.log("Event validation failed")
    assert line["level"] == "ERROR"
    assert line["event_id"] == "evt-earn-001"
    assert line["validation_errors"] == [
        {"field": "detail.processedBy", "problem": "is required"},
        {"field": "detail.processedAt", "problem": "must be an ISO-8601 timestamp with a UTC offset"},
    ]
    [message] = aws.dlq()
    assert json.loads(message["Body"]) == event
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes == {
        "ErrorCategory": "validation",
        "ErrorCode": "INVALID_EVENT",
        "ErrorMessage": "detail.processedBy: is required; "
                        "detail.processedAt: must be an ISO-8601 timestamp with a UTC offset",
        "CorrelationId": "corr-earn-001",
        "RequestId": "req-0001",
    }
    sent = run.log("Event sent to DLQ")
    assert (sent["level"], sent["error_code"], sent["dlq_message_id"]) == ("WARNING", "INVALID_EVENT",
                                                                          message["MessageId"])
    assert (run.metric("ValidationErrors"), run.metric("DLQMessagesSent")) == (1, 1)


def test_event_that_is_not_an_object_is_dead_lettered_under_the_request_id(aws, invoke):
    run = invoke("garbage")

    assert run.response["correlationId"] == "req-0001"
    [message] = aws.dlq()
    assert json.loads(message["Body"]) == "garbage"


def test_long_validation_reason_is_cut_to_1_kib_in_the_dlq_attribute(aws, invoke, handler, monkeypatch):
    monkeypatch.setattr(handler.app, "EVENT_SOURCE", "x" * 2000)

    invoke({"id": "evt-1", "source": "other", "detail-type": "EarningsProcessingCompleted", "detail": {}})

    [message] = aws.dlq()
    assert len(message["MessageAttributes"]["ErrorMessage"]["StringValue"]) == 1024


@pytest.mark.parametrize(
    "exc_factory, code",
    [
        (lambda client_error: client_error("AccessDenied", "SendMessage", 403), "AccessDenied"),
        (lambda client_error: EndpointConnectionError(endpoint_url="https://sqs.us-east-1.amazonaws.com/"),
         "EndpointConnectionError"),
    ],
)
def test_event_that_cannot_be_dead_lettered_is_raised_so_it_is_not_lost(aws, invoke, handler, fail, client_error,
                                                                       exc_factory, code):
    fail("send_message", exc_factory(client_error), client=handler.app.sqs)

    run = invoke({"id": "evt-1", "detail": {}})

    assert isinstance(run.error, handler.app.DeadLetterError)
    assert str(run.error) == (f"could not dead-letter event ({code}) after validation failure INVALID_EVENT; "
                              "correlation_id=evt-1")
    line = run.log("Failed to send event to DLQ")
    assert (line["level"], line["dlq_error_code"]) == ("ERROR", code)
    assert run.metric("DLQSendFailures") == 1
    assert run.log("Invocation finished")["outcome"] == "DLQ_SEND_FAILED"
