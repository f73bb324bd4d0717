"""core.validation: GSI lookup with task_complete = 0, error codes, newest record wins, conversation rules."""
from __future__ import annotations

import pytest
from botocore.exceptions import ReadTimeoutError


@pytest.fixture
def validation(mod):
    return mod("webhook_handler.core.validation")


def _context(h, channel="whatsapp", **overrides):
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    context = {
        "channel_type": channel,
        "from": f"{prefix}{h.USER_NUMBER}",
        "to": f"{prefix}{h.COMPANY_NUMBER}",
        "body": "hi",
        "message_sid": "SM1",
        "account_sid": h.ACCOUNT_SID,
        "received_at": "2026-01-01T00:00:00.000000Z",
    }
    if channel == "email":
        context.update({"from": h.USER_EMAIL, "to": h.COMPANY_EMAIL})
    context.update(overrides)
    return context


@pytest.mark.parametrize("channel", ["whatsapp", "sms", "email"])
def test_active_conversation_is_found_on_the_channel_gsi_and_merged(validation, put_conversation, h, channel):
    put_conversation(messages=[{"message_sid": "SM0"}])
    result = validation.check_conversation_exists(_context(h, channel))

    assert result["valid"] is True
    data = result["data"]
    assert data["conversation_id"] == "conv-1"
    assert data["project_status"] == "active"
    assert data["channel_type"] == channel  # the inbound message keeps its own fields
    assert data["message_sid"] == "SM1"
    assert "messages" not in data


def test_completed_conversations_are_filtered_out(validation, put_conversation, h):
    put_conversation(task_complete=1)
    result = validation.check_conversation_exists(_context(h))
    assert result == {"valid": False, "error_code": "CONVERSATION_NOT_FOUND",
                      "message": "No active conversation for this sender and recipient"}


def test_unknown_sender_is_not_found(validation, put_conversation, h):
    put_conversation()
    result = validation.check_conversation_exists(_context(h, **{"from": "whatsapp:+19999999999"}))
    assert result["error_code"] == "CONVERSATION_NOT_FOUND"


def test_newest_created_at_wins_when_several_are_active_and_it_is_logged(validation, put_conversation, h, logs):
    put_conversation(conversation_id="old", created_at="2026-01-01T00:00:00.000000Z")
    put_conversation(conversation_id="newest", created_at="2026-03-01T00:00:00.000000Z")
    put_conversation(conversation_id="middle", created_at="2026-02-01T00:00:00.000000Z")
    put_conversation(conversation_id="done", created_at="2027-01-01T00:00:00.000000Z", task_complete=1)

    result = validation.check_conversation_exists(_context(h))

    assert result["data"]["conversation_id"] == "newest"
    record = logs.one("Multiple active conversations found; using the most recent")
    assert record["level"] == "WARNING"
    assert record["match_count"] == 3
    assert record["selected_conversation_id"] == "newest"
    assert sorted(record["candidate_conversation_ids"]) == ["middle", "newest", "old"]


def test_query_follows_pagination(validation, put_conversation, h, record_calls):
    put_conversation(conversation_id="a", created_at="2026-01-01T00:00:00.000000Z")
    put_conversation(conversation_id="b", created_at="2026-01-02T00:00:00.000000Z")
    client = validation.dynamodb.meta.client
    calls = record_calls(client, "Query")

    def one_item_per_page(params, **_):
        params["Limit"] = 1

    client.meta.events.register("before-parameter-build.dynamodb.Query", one_item_per_page, unique_id="page1")
    try:
        result = validation.check_conversation_exists(_context(h))
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.Query", unique_id="page1")
    assert result["data"]["conversation_id"] == "b"
    assert len(calls) >= 2
    assert "ExclusiveStartKey" in calls[-1]


def test_missing_table_configuration(validation, h, monkeypatch):
    monkeypatch.delenv("CONVERSATIONS_TABLE")
    assert validation.check_conversation_exists(_context(h))["error_code"] == "CONFIGURATION_ERROR"


def test_unknown_channel_has_no_gsi_configuration(validation, h):
    assert validation.check_conversation_exists(_context(h, channel="fax"))["error_code"] == "CONFIGURATION_ERROR"


@pytest.mark.parametrize("field, value", [("from", "whatsapp:"), ("to", ""), ("from", None)])
def test_empty_gsi_key_is_missing_required_field(validation, h, field, value):
    result = validation.check_conversation_exists(_context(h, **{field: value}))
    assert result["error_code"] == "MISSING_REQUIRED_FIELD"


