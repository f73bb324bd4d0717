"""Reset stalled conversation locks (design section 4.2, mitigation 2).

Every 5 minutes: conversations in ``processing_reply`` whose ``processing_started_at`` is more than
``LOCK_TIMEOUT_SECONDS`` (default 300) old become ``processing_timeout``, with a warning log and a
``LockTimeout`` metric. Candidates come from the sparse ``conversation-status-index`` GSI (only locked
conversations carry ``processing_started_at``); each reset is conditional on the lock being the very
one that was seen (same ``processing_started_at``, still ``processing_reply``), so a lock released or
re-acquired since the eventually consistent index read - or any lock younger than the threshold - is
never touched.
"""
from __future__ import annotations

from datetime import timedelta

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.dynamodb.conditions import Key

from replies_engine.shared import statuses
from replies_engine.shared.aws_errors import error_code, is_conditional_check_failure
from replies_engine.shared.config import BOTO_CONFIG, env_int, env_str
from replies_engine.shared.observability import count, logger, metrics
from replies_engine.shared.timeutil import parse_iso, to_iso, utc_now

dynamodb = boto3.resource("dynamodb", config=BOTO_CONFIG)

STATUS_INDEX = "conversation-status-index"


class StalledResetIncomplete(RuntimeError):
    """Some resets failed with AWS errors; raised after all candidates were tried (async retry reruns)."""


def _table():
    return dynamodb.Table(env_str("CONVERSATIONS_TABLE"))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    threshold = env_int("LOCK_TIMEOUT_SECONDS", 300, minimum=1)
    now = utc_now()
    cutoff = to_iso(now - timedelta(seconds=threshold))
    reset, skipped, failed = 0, 0, 0
    for item in _locked_before(cutoff):
        started_at = str(item.get("processing_started_at") or "")
        conversation_id = item.get("conversation_id")
        age = _age_seconds(now, started_at)
        if age is not None and age <= threshold:  # defensive: the key condition already excludes these
            skipped += 1
            continue
        try:
            _reset(conversation_id, started_at, item.get("current_batch_id"), to_iso(now))
        except Exception as exc:  # noqa: BLE001 - one failed reset must not stop the others
            if is_conditional_check_failure(exc):
                skipped += 1
                logger.info("Lock changed since it was read; not reset", extra={"conversation_id": conversation_id})
            else:
                failed += 1
                logger.error(
                    "Could not reset stalled lock",
                    extra={"conversation_id": conversation_id, "aws_error": error_code(exc)},
                )
            continue
        reset += 1
        logger.warning(
            "Stalled conversation lock reset to processing_timeout",
            extra={
                "conversation_id": conversation_id,
                "batch_id": item.get("current_batch_id"),
                "processing_started_at": started_at,
                "lock_age_seconds": None if age is None else round(age, 3),
                "threshold_seconds": threshold,
            },
        )
    count("LockTimeout", reset)
    logger.info("Stalled lock check completed", extra={"reset": reset, "skipped": skipped, "failed": failed})
    if failed:
        raise StalledResetIncomplete(f"{failed} stalled lock(s) could not be reset")
    return {"reset": reset, "skipped": skipped}


def _age_seconds(now, started_at: str) -> float | None:
    """Lock age; ``None`` for an unparseable timestamp (it still sorted before the cutoff, so it is reset)."""
    try:
        return (now - parse_iso(started_at)).total_seconds()
    except ValueError:
        return None


def _locked_before(cutoff: str):
    kwargs = {
        "IndexName": STATUS_INDEX,
        "KeyConditionExpression": Key("conversation_status").eq(statuses.PROCESSING_REPLY)
        & Key("processing_started_at").lt(cutoff),
    }
    while True:
        response = _table().query(**kwargs)
        yield from response.get("Items", [])
        if not response.get("LastEvaluatedKey"):
            return
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _reset(conversation_id: str, started_at: str, batch_id: str | None, now: str) -> None:
    _table().update_item(
        Key={"conversation_id": conversation_id},
        UpdateExpression=(
            "SET conversation_status = :timeout, lock_timeout_at = :now, processing_ended_at = :now, "
            "updated_at = :now, timed_out_batch_id = :batch_id REMOVE current_batch_id, processing_started_at"
        ),
        ConditionExpression="conversation_status = :processing AND processing_started_at = :started_at",
        ExpressionAttributeValues={
            ":timeout": statuses.PROCESSING_TIMEOUT,
            ":processing": statuses.PROCESSING_REPLY,
            ":started_at": started_at,
            ":now": now,
            ":batch_id": batch_id or "",
        },
    )
