"""Marking a record PROCESSED: the conditional update, the audit trail, and repeat or concurrent deliveries."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ReadTimeoutError


def test_pending_record_is_marked_processed_and_its_other_attributes_are_kept(aws, invoke, make_event):
    aws.put_record(status="PENDING", amount={"N": "120.50"}, currency={"S": "EUR"}, userId={"S": "u-1"})

    run = invoke(make_event())

    assert run.error is None
    assert run.response == {"status": "PROCESSED", "earningsId": "earn-001", "correlationId": "corr-earn-001",
                            "previousStatus": "PENDING"}
    record = aws.record()
    changed_at = record["statusUpdatedAt"]["S"]
    assert record == {
        "earningsId": {"S": "earn-001"},
        "status": {"S": "PROCESSED"},
        "amount": {"N": "120.50"},
        "currency": {"S": "EUR"},
        "userId": {"S": "u-1"},
        "processedAt": {"S": "2026-11-23T09:00:00.000Z"},
        "processedBy": {"S": "payout-batch"},
        "statusUpdatedAt": {"S": changed_at},
        "lastEventId": {"S": "evt-earn-001"},
        "lastCorrelationId": {"S": "corr-earn-001"},
        "version": {"N": "1"},
    }


def test_status_change_writes_one_audit_entry_with_who_what_when_previous_status_and_correlation_id(
        aws, invoke, make_event):
    aws.put_record(status="PROCESSING")

    run = invoke(make_event())

    changed_at = aws.record()["statusUpdatedAt"]["S"]
    assert aws.audit() == [{
        "earningsId": {"S": "earn-001"},
        "auditId": {"S": f"{changed_at}#evt-earn-001"},
        "action": {"S": "MARK_PROCESSED"},
        "previousStatus": {"S": "PROCESSING"},
        "newStatus": {"S": "PROCESSED"},
        "changedAt": {"S": changed_at},
        "requestedBy": {"S": "payout-batch"},
        "changedBy": {"S": "arn:aws:lambda:us-east-1:123456789012:function:test-mark-earnings-processed"},
        "requestId": {"S": "req-0001"},
        "correlationId": {"S": "corr-earn-001"},
        "eventId": {"S": "evt-earn-001"},
        "eventSource": {"S": "com.example.earnings"},
        "detailType": {"S": "EarningsProcessingCompleted"},
    }]
    assert run.log("Earnings record marked PROCESSED")["previous_status"] == "PROCESSING"
    assert run.metric("EventsProcessed") == 1


def test_repeat_delivery_of_the_same_event_is_harmless(aws, invoke, make_event):
    aws.put_record()
    invoke(make_event())
    record_after_first = aws.record()

    run = invoke(make_event())

    assert run.error is None
    assert run.response == {"status": "ALREADY_PROCESSED", "earningsId": "earn-001",
                            "correlationId": "corr-earn-001", "processedByThisEvent": True}
    assert aws.record() == record_after_first
    assert len(aws.audit()) == 1
    assert run.log("Earnings record already processed; nothing to do")["processed_by_this_event"] is True
    assert run.metric("DuplicateEvents") == 1
    assert run.metric("EventsProcessed") is None
    assert aws.dlq() == []


def test_a_second_event_for_an_already_processed_record_changes_nothing(aws, invoke, make_event):
    aws.put_record(status="PROCESSED", lastEventId={"S": "evt-older"})
    event = make_event()
    event["id"] = "evt-newer"

    run = invoke(event)

    assert run.response["status"] == "ALREADY_PROCESSED"
    assert run.response["processedByThisEvent"] is False
    assert aws.record() == {"earningsId": {"S": "earn-001"}, "status": {"S": "PROCESSED"},
                            "lastEventId": {"S": "evt-older"}}
    assert aws.audit() == []


@pytest.mark.parametrize(("status", "shown"), [("CANCELLED", "CANCELLED"), (None, None)])
def test_disallowed_transition_is_rejected_to_the_dlq_without_writing(aws, invoke, make_event, status, shown):
    aws.put_record(status=status)
    before = aws.record()

    run = invoke(make_event())

    assert run.error is None
    assert run.response == {"status": "REJECTED", "errorCategory": "validation", "errorCode": "INVALID_TRANSITION",
                            "correlationId": "corr-earn-001"}
    assert aws.record() == before
    assert aws.audit() == []
    line = run.log("Status transition not allowed")
    assert (line["level"], line["error_category"], line.get("current_status"),
            line["allowed_previous_statuses"]) == ("ERROR", "validation", shown, ["PENDING", "PROCESSING"])
    [message] = aws.dlq()
    assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == "INVALID_TRANSITION"
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == f"status {status} cannot become PROCESSED"


def test_unknown_earnings_record_is_rejected_to_the_dlq(aws, invoke, make_event):
    run = invoke(make_event("earn-missing"))

    assert run.response == {"status": "REJECTED", "errorCategory": "validation", "errorCode": "RECORD_NOT_FOUND",
                            "correlationId": "corr-earn-missing"}
    assert run.log("Earnings record not found")["level"] == "ERROR"
    assert aws.record("earn-missing") is None
    [message] = aws.dlq()
    assert json.loads(message["Body"]) == make_event("earn-missing")
    assert run.metric("ValidationErrors") == 1


def _write_concurrently_before_transaction(handler, monkeypatch, aws, writes):
    """Each TransactWriteItems call is preceded by another writer's change (one per call, in order)."""
    real = handler.store.dynamodb.transact_write_items
    pending = list(writes)
    calls = []

    def racing(**kwargs):
        calls.append(kwargs)
        if pending:
            aws.put_record(**pending.pop(0))
        return real(**kwargs)

    monkeypatch.setattr(handler.store.dynamodb, "transact_write_items", racing)
    return calls


