"""webhook_handler: the response table of design section 4.3, per channel, end to end on moto."""
from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import EndpointConnectionError
from freezegun import freeze_time

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
LOCKED_TWIML_PREFIX = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'


# ------------------------------------------------------------------ scenario setups
# Each returns the event to send for ``channel``; it may prepare moto state or inject a fault.


def _event(h, channel, **overrides):
    if channel == "email":
        return h.email_event(**overrides)
    return h.twilio_event(channel, **overrides)


def ok(ctx, channel):
    ctx.put_conversation()
    return _event(ctx.h, channel)


def parsing_error(ctx, channel):
    ctx.put_conversation()
    if channel == "email":
        return ctx.h.api_event("/email", "not json")
    return ctx.h.twilio_event(channel, MessageSid=None)


def missing_required_field(ctx, channel):
    ctx.put_conversation()
    if channel == "email":
        return ctx.h.email_event(**{"from": "<>"})
    return ctx.h.twilio_event(channel, From=f"{channel}:")


def db_transient_error(ctx, channel):
    ctx.put_conversation()
    client = ctx.mod("webhook_handler.core.validation").dynamodb.meta.client
    ctx.fail_call(client, "Query", ctx.h.client_error("ProvisionedThroughputExceededException", 400, "Query"))
    return _event(ctx.h, channel)


def db_query_error(ctx, channel):
    ctx.put_conversation()
    client = ctx.mod("webhook_handler.core.validation").dynamodb.meta.client
    ctx.fail_call(client, "Query", ctx.h.client_error("AccessDeniedException", 400, "Query"))
    return _event(ctx.h, channel)


def configuration_error(ctx, channel):
    ctx.put_conversation()
    ctx.monkeypatch.delenv("CONVERSATIONS_TABLE")
    return _event(ctx.h, channel)


def conversation_not_found(ctx, channel):
    ctx.put_conversation(task_complete=1)
    return _event(ctx.h, channel)


def project_inactive(ctx, channel):
    ctx.put_conversation(project_status="paused")
    return _event(ctx.h, channel)


def channel_not_allowed(ctx, channel):
    ctx.put_conversation(allowed_channels=[c for c in ("whatsapp", "sms", "email") if c != channel])
    return _event(ctx.h, channel)


def conversation_locked(ctx, channel):
    ctx.put_conversation(conversation_status="processing_reply")
    return _event(ctx.h, channel)


def routing_error(ctx, channel):
    ctx.put_conversation()
    ctx.monkeypatch.delenv({"whatsapp": "WHATSAPP_QUEUE_URL", "sms": "SMS_QUEUE_URL", "email": "EMAIL_QUEUE_URL"}[channel])
    return _event(ctx.h, channel)


def queue_error(ctx, channel):
    ctx.put_conversation()
    client = ctx.mod("webhook_handler.services.sqs_service").sqs
    ctx.fail_call(client, "SendMessage", ctx.h.client_error("AWS.SimpleQueueService.NonExistentQueue", 400))
    return _event(ctx.h, channel)


def internal_error(ctx, channel):
    ctx.put_conversation()
    routing = ctx.mod("webhook_handler.core.routing")

    def boom(_context):
        raise KeyError("bug")

    ctx.monkeypatch.setattr(routing, "determine_target_queue", boom)
    return _event(ctx.h, channel)


# error code -> (setup, Twilio outcome, e-mail status)
RESPONSE_TABLE = {
    "SUCCESS": (ok, "empty", 200),
    "PARSING_ERROR": (parsing_error, "empty", 400),
    "MISSING_REQUIRED_FIELD": (missing_required_field, "empty", 400),
    "DB_TRANSIENT_ERROR": (db_transient_error, "raise", 503),
    "DB_QUERY_ERROR": (db_query_error, "empty", 500),
    "CONFIGURATION_ERROR": (configuration_error, "empty", 500),
    "CONVERSATION_NOT_FOUND": (conversation_not_found, "empty", 404),
    "PROJECT_INACTIVE": (project_inactive, "empty", 403),
    "CHANNEL_NOT_ALLOWED": (channel_not_allowed, "empty", 403),
    "CONVERSATION_LOCKED": (conversation_locked, "message", 409),
    "ROUTING_ERROR": (routing_error, "empty", 500),
    "QUEUE_ERROR": (queue_error, "empty", 500),
    "INTERNAL_ERROR": (internal_error, "empty", 500),
}


@pytest.fixture
def ctx(aws, h, put_conversation, monkeypatch, fail_call, mod):
    from types import SimpleNamespace

    return SimpleNamespace(aws=aws, h=h, put_conversation=put_conversation, monkeypatch=monkeypatch,
                           fail_call=fail_call, mod=mod)


def _queued(aws):
    return {
        key: int(aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                 ["ApproximateNumberOfMessages"])
        + int(aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
              ["ApproximateNumberOfMessagesDelayed"])
        for key, url in aws.urls.items()
    }


