"""SendMessage failures: botocore retries the retryable ones, the handler rolls QUEUED back to PENDING
with a conditional update, and the caller gets SYSTEM_ERROR with the correlation id only."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

VALID = {"recipient": "+15550100", "content": "Your code is 4711", "metadata": {"campaign": "spring", "tier": "gold"}}
HEADERS = {"X-Correlation-Id": "corr-send-1"}

RETRYABLE = [
    pytest.param(("error", 500, "InternalError", None), "InternalError", "server_error", id="500-internal-error"),
    pytest.param(("error", 503, "ServiceUnavailable", None), "ServiceUnavailable", "server_error", id="503"),
    pytest.param(("error", 400, "com.amazonaws.sqs#RequestThrottled", "RequestThrottled"), "RequestThrottled",
                 "throttling", id="sqs-request-throttled"),
    pytest.param(("error", 400, "ThrottlingException", None), "ThrottlingException", "throttling", id="throttling"),
    pytest.param(("raise", EndpointConnectionError), "EndpointConnectionError", "network", id="connection-refused"),
    pytest.param(("raise", ConnectTimeoutError), "ConnectTimeoutError", "network", id="connect-timeout"),
    pytest.param(("raise", ReadTimeoutError), "ReadTimeoutError", "network", id="read-timeout"),
]

PERMANENT = [
    pytest.param(403, "com.amazonaws.sqs#AccessDeniedException", "AccessDenied", "AccessDenied", "access_denied",
                 id="access-denied"),
    pytest.param(400, "com.amazonaws.sqs#QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
                 "AWS.SimpleQueueService.NonExistentQueue", "missing_resource", id="missing-queue"),
    pytest.param(400, "com.amazonaws.sqs#InvalidParameterValue", "InvalidParameterValue", "InvalidParameterValue",
                 "invalid_request", id="invalid-parameter-or-too-large"),
    pytest.param(400, "com.amazonaws.sqs#KmsAccessDenied", "KmsAccessDenied", "KmsAccessDenied", "access_denied",
                 id="kms-access-denied"),
]


def body_of(response):
    return json.loads(response["body"])


def as_step(step, spec):
    if spec[0] == "raise":
        return step.raise_(spec[1])
    _, status, code, query_code = spec
    return step.error(status, code, query_code)


def pending_record(world):
    [record] = world.all_records()
    return record


@pytest.mark.parametrize(("fault", "code", "category"), RETRYABLE)
def test_retryable_send_error_is_retried_by_botocore_then_rolled_back_with_503(
        world, context, make_event, faults, step, fault, code, category):
    handler = world.post()
    script = faults(handler.sqs, "SendMessage", [as_step(step, fault)] * 3)

    response = handler.lambda_handler(make_event(VALID, headers=HEADERS), context)

    assert script.calls == 3  # total_max_attempts=3: the first attempt and two retries
    assert len(world.sleeps) == 2 and all(0 <= delay <= 20 for delay in world.sleeps)
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "5"
    assert body_of(response) == {"error": "SYSTEM_ERROR", "correlationId": "corr-send-1"}
    record = pending_record(world)
    assert record["status"] == "PENDING" and record["lastRollbackReason"] == code
    assert world.queued_bodies() == []
    failure = world.log("SQS SendMessage failed; rolling message back to PENDING")
    assert failure["level"] == "ERROR" and failure["correlation_id"] == "corr-send-1"
    assert (failure["errorCode"], failure["errorCategory"], failure["retryable"]) == (code, category, True)
    assert failure["messageId"] == record["messageId"] and failure["sendAttemptId"] == record["sendAttemptId"]
    assert world.log("message rolled back from QUEUED to PENDING")["sendErrorCode"] == code


def test_transient_send_error_that_recovers_within_the_retry_budget_succeeds(
        world, context, make_event, faults, step):
    handler = world.post()
    script = faults(handler.sqs, "SendMessage", [step.error(503, "ServiceUnavailable"), step.ok])

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 202
    assert script.calls == 2 and len(world.sleeps) == 1
    assert len(world.queued_bodies()) == 1
    assert pending_record(world)["status"] == "QUEUED"


@pytest.mark.parametrize(("status", "type_", "query_code", "code", "category"), PERMANENT)
def test_permanent_send_error_fails_fast_without_retry_and_rolls_back_with_500(
        world, context, make_event, faults, step, status, type_, query_code, code, category):
    handler = world.post()
    script = faults(handler.sqs, "SendMessage", [step.error(status, type_, query_code)] * 3)

    response = handler.lambda_handler(make_event(VALID, headers=HEADERS), context)

    assert script.calls == 1 and world.sleeps == []
    assert response["statusCode"] == 500 and "Retry-After" not in response["headers"]
    assert body_of(response) == {"error": "SYSTEM_ERROR", "correlationId": "corr-send-1"}
    assert pending_record(world)["status"] == "PENDING"
    failure = world.log("SQS SendMessage failed; rolling message back to PENDING")
    assert (failure["errorCode"], failure["errorCategory"], failure["retryable"]) == (code, category, False)
    assert failure["retryAttempts"] == 0


def test_missing_queue_in_the_backend_is_a_permanent_failure(world, context, make_event):
    world.monkeypatch.setenv("OUTBOUND_QUEUE_URL",
                             "https://sqs.us-east-1.amazonaws.com/123456789012/deleted-queue.fifo")
    handler = world.post()

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 500
    assert pending_record(world)["lastRollbackReason"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert world.log("SQS SendMessage failed; rolling message back to PENDING")["errorCategory"] == "missing_resource"


def test_message_larger_than_the_queue_allows_is_a_permanent_failure(world, context, make_event):
    small = world.sqs.create_queue(QueueName="small", Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    world.monkeypatch.setenv("OUTBOUND_QUEUE_URL", small)
    handler = world.post()

    response = handler.lambda_handler(make_event({"recipient": "+1555", "content": "x" * 2000}), context)

    assert response["statusCode"] == 500
    assert world.sleeps == []
    assert pending_record(world)["lastRollbackReason"] == "InvalidParameterValue"


def test_unexpected_exception_during_send_still_rolls_back(world, context, make_event, monkeypatch):
    handler = world.post()

    def broken(**_kwargs):
        raise RuntimeError("bug in the send path")
    monkeypatch.setattr(handler.sqs, "send_message", broken)

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 500
    record = pending_record(world)
    assert record["status"] == "PENDING" and record["lastRollbackReason"] == "RuntimeError"
    assert world.log("SQS SendMessage failed; rolling message back to PENDING")["errorCategory"] == "unknown"


def test_system_error_response_exposes_no_internal_details(world, context, make_event, faults, step):
    handler = world.post()
    faults(handler.sqs, "SendMessage", [step.error(403, "AccessDeniedException", "AccessDenied",
                                                   message="User arn:aws:iam::123456789012:role/x is not authorized")])

    response = handler.lambda_handler(make_event(VALID, headers=HEADERS), context)

    assert body_of(response) == {"error": "SYSTEM_ERROR", "correlationId": "corr-send-1"}
    for leak in ("AccessDenied", "arn:aws", "sqs", "queue", "outbound", VALID["content"], VALID["recipient"]):
        assert leak.lower() not in response["body"].lower()
        assert all(leak.lower() not in value.lower() for value in response["headers"].values()
                   if value != "application/json")


def test_rollback_changes_only_the_status_and_rollback_bookkeeping(world, context, make_event, faults, step):
    handler = world.post()
    queued = []
    faults(handler.sqs, "SendMessage",
           [step.before(lambda: queued.extend(world.all_records()), step.error(403, "AccessDeniedException",
                                                                              "AccessDenied"))])

    handler.lambda_handler(make_event(VALID, headers=HEADERS), context)

    [before] = queued
    after = pending_record(world)
    assert before["status"] == "QUEUED" and after["status"] == "PENDING"
    changed = {"status", "updatedAt", "lastRollbackAt", "lastRollbackReason", "rollbackCount",
               "awaitingConfirmationSince"}
    assert {k: v for k, v in after.items() if k not in changed} == {k: v for k, v in before.items()
                                                                   if k not in changed}
    assert after["metadata"] == {"campaign": "spring", "tier": "gold"}
    assert after["sendAttemptId"] == before["sendAttemptId"] and after["queuedAt"] == before["queuedAt"]
    assert "awaitingConfirmationSince" in before and "awaitingConfirmationSince" not in after
    assert after["rollbackCount"] == 1 and after["lastRollbackReason"] == "AccessDenied"
    assert after["lastRollbackAt"] == after["updatedAt"] >= before["updatedAt"]


def test_rollback_refuses_to_undo_a_consumer_that_already_took_the_message(
        world, context, make_event, faults, step):
    handler = world.post()
    taken = {}

    def consumer_takes_it():
        [record] = world.all_records()
        world.set_attributes(record["messageId"], status="PROCESSING", processingBy="worker-7")
        taken.update(world.record(record["messageId"]))
    faults(handler.sqs, "SendMessage", [step.before(consumer_takes_it, step.error(500, "InternalError"))] * 3)

    response = handler.lambda_handler(make_event(VALID, headers=HEADERS), context)

    assert response["statusCode"] == 503
    assert pending_record(world) == taken  # not a single attribute written
    refused = world.log("rollback refused: message is no longer in the state this request set")
    assert refused["level"] == "WARNING" and refused["currentStatus"] == "PROCESSING"
    assert refused["correlation_id"] == "corr-send-1"


def test_rollback_refuses_to_undo_another_request_s_queued_state(world, context, make_event, faults, step):
    handler = world.post()

    def another_request_requeues():
        [record] = world.all_records()
        world.set_attributes(record["messageId"], sendAttemptId="attempt-of-another-request")
    faults(handler.sqs, "SendMessage",
           [step.before(another_request_requeues, step.error(403, "AccessDeniedException", "AccessDenied"))])

    handler.lambda_handler(make_event(VALID), context)

    record = pending_record(world)
    assert record["status"] == "QUEUED" and record["sendAttemptId"] == "attempt-of-another-request"
    assert "rollbackCount" not in record
    assert world.log("rollback refused: message is no longer in the state this request set")["currentStatus"] \
        == "QUEUED"


def test_rollback_refuses_after_a_confirmed_send(world, context, make_event, faults, step):
    handler = world.post()

    def confirmed_meanwhile():
        [record] = world.all_records()
        world.set_attributes(record["messageId"], sentAt="2030-01-01T00:00:00.000Z")
    faults(handler.sqs, "SendMessage",
           [step.before(confirmed_meanwhile, step.error(403, "AccessDeniedException", "AccessDenied"))])

    handler.lambda_handler(make_event(VALID), context)

    assert pending_record(world)["status"] == "QUEUED"


def test_rollback_of_a_deleted_record_is_refused_without_recreating_it(world, context, make_event, faults, step):
    handler = world.post()

    def deleted_meanwhile():
        [record] = world.all_records()
        world.ddb.delete_item(TableName="message-api-messages", Key={"messageId": {"S": record["messageId"]}})
    faults(handler.sqs, "SendMessage",
           [step.before(deleted_meanwhile, step.error(403, "AccessDeniedException", "AccessDenied"))])

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 500
    assert world.all_records() == []
    assert world.log("rollback refused: message is no longer in the state this request set")["currentStatus"] == "MISSING"


def test_failed_rollback_is_logged_critical_with_the_correlation_id(
        world, context, make_event, faults, step, capsys):
    handler = world.post()
    at_send = []
    faults(handler.sqs, "SendMessage", [step.before(lambda: at_send.extend(world.all_records()),
                                                    step.error(403, "AccessDeniedException", "AccessDenied"))])
    # UpdateItem #1 is PENDING -> QUEUED; #2..#4 are the rollback and botocore's two retries.
    updates = faults(handler.dynamodb, "UpdateItem", [step.ok] + [step.error(500, "InternalServerError")] * 3)

    response = handler.lambda_handler(make_event(VALID, headers=HEADERS), context)

    assert updates.calls == 4
    assert body_of(response) == {"error": "SYSTEM_ERROR", "correlationId": "corr-send-1"}
    critical = world.log(
        "rollback to PENDING failed; message left QUEUED until the reconciler returns it to PENDING")
    assert critical["level"] == "CRITICAL" and critical["correlation_id"] == "corr-send-1"
    record = pending_record(world)
    assert critical["messageId"] == record["messageId"] and critical["sendAttemptId"] == record["sendAttemptId"]
    assert critical["sendErrorCode"] == "AccessDenied" and critical["errorCode"] == "InternalServerError"
    assert record == at_send[0]  # atomic: the failed rollback left no partial change behind
    assert record["status"] == "QUEUED" and "awaitingConfirmationSince" in record  # visible to the reconciler
    assert world.emf(capsys)["RollbackFailed"] == 1


def test_store_failure_answers_system_error_and_sends_nothing(world, context, make_event, faults, step):
    handler = world.post()
    puts = faults(handler.dynamodb, "PutItem", [step.error(400, "ProvisionedThroughputExceededException")] * 3)

    response = handler.lambda_handler(make_event(VALID), context)

    assert puts.calls == 3 and response["statusCode"] == 503
    assert world.all_records() == [] and world.queued_bodies() == []
    logged = world.log("failed to store message as PENDING; nothing was queued")
    assert logged["errorCategory"] == "throttling"


def test_store_access_denied_is_not_retried(world, context, make_event, faults, step):
    handler = world.post()
    puts = faults(handler.dynamodb, "PutItem", [step.error(400, "AccessDeniedException")] * 3)

    response = handler.lambda_handler(make_event(VALID), context)

    assert puts.calls == 1 and response["statusCode"] == 500
    assert world.log("failed to store message as PENDING; nothing was queued")["errorCategory"] == "access_denied"


def test_queued_transition_failure_leaves_the_message_pending_and_unsent(world, context, make_event, faults, step):
    handler = world.post()
    faults(handler.dynamodb, "UpdateItem", [step.error(400, "AccessDeniedException")])

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 500
    record = pending_record(world)
    assert record["status"] == "PENDING" and "sendAttemptId" not in record
    assert world.queued_bodies() == []
    assert world.log("failed to move message to QUEUED; it stays PENDING and was not sent")["errorCode"] \
        == "AccessDeniedException"


def test_lost_confirmation_write_still_answers_202_and_leaves_the_record_for_the_reconciler(
        world, context, make_event, faults, step, capsys):
    handler = world.post()
    faults(handler.dynamodb, "UpdateItem", [step.ok] + [step.error(500, "InternalServerError")] * 3)

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 202
    assert len(world.queued_bodies()) == 1
    record = pending_record(world)
    assert record["status"] == "QUEUED" and "sentAt" not in record and "awaitingConfirmationSince" in record
    warning = world.log("send confirmation not recorded; message is in SQS and stays QUEUED")
    assert warning["level"] == "WARNING" and warning["sqsMessageId"]
    assert world.emf(capsys)["SendConfirmationFailed"] == 1


def test_confirmation_is_skipped_when_a_consumer_was_faster(world, context, make_event, faults, step):
    handler = world.post()

    def send_then_consumer_takes_it(request, forward):
        answer = forward()
        [record] = world.all_records()
        world.set_attributes(record["messageId"], status="PROCESSING")
        return answer
    faults(handler.sqs, "SendMessage", [send_then_consumer_takes_it])

    response = handler.lambda_handler(make_event(VALID), context)

    assert response["statusCode"] == 202
    record = pending_record(world)
    assert record["status"] == "PROCESSING" and "sentAt" not in record
    assert world.log("send confirmation skipped: message already moved past QUEUED")["level"] == "INFO"


def test_sqs_retry_budget_follows_the_environment(world, context, make_event, faults, step):
    world.monkeypatch.setenv("SQS_MAX_ATTEMPTS", "5")
    handler = world.post()
    script = faults(handler.sqs, "SendMessage", [step.error(500, "InternalError")] * 5)

    response = handler.lambda_handler(make_event(VALID), context)

    assert script.calls == 5 and len(world.sleeps) == 4 and response["statusCode"] == 503


def test_send_failure_metrics_count_the_error_class(world, context, make_event, faults, step, capsys):
    handler = world.post()
    faults(handler.sqs, "SendMessage", [step.error(403, "AccessDeniedException", "AccessDenied")])
    handler.lambda_handler(make_event(VALID), context)
    faults(handler.sqs, "SendMessage", [step.error(500, "InternalError")] * 3)
    handler.lambda_handler(make_event(VALID), context)

    totals = world.emf(capsys)

    assert totals["SendFailed"] == 2
    assert totals["SendFailedPermanent"] == 1 and totals["SendFailedRetryable"] == 1
    assert totals["RollbackSucceeded"] == 2
