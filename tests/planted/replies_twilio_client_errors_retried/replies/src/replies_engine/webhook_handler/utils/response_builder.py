"""API Gateway proxy responses: the standard JSON error body and Twilio TwiML acknowledgements."""
from __future__ import annotations

import json

from twilio.twiml.messaging_response import MessagingResponse

# Internal error code -> suggested HTTP status (section 4.3 of the design).
ERROR_STATUS_CODES = {
    "PARSING_ERROR": 400,
    "MISSING_REQUIRED_FIELD": 400,
    "INVALID_SIGNATURE": 403,
    "PROJECT_INACTIVE": 403,
    "CHANNEL_NOT_ALLOWED": 403,
    "CONVERSATION_NOT_FOUND": 404,
    "CONVERSATION_LOCKED": 409,
    "CONFIGURATION_ERROR": 500,
    "DB_QUERY_ERROR": 500,
    "ROUTING_ERROR": 500,
    "QUEUE_ERROR": 500,
    "INTERNAL_ERROR": 500,
    "DB_TRANSIENT_ERROR": 503,
    "SECRETS_TRANSIENT_ERROR": 503,
}

JSON_HEADERS = {"Content-Type": "application/json"}
TWIML_HEADERS = {"Content-Type": "text/xml"}


def status_for(error_code: str) -> int:
    """The suggested HTTP status; unknown codes are internal errors (500)."""
    return ERROR_STATUS_CODES.get(error_code, 500)


def create_success_response(message: str = "Message received", data: dict | None = None) -> dict:
    body: dict = {"status": "success", "message": message}
    if data:
        body["data"] = data
    return {"statusCode": 200, "headers": dict(JSON_HEADERS), "body": json.dumps(body)}


def create_error_response(error_code: str, message: str) -> dict:
    body = {"status": "error", "error_code": error_code, "message": message}
    return {"statusCode": status_for(error_code), "headers": dict(JSON_HEADERS), "body": json.dumps(body)}


def create_twiml_response(message: str | None = None) -> dict:
    """200 with TwiML: empty ``<Response />`` acknowledges; with ``message`` it replies to the sender."""
    twiml = MessagingResponse()
    if message:
        twiml.message(message)
    return {"statusCode": 200, "headers": dict(TWIML_HEADERS), "body": str(twiml)}
