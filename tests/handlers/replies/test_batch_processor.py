"""batch_processor: grouping, lock, dedup, requeue with RetryAttempt, DLQ, emergency unlock, isolation."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

T0 = "2026-05-01T10:00:00.000000Z"
T1 = "2026-05-01T10:00:03.000000Z"
T2 = "2026-05-01T10:00:07.000000Z"


def _context(h, sid, received_at=T0, conversation_id="conv-1", body=None, channel="whatsapp"):
    return {
        "conversation_id": conversation_id,
        "channel_type": channel,
        "from": f"whatsapp:{h.USER_NUMBER}",
        "to": f"whatsapp:{h.COMPANY_NUMBER}",
        "body": body if body is not None else f"text of {sid}",
        "message_sid": sid,
        "account_sid": h.ACCOUNT_SID,
        "received_at": received_at,
        "project_status": "active",
    }


@pytest.fixture
def record(h, aws):
    def make(sid, received_at=T0, conversation_id="conv-1", retry_attempt=None, queue="whatsapp", **kwargs):
        context = _context(h, sid, received_at, conversation_id, **kwargs)
        return h.sqs_record(context, message_id=f"msg-{sid}", queue_arn=aws.queue_arn(queue),
                            retry_attempt=retry_attempt)

    return make


def _event(*records):
    return {"Records": list(records)}


def _item(aws, conversation_id="conv-1"):
    return aws.table.get_item(Key={"conversation_id": conversation_id}, ConsistentRead=True).get("Item")


def _failures(response):
    return sorted(f["itemIdentifier"] for f in response["batchItemFailures"])


def _queue(aws, h, key):
    return h.receive_all(aws.sqs, aws.urls[key], include_delayed=True)


# ------------------------------------------------------------------ grouping and sorting (pure)


@pytest.fixture
def grouping(mod):
    return mod("batch_processor.grouping")


def test_records_are_grouped_by_conversation_and_sorted_by_original_timestamp(grouping, h):
    records = [
        h.sqs_record(_context(h, "SM3", T2, "conv-a"), "m3"),
        h.sqs_record(_context(h, "SM9", T0, "conv-b"), "m9"),
        h.sqs_record(_context(h, "SM1", T0, "conv-a"), "m1"),
        h.sqs_record(_context(h, "SM2", T1, "conv-a"), "m2"),
    ]
    groups = grouping.group_by_conversation([grouping.parse_record(r) for r in records])

    assert list(groups) == ["conv-a", "conv-b"]
    assert [m.message_sid for m in groups["conv-a"]] == ["SM1", "SM2", "SM3"]
    assert [m.message_id for m in groups["conv-b"]] == ["m9"]


def test_same_timestamp_falls_back_to_sqs_sent_timestamp(grouping, h):
    late = h.sqs_record(_context(h, "SM-late", T0), "late", sent_timestamp=2000)
    early = h.sqs_record(_context(h, "SM-early", T0), "early", sent_timestamp=1000)
    groups = grouping.group_by_conversation([grouping.parse_record(late), grouping.parse_record(early)])
    assert [m.message_sid for m in groups["conv-1"]] == ["SM-early", "SM-late"]


def test_conversation_id_attribute_wins_over_body(grouping, h):
    record = h.sqs_record(_context(h, "SM1"), "m1")
    record["messageAttributes"]["conversation_id"]["stringValue"] = "from-attribute"
    assert grouping.parse_record(record).conversation_id == "from-attribute"


def test_conversation_id_from_body_when_attribute_missing(grouping, h):
    record = h.sqs_record(_context(h, "SM1"), "m1")
    record["messageAttributes"] = {}
    assert grouping.parse_record(record).conversation_id == "conv-1"


def test_retry_attempt_attribute_is_parsed(grouping, h):
    assert grouping.parse_record(h.sqs_record(_context(h, "SM1"), retry_attempt=2)).retry_attempt == 2
    assert grouping.parse_record(h.sqs_record(_context(h, "SM1"))).retry_attempt == 0
    bad = h.sqs_record(_context(h, "SM1"), retry_attempt=1)
    bad["messageAttributes"]["RetryAttempt"]["stringValue"] = "many"
    bad["attributes"]["SentTimestamp"] = "soon"
    parsed = grouping.parse_record(bad)
    assert (parsed.retry_attempt, parsed.sent_timestamp) == (0, 0)


@pytest.mark.parametrize(
    "body",
    ["not json", json.dumps([1, 2]), json.dumps({"message_sid": "SM1"}), json.dumps({"conversation_id": "c"})],
)
def test_unusable_records_are_rejected(grouping, h, body):
    record = h.sqs_record({}, "m1", body=body)
    with pytest.raises(grouping.InvalidBatchMessage):
        grouping.parse_record(record)


# ------------------------------------------------------------------ lock, append, dispatch


def test_batch_locks_conversation_appends_sorted_messages_and_sends_context_to_ai_queue(
    batch, aws, h, record, put_conversation, lambda_context, logs
):
    put_conversation(messages=[{"message_sid": "SM0", "role": "assistant", "content": "Welcome"}])
    with freeze_time("2030-05-01T10:00:30Z"):
        response = batch.lambda_handler(_event(record("SM2", T1), record("SM1", T0)), lambda_context)
        [ai_message] = _queue(aws, h, "ai")

    assert response == {"batchItemFailures": []}
    item = _item(aws)
    assert item["conversation_status"] == "processing_reply"
    assert item["processing_started_at"] == "2030-05-01T10:00:30.000000Z"
    assert item["current_batch_id"] == item["last_batch_id"]
    assert item["last_user_message_at"] == T1
    assert [m["message_sid"] for m in item["messages"]] == ["SM0", "SM1", "SM2"]
    assert item["messages"][1] == {"message_sid": "SM1", "role": "user", "content": "text of SM1",
                                   "channel_type": "whatsapp", "timestamp": T0, "batch_id": item["current_batch_id"]}

    context = json.loads(ai_message["Body"])
    assert ai_message["MessageAttributes"]["conversation_id"]["StringValue"] == "conv-1"
    assert ai_message["MessageAttributes"]["batch_id"]["StringValue"] == item["current_batch_id"]
    assert context["batch_id"] == item["current_batch_id"]
    assert context["reply_to"] == f"whatsapp:{h.USER_NUMBER}"
    assert context["reply_from"] == f"whatsapp:{h.COMPANY_NUMBER}"
    assert [m["message_sid"] for m in context["new_messages"]] == ["SM1", "SM2"]
    assert [m["message_sid"] for m in context["history"]] == ["SM0", "SM1", "SM2"]
    assert context["conversation"]["conversation_status"] == "processing_reply"
    assert "messages" not in context["conversation"]

    started = logs.one("Batch processing started")
    assert started["conversation_id"] == "conv-1" and started["batch_id"] == item["current_batch_id"]
    assert started["message_sids"] == ["SM1", "SM2"]
    assert logs.one("Batch processing completed")["new_message_count"] == 2
    assert "text of SM1" not in logs.text and h.USER_NUMBER not in logs.text


def test_lock_and_append_are_one_update_each_per_conversation(batch, aws, record, put_conversation, lambda_context,
                                                              record_calls, mod):
    put_conversation()
    updates = record_calls(mod("batch_processor.conversation_store").dynamodb.meta.client, "UpdateItem")
    batch.lambda_handler(_event(record("SM1", T0), record("SM2", T1), record("SM3", T2)), lambda_context)

    assert len(updates) == 2
    lock, append = updates
    assert lock["UpdateExpression"].startswith("SET conversation_status = :processing")
    assert "conversation_status <> :processing" in lock["ConditionExpression"]
    assert lock["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    assert "list_append" in append["UpdateExpression"]
    assert append["ConditionExpression"] == ("current_batch_id = :batch_id AND conversation_status = :processing AND "
                                             "(attribute_not_exists(last_batch_id) OR last_batch_id <> :batch_id)")


def test_lock_retry_that_meets_its_own_applied_lock_counts_as_acquired(mod, aws, put_conversation):
    # The first update was applied but its response lost; botocore's retry fails the condition on our own lock.
    store = mod("batch_processor.conversation_store")
    put_conversation(conversation_status="ai_response_sent", messages=[{"message_sid": "SM1"}])
    store.acquire_lock("conv-1", "batch-a", T0)

    previous = store.acquire_lock("conv-1", "batch-a", T1)

    assert previous["conversation_status"] == "ai_response_sent"
    assert previous["messages"] == [{"message_sid": "SM1"}]
    assert "current_batch_id" not in previous and "processing_started_at" not in previous
    with pytest.raises(store.LockNotAcquired) as held:
        store.acquire_lock("conv-1", "batch-b", T1)
    assert held.value.holder_batch_id == "batch-a"


def test_append_retried_after_a_lost_response_is_not_applied_twice(mod, aws, put_conversation):
    store = mod("batch_processor.conversation_store")
    put_conversation(conversation_status="ai_response_sent", messages=[])
    store.acquire_lock("conv-1", "batch-a", T0)
    entries = [{"message_sid": "SM1", "timestamp": T0}]
    store.append_messages("conv-1", "batch-a", entries, T0)

    again = store.append_messages("conv-1", "batch-a", entries, T1)

    assert again["messages"] == entries
    assert _item(aws)["messages"] == entries


def test_append_by_a_batch_that_lost_the_lock_still_fails(mod, aws, put_conversation):
    store = mod("batch_processor.conversation_store")
    put_conversation(conversation_status="ai_response_sent", messages=[])
    store.acquire_lock("conv-1", "batch-a", T0)
    with pytest.raises(Exception, match="ConditionalCheckFailed"):
        store.append_messages("conv-1", "batch-b", [{"message_sid": "SM1", "timestamp": T0}], T0)
    assert _item(aws)["messages"] == []


def test_own_lock_seen_again_restores_a_missing_status(mod, aws, put_conversation):
    store = mod("batch_processor.conversation_store")
    put_conversation(conversation_status=None)
    store.acquire_lock("conv-1", "batch-a", T0)
    assert "conversation_status" not in store.acquire_lock("conv-1", "batch-a", T1)


def test_lock_can_be_taken_from_any_unlocked_status_or_none(batch, aws, record, put_conversation, lambda_context):
    put_conversation(conversation_status=None)
    assert batch.lambda_handler(_event(record("SM1")), lambda_context) == {"batchItemFailures": []}
    assert _item(aws)["conversation_status"] == "processing_reply"


def test_ai_context_history_is_limited(batch, aws, h, record, put_conversation, lambda_context, monkeypatch):
    monkeypatch.setenv("AI_CONTEXT_HISTORY_LIMIT", "2")
    put_conversation(messages=[{"message_sid": f"OLD{i}"} for i in range(5)])
    batch.lambda_handler(_event(record("SM1")), lambda_context)
    context = json.loads(_queue(aws, h, "ai")[0]["Body"])
    assert [m["message_sid"] for m in context["history"]] == ["OLD4", "SM1"]


def test_email_subject_is_kept_on_the_stored_message(batch, aws, h, put_conversation, lambda_context):
    put_conversation()
    context = _context(h, "<m1@example.com>", channel="email")
    context.update({"subject": "Invoice", "from": h.USER_EMAIL, "to": h.COMPANY_EMAIL})
    batch.lambda_handler(_event(h.sqs_record(context, "m1", aws.queue_arn("email"))), lambda_context)
    assert _item(aws)["messages"][0]["subject"] == "Invoice"


# ------------------------------------------------------------------ idempotency


def test_message_sid_already_in_conversation_is_skipped_and_logged(
    batch, aws, h, record, put_conversation, lambda_context, logs, emf
):
    put_conversation(messages=[{"message_sid": "SM1", "role": "user", "content": "earlier"}])
    response = batch.lambda_handler(_event(record("SM1"), record("SM2", T1)), lambda_context)

    assert response == {"batchItemFailures": []}
    assert [m["message_sid"] for m in _item(aws)["messages"]] == ["SM1", "SM2"]
    duplicate = logs.one("DuplicateMessageDetected")
    assert duplicate["message_sid"] == "SM1"
    assert duplicate["conversation_id"] == "conv-1"
    assert [m["message_sid"] for m in json.loads(_queue(aws, h, "ai")[0]["Body"])["new_messages"]] == ["SM2"]
    assert emf()["DuplicateMessageDetected"] == [1.0]


def test_duplicate_within_one_batch_is_appended_once(batch, aws, record, put_conversation, lambda_context, logs):
    put_conversation()
    first, again = record("SM1"), record("SM1")
    again["messageId"] = "msg-SM1-retry"
    batch.lambda_handler(_event(first, again), lambda_context)

    assert [m["message_sid"] for m in _item(aws)["messages"]] == ["SM1"]
    assert len(logs.find("DuplicateMessageDetected")) == 1


def test_batch_of_only_duplicates_releases_the_lock_and_dispatches_nothing(
    batch, aws, h, record, put_conversation, lambda_context, logs
):
    put_conversation(conversation_status="ai_response_sent", messages=[{"message_sid": "SM1"}])
    response = batch.lambda_handler(_event(record("SM1")), lambda_context)

    assert response == {"batchItemFailures": []}
    item = _item(aws)
    assert item["conversation_status"] == "ai_response_sent"
    assert "current_batch_id" not in item and "processing_started_at" not in item
    assert _queue(aws, h, "ai") == []
    assert logs.one("Batch contained only duplicates; lock released")["level"] == "INFO"


def test_duplicates_release_restores_a_missing_status(batch, aws, record, put_conversation, lambda_context):
    put_conversation(conversation_status=None, messages=[{"message_sid": "SM1"}])
    batch.lambda_handler(_event(record("SM1")), lambda_context)
    assert "conversation_status" not in _item(aws)


def test_redelivered_batch_after_success_does_not_dispatch_twice(batch, aws, h, record, put_conversation,
                                                                 lambda_context):
    put_conversation()
    event = _event(record("SM1"), record("SM2", T1))
    batch.lambda_handler(event, lambda_context)
    aws.table.update_item(Key={"conversation_id": "conv-1"},  # the reply sender unlocked it
                          UpdateExpression="SET conversation_status = :s REMOVE current_batch_id",
                          ExpressionAttributeValues={":s": "ai_response_sent"})
    batch.lambda_handler(event, lambda_context)

    assert len(_queue(aws, h, "ai")) == 1
    assert [m["message_sid"] for m in _item(aws)["messages"]] == ["SM1", "SM2"]


# ------------------------------------------------------------------ lock contention, requeue, DLQ


def test_lock_contention_requeues_each_message_with_retry_attempt_and_longer_delay(
    batch, aws, h, record, put_conversation, lambda_context, record_calls, mod, emf, logs
):
    put_conversation(conversation_status="processing_reply", current_batch_id="other-batch")
    sends = record_calls(mod("batch_processor.queues").sqs, "SendMessage")
    response = batch.lambda_handler(_event(record("SM1"), record("SM2", T1)), lambda_context)

    assert response == {"batchItemFailures": []}  # originals are acknowledged: their copies are requeued
    assert [s["QueueUrl"] for s in sends] == [aws.urls["whatsapp"]] * 2
    for send, sid in zip(sends, ["SM1", "SM2"]):
        assert send["DelaySeconds"] == 35  # 15 s batching delay + 20 s
        assert send["MessageAttributes"]["RetryAttempt"] == {"DataType": "Number", "StringValue": "1"}
        assert send["MessageAttributes"]["conversation_id"] == {"DataType": "String", "StringValue": "conv-1"}
        assert json.loads(send["MessageBody"])["message_sid"] == sid
    item = _item(aws)
    assert item["current_batch_id"] == "other-batch" and item["messages"] == []
    assert _queue(aws, h, "ai") == []
    metrics = emf()
    assert metrics["LockContention"] == [1.0]
    assert metrics["MessagesRequeued"] == [1.0, 1.0]
    assert logs.one("Conversation lock held by another batch")["holder_batch_id"] == "other-batch"
    requeued = logs.find("Message requeued after lock contention")
    assert [(r["message_sid"], r["retry_attempt"], r["delay_seconds"]) for r in requeued] == [
        ("SM1", 1, 35), ("SM2", 1, 35)]


def test_requeued_message_reappears_on_the_source_queue_after_its_delay(
    batch, aws, h, record, put_conversation, lambda_context
):
    put_conversation(conversation_status="processing_reply")
    with freeze_time(datetime(2030, 1, 1, tzinfo=UTC)) as clock:
        batch.lambda_handler(_event(record("SM1", queue="sms")), lambda_context)
        clock.tick(timedelta(seconds=34))
        assert h.receive_all(aws.sqs, aws.urls["sms"]) == []
        clock.tick(timedelta(seconds=2))
        [message] = h.receive_all(aws.sqs, aws.urls["sms"])
    assert message["MessageAttributes"]["RetryAttempt"]["StringValue"] == "1"
    assert message["MessageAttributes"]["conversation_id"]["StringValue"] == "conv-1"


@pytest.mark.parametrize("previous_attempt, attempt, delay", [(0, 1, 35), (1, 2, 55), (2, 3, 95)])
def test_requeue_delay_grows_with_each_attempt(batch, aws, record, put_conversation, lambda_context,
                                               record_calls, mod, previous_attempt, attempt, delay):
    put_conversation(conversation_status="processing_reply")
    sends = record_calls(mod("batch_processor.queues").sqs, "SendMessage")
    batch.lambda_handler(_event(record("SM1", retry_attempt=previous_attempt)), lambda_context)
    assert sends[0]["DelaySeconds"] == delay
    assert sends[0]["MessageAttributes"]["RetryAttempt"]["StringValue"] == str(attempt)


def test_requeue_delay_is_capped_at_sqs_maximum(mod, monkeypatch):
    queues = mod("batch_processor.queues")
    monkeypatch.setenv("REQUEUE_DELAY_INCREMENT_SECONDS", "600")
    assert queues.requeue_delay_seconds(1) == 615
    assert queues.requeue_delay_seconds(2) == 900
    assert queues.requeue_delay_seconds(10) == 900


def test_message_goes_to_dlq_after_max_requeue_attempts(
    batch, aws, h, record, put_conversation, lambda_context, logs, emf
):
    put_conversation(conversation_status="processing_reply")
    response = batch.lambda_handler(_event(record("SM1", retry_attempt=3)), lambda_context)

    assert response == {"batchItemFailures": []}
    assert _queue(aws, h, "whatsapp") == []
    [dead] = _queue(aws, h, "batch_dlq")
    assert json.loads(dead["Body"])["message_sid"] == "SM1"
    assert dead["MessageAttributes"]["FailureReason"]["StringValue"] == "LOCK_CONTENTION_MAX_RETRIES"
    assert dead["MessageAttributes"]["RetryAttempt"]["StringValue"] == "3"
    warning = logs.one("Max requeue attempts reached; message sent to DLQ")
    assert warning["level"] == "WARNING" and warning["retry_attempt"] == 3
    assert emf()["MessagesSentToDLQ"] == [1.0]


def test_max_requeue_attempts_is_configurable(batch, aws, h, record, put_conversation, lambda_context, monkeypatch):
    monkeypatch.setenv("MAX_REQUEUE_ATTEMPTS", "2")
    put_conversation(conversation_status="processing_reply")
    batch.lambda_handler(_event(record("SM1", retry_attempt=1), record("SM2", retry_attempt=2)), lambda_context)

    [requeued] = _queue(aws, h, "whatsapp")
    assert json.loads(requeued["Body"])["message_sid"] == "SM1"
    [dead] = _queue(aws, h, "batch_dlq")
    assert json.loads(dead["Body"])["message_sid"] == "SM2"


def test_failed_requeue_reports_only_that_message(batch, aws, h, record, put_conversation, lambda_context,
                                                  fail_call, mod, logs):
    put_conversation(conversation_status="processing_reply")
    fail_call(mod("batch_processor.queues").sqs, "SendMessage", h.client_error("RequestThrottled"),
              when=lambda params: '"SM2"' in params.get("MessageBody", ""))
    response = batch.lambda_handler(_event(record("SM1"), record("SM2", T1)), lambda_context)

    assert _failures(response) == ["msg-SM2"]
    assert [json.loads(m["Body"])["message_sid"] for m in _queue(aws, h, "whatsapp")] == ["SM1"]
    assert logs.one("Could not requeue message; SQS will redeliver it")["error_type"] == "RequestThrottled"


def test_record_without_source_arn_cannot_be_requeued(batch, aws, h, put_conversation, lambda_context):
    put_conversation(conversation_status="processing_reply")
    record = h.sqs_record(_context(h, "SM1"), "msg-SM1", queue_arn="")
    assert _failures(batch.lambda_handler(_event(record), lambda_context)) == ["msg-SM1"]


def test_missing_dlq_configuration_reports_the_message(batch, aws, record, put_conversation, lambda_context,
                                                       monkeypatch):
    monkeypatch.delenv("BATCH_DLQ_URL")
    put_conversation(conversation_status="processing_reply")
    assert _failures(batch.lambda_handler(_event(record("SM1", retry_attempt=3)), lambda_context)) == ["msg-SM1"]


def test_queue_url_lookup_is_cached_per_container(batch, aws, record, put_conversation, lambda_context,
                                                  record_calls, mod):
    put_conversation(conversation_status="processing_reply")
    lookups = record_calls(mod("batch_processor.queues").sqs, "GetQueueUrl")
    batch.lambda_handler(_event(record("SM1"), record("SM2")), lambda_context)
    batch.lambda_handler(_event(record("SM3")), lambda_context)
    assert len(lookups) == 1


def test_unknown_conversation_goes_to_dlq(batch, aws, h, record, lambda_context, logs):
    response = batch.lambda_handler(_event(record("SM1", conversation_id="ghost")), lambda_context)

    assert response == {"batchItemFailures": []}
    [dead] = _queue(aws, h, "batch_dlq")
    assert dead["MessageAttributes"]["FailureReason"]["StringValue"] == "CONVERSATION_NOT_FOUND"
    assert logs.one("Conversation not found; sending batch to DLQ")["conversation_id"] == "ghost"
    assert _item(aws, "ghost") is None  # the lock update never creates a record


def test_unknown_conversation_with_dlq_failure_is_reported(batch, aws, h, record, lambda_context, fail_call, mod):
    fail_call(mod("batch_processor.queues").sqs, "SendMessage", h.client_error("KmsThrottled"))
    assert _failures(batch.lambda_handler(_event(record("SM1", conversation_id="ghost")), lambda_context)) == [
        "msg-SM1"]


def test_transient_error_taking_the_lock_fails_the_group_for_sqs_retry(
    batch, aws, h, record, put_conversation, lambda_context, fail_call, mod, logs
):
    put_conversation()
    fail_call(mod("batch_processor.conversation_store").dynamodb.meta.client, "UpdateItem",
              h.client_error("ProvisionedThroughputExceededException", 400, "UpdateItem"))
    response = batch.lambda_handler(_event(record("SM1"), record("SM2")), lambda_context)

    assert _failures(response) == ["msg-SM1", "msg-SM2"]
    assert _queue(aws, h, "whatsapp") == [] and _queue(aws, h, "ai") == []
    assert logs.one("Could not acquire conversation lock; SQS will retry")["aws_error"] == \
        "ProvisionedThroughputExceededException"


# ------------------------------------------------------------------ emergency unlock


def test_error_after_lock_triggers_emergency_unlock_and_rolls_back_the_append(
    batch, aws, h, record, put_conversation, lambda_context, fail_call, mod, logs, emf
):
    put_conversation(messages=[{"message_sid": "SM0"}])
    fail_call(mod("batch_processor.queues").sqs, "SendMessage", h.client_error("InternalError", 500),
              when=lambda params: params.get("QueueUrl") == aws.urls["ai"])
    response = batch.lambda_handler(_event(record("SM1"), record("SM2", T1)), lambda_context)

    assert _failures(response) == ["msg-SM1", "msg-SM2"]
    item = _item(aws)
    assert item["conversation_status"] == "processing_error"
    assert item["last_error_code"] == "InternalError"
    assert [m["message_sid"] for m in item["messages"]] == ["SM0"]  # appended entries removed
    assert "current_batch_id" not in item and "processing_started_at" not in item
    assert item["last_failed_batch_id"]
    assert logs.one("Emergency unlock: conversation set to processing_error")["level"] == "WARNING"
    assert emf()["EmergencyUnlock"] == [1.0]


def test_retry_after_emergency_unlock_processes_the_messages_again(
    batch, aws, h, record, put_conversation, lambda_context, fail_call, mod
):
    put_conversation()
    event = _event(record("SM1"), record("SM2", T1))
    fail_call(mod("batch_processor.queues").sqs, "SendMessage", h.client_error("InternalError", 500), times=1,
              when=lambda params: params.get("QueueUrl") == aws.urls["ai"])
    assert _failures(batch.lambda_handler(event, lambda_context)) == ["msg-SM1", "msg-SM2"]
    assert batch.lambda_handler(event, lambda_context) == {"batchItemFailures": []}

    assert [m["message_sid"] for m in _item(aws)["messages"]] == ["SM1", "SM2"]
    [ai_message] = _queue(aws, h, "ai")
    assert [m["message_sid"] for m in json.loads(ai_message["Body"])["new_messages"]] == ["SM1", "SM2"]


def test_append_failure_triggers_emergency_unlock(batch, aws, h, record, put_conversation, lambda_context,
                                                  fail_call, mod):
    put_conversation()
    fail_call(mod("batch_processor.conversation_store").dynamodb.meta.client, "UpdateItem",
              h.client_error("ValidationException", 400, "UpdateItem"),
              when=lambda params: "list_append" in params.get("UpdateExpression", ""))
    response = batch.lambda_handler(_event(record("SM1")), lambda_context)

    assert _failures(response) == ["msg-SM1"]
    item = _item(aws)
    assert item["conversation_status"] == "processing_error"
    assert item["last_error_code"] == "ValidationException"
    assert item["messages"] == []


def test_failed_emergency_unlock_is_logged_and_leaves_the_lock_for_the_stalled_reset(
    batch, aws, h, record, put_conversation, lambda_context, fail_call, mod, logs
):
    put_conversation()
    client = mod("batch_processor.conversation_store").dynamodb.meta.client
    fail_call(mod("batch_processor.queues").sqs, "SendMessage", h.client_error("InternalError", 500),
              when=lambda params: params.get("QueueUrl") == aws.urls["ai"])
    fail_call(client, "UpdateItem", h.client_error("ThrottlingException", 400, "UpdateItem"),
              when=lambda params: ":error" in params.get("ExpressionAttributeValues", {}))
    response = batch.lambda_handler(_event(record("SM1")), lambda_context)

    assert _failures(response) == ["msg-SM1"]
    assert _item(aws)["conversation_status"] == "processing_reply"
    assert logs.one("Emergency unlock failed")["aws_error"] == "ThrottlingException"


def test_emergency_unlock_never_releases_a_lock_owned_by_another_batch(
    batch, aws, h, record, put_conversation, lambda_context, mod
):
    put_conversation()
    sqs = mod("batch_processor.queues").sqs

    def steal_lock_then_fail(params, **_):
        if params.get("QueueUrl") == aws.urls["ai"]:
            aws.table.update_item(Key={"conversation_id": "conv-1"}, UpdateExpression="SET current_batch_id = :b",
                                  ExpressionAttributeValues={":b": "thief"})
            raise h.client_error("InternalError", 500)

    sqs.meta.events.register_first("before-parameter-build.sqs.SendMessage", steal_lock_then_fail, unique_id="s")
    try:
        batch.lambda_handler(_event(record("SM1")), lambda_context)
    finally:
        sqs.meta.events.unregister("before-parameter-build.sqs.SendMessage", unique_id="s")

    item = _item(aws)
    assert item["conversation_status"] == "processing_reply"
    assert item["current_batch_id"] == "thief"


def test_missing_ai_queue_configuration_is_an_error_after_lock(batch, aws, record, put_conversation, lambda_context,
                                                               monkeypatch):
    monkeypatch.delenv("AI_QUEUE_URL")
    put_conversation()
    assert _failures(batch.lambda_handler(_event(record("SM1")), lambda_context)) == ["msg-SM1"]
    item = _item(aws)
    assert item["conversation_status"] == "processing_error"
    assert item["last_error_code"] == "QueueNotConfigured"


# ------------------------------------------------------------------ isolation between conversations


def test_failure_of_one_conversation_never_fails_or_duplicates_the_others(
    batch, aws, h, record, put_conversation, lambda_context, fail_call, mod
):
    put_conversation(conversation_id="conv-ok")
    put_conversation(conversation_id="conv-bad")
    put_conversation(conversation_id="conv-busy", conversation_status="processing_reply")
    fail_call(mod("batch_processor.conversation_store").dynamodb.meta.client, "UpdateItem",
              h.client_error("InternalServerError", 500, "UpdateItem"),
              when=lambda params: params.get("Key", {}).get("conversation_id") == "conv-bad"
              and "list_append" in params.get("UpdateExpression", ""))
    response = batch.lambda_handler(
        _event(record("A1", conversation_id="conv-ok"), record("B1", conversation_id="conv-bad"),
               record("C1", conversation_id="conv-busy"), record("A2", T1, conversation_id="conv-ok")),
        lambda_context,
    )

    assert _failures(response) == ["msg-B1"]
    [ai_message] = _queue(aws, h, "ai")
    context = json.loads(ai_message["Body"])
    assert context["conversation_id"] == "conv-ok"
    assert [m["message_sid"] for m in context["new_messages"]] == ["A1", "A2"]
    assert _item(aws, "conv-bad")["conversation_status"] == "processing_error"
    [requeued] = _queue(aws, h, "whatsapp")
    assert json.loads(requeued["Body"])["message_sid"] == "C1"


def test_unexpected_exception_in_one_group_is_contained(batch, aws, h, record, put_conversation, lambda_context,
                                                        monkeypatch, logs):
    put_conversation(conversation_id="conv-ok")
    put_conversation(conversation_id="conv-bug")
    original = batch.process_conversation

    def buggy(conversation_id, batch_id, group):
        if conversation_id == "conv-bug":
            raise ZeroDivisionError("bug")
        return original(conversation_id, batch_id, group)

    monkeypatch.setattr(batch, "process_conversation", buggy)
    response = batch.lambda_handler(
        _event(record("X1", conversation_id="conv-bug"), record("A1", conversation_id="conv-ok")), lambda_context)

    assert _failures(response) == ["msg-X1"]
    assert len(_queue(aws, h, "ai")) == 1
    assert logs.one("Unexpected error processing conversation batch")["conversation_id"] == "conv-bug"


def test_invalid_record_is_reported_and_the_rest_of_the_batch_is_processed(
    batch, aws, h, record, put_conversation, lambda_context, logs
):
    put_conversation()
    bad = h.sqs_record({}, "msg-bad", body="{broken")
    response = batch.lambda_handler(_event(bad, record("SM1")), lambda_context)

    assert _failures(response) == ["msg-bad"]
    assert len(_queue(aws, h, "ai")) == 1
    assert logs.one("Invalid batch message; leaving it to the queue's redrive policy")["reason"] == "body is not JSON"


def test_empty_event_is_a_successful_no_op(batch, lambda_context):
    assert batch.lambda_handler({"Records": []}, lambda_context) == {"batchItemFailures": []}
    assert batch.lambda_handler({}, lambda_context) == {"batchItemFailures": []}


def test_batch_metrics(batch, aws, record, put_conversation, lambda_context, emf):
    put_conversation()
    batch.lambda_handler(_event(record("SM1"), record("SM2")), lambda_context)
    metrics = emf()
    assert metrics["BatchSize"] == [2.0]
    assert metrics["MessagesBatched"] == [2.0]
    assert metrics["ConversationBatches"] == [1.0]
