"""Conversation lookup on the channel's GSI and the business rules a conversation must pass."""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

import boto3
from boto3.dynamodb.conditions import Attr, Key

from replies_engine.shared import statuses
from replies_engine.shared.aws_errors import error_code, is_aws_error, is_transient
from replies_engine.shared.config import BOTO_CONFIG, env_str
from replies_engine.shared.observability import logger

dynamodb = boto3.resource("dynamodb", config=BOTO_CONFIG)

# Keys of the inbound message that the conversation record must not overwrite.
_MESSAGE_KEYS = ("channel_type", "from", "to", "body", "subject", "message_sid", "account_sid", "received_at")


@dataclass(frozen=True)
class GsiConfig:
    index_name: str
    company_key: str  # GSI partition key: the company's number/address (the message's To)
    recipient_key: str  # GSI sort key: the end user's number/address (the message's From)


GSI_CONFIG = {
    "whatsapp": GsiConfig("company-whatsapp-number-recipient-tel-index", "gsi_company_whatsapp_number", "gsi_recipient_tel"),
    "sms": GsiConfig("company-sms-number-recipient-tel-index", "gsi_company_sms_number", "gsi_recipient_tel"),
    "email": GsiConfig("company-email-recipient-email-index", "gsi_company_email", "gsi_recipient_email"),
}


def strip_address(channel: str, value: object) -> str:
    """The bare GSI key: ``whatsapp:+1415...`` -> ``+1415...``; ``Jane <J@X.com>`` -> ``j@x.com``."""
    text = str(value or "").strip()
    if channel == "email":
        return parseaddr(text)[1].strip().lower()
    prefix, sep, rest = text.partition(":")
    if sep and prefix.lower() in ("whatsapp", "sms"):
        return rest.strip()
    return text


def _failure(code: str, message: str) -> dict:
    return {"valid": False, "error_code": code, "message": message}


def check_conversation_exists(context_object: dict) -> dict:
    """Find the active (``task_complete = 0``) conversation for the message and merge it into the context.

    Returns ``{'valid': True, 'data': context}`` or ``{'valid': False, 'error_code', 'message'}`` with
    ``CONFIGURATION_ERROR``, ``MISSING_REQUIRED_FIELD``, ``DB_TRANSIENT_ERROR``, ``DB_QUERY_ERROR``,
    ``INTERNAL_ERROR`` or ``CONVERSATION_NOT_FOUND``. When several are active the newest ``created_at`` wins.
    """
    channel = context_object.get("channel_type")
    gsi = GSI_CONFIG.get(channel)
    table_name = env_str("CONVERSATIONS_TABLE")
    if gsi is None or table_name is None:
        return _failure("CONFIGURATION_ERROR", f"No conversation lookup configured for channel {channel!r}")
    company = strip_address(channel, context_object.get("to"))
    recipient = strip_address(channel, context_object.get("from"))
    if not company or not recipient:
        return _failure("MISSING_REQUIRED_FIELD", "Sender and recipient are required to find the conversation")

    try:
        items = _query_active(table_name, gsi, company, recipient)
    except Exception as exc:  # noqa: BLE001 - every failure maps to an error code
        if not is_aws_error(exc):
            logger.exception("Unexpected error querying conversations")
            return _failure("INTERNAL_ERROR", "Unexpected error while looking up the conversation")
        code = error_code(exc)
        if is_transient(exc):
            logger.error("Transient DynamoDB error querying conversations", extra={"aws_error": code})
            return _failure("DB_TRANSIENT_ERROR", f"Transient database error: {code}")
        logger.error("DynamoDB error querying conversations", extra={"aws_error": code})
        return _failure("DB_QUERY_ERROR", f"Database query failed: {code}")

    if not items:
        return _failure("CONVERSATION_NOT_FOUND", "No active conversation for this sender and recipient")
    if len(items) > 1:
        items.sort(key=lambda item: str(item.get("created_at") or ""), reverse=True)
        logger.warning(
            "Multiple active conversations found; using the most recent",
            extra={
                "match_count": len(items),
                "selected_conversation_id": items[0].get("conversation_id"),
                "candidate_conversation_ids": [item.get("conversation_id") for item in items],
            },
        )
    record = items[0]
    merged = dict(record)
    merged.pop("messages", None)  # the history stays in DynamoDB; Stage 2 reads it under the lock
    merged.update({key: context_object[key] for key in _MESSAGE_KEYS if key in context_object})
    return {"valid": True, "data": merged}


def _query_active(table_name: str, gsi: GsiConfig, company: str, recipient: str) -> list[dict]:
    table = dynamodb.Table(table_name)
    kwargs = {
        "IndexName": gsi.index_name,
        "KeyConditionExpression": Key(gsi.company_key).eq(company) & Key(gsi.recipient_key).eq(recipient),
        "FilterExpression": Attr("task_complete").eq(0),
    }
    items: list[dict] = []
    while True:
        response = table.query(**kwargs)
        items.extend(response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if not last_key:
            return items
        kwargs["ExclusiveStartKey"] = last_key


def validate_conversation_rules(context_object: dict) -> dict:
    """Project active, channel allowed, conversation not locked - checked in that order."""
    if context_object.get("project_status") != "active":
        return _failure("PROJECT_INACTIVE", "The project for this conversation is not active")
    allowed = context_object.get("allowed_channels") or []
    if isinstance(allowed, str):
        allowed = [allowed]
    if context_object.get("channel_type") not in allowed:
        return _failure("CHANNEL_NOT_ALLOWED", "This channel is not allowed for the project")
    if context_object.get("conversation_status") == statuses.PROCESSING_REPLY:
        return _failure("CONVERSATION_LOCKED", "A reply for this conversation is being processed")
    return {"valid": True, "data": context_object}
