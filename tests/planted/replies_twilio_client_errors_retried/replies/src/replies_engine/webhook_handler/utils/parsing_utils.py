"""Turn an API Gateway proxy event into the snake_case ``context_object`` the rest of the handler uses."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qs

from replies_engine.shared.timeutil import now_iso

SUPPORTED_CHANNELS = ("whatsapp", "sms", "email")
TWILIO_CHANNELS = ("whatsapp", "sms")

# Twilio form field -> context key. From/To/MessageSid/AccountSid are required; Body may be empty
# (a media-only WhatsApp message has an empty Body).
_TWILIO_FIELDS = {
    "From": "from",
    "To": "to",
    "Body": "body",
    "MessageSid": "message_sid",
    "AccountSid": "account_sid",
}
_TWILIO_REQUIRED = ("From", "To", "MessageSid", "AccountSid")
_EMAIL_REQUIRED = ("from", "to", "message_id")


def channel_from_path(event: Any) -> str | None:
    """The channel named by the last segment of ``event['path']`` (``/whatsapp`` -> ``whatsapp``)."""
    if not isinstance(event, dict):
        return None
    path = event.get("path")
    if not isinstance(path, str):
        return None
    segments = [segment for segment in path.strip().split("/") if segment]
    if not segments:
        return None
    channel = segments[-1].lower()
    return channel if channel in SUPPORTED_CHANNELS else None


def decode_body(event: dict) -> str | None:
    """The request body as text, base64-decoded when API Gateway says so; ``None`` when absent/invalid."""
    body = event.get("body")
    if not isinstance(body, str):
        return None
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return body


def parse_form_body(body: str) -> dict[str, list[str]]:
    """Form-urlencoded body -> ``{name: [values...]}`` (blank values kept, as Twilio signs them)."""
    return parse_qs(body, keep_blank_values=True)


def create_context_object(event: Any) -> dict | None:
    """Build the context object for the event's channel, or ``None`` when it cannot be parsed.

    WhatsApp/SMS: Twilio form fields mapped to snake_case (see ``_TWILIO_FIELDS``). The WhatsApp path
    requires ``whatsapp:`` addresses and the SMS path refuses them. E-mail: a JSON body with ``from``,
    ``to``, ``message_id`` (used as ``message_sid``, the deduplication key), optional ``body``/``subject``.
    ``received_at`` records when the webhook arrived; Stage 2 sorts a batch by it.
    """
    channel = channel_from_path(event)
    if channel is None:
        return None
    body = decode_body(event)
    if body is None:
        return None
    if channel in TWILIO_CHANNELS:
        context_object = _parse_twilio(channel, body)
    else:
        context_object = _parse_email(body)
    if context_object is None:
        return None
    context_object["received_at"] = now_iso()
    return context_object


def _parse_twilio(channel: str, body: str) -> dict | None:
    params = parse_form_body(body)
    if any(not (params.get(name) or [""])[0].strip() for name in _TWILIO_REQUIRED):
        return None
    context_object: dict[str, Any] = {"channel_type": channel}
    for field, key in _TWILIO_FIELDS.items():
        context_object[key] = (params.get(field) or [""])[0]
    is_whatsapp_address = context_object["from"].lower().startswith("whatsapp:")
    if (channel == "whatsapp") != is_whatsapp_address:
        return None
    return context_object


def _parse_email(body: str) -> dict | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    if any(not isinstance(payload.get(key), str) or not payload[key].strip() for key in _EMAIL_REQUIRED):
        return None
    return {
        "channel_type": "email",
        "from": payload["from"].strip(),
        "to": payload["to"].strip(),
        "subject": str(payload.get("subject") or ""),
        "body": str(payload.get("body") or ""),
        "message_sid": payload["message_id"].strip(),
    }
