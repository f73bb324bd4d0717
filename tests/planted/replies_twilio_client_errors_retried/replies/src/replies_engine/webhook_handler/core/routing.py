"""Choose the SQS queue for a validated message: the human handoff queue or the channel's batch queue."""
from __future__ import annotations

from replies_engine.shared.config import env_str
from replies_engine.shared.observability import logger
from replies_engine.webhook_handler.core.validation import strip_address

CHANNEL_QUEUE_ENV = {
    "whatsapp": "WHATSAPP_QUEUE_URL",
    "sms": "SMS_QUEUE_URL",
    "email": "EMAIL_QUEUE_URL",
}
HANDOFF_QUEUE_ENV = "HANDOFF_QUEUE_URL"


def _is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return list(value)
    except TypeError:
        return []


def handoff_queue_url() -> str | None:
    return env_str(HANDOFF_QUEUE_ENV)


def determine_target_queue(context_object: dict) -> str | None:
    """Queue URL for the message, or ``None`` when no queue can be determined (``ROUTING_ERROR``).

    Order: ``auto_queue_reply_message`` is true -> handoff; the sender is in
    ``auto_queue_reply_message_from_number`` (WhatsApp/SMS) or ``..._from_email`` (e-mail) -> handoff;
    otherwise the channel queue. (``hand_off_to_human`` is deliberately not consulted: the design has that
    check commented out.)
    """
    channel = context_object.get("channel_type")
    if channel not in CHANNEL_QUEUE_ENV:
        logger.error("Cannot route message: unknown channel", extra={"channel_type": channel})
        return None

    if _is_true(context_object.get("auto_queue_reply_message")):
        return _handoff("auto_queue_reply_message")

    sender = strip_address(channel, context_object.get("from"))
    list_field = "auto_queue_reply_message_from_email" if channel == "email" else "auto_queue_reply_message_from_number"
    listed = {strip_address(channel, entry) for entry in _as_list(context_object.get(list_field))}
    if sender and sender in listed:
        return _handoff(list_field)

    queue_url = env_str(CHANNEL_QUEUE_ENV[channel])
    if queue_url is None:
        logger.error("Cannot route message: channel queue not configured", extra={"env_var": CHANNEL_QUEUE_ENV[channel]})
    return queue_url


def _handoff(reason: str) -> str | None:
    queue_url = handoff_queue_url()
    if queue_url is None:
        logger.error("Cannot route message: handoff queue not configured", extra={"env_var": HANDOFF_QUEUE_ENV})
        return None
    logger.info("Routing message to human handoff queue", extra={"handoff_reason": reason})
    return queue_url
