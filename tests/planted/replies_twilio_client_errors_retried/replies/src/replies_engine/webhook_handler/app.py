"""Stage 1 handler: parse, verify, validate, route and queue an inbound message; answer the provider.

Response rules (design section 4.3): for Twilio channels only transient codes raise (API Gateway then
answers 5xx and Twilio retries); every other outcome is 200 TwiML - empty, or with a ``<Message>`` for
``CONVERSATION_LOCKED``. Other channels get the response builder's JSON status. A request whose
``X-Twilio-Signature`` does not verify is answered 403 and nothing is processed.
"""
from __future__ import annotations

from aws_lambda_powertools.utilities.typing import LambdaContext

from replies_engine.shared.config import env_int, env_str
from replies_engine.shared.observability import count, logger, mask_address, metrics
from replies_engine.shared.secrets import SecretUnavailableError
from replies_engine.webhook_handler.core import routing, signature, validation
from replies_engine.webhook_handler.services import sqs_service
from replies_engine.webhook_handler.utils import parsing_utils, response_builder

TRANSIENT_ERROR_CODES = frozenset({"DB_TRANSIENT_ERROR", "SECRETS_TRANSIENT_ERROR"})
DEFAULT_LOCKED_MESSAGE = (
    "We're still working on a reply to your previous message. "
    "Please wait for it before sending another message."
)
# Business-rule outcomes are expected traffic (INFO); these are failures of the system (ERROR).
_SYSTEM_ERROR_CODES = frozenset(
    {"CONFIGURATION_ERROR", "DB_QUERY_ERROR", "DB_TRANSIENT_ERROR", "SECRETS_TRANSIENT_ERROR",
     "ROUTING_ERROR", "QUEUE_ERROR", "INTERNAL_ERROR"}
)
_SECURITY_ERROR_CODES = frozenset({"INVALID_SIGNATURE", "PARSING_ERROR"})


class TransientWebhookError(Exception):
    """Raised on purpose so that API Gateway answers 5xx and Twilio retries the webhook."""

    def __init__(self, error_code: str, message: str):
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code


def batch_delay_seconds() -> int:
    """The batching window applied to messages sent to a channel (batch) queue: 15 s unless configured."""
    return env_int("BATCH_DELAY_SECONDS", 15, minimum=0, maximum=900)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    channel = parsing_utils.channel_from_path(event)
    try:
        return _handle(event, channel)
    except TransientWebhookError:
        raise
    except Exception:  # noqa: BLE001 - the safety net of design section 4.3
        # Safety net: a bug must not make Twilio retry a message forever.
        logger.exception("Unexpected error while handling webhook")
        return _determine_final_error_response(channel, "INTERNAL_ERROR", "Unexpected internal error")


def _handle(event: dict, channel: str | None) -> dict:
    count("WebhookReceived")
    logger.append_keys(channel_type=channel)

    if channel in parsing_utils.TWILIO_CHANNELS:
        try:
            if not signature.is_valid_twilio_request(event):
                return _determine_final_error_response(channel, "INVALID_SIGNATURE", "Request signature is not valid")
        except SecretUnavailableError as exc:
            code = "SECRETS_TRANSIENT_ERROR" if exc.transient else "CONFIGURATION_ERROR"
            return _determine_final_error_response(channel, code, str(exc))

    context_object = parsing_utils.create_context_object(event)
    if context_object is None:
        return _determine_final_error_response(channel, "PARSING_ERROR", "Request could not be parsed")
    logger.append_keys(message_sid=context_object["message_sid"])
    logger.info("Webhook received and parsed", extra={"from": mask_address(context_object["from"])})

    found = validation.check_conversation_exists(context_object)
    if not found["valid"]:
        return _determine_final_error_response(channel, found["error_code"], found["message"])
    context_object = found["data"]
    logger.append_keys(conversation_id=context_object.get("conversation_id"))

    rules = validation.validate_conversation_rules(context_object)
    if not rules["valid"]:
        return _determine_final_error_response(channel, rules["error_code"], rules["message"])
    logger.info("Conversation validated")

    target_queue_url = routing.determine_target_queue(context_object)
    if not target_queue_url:
        return _determine_final_error_response(channel, "ROUTING_ERROR", "No target queue for this message")

    is_handoff = target_queue_url == routing.handoff_queue_url()
    delay = 0 if is_handoff else batch_delay_seconds()
    try:
        message_id = sqs_service.send_message(target_queue_url, context_object, delay_seconds=delay)
    except Exception as exc:  # noqa: BLE001 - any send failure is QUEUE_ERROR (design step 5)
        logger.exception("Failed to queue message", extra={"error_type": type(exc).__name__})
        return _determine_final_error_response(channel, "QUEUE_ERROR", "The message could not be queued")

    count("MessagesQueuedToHandoff" if is_handoff else "MessagesQueued")
    logger.info(
        "Message queued",
        extra={"queue": target_queue_url.rsplit("/", 1)[-1], "delay_seconds": delay, "sqs_message_id": message_id},
    )
    if channel in parsing_utils.TWILIO_CHANNELS:
        return response_builder.create_twiml_response()
    return response_builder.create_success_response("Message queued")


def _determine_final_error_response(channel: str | None, error_code: str, message: str) -> dict:
    """Apply the channel-specific response rules to an internal error code (design section 4.3)."""
    _log_rejection(error_code, message)
    count("WebhookErrors")
    if error_code == "CONVERSATION_LOCKED":
        count("ConcurrentMessageRejected")

    if channel not in parsing_utils.TWILIO_CHANNELS:
        return response_builder.create_error_response(error_code, message)
    if error_code in TRANSIENT_ERROR_CODES:
        raise TransientWebhookError(error_code, message)
    if error_code == "INVALID_SIGNATURE":
        return response_builder.create_error_response(error_code, message)
    if error_code == "CONVERSATION_LOCKED":
        return response_builder.create_twiml_response(env_str("CONVERSATION_LOCKED_MESSAGE", DEFAULT_LOCKED_MESSAGE))
    return response_builder.create_twiml_response()


def _log_rejection(error_code: str, message: str) -> None:
    extra = {"error_code": error_code, "reason": message}
    if error_code in _SYSTEM_ERROR_CODES:
        logger.error("Webhook not processed", extra=extra)
    elif error_code in _SECURITY_ERROR_CODES:
        logger.warning("Webhook rejected", extra=extra)
    else:
        logger.info("Webhook rejected by conversation rules", extra=extra)
