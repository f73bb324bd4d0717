"""utils.parsing_utils: channel from the path and the snake_case context object (None on failure)."""
from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from freezegun import freeze_time


@pytest.fixture
def parsing(mod):
    return mod("webhook_handler.utils.parsing_utils")


@pytest.mark.parametrize(
    "path, channel",
    [("/whatsapp", "whatsapp"), ("/sms", "sms"), ("/email", "email"), ("/webhooks/SMS/", "sms"),
     ("/telegram", None), ("/", None), ("", None), (None, None)],
)
def test_channel_is_the_last_path_segment(parsing, path, channel):
    assert parsing.channel_from_path({"path": path}) == channel


def test_channel_from_a_non_dict_event_is_none(parsing):
    assert parsing.channel_from_path("not an event") is None


def test_whatsapp_form_body_becomes_snake_case_context(parsing, h):
    event = h.api_event("/whatsapp", urlencode(h.twilio_params("whatsapp")))
    with freeze_time("2026-02-03T04:05:06.789Z"):
        context = parsing.create_context_object(event)

    assert context == {
        "channel_type": "whatsapp",
        "from": f"whatsapp:{h.USER_NUMBER}",
        "to": f"whatsapp:{h.COMPANY_NUMBER}",
        "body": "Hello there!",
        "message_sid": "SM" + "1" * 32,
        "account_sid": h.ACCOUNT_SID,
        "received_at": "2026-02-03T04:05:06.789000Z",
    }


def test_sms_body_may_be_empty_but_not_missing_required_keys(parsing, h):
    context = parsing.create_context_object(h.api_event("/sms", urlencode(h.twilio_params("sms", Body=""))))
    assert context["body"] == ""
    assert context["channel_type"] == "sms"


@pytest.mark.parametrize("missing", ["From", "To", "MessageSid", "AccountSid"])
def test_missing_required_twilio_field_returns_none(parsing, h, missing):
    params = h.twilio_params("sms", **{missing: None})
    assert parsing.create_context_object(h.api_event("/sms", urlencode(params))) is None


def test_blank_required_twilio_field_returns_none(parsing, h):
    params = h.twilio_params("sms", MessageSid="   ")
    assert parsing.create_context_object(h.api_event("/sms", urlencode(params))) is None


def test_whatsapp_path_requires_whatsapp_addresses(parsing, h):
    params = h.twilio_params("sms")  # plain numbers
    assert parsing.create_context_object(h.api_event("/whatsapp", urlencode(params))) is None


def test_sms_path_refuses_whatsapp_addresses(parsing, h):
    params = h.twilio_params("whatsapp")
    assert parsing.create_context_object(h.api_event("/sms", urlencode(params))) is None


def test_missing_body_returns_none(parsing, h):
    assert parsing.create_context_object(h.api_event("/sms", None)) is None


def test_invalid_base64_body_returns_none(parsing, h):
    event = h.api_event("/sms", "%%%not-base64%%%", isBase64Encoded=True)
    assert parsing.create_context_object(event) is None


def test_base64_body_is_decoded(parsing, h):
    raw = urlencode(h.twilio_params("sms"))
    event = h.api_event("/sms", base64.b64encode(raw.encode()).decode(), isBase64Encoded=True)
    assert parsing.create_context_object(event)["message_sid"] == "SM" + "1" * 32


def test_unknown_channel_returns_none(parsing, h):
    assert parsing.create_context_object(h.api_event("/fax", urlencode(h.twilio_params("sms")))) is None


def test_email_json_body_maps_message_id_to_message_sid(parsing, h):
    context = parsing.create_context_object(h.email_event())
    assert context["channel_type"] == "email"
    assert context["from"] == h.USER_EMAIL
    assert context["to"] == h.COMPANY_EMAIL
    assert context["subject"] == "Question"
    assert context["body"] == "Hello by mail"
    assert context["message_sid"] == "<msg-1@example.com>"


@pytest.mark.parametrize(
    "raw",
    ["not json", json.dumps(["a list"]), json.dumps({"from": "a@b.c", "to": "c@d.e"}),
     json.dumps({"from": "a@b.c", "to": "", "message_id": "m"}), json.dumps({"from": 1, "to": "x", "message_id": "m"})],
)
def test_invalid_email_bodies_return_none(parsing, h, raw):
    assert parsing.create_context_object(h.api_event("/email", raw)) is None
