"""Stage 2 handler: batch the delayed messages of each conversation under a DynamoDB lock.

Per conversation in the SQS batch: sort by original timestamp, take the lock with one conditional
UpdateItem, drop messages whose MessageSid is already stored, append the rest in one update and send the
context to the AI queue. Lock contention requeues the messages with a longer delay (DLQ after
``MAX_REQUEUE_ATTEMPTS``). An error after locking triggers the emergency unlock. Conversations are
isolated: the response lists only the failed records (``ReportBatchItemFailures``).
"""
from __future__ import annotations

import uuid

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from replies_engine.batch_processor import conversation_store, queues
from replies_engine.batch_processor.grouping import (
    BatchMessage,
    InvalidBatchMessage,
    group_by_conversation,
    parse_record,
)
from replies_engine.shared.aws_errors import error_code
from replies_engine.shared.config import env_int
from replies_engine.shared.observability import count, logger, metrics
from replies_engine.shared.timeutil import now_iso

_GROUP_KEYS = ["conversation_id", "batch_id"]


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    records = (event or {}).get("Records") or []
    failures: list[str] = []
    messages: list[BatchMessage] = []
    for record in records:
        try:
            messages.append(parse_record(record))
        except InvalidBatchMessage as exc:
            message_id = record.get("messageId")
            logger.error(
                "Invalid batch message; leaving it to the queue's redrive policy",
                extra={"sqs_message_id": message_id, "reason": str(exc)},
            )
            if message_id:
                failures.append(message_id)

    groups = group_by_conversation(messages)
    count("ConversationBatches", len(groups))
    for conversation_id, group in groups.items():
        batch_id = str(uuid.uuid4())
        logger.append_keys(conversation_id=conversation_id, batch_id=batch_id)
        try:
            failures.extend(process_conversation(conversation_id, batch_id, group))
        except Exception:  # noqa: BLE001 - one conversation must never fail the others
            logger.exception("Unexpected error processing conversation batch")
            failures.extend(message.message_id for message in group)
        finally:
            logger.remove_keys(_GROUP_KEYS)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failures]}


def process_conversation(conversation_id: str, batch_id: str, group: list[BatchMessage]) -> list[str]:
    """Process one conversation's sorted messages; return the SQS message ids that must be retried."""
    logger.info(
        "Batch processing started",
        extra={"message_count": len(group), "message_sids": [message.message_sid for message in group]},
    )
    count("BatchSize", len(group))
    try:
        previous = conversation_store.acquire_lock(conversation_id, batch_id, now_iso())
    except conversation_store.LockNotAcquired as exc:
        if not exc.conversation_exists:
            logger.error("Conversation not found; sending batch to DLQ")
            return _dead_letter_group(group, "CONVERSATION_NOT_FOUND")
        count("LockContention")
        logger.info("Conversation lock held by another batch", extra={"holder_batch_id": exc.holder_batch_id})
        return _requeue_group(group)
    except (ClientError, BotoCoreError) as exc:
        logger.error("Could not acquire conversation lock; SQS will retry", extra={"aws_error": error_code(exc)})
        return [message.message_id for message in group]

    logger.info("Conversation lock acquired")
    appended: range | None = None
    try:
        new_messages = _drop_duplicates(group, previous.get("messages") or [])
        if not new_messages:
            conversation_store.release_lock(conversation_id, batch_id, previous.get("conversation_status"), now_iso())
            logger.info("Batch contained only duplicates; lock released")
            return []
        entries = [_message_entry(message, batch_id) for message in new_messages]
        updated = conversation_store.append_messages(conversation_id, batch_id, entries, now_iso())
        base_index = len(previous.get("messages") or [])
        appended = range(base_index, base_index + len(entries))
        ai_message_id = queues.send_to_ai_queue(_ai_context(updated, new_messages, entries, batch_id))
    except Exception as exc:  # noqa: BLE001 - any error after locking must release the lock
        logger.exception("Batch processing failed after lock; attempting emergency unlock")
        _emergency_unlock(conversation_id, batch_id, appended, error_code(exc))
        return [message.message_id for message in group]

    count("MessagesBatched", len(entries))
    logger.info(
        "Batch processing completed",
        extra={
            "new_message_count": len(entries),
            "duplicate_count": len(group) - len(entries),
            "ai_sqs_message_id": ai_message_id,
        },
    )
    return []


