"""Scheduled reconciler: return messages stuck in QUEUED without a send confirmation to PENDING.

A record is stuck when its send has been unconfirmed for at least ``STUCK_THRESHOLD_SECONDS``
(``now - awaitingConfirmationSince >= threshold``): the request that queued it died, timed out or
failed to roll back. The threshold must exceed the POST function's timeout, so an in-flight send is
never touched. Each rollback is the same conditional update the API uses (same ``sendAttemptId``,
still no ``sentAt``), so a send confirmed or re-queued after the scan is left alone. The run stops
while ``RECONCILER_SAFETY_MARGIN_MS`` of its time remain; the next run picks up the rest.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
from message_api.clock import from_iso, to_iso, utc_now
from message_api.config import ReconcilerSettings, aws_client_config
from message_api.errors import classify
from message_api.observability import count, flush_metrics, logger
from message_api.store import MessageStore

SETTINGS = ReconcilerSettings.from_env()
dynamodb = boto3.client("dynamodb", config=aws_client_config("DYNAMODB_MAX_ATTEMPTS"))
store = MessageStore(dynamodb, SETTINGS.table_name)

ROLLBACK_REASON = "SEND_UNCONFIRMED_TIMEOUT"


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    run_id = (event or {}).get("id") or context.aws_request_id
    logger.set_correlation_id(run_id)
    now = utc_now()
    cutoff = to_iso(now - timedelta(seconds=SETTINGS.stuck_threshold_seconds))
    summary = {"examined": 0, "rolledBack": 0, "refused": 0, "failed": 0, "stoppedEarly": False}
    try:
        _reconcile(context, now, cutoff, summary)
    except Exception as error:
        logger.error("reconciliation scan failed; the next scheduled run retries",
                     extra={**classify(error).log_fields(), **summary})
        count("ReconcilerScanFailed")
        raise
    finally:
        count("OrphansRolledBack", summary["rolledBack"])
        count("OrphanRollbackFailed", summary["failed"])
        flush_metrics()
    logger.info("reconciliation finished", extra={**summary, "cutoff": cutoff})
    return summary


def _out_of_time(context: Any, summary: dict[str, Any]) -> bool:
    if context.get_remaining_time_in_millis() >= SETTINGS.safety_margin_ms:
        return False
    summary["stoppedEarly"] = True
    logger.warning("reconciler stopping early to finish inside its timeout; next run continues")
    return True


def _reconcile(context: Any, now: Any, cutoff: str, summary: dict[str, Any]) -> None:
    start_key = None
    while not _out_of_time(context, summary):
        items, start_key = store.scan_unconfirmed(cutoff, SETTINGS.page_size, start_key)
        for item in items:
            if _out_of_time(context, summary):
                return
            summary["examined"] += 1
            _return_to_pending(item, now, summary)
        if not start_key:
            return


def _return_to_pending(item: dict[str, Any], now: Any, summary: dict[str, Any]) -> None:
    since = item["awaitingConfirmationSince"]
    fields = {
        "messageId": item["messageId"],
        "sendAttemptId": item.get("sendAttemptId"),
        "messageCorrelationId": item.get("sendCorrelationId"),
        "unconfirmedSeconds": round((now - from_iso(since)).total_seconds(), 3),
    }
    try:
        outcome = store.rollback_to_pending(item["messageId"], item.get("sendAttemptId", ""), ROLLBACK_REASON,
                                            to_iso(now))
    except Exception as error:  # noqa: BLE001 - one bad record must not stop the run
        summary["failed"] += 1
        logger.error("orphaned QUEUED message could not be returned to PENDING; next run retries",
                     extra={**fields, **classify(error).log_fields()})
        return
    if outcome.rolled_back:
        summary["rolledBack"] += 1
        logger.warning("orphaned QUEUED message returned to PENDING", extra=fields)
    else:
        summary["refused"] += 1
        logger.info("orphan rollback refused: message changed since the scan",
                    extra={**fields, "currentStatus": outcome.current_status or "MISSING"})
