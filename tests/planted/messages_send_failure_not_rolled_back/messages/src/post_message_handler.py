"""POST /messages: store the message PENDING, move it to QUEUED, send it to SQS.

On a SendMessage failure the record goes back QUEUED -> PENDING with a conditional update that only
succeeds from the state this request set, and the caller gets a 5xx ``SYSTEM_ERROR`` with the
correlation id and nothing else. A rollback that fails is logged CRITICAL; the scheduled reconciler
(``reconcile_queued_handler``) returns such records to PENDING later. See the README for the
lost-response design (FIFO deduplication id = message id, Idempotency-Key retries).
"""
from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
from message_api.clock import to_iso, utc_now
from message_api.config import ApiSettings, aws_client_config
from message_api.errors import classify
from message_api.http import error_response, json_response, resolve_correlation_id, system_error
from message_api.observability import count, flush_metrics, logger
from message_api.store import PENDING, QUEUED, MessageStore, TransitionRefused
from message_api.validation import MessageRequest, RequestInvalid, parse_request

SETTINGS = ApiSettings.from_env()
dynamodb = boto3.client("dynamodb", config=aws_client_config("DYNAMODB_MAX_ATTEMPTS"))
sqs = boto3.client("sqs", config=aws_client_config("SQS_MAX_ATTEMPTS"))
store = MessageStore(dynamodb, SETTINGS.table_name)

# Namespace for message ids derived from an Idempotency-Key (same key -> same message id).
IDEMPOTENCY_NAMESPACE = uuid.UUID("5b0c8f0e-8f43-4d55-9d0b-6f1f6e0a7c31")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlation_id, header_rejected = resolve_correlation_id(event, context)
    logger.set_correlation_id(correlation_id)
    if header_rejected:
        logger.warning("X-Correlation-Id header ignored: not a safe token; using a generated id")
    try:
        return _handle(event, correlation_id)
    except Exception:  # noqa: BLE001 - the API answers SYSTEM_ERROR, never a bare 502
        logger.exception("unexpected error while accepting message")
        count("UnexpectedError")
        return system_error(correlation_id, retryable=False)
    finally:
        flush_metrics()


def _handle(event: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    if event.get("httpMethod", "POST") != "POST":
        count("MethodNotAllowed")
        return error_response(405, "METHOD_NOT_ALLOWED", correlation_id)
    try:
        request = parse_request(event, SETTINGS.max_content_bytes)
    except RequestInvalid as invalid:
        logger.info("request rejected: validation failed",
                    extra={"problems": invalid.problems})
        count("ValidationFailed")
        return error_response(400, "VALIDATION_ERROR", correlation_id, details=invalid.problems)

    if request.idempotency_key:
        message_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, request.idempotency_key))
    else:
        message_id = str(uuid.uuid4())
    logger.append_keys(messageId=message_id)
    now = to_iso(utc_now())
    record = {
        "messageId": message_id,
        "recipient": request.recipient,
        "content": request.content,
        "metadata": request.metadata,
        "requestHash": request.fingerprint(),
        "correlationId": correlation_id,
        "createdAt": now,
        "updatedAt": now,
    }
    if request.idempotency_key:
        record["idempotencyKey"] = request.idempotency_key
    try:
        existing = store.create_pending(record)
    except Exception as error:  # noqa: BLE001 - classified and answered
        failure = classify(error)
        logger.error("failed to store message as PENDING; nothing was queued", extra=failure.log_fields())
        count("StoreFailed")
        return system_error(correlation_id, failure.retryable)

    if existing is not None:
        replay = _answer_existing(existing, request, correlation_id)
        if replay is not None:
            return replay
        record = existing
        logger.info("retrying send of a PENDING message under its Idempotency-Key")
    return _queue_and_send(record, correlation_id)


def _answer_existing(existing: dict[str, Any], request: MessageRequest,
                     correlation_id: str) -> dict[str, Any] | None:
    """Answer a repeated Idempotency-Key; None means the message is PENDING and should be sent."""
    status = existing.get("status")
    if existing.get("requestHash") != request.fingerprint():
        logger.info("request rejected: Idempotency-Key reused with a different payload")
        count("IdempotencyKeyMismatch")
        return error_response(422, "IDEMPOTENCY_KEY_MISMATCH", correlation_id)
    if status == PENDING:
        return None
    if status == QUEUED and "sentAt" not in existing:
        logger.info("request rejected: a send of this message is in progress", extra={"currentStatus": status})
        count("RequestInProgress")
        return error_response(409, "REQUEST_IN_PROGRESS", correlation_id)
    logger.info("idempotent replay: message already queued", extra={"currentStatus": status})
    count("IdempotentReplay")
    return json_response(202, {"messageId": existing["messageId"], "status": status,
                               "correlationId": correlation_id}, correlation_id,
                         {"Idempotent-Replayed": "true"})


