"""The whole flow on moto: webhook -> delayed batch queue -> batch processor -> AI queue -> reply sender."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import responses
from freezegun import freeze_time

START = datetime(2030, 3, 1, 9, 0, 0, tzinfo=UTC)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def _as_sqs_event(messages, queue_arn):
    """What the event source mapping hands the function for messages received from the queue."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m["Attributes"],
        "messageAttributes": {k: {"stringValue": v["StringValue"], "dataType": v["DataType"]}
                              for k, v in m.get("MessageAttributes", {}).items()},
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": "us-east-1"} for m in messages]}


def _drain(aws, key):
    messages = aws.sqs.receive_message(QueueUrl=aws.urls[key], MaxNumberOfMessages=10, AttributeNames=["All"],
                                       MessageAttributeNames=["All"]).get("Messages", [])
    for message in messages:
        aws.sqs.delete_message(QueueUrl=aws.urls[key], ReceiptHandle=message["ReceiptHandle"])
    return messages


@pytest.fixture
def twilio_api(h):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, f"https://api.twilio.com/2010-04-01/Accounts/{h.ACCOUNT_SID}/Messages.json",
                 status=201, json={"sid": "SM" + "e" * 32, "status": "queued"})
        yield mock


def test_two_quick_messages_get_one_reply_and_a_message_during_processing_is_told_to_wait(
    webhook, batch, sender, aws, h, put_conversation, twilio_api, lambda_context
):
    put_conversation()
    with freeze_time(START) as clock:
        first = h.twilio_event("whatsapp", MessageSid="SM" + "1" * 32, Body="Hi")
        second = h.twilio_event("whatsapp", MessageSid="SM" + "2" * 32, Body="Are you open today?")
        assert webhook.lambda_handler(first, lambda_context)["body"] == EMPTY_TWIML
        clock.tick(timedelta(seconds=3))
        assert webhook.lambda_handler(second, lambda_context)["body"] == EMPTY_TWIML

        clock.tick(timedelta(seconds=5))
        assert _drain(aws, "whatsapp") == []  # still inside the batching window
        clock.tick(timedelta(seconds=11))
        batch_messages = _drain(aws, "whatsapp")
        assert len(batch_messages) == 2
        assert batch.lambda_handler(_as_sqs_event(batch_messages, aws.queue_arn("whatsapp")),
                                    lambda_context) == {"batchItemFailures": []}

        # A third message while the reply is being produced: rejected with a TwiML message, not queued.
        third = h.twilio_event("whatsapp", MessageSid="SM" + "3" * 32, Body="Hello??")
        locked = webhook.lambda_handler(third, lambda_context)
        assert "<Message>" in locked["body"]

        clock.tick(timedelta(seconds=1))
        ai_messages = _drain(aws, "ai")
        assert len(ai_messages) == 1
        assert sender.lambda_handler(_as_sqs_event(ai_messages, "arn:aws:sqs:us-east-1:123456789012:ai"),
                                     lambda_context) == {"batchItemFailures": []}

    assert len(twilio_api.calls) == 1
    assert parse_qs(twilio_api.calls[0].request.body)["To"] == [f"whatsapp:{h.USER_NUMBER}"]
    item = aws.table.get_item(Key={"conversation_id": "conv-1"})["Item"]
    assert item["conversation_status"] == "ai_response_sent"
    assert [(m["role"], m["content"]) for m in item["messages"]] == [
        ("user", "Hi"), ("user", "Are you open today?"),
        ("assistant", "Thanks for your message. We have received it and will get back to you shortly.")]
    assert _drain(aws, "whatsapp") == [] and _drain(aws, "batch_dlq") == []


def test_contended_batch_is_requeued_then_processed_after_the_unlock(
    batch, aws, h, put_conversation, lambda_context
):
    put_conversation(conversation_status="processing_reply", current_batch_id="running")
    context = {"conversation_id": "conv-1", "message_sid": "SM9", "body": "later", "channel_type": "sms",
               "from": h.USER_NUMBER, "to": h.COMPANY_NUMBER, "received_at": "2030-03-01T09:00:00.000000Z"}
    with freeze_time(START) as clock:
        aws.sqs.send_message(QueueUrl=aws.urls["sms"], MessageBody=json.dumps(context),
                             MessageAttributes={"conversation_id": {"DataType": "String", "StringValue": "conv-1"}})
        batch.lambda_handler(_as_sqs_event(_drain(aws, "sms"), aws.queue_arn("sms")), lambda_context)

        aws.table.update_item(Key={"conversation_id": "conv-1"},  # the running batch's reply went out
                              UpdateExpression="SET conversation_status = :s REMOVE current_batch_id",
                              ExpressionAttributeValues={":s": "ai_response_sent"})
        clock.tick(timedelta(seconds=36))
        requeued = _drain(aws, "sms")
        assert [m["MessageAttributes"]["RetryAttempt"]["StringValue"] for m in requeued] == ["1"]
        assert batch.lambda_handler(_as_sqs_event(requeued, aws.queue_arn("sms")),
                                    lambda_context) == {"batchItemFailures": []}

    item = aws.table.get_item(Key={"conversation_id": "conv-1"})["Item"]
    assert item["conversation_status"] == "processing_reply"
    assert [m["message_sid"] for m in item["messages"]] == ["SM9"]
    assert len(_drain(aws, "ai")) == 1