@pytest.mark.parametrize("channel", ["whatsapp", "sms"])
@pytest.mark.parametrize("code", list(RESPONSE_TABLE))
def test_twilio_channel_response_follows_the_response_table(webhook, ctx, lambda_context, logs, channel, code):
    setup, outcome, _ = RESPONSE_TABLE[code]
    event = setup(ctx, channel)

    if outcome == "raise":
        with pytest.raises(webhook.TransientWebhookError) as raised:
            webhook.lambda_handler(event, lambda_context)
        assert raised.value.error_code == code
        return

    response = webhook.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200
    assert response["headers"] == {"Content-Type": "text/xml"}
    if outcome == "message":
        assert response["body"] == LOCKED_TWIML_PREFIX + webhook.DEFAULT_LOCKED_MESSAGE + "</Message></Response>"
    else:
        assert response["body"] == EMPTY_TWIML
    if code != "SUCCESS":
        assert any(r.get("error_code") == code for r in logs.records), logs.messages()


@pytest.mark.parametrize("code", list(RESPONSE_TABLE))
def test_email_channel_gets_the_builders_json_status(webhook, ctx, lambda_context, code):
    setup, _, status = RESPONSE_TABLE[code]
    response = webhook.lambda_handler(setup(ctx, "email"), lambda_context)

    assert response["statusCode"] == status
    assert response["headers"] == {"Content-Type": "application/json"}
    body = json.loads(response["body"])
    if code == "SUCCESS":
        assert body == {"status": "success", "message": "Message queued"}
    else:
        assert body["status"] == "error"
        assert body["error_code"] == code


def test_only_a_successful_request_queues_a_message(webhook, ctx, aws, lambda_context):
    for code, (setup, _, _) in RESPONSE_TABLE.items():
        if code in ("SUCCESS", "DB_TRANSIENT_ERROR"):
            continue
        webhook.lambda_handler(setup(ctx, "email"), lambda_context)
    assert sum(_queued(aws).values()) == 0


def test_locked_conversation_replies_with_the_configured_message(webhook, ctx, lambda_context, monkeypatch, emf):
    monkeypatch.setenv("CONVERSATION_LOCKED_MESSAGE", "One moment please")
    response = webhook.lambda_handler(conversation_locked(ctx, "whatsapp"), lambda_context)

    assert response["body"] == LOCKED_TWIML_PREFIX + "One moment please</Message></Response>"
    assert emf()["ConcurrentMessageRejected"] == [1.0]


def test_default_locked_message_is_a_twiml_message(webhook, ctx, lambda_context):
    response = webhook.lambda_handler(conversation_locked(ctx, "sms"), lambda_context)
    assert response["body"].startswith(LOCKED_TWIML_PREFIX)
    assert "previous message" in response["body"]


def test_success_sends_context_to_channel_queue_with_batching_delay_and_conversation_attribute(
    webhook, ctx, aws, lambda_context, record_calls, h
):
    sent = record_calls(ctx.mod("webhook_handler.services.sqs_service").sqs, "SendMessage")
    webhook.lambda_handler(ok(ctx, "whatsapp"), lambda_context)

    assert len(sent) == 1
    assert sent[0]["QueueUrl"] == aws.urls["whatsapp"]
    assert sent[0]["DelaySeconds"] == 15
    assert sent[0]["MessageAttributes"] == {"conversation_id": {"DataType": "String", "StringValue": "conv-1"}}
    body = json.loads(sent[0]["MessageBody"])
    assert body["conversation_id"] == "conv-1"
    assert body["channel_type"] == "whatsapp"
    assert body["from"] == f"whatsapp:{h.USER_NUMBER}"
    assert body["message_sid"] == "SM" + "1" * 32
    assert body["body"] == "Hello there!"
    assert body["project_status"] == "active"
    assert "messages" not in body  # history stays in DynamoDB
    assert body["received_at"].endswith("Z")


def test_batching_delay_is_configurable(webhook, ctx, lambda_context, record_calls, monkeypatch):
    monkeypatch.setenv("BATCH_DELAY_SECONDS", "20")
    sent = record_calls(ctx.mod("webhook_handler.services.sqs_service").sqs, "SendMessage")
    webhook.lambda_handler(ok(ctx, "sms"), lambda_context)
    assert sent[0]["DelaySeconds"] == 20


def test_queued_message_becomes_visible_only_after_the_delay(webhook, ctx, aws, lambda_context, h):
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with freeze_time(start) as clock:
        webhook.lambda_handler(ok(ctx, "whatsapp"), lambda_context)
        assert h.receive_all(aws.sqs, aws.urls["whatsapp"]) == []
        clock.tick(timedelta(seconds=16))
        messages = h.receive_all(aws.sqs, aws.urls["whatsapp"])
    assert len(messages) == 1
    assert messages[0]["MessageAttributes"]["conversation_id"]["StringValue"] == "conv-1"


