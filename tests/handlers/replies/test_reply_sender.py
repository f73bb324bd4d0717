"""reply_sender: Twilio REST send (4xx and unconfirmed sends not retried; 5xx/429/connect failures retried) and the
final unlock."""
from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

BATCH_ID = "batch-1"
REPLY_SID = "SM" + "f" * 32


@pytest.fixture
def twilio(h):
    """The Twilio REST API, mocked with ``responses``; ``twilio.url`` is the Messages endpoint."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.url = f"https://api.twilio.com/2010-04-01/Accounts/{h.ACCOUNT_SID}/Messages.json"
        yield mock


def _created(mock, sid=REPLY_SID):
    mock.add(responses.POST, mock.url, status=201,
             json={"sid": sid, "status": "queued", "account_sid": "AC", "body": "x", "to": "x", "from": "x"})


def _error(mock, status, code=None, message="error"):
    body = {"status": status, "message": message}
    if code:
        body["code"] = code
    mock.add(responses.POST, mock.url, status=status, json=body)


@pytest.fixture
def locked(put_conversation):
    def put(**overrides):
        values = {"conversation_status": "processing_reply", "current_batch_id": BATCH_ID,
                      "processing_started_at": "2026-05-01T10:00:00.000000Z",
                      "messages": [{"message_sid": "SM1", "role": "user", "content": "hello"}]}
        values.update(overrides)
        return put_conversation(**values)

    return put


def _ai_context(h, **overrides):
    context = {
        "conversation_id": "conv-1",
        "batch_id": BATCH_ID,
        "channel_type": "whatsapp",
        "reply_to": f"whatsapp:{h.USER_NUMBER}",
        "reply_from": f"whatsapp:{h.COMPANY_NUMBER}",
        "new_messages": [{"message_sid": "SM1", "content": "hello"}],
        "history": [],
        "conversation": {"conversation_id": "conv-1", "recipient_first_name": "Jane"},
    }
    context.update(overrides)
    return {key: value for key, value in context.items() if value is not None}


def _event(h, **overrides):
    return {"Records": [h.sqs_record(_ai_context(h, **overrides), "ai-msg-1")]}


def _item(aws):
    return aws.table.get_item(Key={"conversation_id": "conv-1"}, ConsistentRead=True)["Item"]


def test_reply_is_sent_with_twilio_and_the_conversation_is_unlocked(
    sender, aws, h, locked, twilio, lambda_context, logs, emf
):
    locked()
    _created(twilio)
    response = sender.lambda_handler(_event(h), lambda_context)

    assert response == {"batchItemFailures": []}
    [call] = twilio.calls
    form = parse_qs(call.request.body)
    assert form == {"To": [f"whatsapp:{h.USER_NUMBER}"], "From": [f"whatsapp:{h.COMPANY_NUMBER}"],
                    "Body": ["Hi Jane! Thanks for your message. We have received it and will get back to you shortly."]}
    assert call.request.headers["Authorization"].startswith("Basic ")

    item = _item(aws)
    assert item["conversation_status"] == "ai_response_sent"
    assert item["last_reply_message_sid"] == REPLY_SID
    assert item["reply_sent_at"] == item["processing_ended_at"]
    assert "current_batch_id" not in item and "processing_started_at" not in item
    assert item["messages"][-1]["role"] == "assistant"
    assert item["messages"][-1]["message_sid"] == REPLY_SID
    assert item["messages"][-1]["batch_id"] == BATCH_ID

    sent = logs.one("Reply sent")
    assert sent["reply_message_sid"] == REPLY_SID and sent["to"] == "whatsapp:+*******8886"
    assert sent["conversation_id"] == "conv-1" and sent["batch_id"] == BATCH_ID
    assert logs.one("Conversation unlocked")["status"] == "ai_response_sent"
    assert h.USER_NUMBER not in logs.text and "Thanks for your message" not in logs.text
    assert emf()["RepliesSent"] == [1.0]


def test_sms_reply_uses_plain_numbers(sender, aws, h, locked, twilio, lambda_context):
    locked()
    _created(twilio)
    sender.lambda_handler(_event(h, channel_type="sms", reply_to=h.USER_NUMBER, reply_from=h.COMPANY_NUMBER),
                          lambda_context)
    assert parse_qs(twilio.calls[0].request.body)["To"] == [h.USER_NUMBER]


def test_twilio_4xx_is_not_retried_and_sets_the_error_state(sender, aws, h, locked, twilio, lambda_context, logs,
                                                          sleeps, emf):
    locked()
    _error(twilio, 400, code=21211, message=f"The 'To' number {h.USER_NUMBER} is not a valid phone number.")
    response = sender.lambda_handler(_event(h), lambda_context)

    assert response == {"batchItemFailures": []}
    assert len(twilio.calls) == 1
    assert sleeps == []
    item = _item(aws)
    assert item["conversation_status"] == "ai_response_failed"
    assert item["last_error_code"] == "TWILIO_21211"
    assert item["last_failed_batch_id"] == BATCH_ID
    assert "current_batch_id" not in item
    rejected = logs.one("Twilio rejected the message; not retrying")
    assert rejected["twilio_error"] == "TWILIO_21211" and rejected["http_status"] == 400
    assert h.USER_NUMBER not in logs.text  # Twilio's error message quotes the number: never logged
    assert emf()["RepliesFailed"] == [1.0]


@pytest.mark.parametrize("status", [401, 403, 404])
def test_other_client_errors_are_not_retried(sender, aws, h, locked, twilio, lambda_context, status):
    locked()
    _error(twilio, status)
    sender.lambda_handler(_event(h), lambda_context)
    assert len(twilio.calls) == 1
    assert _item(aws)["last_error_code"] == f"TWILIO_HTTP_{status}"


def test_twilio_5xx_is_retried_with_backoff_then_succeeds(sender, aws, h, locked, twilio, lambda_context, sleeps,
                                                         logs):
    locked()
    _error(twilio, 500, code=20500)
    _error(twilio, 503)
    _created(twilio)
    assert sender.lambda_handler(_event(h), lambda_context) == {"batchItemFailures": []}

    assert len(twilio.calls) == 3
    assert sleeps == [1.0, 2.0]
    assert [r["twilio_error"] for r in logs.find("Transient Twilio error; retrying")] == ["TWILIO_20500",
                                                                                          "TWILIO_HTTP_503"]
    assert _item(aws)["conversation_status"] == "ai_response_sent"


def test_persistent_5xx_gives_up_after_max_attempts_with_error_state(sender, aws, h, locked, twilio, lambda_context,
                                                                    sleeps, logs):
    locked()
    _error(twilio, 503)
    response = sender.lambda_handler(_event(h), lambda_context)

    assert response == {"batchItemFailures": []}
    assert len(twilio.calls) == 3
    assert sleeps == [1.0, 2.0]
    assert _item(aws)["conversation_status"] == "ai_response_failed"
    assert _item(aws)["last_error_code"] == "TWILIO_HTTP_503"
    assert logs.one("Twilio send failed after retries")["attempts"] == 3


def test_max_attempts_and_backoff_are_configurable(sender, aws, h, locked, twilio, lambda_context, sleeps,
                                                   monkeypatch):
    monkeypatch.setenv("TWILIO_MAX_ATTEMPTS", "4")
    monkeypatch.setenv("TWILIO_RETRY_BASE_DELAY_SECONDS", "0.5")
    locked()
    _error(twilio, 502)
    sender.lambda_handler(_event(h), lambda_context)
    assert len(twilio.calls) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def _refused() -> requests.exceptions.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(MaxRetryError(None, "/Messages.json", reason))


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ConnectTimeout("connect timed out"), _refused()],
)
def test_connections_that_were_never_established_are_retried(sender, aws, h, locked, twilio, lambda_context, logs,
                                                             failure):
    locked()
    twilio.add(responses.POST, twilio.url, body=failure)
    _created(twilio)
    assert sender.lambda_handler(_event(h), lambda_context) == {"batchItemFailures": []}
    assert len(twilio.calls) == 2
    assert logs.one("Transient Twilio error; retrying")["twilio_error"] == "TWILIO_CONNECTION_ERROR"
    assert _item(aws)["conversation_status"] == "ai_response_sent"


@pytest.mark.parametrize(
    "failure, code",
    [(requests.exceptions.ReadTimeout("read timed out"), "TWILIO_TIMEOUT"),
     (requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError())),
      "TWILIO_CONNECTION_LOST")],
)
def test_a_send_whose_answer_was_lost_is_not_retried_so_the_customer_is_not_texted_twice(
        sender, aws, h, locked, twilio, lambda_context, failure, code):
    locked()
    twilio.add(responses.POST, twilio.url, body=failure)
    _created(twilio)
    assert sender.lambda_handler(_event(h), lambda_context) == {"batchItemFailures": []}
    assert len(twilio.calls) == 1
    assert _item(aws)["conversation_status"] == "ai_response_failed"
    assert _item(aws)["last_error_code"] == code


def test_created_message_with_an_unreadable_answer_counts_as_sent_and_is_not_sent_again(
        sender, aws, h, locked, twilio, lambda_context, logs):
    locked()
    twilio.add(responses.POST, twilio.url, status=201, body="<html>Created</html>", content_type="text/html")
    _created(twilio)
    assert sender.lambda_handler(_event(h), lambda_context) == {"batchItemFailures": []}
    assert len(twilio.calls) == 1
    assert _item(aws)["conversation_status"] == "ai_response_sent"
    assert logs.one("Twilio accepted the message but its answer could not be read")["level"] == "WARNING"


def test_rate_limit_429_is_retried(sender, aws, h, locked, twilio, lambda_context):
    locked()
    _error(twilio, 429, code=20429)
    _created(twilio)
    sender.lambda_handler(_event(h), lambda_context)
    assert len(twilio.calls) == 2
    assert _item(aws)["conversation_status"] == "ai_response_sent"


def test_malformed_request_errors_are_not_retried(sender, aws, h, locked, twilio, lambda_context):
    locked()
    twilio.add(responses.POST, twilio.url, body=requests.exceptions.InvalidURL("bad"))
    sender.lambda_handler(_event(h), lambda_context)
    assert len(twilio.calls) == 1
    assert _item(aws)["last_error_code"] == "TWILIO_REQUEST_ERROR"


# ------------------------------------------------------------------ lock ownership and idempotency


@pytest.mark.parametrize(
    "overrides",
    [{"current_batch_id": "newer-batch"}, {"conversation_status": "ai_response_sent", "current_batch_id": None},
     {"conversation_status": "processing_timeout"}],
)
def test_reply_is_skipped_when_the_batch_no_longer_holds_the_lock(sender, aws, h, locked, twilio, lambda_context,
                                                                 logs, emf, overrides):
    locked(**overrides)
    _created(twilio)
    assert sender.lambda_handler(_event(h), lambda_context) == {"batchItemFailures": []}
    assert len(twilio.calls) == 0
    assert logs.one("Skipping reply: batch no longer holds the conversation lock")["level"] == "WARNING"
    assert emf()["StaleReplySkipped"] == [1.0]


def test_reply_for_a_missing_conversation_is_skipped(sender, aws, h, twilio, lambda_context):
    assert sender.lambda_handler(_event(h), lambda_context) == {"batchItemFailures": []}
    assert len(twilio.calls) == 0


def test_redelivered_record_after_a_sent_reply_does_not_send_twice(sender, aws, h, locked, twilio, lambda_context):
    locked()
    _created(twilio)
    event = _event(h)
    sender.lambda_handler(event, lambda_context)
    sender.lambda_handler(event, lambda_context)
    assert len(twilio.calls) == 1


def test_failed_final_unlock_after_send_is_not_retried(sender, aws, h, locked, twilio, lambda_context, fail_call,
                                                      logs):
    locked()
    _created(twilio)
    fail_call(sender.dynamodb.meta.client, "UpdateItem", h.client_error("ThrottlingException", 400, "UpdateItem"))
    response = sender.lambda_handler(_event(h), lambda_context)

    assert response == {"batchItemFailures": []}  # never resend a reply that went out
    assert len(twilio.calls) == 1
    failed = logs.one("Final unlock failed; the stalled-lock reset will release the conversation")
    assert failed["aws_error"] == "ThrottlingException" and failed["status"] == "ai_response_sent"
    assert _item(aws)["conversation_status"] == "processing_reply"


def test_final_unlock_is_conditional_on_the_batch_still_owning_the_lock(sender, aws, h, locked, twilio,
                                                                       lambda_context, logs):
    locked()

    def reset_during_send(request):
        aws.table.update_item(Key={"conversation_id": "conv-1"},
                              UpdateExpression="SET conversation_status = :t REMOVE current_batch_id",
                              ExpressionAttributeValues={":t": "processing_timeout"})
        return 201, {}, json.dumps({"sid": REPLY_SID, "status": "queued"})

    twilio.add_callback(responses.POST, twilio.url, callback=reset_during_send)
    sender.lambda_handler(_event(h), lambda_context)

    assert _item(aws)["conversation_status"] == "processing_timeout"
    assert logs.one("Final unlock skipped: lock no longer held by this batch")["status"] == "ai_response_sent"


# ------------------------------------------------------------------ non-Twilio failures


def test_email_replies_are_not_supported_and_unlock_with_error(sender, aws, h, locked, twilio, lambda_context, logs):
    locked()
    sender.lambda_handler(_event(h, channel_type="email"), lambda_context)
    assert len(twilio.calls) == 0
    assert _item(aws)["conversation_status"] == "ai_response_failed"
    assert _item(aws)["last_error_code"] == "CHANNEL_NOT_SUPPORTED"
    assert logs.one("Reply not sent")["error_code"] == "CHANNEL_NOT_SUPPORTED"


def test_missing_reply_address_unlocks_with_error(sender, aws, h, locked, twilio, lambda_context):
    locked()
    sender.lambda_handler(_event(h, reply_to=None), lambda_context)
    assert len(twilio.calls) == 0
    assert _item(aws)["last_error_code"] == "MISSING_ADDRESS"


def test_composer_failure_unlocks_with_error(sender, aws, h, locked, twilio, lambda_context, monkeypatch, mod):
    locked()

    def broken(_context):
        raise RuntimeError("model unavailable")

    monkeypatch.setattr(mod("reply_sender.reply_composer"), "compose_reply", broken)
    sender.lambda_handler(_event(h), lambda_context)
    assert len(twilio.calls) == 0
    assert _item(aws)["last_error_code"] == "COMPOSE_ERROR"


def test_empty_composed_reply_unlocks_with_error(sender, aws, h, locked, twilio, lambda_context, monkeypatch, mod):
    locked()
    monkeypatch.setattr(mod("reply_sender.reply_composer"), "compose_reply", lambda _context: "  ")
    sender.lambda_handler(_event(h), lambda_context)
    assert _item(aws)["last_error_code"] == "EMPTY_REPLY"


def test_secret_failure_before_sending_is_retried_by_sqs_with_the_lock_kept(
    sender, aws, h, locked, twilio, lambda_context, fail_call, mod, logs
):
    locked()
    fail_call(mod("shared.secrets").secretsmanager, "GetSecretValue", h.client_error("ThrottlingException"))
    response = sender.lambda_handler(_event(h), lambda_context)

    assert response == {"batchItemFailures": [{"itemIdentifier": "ai-msg-1"}]}
    assert len(twilio.calls) == 0
    assert _item(aws)["conversation_status"] == "processing_reply"
    assert logs.one("Reply record failed before sending; SQS will redeliver it")["level"] == "ERROR"


def test_conversation_read_failure_is_retried_by_sqs(sender, aws, h, locked, twilio, lambda_context, fail_call):
    locked()
    fail_call(sender.dynamodb.meta.client, "GetItem", h.client_error("InternalServerError", 500, "GetItem"))
    assert sender.lambda_handler(_event(h), lambda_context) == {"batchItemFailures": [{"itemIdentifier": "ai-msg-1"}]}
    assert len(twilio.calls) == 0


@pytest.mark.parametrize("body", ["not json", json.dumps({"conversation_id": "conv-1"}), json.dumps([1])])
def test_invalid_reply_record_is_left_to_the_redrive_policy(sender, aws, h, twilio, lambda_context, body):
    event = {"Records": [h.sqs_record({}, "ai-bad", body=body)]}
    assert sender.lambda_handler(event, lambda_context) == {"batchItemFailures": [{"itemIdentifier": "ai-bad"}]}


def test_twilio_client_is_reused_until_credentials_rotate(sender, aws, h, locked, twilio, lambda_context, mod,
                                                          monkeypatch):
    twilio_service = mod("reply_sender.twilio_service")
    monkeypatch.setenv("SECRET_CACHE_TTL_SECONDS", "0")
    _created(twilio)
    locked()
    sender.lambda_handler(_event(h), lambda_context)
    first = next(iter(twilio_service._clients.values()))
    locked()
    sender.lambda_handler(_event(h), lambda_context)
    assert next(iter(twilio_service._clients.values())) is first

    aws.secrets.put_secret_value(SecretId=h.SECRET_NAME, SecretString=json.dumps(
        {"twilio_account_sid": h.ACCOUNT_SID, "twilio_auth_token": "rotated"}))
    locked()
    sender.lambda_handler(_event(h), lambda_context)
    assert len(twilio_service._clients) == 1
    assert next(iter(twilio_service._clients.values())) is not first


# ------------------------------------------------------------------ the stand-in composer


def test_reply_composer_is_deterministic(mod):
    composer = mod("reply_sender.reply_composer")
    assert composer.compose_reply({}) == composer.DEFAULT_REPLY
    assert composer.compose_reply({"conversation": {"recipient_first_name": " Ana "}}) == \
        f"Hi Ana! {composer.DEFAULT_REPLY}"
