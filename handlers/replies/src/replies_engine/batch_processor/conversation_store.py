"""The conversation record operations of Stage 2: lock, append, release and emergency unlock.

Every write after the lock is conditional on ``current_batch_id`` = this batch and the
``processing_reply`` status, so a batch can never modify a conversation it no longer owns.
"""
from __future__ import annotations

import boto3
from boto3.dynamodb.types import TypeDeserializer

from replies_engine.shared import statuses
from replies_engine.shared.aws_errors import is_conditional_check_failure
from replies_engine.shared.config import BOTO_CONFIG, env_str

dynamodb = boto3.resource("dynamodb", config=BOTO_CONFIG)
_deserializer = TypeDeserializer()

_OWNED = "current_batch_id = :batch_id AND conversation_status = :processing"


class LockNotAcquired(Exception):
    """The conditional lock update failed: the conversation is missing or another batch holds it."""

    def __init__(self, conversation_exists: bool, holder_batch_id: str | None = None):
        super().__init__("conversation missing" if not conversation_exists else "conversation locked")
        self.conversation_exists = conversation_exists
        self.holder_batch_id = holder_batch_id


def _table():
    return dynamodb.Table(env_str("CONVERSATIONS_TABLE"))


def acquire_lock(conversation_id: str, batch_id: str, now: str) -> dict:
    """One conditional UpdateItem: status -> ``processing_reply`` unless it already is. Returns the old item.

    The status seen before the lock is kept in ``status_before_lock``: when the update was applied but its
    response was lost, botocore's retry fails the condition against this batch's own lock, and the item read
    back then still tells the status to restore. Raises :class:`LockNotAcquired` when another batch holds the
    lock or the conversation is missing; other errors propagate.
    """
    try:
        response = _table().update_item(
            Key={"conversation_id": conversation_id},
            UpdateExpression=(
                "SET conversation_status = :processing, processing_started_at = :now, "
                "current_batch_id = :batch_id, updated_at = :now, "
                "status_before_lock = if_not_exists(conversation_status, :no_status)"
            ),
            ConditionExpression=(
                "attribute_exists(conversation_id) AND "
                "(attribute_not_exists(conversation_status) OR conversation_status <> :processing)"
            ),
            ExpressionAttributeValues={
                ":processing": statuses.PROCESSING_REPLY, ":now": now, ":batch_id": batch_id, ":no_status": "",
            },
            ReturnValues="ALL_OLD",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except Exception as exc:
        if not is_conditional_check_failure(exc):
            raise
        item = exc.response.get("Item")
        if not item:
            raise LockNotAcquired(conversation_exists=False) from exc
        current = {key: _deserializer.deserialize(value) for key, value in item.items()}
        if current.get("current_batch_id") == batch_id:
            return _before_own_lock(current)
        raise LockNotAcquired(conversation_exists=True, holder_batch_id=current.get("current_batch_id")) from exc
    return response.get("Attributes") or {}


def _before_own_lock(current: dict) -> dict:
    """The item as it was before this batch's own (already applied) lock update."""
    previous = {key: value for key, value in current.items()
                if key not in ("conversation_status", "processing_started_at", "current_batch_id")}
    if current.get("status_before_lock"):
        previous["conversation_status"] = current["status_before_lock"]
    return previous


def append_messages(conversation_id: str, batch_id: str, entries: list[dict], now: str) -> dict:
    """Append the batch's new messages in one update (while the lock is held). Returns the new item.

    The update sets ``last_batch_id`` and is conditional on it not being this batch yet, so botocore's retry of
    an append whose response was lost cannot append the batch twice; that retry's failed condition is
    recognised (the item already carries this batch's append) and the item is returned as written.
    """
    try:
        response = _table().update_item(
            Key={"conversation_id": conversation_id},
            UpdateExpression=(
                "SET messages = list_append(if_not_exists(messages, :empty), :new_messages), "
                "last_user_message_at = :last_user_message_at, last_batch_id = :batch_id, updated_at = :now"
            ),
            ConditionExpression=f"{_OWNED} AND (attribute_not_exists(last_batch_id) OR last_batch_id <> :batch_id)",
            ExpressionAttributeValues={
                ":empty": [],
                ":new_messages": entries,
                ":last_user_message_at": max(entry["timestamp"] for entry in entries),
                ":batch_id": batch_id,
                ":now": now,
                ":processing": statuses.PROCESSING_REPLY,
            },
            ReturnValues="ALL_NEW",
        )
    except Exception as exc:
        if not is_conditional_check_failure(exc):
            raise
        item = _table().get_item(Key={"conversation_id": conversation_id}, ConsistentRead=True).get("Item") or {}
        if item.get("current_batch_id") != batch_id or item.get("last_batch_id") != batch_id:
            raise
        return item  # this batch's append was applied; only its response was lost
    return response.get("Attributes") or {}


def release_lock(conversation_id: str, batch_id: str, previous_status: str | None, now: str) -> None:
    """Give the lock back unchanged (the batch had nothing new): restore the status seen before locking."""
    values = {":batch_id": batch_id, ":processing": statuses.PROCESSING_REPLY, ":now": now}
    if previous_status:
        update = "SET conversation_status = :previous, updated_at = :now REMOVE current_batch_id, processing_started_at"
        values[":previous"] = previous_status
    else:
        update = "SET updated_at = :now REMOVE conversation_status, current_batch_id, processing_started_at"
    _table().update_item(
        Key={"conversation_id": conversation_id},
        UpdateExpression=update,
        ConditionExpression=_OWNED,
        ExpressionAttributeValues=values,
    )


def emergency_unlock(
    conversation_id: str, batch_id: str, appended_indexes: range | None, error_code: str, now: str
) -> None:
    """Set ``processing_error`` if this batch still owns the lock, removing the messages it appended.

    Removing the appended entries (by list index, in the same conditional update) lets the SQS retry of
    the batch append and dispatch them again instead of skipping them as duplicates.
    """
    remove = ["current_batch_id", "processing_started_at"]
    remove += [f"messages[{index}]" for index in (appended_indexes or ())]
    _table().update_item(
        Key={"conversation_id": conversation_id},
        UpdateExpression=(
            "SET conversation_status = :error, processing_ended_at = :now, updated_at = :now, "
            "last_error_code = :error_code, last_failed_batch_id = :batch_id REMOVE " + ", ".join(remove)
        ),
        ConditionExpression=_OWNED,
        ExpressionAttributeValues={
            ":error": statuses.PROCESSING_ERROR,
            ":now": now,
            ":error_code": error_code,
            ":batch_id": batch_id,
            ":processing": statuses.PROCESSING_REPLY,
        },
    )