def test_handoff_route_is_queued_without_delay(webhook, ctx, aws, lambda_context, record_calls, emf):
    ctx.put_conversation(auto_queue_reply_message=True)
    sent = record_calls(ctx.mod("webhook_handler.services.sqs_service").sqs, "SendMessage")
    response = webhook.lambda_handler(ctx.h.twilio_event("whatsapp"), lambda_context)

    assert response["body"] == EMPTY_TWIML
    assert sent[0]["QueueUrl"] == aws.urls["handoff"]
    assert sent[0]["DelaySeconds"] == 0
    assert emf()["MessagesQueuedToHandoff"] == [1.0]


def test_invalid_signature_is_rejected_with_403_and_nothing_is_processed(webhook, ctx, aws, lambda_context, logs):
    ctx.put_conversation()
    event = ctx.h.twilio_event("whatsapp", token="some-other-token")
    response = webhook.lambda_handler(event, lambda_context)

    assert response["statusCode"] == 403
    assert json.loads(response["body"])["error_code"] == "INVALID_SIGNATURE"
    assert sum(_queued(aws).values()) == 0
    assert logs.one("Webhook rejected")["level"] == "WARNING"


def test_missing_signature_header_is_rejected(webhook, ctx, lambda_context):
    ctx.put_conversation()
    event = ctx.h.twilio_event("sms")
    del event["headers"]["X-Twilio-Signature"]
    assert webhook.lambda_handler(event, lambda_context)["statusCode"] == 403


def test_signature_secret_throttled_raises_so_twilio_retries(webhook, ctx, lambda_context, fail_call, mod):
    ctx.put_conversation()
    client = mod("shared.secrets").secretsmanager
    fail_call(client, "GetSecretValue", ctx.h.client_error("ThrottlingException", 400))
    with pytest.raises(webhook.TransientWebhookError) as raised:
        webhook.lambda_handler(ctx.h.twilio_event("whatsapp"), lambda_context)
    assert raised.value.error_code == "SECRETS_TRANSIENT_ERROR"


def test_signature_secret_missing_is_a_configuration_error_acknowledged_with_twiml(
    webhook, ctx, aws, lambda_context, logs, h
):
    ctx.put_conversation()
    aws.secrets.delete_secret(SecretId=h.SECRET_NAME, ForceDeleteWithoutRecovery=True)
    response = webhook.lambda_handler(ctx.h.twilio_event("whatsapp"), lambda_context)

    assert response == {"statusCode": 200, "headers": {"Content-Type": "text/xml"}, "body": EMPTY_TWIML}
    record = logs.one("Webhook not processed")
    assert record["level"] == "ERROR" and record["error_code"] == "CONFIGURATION_ERROR"


def test_db_connection_failure_is_transient_after_botocore_retries(webhook, ctx, lambda_context, fail_call, mod):
    ctx.put_conversation()
    client = mod("webhook_handler.core.validation").dynamodb.meta.client
    state = fail_call(client, "Query", lambda kw: EndpointConnectionError(endpoint_url=kw["request"].url),
                      stage="before-send")
    with pytest.raises(webhook.TransientWebhookError):
        webhook.lambda_handler(ctx.h.twilio_event("sms"), lambda_context)
    assert state["calls"] == 3  # total_max_attempts=3 in the shared botocore config


def test_unknown_path_gets_400_json(webhook, ctx, lambda_context):
    response = webhook.lambda_handler(ctx.h.api_event("/telegram", "x=1"), lambda_context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error_code"] == "PARSING_ERROR"


def test_non_dict_event_is_a_parsing_error_with_400_json(webhook, lambda_context):
    response = webhook.lambda_handler(None, lambda_context)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error_code"] == "PARSING_ERROR"


def test_base64_encoded_twilio_body_is_accepted(webhook, ctx, lambda_context, record_calls):
    ctx.put_conversation()
    event = ctx.h.twilio_event("whatsapp")
    event["body"] = base64.b64encode(event["body"].encode()).decode()
    event["isBase64Encoded"] = True
    sent = record_calls(ctx.mod("webhook_handler.services.sqs_service").sqs, "SendMessage")

    assert webhook.lambda_handler(event, lambda_context)["body"] == EMPTY_TWIML
    assert len(sent) == 1


def test_info_logs_carry_ids_but_no_phone_numbers_or_bodies(webhook, ctx, lambda_context, logs, h):
    webhook.lambda_handler(ok(ctx, "whatsapp"), lambda_context)

    parsed = logs.one("Webhook received and parsed")
    assert parsed["message_sid"] == "SM" + "1" * 32
    assert parsed["from"] == "whatsapp:+*******8886"
    queued = logs.one("Message queued")
    assert queued["conversation_id"] == "conv-1"
    assert queued["queue"] == "whatsapp-queue"
    assert queued["delay_seconds"] == 15
    assert h.USER_NUMBER not in logs.text
    assert h.COMPANY_NUMBER not in logs.text
    assert "Hello there!" not in logs.text


def test_success_emits_received_and_queued_metrics(webhook, ctx, lambda_context, emf):
    webhook.lambda_handler(ok(ctx, "sms"), lambda_context)
    metrics = emf()
    assert metrics["WebhookReceived"] == [1.0]
    assert metrics["MessagesQueued"] == [1.0]
    assert "WebhookErrors" not in metrics