def _drop_duplicates(group: list[BatchMessage], stored: list) -> list[BatchMessage]:
    """Messages whose MessageSid is neither stored nor earlier in this batch; logs each duplicate."""
    seen = {entry.get("message_sid") for entry in stored if isinstance(entry, dict)}
    fresh = []
    for message in group:
        if message.message_sid in seen:
            logger.info("DuplicateMessageDetected", extra={"message_sid": message.message_sid})
            count("DuplicateMessageDetected")
            continue
        seen.add(message.message_sid)
        fresh.append(message)
    return fresh


def _message_entry(message: BatchMessage, batch_id: str) -> dict:
    entry = {
        "message_sid": message.message_sid,
        "role": "user",
        "content": str(message.context.get("body") or ""),
        "channel_type": str(message.context.get("channel_type") or ""),
        "timestamp": message.received_at or now_iso(),
        "batch_id": batch_id,
    }
    if message.context.get("subject"):
        entry["subject"] = str(message.context["subject"])
    return entry


def _ai_context(updated: dict, new_messages: list[BatchMessage], entries: list[dict], batch_id: str) -> dict:
    """The context the AI/reply stage needs: addressing, the new messages and recent history."""
    latest = new_messages[-1].context
    history_limit = env_int("AI_CONTEXT_HISTORY_LIMIT", 20, minimum=1, maximum=200)
    return {
        "conversation_id": updated.get("conversation_id") or new_messages[-1].conversation_id,
        "batch_id": batch_id,
        "channel_type": latest.get("channel_type"),
        "reply_to": latest.get("from"),
        "reply_from": latest.get("to"),
        "new_messages": entries,
        "history": list(updated.get("messages") or [])[-history_limit:],
        "conversation": {key: value for key, value in updated.items() if key != "messages"},
        "created_at": now_iso(),
    }


def _requeue_group(group: list[BatchMessage]) -> list[str]:
    """Requeue each message with ``RetryAttempt + 1`` and a longer delay, or dead-letter it past the max."""
    failures = []
    limit = queues.max_requeue_attempts()
    for message in group:
        attempt = message.retry_attempt + 1
        try:
            if attempt > limit:
                queues.send_to_dead_letter_queue(message, "LOCK_CONTENTION_MAX_RETRIES")
                count("MessagesSentToDLQ")
                logger.warning(
                    "Max requeue attempts reached; message sent to DLQ",
                    extra={"message_sid": message.message_sid, "retry_attempt": message.retry_attempt},
                )
            else:
                delay = queues.requeue_delay_seconds(attempt)
                queues.requeue(message, attempt, delay)
                count("MessagesRequeued")
                logger.info(
                    "Message requeued after lock contention",
                    extra={"message_sid": message.message_sid, "retry_attempt": attempt, "delay_seconds": delay},
                )
        except Exception as exc:  # noqa: BLE001 - report only this message; its siblings are already sent
            logger.error(
                "Could not requeue message; SQS will redeliver it",
                extra={"message_sid": message.message_sid, "error_type": error_code(exc)},
            )
            failures.append(message.message_id)
    return failures


def _dead_letter_group(group: list[BatchMessage], reason: str) -> list[str]:
    failures = []
    for message in group:
        try:
            queues.send_to_dead_letter_queue(message, reason)
            count("MessagesSentToDLQ")
        except Exception as exc:  # noqa: BLE001 - report only this message; its siblings are already sent
            logger.error(
                "Could not send message to DLQ; SQS will redeliver it",
                extra={"message_sid": message.message_sid, "error_type": error_code(exc)},
            )
            failures.append(message.message_id)
    return failures


def _emergency_unlock(conversation_id: str, batch_id: str, appended: range | None, code: str) -> None:
    """Best effort: the stalled-lock reset is the backstop when this fails too."""
    count("EmergencyUnlock")
    try:
        conversation_store.emergency_unlock(conversation_id, batch_id, appended, code, now_iso())
    except Exception as exc:  # noqa: BLE001 - best effort; the stalled reset is the backstop
        logger.error("Emergency unlock failed", extra={"aws_error": error_code(exc)})
        return
    logger.warning("Emergency unlock: conversation set to processing_error", extra={"error_code": code})
