"""stalled_reset: locks older than the threshold become processing_timeout; younger ones are never touched."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def lock(put_conversation):
    def put(conversation_id, age, **overrides):
        values = {"conversation_id": conversation_id, "conversation_status": "processing_reply",
                      "current_batch_id": f"batch-{conversation_id}", "processing_started_at": _iso(NOW - age)}
        values.update(overrides)
        return put_conversation(**values)

    return put


def _item(aws, conversation_id):
    return aws.table.get_item(Key={"conversation_id": conversation_id}, ConsistentRead=True)["Item"]


def _run(stalled, lambda_context):
    with freeze_time(NOW):
        return stalled.lambda_handler({"source": "aws.events", "detail-type": "Scheduled Event"}, lambda_context)


def test_lock_older_than_threshold_is_reset_with_warning_and_metric(stalled, aws, lock, lambda_context, logs, emf):
    lock("old", timedelta(minutes=7))
    result = _run(stalled, lambda_context)

    assert result == {"reset": 1, "skipped": 0}
    item = _item(aws, "old")
    assert item["conversation_status"] == "processing_timeout"
    assert item["lock_timeout_at"] == _iso(NOW)
    assert item["timed_out_batch_id"] == "batch-old"
    assert "current_batch_id" not in item and "processing_started_at" not in item
    warning = logs.one("Stalled conversation lock reset to processing_timeout")
    assert warning["level"] == "WARNING"
    assert warning["conversation_id"] == "old" and warning["batch_id"] == "batch-old"
    assert warning["lock_age_seconds"] == 420.0 and warning["threshold_seconds"] == 300
    assert emf()["LockTimeout"] == [1.0]


@pytest.mark.parametrize(
    "age, reset",
    [(timedelta(seconds=299), False), (timedelta(seconds=300), False),
     (timedelta(seconds=300, microseconds=1), True), (timedelta(seconds=301), True)],
)
def test_threshold_edges(stalled, aws, lock, lambda_context, age, reset):
    lock("edge", age)
    _run(stalled, lambda_context)
    status = _item(aws, "edge")["conversation_status"]
    assert status == ("processing_timeout" if reset else "processing_reply")


def test_young_locks_are_untouched_while_old_ones_are_reset(stalled, aws, lock, lambda_context, emf):
    lock("young", timedelta(minutes=1))
    lock("old-1", timedelta(minutes=6))
    lock("old-2", timedelta(hours=3))
    assert _run(stalled, lambda_context)["reset"] == 2

    assert _item(aws, "young")["conversation_status"] == "processing_reply"
    assert _item(aws, "young")["current_batch_id"] == "batch-young"
    assert _item(aws, "old-1")["conversation_status"] == "processing_timeout"
    assert _item(aws, "old-2")["conversation_status"] == "processing_timeout"
    assert emf()["LockTimeout"] == [2.0]


def test_threshold_is_configurable(stalled, aws, lock, lambda_context, monkeypatch):
    monkeypatch.setenv("LOCK_TIMEOUT_SECONDS", "600")
    lock("seven-minutes", timedelta(minutes=7))
    lock("eleven-minutes", timedelta(minutes=11))
    _run(stalled, lambda_context)
    assert _item(aws, "seven-minutes")["conversation_status"] == "processing_reply"
    assert _item(aws, "eleven-minutes")["conversation_status"] == "processing_timeout"


def test_unlocked_conversations_are_never_reset(stalled, aws, lock, lambda_context):
    lock("sent", timedelta(hours=1), conversation_status="ai_response_sent")
    lock("error", timedelta(hours=1), conversation_status="processing_error")
    assert _run(stalled, lambda_context) == {"reset": 0, "skipped": 0}
    assert _item(aws, "sent")["conversation_status"] == "ai_response_sent"
    assert _item(aws, "error")["conversation_status"] == "processing_error"


def test_no_stalled_locks_still_emits_a_zero_metric(stalled, aws, lambda_context, emf, logs):
    assert _run(stalled, lambda_context) == {"reset": 0, "skipped": 0}
    assert emf()["LockTimeout"] == [0.0]
    assert logs.one("Stalled lock check completed")["reset"] == 0


def test_all_pages_of_the_status_index_are_processed(stalled, aws, lock, lambda_context, record_calls):
    for index in range(5):
        lock(f"old-{index}", timedelta(minutes=10 + index))
    client = stalled.dynamodb.meta.client
    queries = record_calls(client, "Query")

    def two_per_page(params, **_):
        params["Limit"] = 2

    client.meta.events.register("before-parameter-build.dynamodb.Query", two_per_page, unique_id="p2")
    try:
        assert _run(stalled, lambda_context)["reset"] == 5
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.Query", unique_id="p2")
    assert len(queries) >= 3


def test_lock_reacquired_after_the_index_read_is_not_reset(stalled, aws, lock, lambda_context, logs):
    lock("busy", timedelta(minutes=9))
    client = stalled.dynamodb.meta.client

    def reacquire(params, **_):
        aws.table.update_item(Key={"conversation_id": "busy"},
                              UpdateExpression="SET processing_started_at = :now, current_batch_id = :b",
                              ExpressionAttributeValues={":now": _iso(NOW), ":b": "fresh-batch"})

    client.meta.events.register_first("before-parameter-build.dynamodb.UpdateItem", reacquire, unique_id="r")
    try:
        assert _run(stalled, lambda_context) == {"reset": 0, "skipped": 1}
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.UpdateItem", unique_id="r")
    item = _item(aws, "busy")
    assert item["conversation_status"] == "processing_reply" and item["current_batch_id"] == "fresh-batch"
    assert logs.one("Lock changed since it was read; not reset")["conversation_id"] == "busy"


def test_aws_error_on_one_reset_does_not_stop_the_others_and_fails_the_run(
    stalled, aws, h, lock, lambda_context, fail_call, logs
):
    lock("a", timedelta(minutes=8))
    lock("b", timedelta(minutes=9))
    fail_call(stalled.dynamodb.meta.client, "UpdateItem", h.client_error("ThrottlingException", 400, "UpdateItem"),
              when=lambda params: params["Key"]["conversation_id"] == "a")
    with pytest.raises(stalled.StalledResetIncomplete, match="1 stalled lock"):
        _run(stalled, lambda_context)

    assert _item(aws, "a")["conversation_status"] == "processing_reply"
    assert _item(aws, "b")["conversation_status"] == "processing_timeout"
    assert logs.one("Could not reset stalled lock")["aws_error"] == "ThrottlingException"


def test_unparseable_start_time_that_sorts_before_the_cutoff_is_reset(stalled, aws, put_conversation,
                                                                      lambda_context, logs):
    put_conversation(conversation_id="odd", conversation_status="processing_reply", current_batch_id="b",
                     processing_started_at="2020-bad-timestamp")
    assert _run(stalled, lambda_context)["reset"] == 1
    assert "lock_age_seconds" not in logs.one("Stalled conversation lock reset to processing_timeout")


def test_defensive_age_check_skips_young_locks_returned_by_the_index(stalled, aws, lock, lambda_context,
                                                                     monkeypatch):
    lock("young", timedelta(seconds=10))
    monkeypatch.setattr(stalled, "_locked_before", lambda cutoff: iter([_item(aws, "young")]))
    assert _run(stalled, lambda_context) == {"reset": 0, "skipped": 1}
    assert _item(aws, "young")["conversation_status"] == "processing_reply"


def test_reset_conversation_can_be_locked_again_by_the_batch_processor(stalled, batch, aws, h, lock, lambda_context):
    lock("conv-1", timedelta(minutes=30))
    _run(stalled, lambda_context)
    record = h.sqs_record({"conversation_id": "conv-1", "message_sid": "SM9", "body": "again",
                           "received_at": _iso(NOW), "channel_type": "sms", "from": h.USER_NUMBER,
                           "to": h.COMPANY_NUMBER}, "m9", aws.queue_arn("sms"))
    with freeze_time(NOW + timedelta(seconds=5)):
        assert batch.lambda_handler({"Records": [record]}, lambda_context) == {"batchItemFailures": []}
    item = _item(aws, "conv-1")
    assert item["conversation_status"] == "processing_reply"
    assert item["messages"][-1]["message_sid"] == "SM9"
