"""Stage 3 handler: consume the AI/reply queue, send the reply with Twilio, perform the final unlock.

The reply is sent at most once per batch: before sending, the conversation must still be locked by the
record's ``batch_id`` (a redelivered or stale record is skipped); after a send, the record is never
retried - if the final unlock then fails, the stalled-lock reset releases the conversation.
Infrastructure errors *before* the send (DynamoDB read, Secrets Manager) are reported as batch item
failures so SQS redelivers the record while the lock is still held.
"""
from __future__ import annotations

import json

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext

from replies_engine.reply_sender import reply_composer, twilio_service
from replies_engine.shared import statuses
from replies_engine.shared.aws_errors import error_code, is_conditional_check_failure
from replies_engine.shared.config import BOTO_CONFIG, env_str
from replies_engine.shared.observability import count, logger, mask_address, metrics
from replies_engine.shared.secrets import get_twilio_credentials
from replies_engine.shared.timeutil import now_iso

dynamodb = boto3.resource("dynamodb", config=BOTO_CONFIG)

TWILIO_CHANNELS = ("whatsapp", "sms")
_RECORD_KEYS = ["conversation_id", "batch_id"]
_OWNED = "current_batch_id = :batch_id AND conversation_status = :processing"


class InvalidReplyMessage(ValueError):
    pass


def _table():
    return dynamodb.Table(env_str("CONVERSATIONS_TABLE"))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    failures: list[str] = []
    for record in (event or {}).get("Records") or []:
        try:
            process_record(record)
        except Exception:  # noqa: BLE001 - one record must never fail the others
            logger.exception("Reply record failed before sending; SQS will redeliver it")
            count("ReplyRecordsRetried")
            failures.append(record.get("messageId"))
        finally:
            logger.remove_keys(_RECORD_KEYS)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures if message_id]}


def _parse(record: dict) -> dict:
    try:
        ai_context = json.loads(record.get("body") or "")
    except ValueError as exc:
        raise InvalidReplyMessage("body is not JSON") from exc
    if not isinstance(ai_context, dict) or not ai_context.get("conversation_id") or not ai_context.get("batch_id"):
        raise InvalidReplyMessage("conversation_id and batch_id are required")
    return ai_context


def process_record(record: dict) -> None:
    ai_context = _parse(record)
    conversation_id, batch_id = str(ai_context["conversation_id"]), str(ai_context["batch_id"])
    logger.append_keys(conversation_id=conversation_id, batch_id=batch_id)

    item = _table().get_item(Key={"conversation_id": conversation_id}, ConsistentRead=True).get("Item")
    if not item or item.get("conversation_status") != statuses.PROCESSING_REPLY or item.get("current_batch_id") != batch_id:
        count("StaleReplySkipped")
        logger.warning(
            "Skipping reply: batch no longer holds the conversation lock",
            extra={"conversation_status": (item or {}).get("conversation_status")},
        )
        return

    channel = ai_context.get("channel_type")
    to, from_ = ai_context.get("reply_to"), ai_context.get("reply_from")
    if channel not in TWILIO_CHANNELS:
        _finish_failed(conversation_id, batch_id, "CHANNEL_NOT_SUPPORTED")
        return
    if not to or not from_:
        _finish_failed(conversation_id, batch_id, "MISSING_ADDRESS")
        return
    try:
        reply = reply_composer.compose_reply(ai_context)
    except Exception:  # noqa: BLE001 - the composer is pluggable code; its failure unlocks with an error
        logger.exception("Reply composer failed")
        _finish_failed(conversation_id, batch_id, "COMPOSE_ERROR")
        return
    if not isinstance(reply, str) or not reply.strip():
        _finish_failed(conversation_id, batch_id, "EMPTY_REPLY")
        return

    credentials = get_twilio_credentials()  # raises -> batch item failure, lock still held
    result = twilio_service.send_message(credentials, to=to, from_=from_, body=reply)
    if not result.ok:
        _finish_failed(conversation_id, batch_id, result.error_code or "TWILIO_UNKNOWN")
        return
    count("RepliesSent")
    logger.info(
        "Reply sent",
        extra={"reply_message_sid": result.message_sid, "to": mask_address(to), "attempts": result.attempts},
    )
    _finish_sent(conversation_id, batch_id, result.message_sid, reply)


def _finish_sent(conversation_id: str, batch_id: str, reply_sid: str | None, reply: str) -> None:
    now = now_iso()
    entry = {"message_sid": reply_sid or f"reply-{batch_id}", "role": "assistant", "content": reply,
             "timestamp": now, "batch_id": batch_id}
    _final_update(
        conversation_id,
        "SET conversation_status = :status, processing_ended_at = :now, reply_sent_at = :now, updated_at = :now, "
        "last_reply_message_sid = :reply_sid, messages = list_append(if_not_exists(messages, :empty), :reply) "
        "REMOVE current_batch_id, processing_started_at",
        {":status": statuses.AI_RESPONSE_SENT, ":now": now, ":reply_sid": entry["message_sid"], ":empty": [],
         ":reply": [entry], ":batch_id": batch_id, ":processing": statuses.PROCESSING_REPLY},
        statuses.AI_RESPONSE_SENT,
    )


def _finish_failed(conversation_id: str, batch_id: str, code: str) -> None:
    count("RepliesFailed")
    logger.error("Reply not sent", extra={"error_code": code})
    now = now_iso()
    _final_update(
        conversation_id,
        "SET conversation_status = :status, processing_ended_at = :now, updated_at = :now, "
        "last_error_code = :code, last_failed_batch_id = :batch_id REMOVE current_batch_id, processing_started_at",
        {":status": statuses.AI_RESPONSE_FAILED, ":now": now, ":code": code, ":batch_id": batch_id,
         ":processing": statuses.PROCESSING_REPLY},
        statuses.AI_RESPONSE_FAILED,
    )


def _final_update(conversation_id: str, update: str, values: dict, status: str) -> None:
    """The final unlock, conditional on this batch still owning the lock. Never raises."""
    try:
        _table().update_item(
            Key={"conversation_id": conversation_id},
            UpdateExpression=update,
            ConditionExpression=_OWNED,
            ExpressionAttributeValues=values,
        )
    except Exception as exc:  # noqa: BLE001 - the final unlock never raises (the reply may be out)
        if is_conditional_check_failure(exc):
            logger.warning("Final unlock skipped: lock no longer held by this batch", extra={"status": status})
        else:
            logger.error(
                "Final unlock failed; the stalled-lock reset will release the conversation",
                extra={"status": status, "aws_error": error_code(exc)},
            )
        return
    logger.info("Conversation unlocked", extra={"status": status})
