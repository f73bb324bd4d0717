"""core.routing: handoff queue for auto-queue flags and listed senders, otherwise the channel queue."""
from __future__ import annotations

import pytest


@pytest.fixture
def routing(mod):
    return mod("webhook_handler.core.routing")


def _context(h, channel="whatsapp", **overrides):
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    sender = h.USER_EMAIL if channel == "email" else f"{prefix}{h.USER_NUMBER}"
    context = {"channel_type": channel, "from": sender, "auto_queue_reply_message": False,
               "auto_queue_reply_message_from_number": [], "auto_queue_reply_message_from_email": []}
    context.update(overrides)
    return context


@pytest.mark.parametrize("channel, key", [("whatsapp", "whatsapp"), ("sms", "sms"), ("email", "email")])
def test_default_route_is_the_channel_queue(routing, h, channel, key):
    assert routing.determine_target_queue(_context(h, channel)) == h.QUEUE_URLS[key]


@pytest.mark.parametrize("flag", [True, "true", "TRUE"])
def test_auto_queue_reply_message_routes_to_handoff(routing, h, flag, logs):
    assert routing.determine_target_queue(_context(h, auto_queue_reply_message=flag)) == h.QUEUE_URLS["handoff"]
    assert logs.one("Routing message to human handoff queue")["handoff_reason"] == "auto_queue_reply_message"


@pytest.mark.parametrize("flag", [False, "false", None, 1, "yes"])
def test_other_flag_values_do_not_route_to_handoff(routing, h, flag):
    assert routing.determine_target_queue(_context(h, auto_queue_reply_message=flag)) == h.QUEUE_URLS["whatsapp"]


@pytest.mark.parametrize("listed", [["+14155238886"], ["whatsapp:+14155238886"], {"+14155238886"}, "+14155238886"])
def test_sender_in_auto_queue_number_list_routes_to_handoff(routing, h, listed):
    context = _context(h, auto_queue_reply_message_from_number=listed)
    assert routing.determine_target_queue(context) == h.QUEUE_URLS["handoff"]


def test_sms_sender_in_number_list_routes_to_handoff(routing, h):
    context = _context(h, "sms", auto_queue_reply_message_from_number=[h.USER_NUMBER])
    assert routing.determine_target_queue(context) == h.QUEUE_URLS["handoff"]


def test_sender_in_auto_queue_email_list_routes_to_handoff(routing, h):
    context = _context(h, "email", auto_queue_reply_message_from_email=["JANE@example.com"])
    assert routing.determine_target_queue(context) == h.QUEUE_URLS["handoff"]


def test_email_list_does_not_apply_to_phone_channels(routing, h):
    context = _context(h, "sms", auto_queue_reply_message_from_email=[h.USER_NUMBER])
    assert routing.determine_target_queue(context) == h.QUEUE_URLS["sms"]


def test_unlisted_sender_goes_to_channel_queue(routing, h):
    context = _context(h, auto_queue_reply_message_from_number=["+10000000000"])
    assert routing.determine_target_queue(context) == h.QUEUE_URLS["whatsapp"]


def test_hand_off_to_human_is_not_consulted(routing, h):
    assert routing.determine_target_queue(_context(h, hand_off_to_human=True)) == h.QUEUE_URLS["whatsapp"]


def test_non_iterable_list_value_is_ignored(routing, h):
    assert routing.determine_target_queue(_context(h, auto_queue_reply_message_from_number=5)) == h.QUEUE_URLS["whatsapp"]


def test_unknown_channel_cannot_be_routed(routing, h, logs):
    assert routing.determine_target_queue(_context(h, channel_type="fax")) is None
    assert logs.one("Cannot route message: unknown channel")["level"] == "ERROR"


def test_unconfigured_channel_queue_cannot_be_routed(routing, h, monkeypatch, logs):
    monkeypatch.delenv("SMS_QUEUE_URL")
    assert routing.determine_target_queue(_context(h, "sms")) is None
    assert logs.one("Cannot route message: channel queue not configured")["env_var"] == "SMS_QUEUE_URL"


def test_unconfigured_handoff_queue_cannot_be_routed(routing, h, monkeypatch, logs):
    monkeypatch.delenv("HANDOFF_QUEUE_URL")
    assert routing.determine_target_queue(_context(h, auto_queue_reply_message=True)) is None
    assert logs.one("Cannot route message: handoff queue not configured")["level"] == "ERROR"


def test_absent_auto_queue_lists_mean_channel_queue(routing, h):
    context = _context(h, "sms")
    del context["auto_queue_reply_message_from_number"], context["auto_queue_reply_message"]
    assert routing.determine_target_queue(context) == h.QUEUE_URLS["sms"]