def _queue_and_send(record: dict[str, Any], correlation_id: str) -> dict[str, Any]:
    message_id = record["messageId"]
    send_attempt_id = str(uuid.uuid4())
    logger.append_keys(sendAttemptId=send_attempt_id)
    try:
        store.mark_queued(message_id, send_attempt_id, correlation_id, to_iso(utc_now()))
    except TransitionRefused as refused:
        logger.info("request rejected: message left PENDING before this request could queue it",
                    extra={"currentStatus": refused.current_status})
        count("RequestInProgress")
        return error_response(409, "REQUEST_IN_PROGRESS", correlation_id)
    except Exception as error:  # noqa: BLE001 - classified and answered
        failure = classify(error)
        logger.error("failed to move message to QUEUED; it stays PENDING and was not sent",
                     extra=failure.log_fields())
        count("QueueTransitionFailed")
        return system_error(correlation_id, failure.retryable)

    try:
        sent = sqs.send_message(**_send_request(record, send_attempt_id, correlation_id))
    except Exception as error:  # noqa: BLE001 - PLANTED BUG: the record is left QUEUED (no rollback)
        logger.error("SQS SendMessage failed", extra=classify(error).log_fields())
        return system_error(correlation_id, classify(error).retryable)

    sqs_message_id = sent.get("MessageId", "")
    try:
        confirmed = store.confirm_sent(message_id, send_attempt_id, sqs_message_id, to_iso(utc_now()))
    except Exception as error:  # noqa: BLE001 - the message is in SQS; the answer stays 202
        logger.warning("send confirmation not recorded; message is in SQS and stays QUEUED",
                       extra={**classify(error).log_fields(), "sqsMessageId": sqs_message_id})
        count("SendConfirmationFailed")
    else:
        if not confirmed:
            logger.info("send confirmation skipped: message already moved past QUEUED",
                        extra={"sqsMessageId": sqs_message_id})
    logger.info("message queued", extra={"sqsMessageId": sqs_message_id})
    count("MessageQueued")
    return json_response(202, {"messageId": message_id, "status": QUEUED, "correlationId": correlation_id},
                         correlation_id)


def _send_request(record: dict[str, Any], send_attempt_id: str, correlation_id: str) -> dict[str, Any]:
    body = {
        "schemaVersion": 1,
        "messageId": record["messageId"],
        "sendAttemptId": send_attempt_id,
        "correlationId": correlation_id,
        "recipient": record["recipient"],
        "content": record["content"],
        "metadata": record.get("metadata") or {},
        "createdAt": record["createdAt"],
    }
    request: dict[str, Any] = {
        "QueueUrl": SETTINGS.queue_url,
        "MessageBody": json.dumps(body, separators=(",", ":")),
        "MessageAttributes": {
            "messageId": {"DataType": "String", "StringValue": record["messageId"]},
            "correlationId": {"DataType": "String", "StringValue": correlation_id},
        },
    }
    if SETTINGS.fifo_queue:
        # Same id on botocore's retries and on Idempotency-Key retries: SQS drops the copy of a send
        # whose response was lost (5-minute deduplication window).
        request["MessageGroupId"] = record["messageId"]
        request["MessageDeduplicationId"] = record["messageId"]
    return request


def _roll_back(message_id: str, send_attempt_id: str, error: Exception, correlation_id: str) -> dict[str, Any]:
    failure = classify(error)
    logger.error("SQS SendMessage failed; rolling message back to PENDING", extra=failure.log_fields())
    count("SendFailed")
    count("SendFailedRetryable" if failure.retryable else "SendFailedPermanent")
    try:
        outcome = store.rollback_to_pending(message_id, send_attempt_id, failure.code, to_iso(utc_now()))
    except Exception as rollback_error:  # noqa: BLE001 - logged critical, reconciler repairs it
        logger.critical(
            "rollback to PENDING failed; message left QUEUED until the reconciler returns it to PENDING",
            extra={"sendErrorCode": failure.code, **classify(rollback_error).log_fields()},
        )
        count("RollbackFailed")
    else:
        if outcome.rolled_back:
            logger.warning("message rolled back from QUEUED to PENDING", extra={"sendErrorCode": failure.code})
            count("RollbackSucceeded")
        else:
            logger.warning("rollback refused: message is no longer in the state this request set",
                           extra={"currentStatus": outcome.current_status or "MISSING"})
            count("RollbackRefused")
    return system_error(correlation_id, failure.retryable)
