"""utils.response_builder: error code -> HTTP status, JSON error body, TwiML from the twilio library."""
from __future__ import annotations

import json

import pytest


@pytest.fixture
def builder(mod):
    return mod("webhook_handler.utils.response_builder")


@pytest.mark.parametrize(
    "code, status",
    [("PARSING_ERROR", 400), ("MISSING_REQUIRED_FIELD", 400), ("INVALID_SIGNATURE", 403), ("PROJECT_INACTIVE", 403),
     ("CHANNEL_NOT_ALLOWED", 403), ("CONVERSATION_NOT_FOUND", 404), ("CONVERSATION_LOCKED", 409),
     ("CONFIGURATION_ERROR", 500), ("DB_QUERY_ERROR", 500), ("ROUTING_ERROR", 500), ("QUEUE_ERROR", 500),
     ("INTERNAL_ERROR", 500), ("DB_TRANSIENT_ERROR", 503), ("SECRETS_TRANSIENT_ERROR", 503), ("NEVER_SEEN", 500)],
)
def test_error_response_status_and_body(builder, code, status):
    response = builder.create_error_response(code, "explained")
    assert response == {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"status": "error", "error_code": code, "message": "explained"}),
    }


def test_success_response(builder):
    assert builder.create_success_response() == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": '{"status": "success", "message": "Message received"}',
    }
    assert json.loads(builder.create_success_response("ok", {"id": 1})["body"])["data"] == {"id": 1}


def test_empty_twiml(builder):
    assert builder.create_twiml_response() == {
        "statusCode": 200,
        "headers": {"Content-Type": "text/xml"},
        "body": '<?xml version="1.0" encoding="UTF-8"?><Response />',
    }


def test_twiml_message_is_escaped(builder):
    assert builder.create_twiml_response("Wait <5> min & retry")["body"] == (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Wait &lt;5&gt; min &amp; retry</Message></Response>'
    )