@pytest.mark.parametrize(
    "code, status",
    [("ProvisionedThroughputExceededException", 400), ("ThrottlingException", 400), ("RequestLimitExceeded", 400),
     ("InternalServerError", 500), ("ServiceUnavailable", 503), ("SomethingNew", 502)],
)
def test_throttling_and_server_errors_are_transient(validation, put_conversation, h, fail_call, code, status):
    put_conversation()
    fail_call(validation.dynamodb.meta.client, "Query", h.client_error(code, status, "Query"))
    result = validation.check_conversation_exists(_context(h))
    assert result == {"valid": False, "error_code": "DB_TRANSIENT_ERROR", "message": f"Transient database error: {code}"}


def test_read_timeout_is_transient(validation, put_conversation, h, fail_call):
    put_conversation()
    fail_call(validation.dynamodb.meta.client, "Query",
              lambda kw: ReadTimeoutError(endpoint_url=kw["request"].url), stage="before-send")
    assert validation.check_conversation_exists(_context(h))["error_code"] == "DB_TRANSIENT_ERROR"


@pytest.mark.parametrize("code", ["ResourceNotFoundException", "ValidationException", "AccessDeniedException"])
def test_other_client_errors_are_query_errors(validation, put_conversation, h, fail_call, logs, code):
    put_conversation()
    fail_call(validation.dynamodb.meta.client, "Query", h.client_error(code, 400, "Query"))
    result = validation.check_conversation_exists(_context(h))
    assert result["error_code"] == "DB_QUERY_ERROR"
    assert logs.one("DynamoDB error querying conversations")["aws_error"] == code


def test_missing_table_in_dynamodb_is_a_query_error(validation, aws, h, monkeypatch):
    monkeypatch.setenv("CONVERSATIONS_TABLE", "no-such-table")
    assert validation.check_conversation_exists(_context(h))["error_code"] == "DB_QUERY_ERROR"


def test_unexpected_exception_is_an_internal_error(validation, put_conversation, h, fail_call):
    put_conversation()
    fail_call(validation.dynamodb.meta.client, "Query", RuntimeError("bug"))
    assert validation.check_conversation_exists(_context(h))["error_code"] == "INTERNAL_ERROR"


def test_email_addresses_are_normalised_for_the_gsi(validation, put_conversation, h):
    put_conversation()
    context = _context(h, "email", **{"from": "Jane Doe <JANE@Example.com>"})
    assert validation.check_conversation_exists(context)["valid"] is True


# ------------------------------------------------------------------ rules


def _rules_context(**overrides):
    context = {"channel_type": "whatsapp", "project_status": "active", "allowed_channels": ["whatsapp", "sms"],
               "conversation_status": "ai_response_sent"}
    context.update(overrides)
    return context


def test_rules_pass_for_active_allowed_unlocked_conversation(validation):
    context = _rules_context()
    assert validation.validate_conversation_rules(context) == {"valid": True, "data": context}


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"project_status": "inactive"}, "PROJECT_INACTIVE"),
        ({"project_status": None}, "PROJECT_INACTIVE"),
        ({"allowed_channels": ["sms"]}, "CHANNEL_NOT_ALLOWED"),
        ({"allowed_channels": None}, "CHANNEL_NOT_ALLOWED"),
        ({"allowed_channels": "sms"}, "CHANNEL_NOT_ALLOWED"),
        ({"conversation_status": "processing_reply"}, "CONVERSATION_LOCKED"),
    ],
)
def test_rule_failures(validation, overrides, code):
    assert validation.validate_conversation_rules(_rules_context(**overrides))["error_code"] == code


def test_rules_are_checked_in_order(validation):
    context = _rules_context(project_status="inactive", allowed_channels=[], conversation_status="processing_reply")
    assert validation.validate_conversation_rules(context)["error_code"] == "PROJECT_INACTIVE"
    context["project_status"] = "active"
    assert validation.validate_conversation_rules(context)["error_code"] == "CHANNEL_NOT_ALLOWED"


def test_allowed_channels_stored_as_a_string_set(validation):
    context = _rules_context(allowed_channels={"whatsapp"})
    assert validation.validate_conversation_rules(context)["valid"] is True


def test_single_allowed_channel_string(validation):
    assert validation.validate_conversation_rules(_rules_context(allowed_channels="whatsapp"))["valid"] is True


@pytest.mark.parametrize(
    "channel, raw, expected",
    [("whatsapp", "whatsapp:+1415", "+1415"), ("sms", "+1415", "+1415"), ("sms", "sms:+1415", "+1415"),
     ("email", "Jane <J@X.com>", "j@x.com"), ("whatsapp", None, "")],
)
def test_strip_address(validation, channel, raw, expected):
    assert validation.strip_address(channel, raw) == expected
