"""A send whose response was lost (the message did reach SQS) is neither sent twice nor left inconsistent:
the FIFO deduplication id is the message id, and an Idempotency-Key retry reuses that id."""
from __future__ import annotations

import json

VALID = {"recipient": "+15550100", "content": "Your code is 4711", "metadata": {"campaign": "spring"}}


def body_of(response):
    return json.loads(response["body"])


def keyed(make_event, key="order-42-sms", body=None, correlation="corr-1"):
    return make_event(body or VALID, headers={"Idempotency-Key": key, "X-Correlation-Id": correlation})


def test_lost_send_response_retried_by_botocore_reaches_the_fifo_queue_once(
        world, context, make_event, faults, step):
    handler = world.post()
    script = faults(handler.sqs, "SendMessage", [step.lost(500, "InternalError"), step.ok])

    response = handler.lambda_handler(make_event(VALID), context)

    assert script.calls == 2 and response["statusCode"] == 202
    [delivered] = world.queued_bodies()  # the retry carried the same deduplication id: SQS dropped it
    record = world.record(body_of(response)["messageId"])
    assert delivered["body"]["messageId"] == record["messageId"]
    assert record["status"] == "QUEUED" and "sentAt" in record


def test_lost_responses_then_client_retry_with_the_same_key_deliver_exactly_once(
        world, context, make_event, faults, step):
    handler = world.post()
    faults(handler.sqs, "SendMessage", [step.lost(500, "InternalError")] * 3)

    first = handler.lambda_handler(keyed(make_event, correlation="corr-first"), context)

    assert first["statusCode"] == 503
    [record] = world.all_records()
    assert record["status"] == "PENDING" and record["rollbackCount"] == 1

    second = handler.lambda_handler(keyed(make_event, correlation="corr-retry"), context)

    assert second["statusCode"] == 202
    assert body_of(second)["messageId"] == record["messageId"]
    [delivered] = world.queued_bodies()
    assert delivered["body"]["messageId"] == record["messageId"]
    after = world.record(record["messageId"])
    assert after["status"] == "QUEUED" and "sentAt" in after
    assert after["correlationId"] == "corr-first" and after["sendCorrelationId"] == "corr-retry"
    assert after["sendAttemptId"] != record["sendAttemptId"]
    assert "retrying send of a PENDING message under its Idempotency-Key" in world.messages()


def test_standard_queue_duplicates_after_a_lost_response_carry_one_message_id(
        world, context, make_event, faults, step):
    standard = world.sqs.create_queue(QueueName="message-api-outbound")["QueueUrl"]
    world.monkeypatch.setenv("OUTBOUND_QUEUE_URL", standard)
    handler = world.post()
    faults(handler.sqs, "SendMessage", [step.lost(500, "InternalError"), step.ok])

    response = handler.lambda_handler(make_event(VALID), context)

    copies = world.queued_bodies(standard)
    assert len(copies) == 2  # a standard queue has no deduplication: the consumer dedupes by messageId
    assert {c["body"]["messageId"] for c in copies} == {body_of(response)["messageId"]}
    assert {c["body"]["sendAttemptId"] for c in copies} == {world.record(body_of(response)["messageId"])
                                                            ["sendAttemptId"]}


def test_same_key_after_success_replays_the_answer_without_sending_again(world, context, make_event, faults, step):
    handler = world.post()
    first = handler.lambda_handler(keyed(make_event), context)
    sends = faults(handler.sqs, "SendMessage", [])

    again = handler.lambda_handler(keyed(make_event, correlation="corr-2"), context)

    assert again["statusCode"] == 202 and again["headers"]["Idempotent-Replayed"] == "true"
    assert body_of(again) == {"messageId": body_of(first)["messageId"], "status": "QUEUED", "correlationId": "corr-2"}
    assert sends.calls == 0 and len(world.queued_bodies()) == 1
    assert world.log("idempotent replay: message already queued")["currentStatus"] == "QUEUED"


