"""Property tests of the replies engine's parsers: any input gives a valid result or the documented refusal
(None, InvalidBatchMessage, InvalidReplyMessage), never an unexpected exception."""
from __future__ import annotations

import base64
import datetime as dt
from urllib.parse import parse_qsl

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from replies_engine.batch_processor.grouping import BatchMessage, InvalidBatchMessage, parse_record
from replies_engine.shared import config, timeutil
from replies_engine.webhook_handler.utils import parsing_utils
from twilio.request_validator import RequestValidator

from harness import strategies as hs

# The package's autouse fixtures (moto, env) are function-scoped; these parsers are pure and never touch them.
pure = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])

URL = "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/whatsapp"
TOKEN = "test-auth-token-0123456789abcdef"
channels = st.sampled_from(["/whatsapp", "/sms", "/email", "/telegram", "/", ""])
bodies = st.text() | hs.json_values().map(str) | st.binary().map(lambda b: base64.b64encode(b).decode())
api_events = st.fixed_dictionaries({"path": channels, "body": st.none() | bodies | st.integers() | st.booleans(),
                                    "isBase64Encoded": st.booleans()})


@pure
@given(api_events | hs.mutated(hs.api_gateway_events(path=channels, body=bodies)))
@example({"path": "/sms", "body": "é", "isBase64Encoded": True})  # non-ASCII "base64": ValueError before the fix
@example({"path": "/email", "body": "[" * 100_000, "isBase64Encoded": False})  # deeper than the stack
def test_context_parser_returns_a_context_or_none(event):
    context = parsing_utils.create_context_object(event)
    assert context is None or (context["channel_type"] in parsing_utils.SUPPORTED_CHANNELS
                               and context["message_sid"].strip() and "received_at" in context)


@pure
@given(st.fixed_dictionaries({"body": st.none() | st.text() | st.integers(), "isBase64Encoded": st.booleans()}))
@example({"body": "ü==", "isBase64Encoded": True})
def test_decode_body_returns_text_or_none(event):
    body = parsing_utils.decode_body(event)
    assert body is None or isinstance(body, str)


@pure
@given(hs.twilio_webhook_events(URL, TOKEN))
def test_a_signed_twilio_webhook_parses_to_its_own_fields_and_verifies(mod, event):
    form = dict(parse_qsl(event["body"], keep_blank_values=True))
    context = parsing_utils.create_context_object(event)
    assert context["message_sid"] == form["MessageSid"] and context["from"] == form["From"]
    assert mod("webhook_handler.core.signature").webhook_url(event) == URL
    assert RequestValidator(TOKEN).validate(URL, form, event["headers"]["X-Twilio-Signature"])


@pure
@given(hs.sqs_records() | hs.mutated(hs.sqs_records(body=hs.json_objects(
    {"conversation_id": st.text(max_size=8), "message_sid": st.text(max_size=8)}))) | hs.json_values())
@example({"body": True})  # TypeError from json.loads before the fix: it failed the whole batch
@example({"body": '{"conversation_id": "c", "message_sid": "m"}',
          "messageAttributes": {"RetryAttempt": {"stringValue": "inf"}}})  # OverflowError before the fix
@example({"body": '{"conversation_id": "c", "message_sid": "m"}', "messageAttributes": [],
          "attributes": {"SentTimestamp": []}})
def test_batch_record_parser_returns_a_message_or_refuses_it(record):
    try:
        message = parse_record(record)
    except InvalidBatchMessage:
        return
    assert isinstance(message, BatchMessage) and message.conversation_id and message.message_sid
    assert message.retry_attempt >= 0


@pure
@given(hs.sqs_records() | hs.mutated(hs.sqs_records(body=hs.json_objects(
    {"conversation_id": st.text(max_size=8), "batch_id": st.text(max_size=8)}))))
@example({"body": 7})
def test_reply_record_parser_returns_a_context_or_refuses_it(mod, record):
    sender_app = mod("reply_sender.app")
    try:
        context = sender_app._parse(record)
    except sender_app.InvalidReplyMessage:
        return
    assert context["conversation_id"] and context["batch_id"]


moments = st.datetimes(min_value=dt.datetime(1000, 1, 2), max_value=dt.datetime(9999, 12, 30),
                       timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)),
                                                  dt.timezone(dt.timedelta(hours=-8))]))  # fixed offsets: no DST gaps


@pure
@given(moments, moments)
def test_timestamps_round_trip_and_sort_as_text(first, second):
    """Documented for years 1000-9999 (four-digit years): 27 characters, string order is time order."""
    a, b = timeutil.to_iso(first), timeutil.to_iso(second)
    assert len(a) == 27 and timeutil.parse_iso(a) == first
    assert (a < b) == (first < second)


@pure
@given(st.text(), st.integers(-1000, 1000), st.integers(0, 10), st.integers(10, 100))
def test_env_int_is_the_clamped_value_or_the_default(monkeypatch, raw, default, low, high):
    monkeypatch.setenv("FUZZ_ENV_INT", raw.replace("\x00", ""))
    value = config.env_int("FUZZ_ENV_INT", default, minimum=low, maximum=high)
    assert low <= value <= high