def test_record_processed_concurrently_between_read_and_write_is_not_written_twice(
        handler, monkeypatch, aws, invoke, make_event):
    aws.put_record(status="PENDING")
    calls = _write_concurrently_before_transaction(
        handler, monkeypatch, aws, [{"status": "PROCESSED", "lastEventId": {"S": "evt-other"}}])

    run = invoke(make_event())

    assert len(calls) == 1
    assert run.response["status"] == "ALREADY_PROCESSED"
    assert run.response["processedByThisEvent"] is False
    assert aws.audit() == []
    assert run.log("DynamoDB call failed")["aws_error_code"] == "TransactionCanceled:ConditionalCheckFailed"
    assert run.log("Record changed concurrently; re-reading")["conflicts"] == 1
    assert run.sleeps == []


def test_concurrent_change_to_another_allowed_status_is_reread_and_audited_with_the_real_previous_status(
        handler, monkeypatch, aws, invoke, make_event):
    aws.put_record(status="PENDING")
    calls = _write_concurrently_before_transaction(handler, monkeypatch, aws, [{"status": "PROCESSING"}])

    run = invoke(make_event())

    assert len(calls) == 2
    assert run.response["previousStatus"] == "PROCESSING"
    [entry] = aws.audit()
    assert entry["previousStatus"] == {"S": "PROCESSING"}


def test_record_that_keeps_changing_gives_up_after_three_rounds_for_lambda_to_retry(
        handler, monkeypatch, aws, invoke, make_event):
    aws.put_record(status="PENDING")
    flips = [{"status": status} for status in ("PROCESSING", "PENDING", "PROCESSING")]
    calls = _write_concurrently_before_transaction(handler, monkeypatch, aws, flips)

    run = invoke(make_event())

    assert len(calls) == 3
    assert isinstance(run.error, handler.app.RetriesExhaustedError)
    assert str(run.error) == ("dynamodb_other failure TransactionCanceled:ConditionalCheckFailed after 3 attempts "
                              "(concurrent updates); correlation_id=corr-earn-001")
    assert run.log("Giving up: retry budget exhausted")["reason"] == "concurrent updates"
    assert run.metric("DynamoDBOtherErrors") == 1
    assert aws.audit() == []


def test_lost_response_of_a_committed_write_is_recognised_as_this_events_own_change(
        handler, monkeypatch, aws, invoke, make_event, min_jitter):
    aws.put_record(status="PENDING")
    real = handler.store.dynamodb.transact_write_items
    calls = []

    def commit_then_time_out(**kwargs):
        calls.append(kwargs)
        real(**kwargs)
        if len(calls) == 1:
            raise ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com/")

    monkeypatch.setattr(handler.store.dynamodb, "transact_write_items", commit_then_time_out)

    run = invoke(make_event())

    assert len(calls) == 1
    assert run.response["status"] == "ALREADY_PROCESSED"
    assert run.response["processedByThisEvent"] is True
    assert len(aws.audit()) == 1
    assert run.sleeps == [1.0]