def test_same_key_replays_the_consumer_s_later_status(world, context, make_event):
    handler = world.post()
    first = handler.lambda_handler(keyed(make_event), context)
    world.set_attributes(body_of(first)["messageId"], status="DELIVERED")

    again = handler.lambda_handler(keyed(make_event), context)

    assert again["statusCode"] == 202 and body_of(again)["status"] == "DELIVERED"


def test_same_key_with_a_different_payload_is_rejected_with_422(world, context, make_event):
    handler = world.post()
    handler.lambda_handler(keyed(make_event), context)

    response = handler.lambda_handler(keyed(make_event, body={**VALID, "content": "another text"}), context)

    assert response["statusCode"] == 422
    assert body_of(response) == {"error": "IDEMPOTENCY_KEY_MISMATCH", "correlationId": "corr-1"}
    assert len(world.queued_bodies()) == 1
    assert world.record(body_of(handler.lambda_handler(keyed(make_event), context))["messageId"])["content"] \
        == VALID["content"]


def test_same_key_while_a_send_is_unconfirmed_is_refused_with_409(world, context, make_event, faults, step):
    handler = world.post()
    # The first request's rollback fails: the record stays QUEUED with no confirmation (an orphan).
    faults(handler.sqs, "SendMessage", [step.error(403, "AccessDeniedException", "AccessDenied")])
    faults(handler.dynamodb, "UpdateItem", [step.ok] + [step.error(500, "InternalServerError")] * 3)
    handler.lambda_handler(keyed(make_event), context)
    sends = faults(handler.sqs, "SendMessage", [])

    response = handler.lambda_handler(keyed(make_event), context)

    assert response["statusCode"] == 409 and response["headers"]["Retry-After"] == "5"
    assert body_of(response) == {"error": "REQUEST_IN_PROGRESS", "correlationId": "corr-1"}
    assert sends.calls == 0
    assert world.log("request rejected: a send of this message is in progress")["currentStatus"] == "QUEUED"


def test_concurrent_request_that_queues_first_wins_and_the_other_gets_409(world, context, make_event, faults, step):
    handler = world.post()
    faults(handler.sqs, "SendMessage", [step.error(403, "AccessDeniedException", "AccessDenied")])
    handler.lambda_handler(keyed(make_event), context)  # leaves the keyed message PENDING
    [record] = world.all_records()
    faults(handler.dynamodb, "UpdateItem", [step.before(
        lambda: world.set_attributes(record["messageId"], status="QUEUED", sendAttemptId="the-other-request"),
        step.ok)])
    sends = faults(handler.sqs, "SendMessage", [])

    response = handler.lambda_handler(keyed(make_event), context)

    assert response["statusCode"] == 409
    assert sends.calls == 0
    assert world.record(record["messageId"])["sendAttemptId"] == "the-other-request"
    assert world.log("request rejected: message left PENDING before this request could queue it")[
        "currentStatus"] == "QUEUED"


def test_without_a_key_every_post_is_a_new_message(world, context, make_event):
    handler = world.post()

    first = handler.lambda_handler(make_event(VALID), context)
    second = handler.lambda_handler(make_event(VALID), context)

    assert body_of(first)["messageId"] != body_of(second)["messageId"]
    assert len(world.queued_bodies()) == 2


def test_keys_map_to_stable_distinct_message_ids(world, context, make_event):
    handler = world.post()

    a = body_of(handler.lambda_handler(keyed(make_event, key="key-a"), context))["messageId"]
    b = body_of(handler.lambda_handler(keyed(make_event, key="key-b"), context))["messageId"]
    handler = world.post()  # a new container derives the same id from the same key
    a_again = body_of(handler.lambda_handler(keyed(make_event, key="key-a"), context))["messageId"]

    assert a != b and a == a_again
    assert world.record(a)["idempotencyKey"] == "key-a"
