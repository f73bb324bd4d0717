"""L2 Persister: stores a processed record in the hot DynamoDB table.

The record must hold ``iotDeviceId`` (non-empty string) and ``time`` (non-empty string or number);
it is stored as an item keyed by ``iotDeviceId`` (hash) and ``id`` = ``str(time)`` (range), floats as
Decimal. When ``EVENT_CHECKER_LAMBDA_NAME`` is set, the record is then handed to the event checker
(async invoke).

Failure policy: an invalid record is logged (``Validation Error: ...``) and rejected without a
retry. A DynamoDB or invoke failure is logged and re-raised so Lambda retries; the retry rewrites the
same key, so the record is stored once.

The event checker gets each record once. Lambda delivers async events at least once: when the processor
times out after it invoked this function, Lambda retries the processor, which invokes this function again
with the same record, and the checker's actions would fire twice. So when ``HANDOFF_TABLE_NAME`` is set,
the hand-off is claimed first in that table for this request (the record's device, time and content digest
-> the request id): a claim held by another request means the record was already handed over and the
invoke is skipped (``Record already handed to event checker``). Lambda's own retries of this request keep
its request id and pass the claim; a failed invoke releases it, so a later redrive hands the record over.
"""

import hashlib
import json
import os
from decimal import Decimal

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-persister")
dynamodb = boto3.resource("dynamodb")
lambda_client = boto3.client("lambda")


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


def floats_to_decimals(value):
    """DynamoDB has no float type: convert floats (also nested) to Decimal."""
    if isinstance(value, list):
        return [floats_to_decimals(v) for v in value]
    if isinstance(value, dict):
        return {k: floats_to_decimals(v) for k, v in value.items()}
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def validate_record(event) -> str | None:
    """Return why ``event`` cannot be persisted, or None when it can."""
    if not isinstance(event, dict):
        return f"record must be a JSON object, got {type(event).__name__}"
    device_id = event.get("iotDeviceId")
    if not isinstance(device_id, str) or not device_id:
        return "record has no iotDeviceId"
    timestamp = event.get("time")
    if timestamp is None or timestamp == "" or isinstance(timestamp, (bool, dict, list)):
        return "record has no time"
    return None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    table_name = os.environ.get("DYNAMODB_TABLE_NAME", "")
    if not table_name:
        logger.error("Persister misconfigured: DYNAMODB_TABLE_NAME is not set")
        raise ConfigurationError("DYNAMODB_TABLE_NAME is not set")

    reason = validate_record(event)
    if reason:
        logger.error(f"Validation Error: {reason}")
        return {"status": "rejected", "reason": reason}

    item = floats_to_decimals(dict(event))
    item["id"] = str(item.pop("time"))
    try:
        dynamodb.Table(table_name).put_item(Item=item)
    except TypeError as exc:  # boto3 refuses NaN/Infinity and unknown types before sending
        logger.error(f"Validation Error: record has a value DynamoDB cannot store ({exc})")
        return {"status": "rejected", "reason": "record has a value DynamoDB cannot store"}
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Hot table write failed", extra={"table": table_name, "error": str(exc)})
        raise
    logger.info("Record persisted", extra={"iotDeviceId": item["iotDeviceId"], "id": item["id"]})

    result = {"status": "persisted", "iotDeviceId": item["iotDeviceId"], "id": item["id"]}
    checker = os.environ.get("EVENT_CHECKER_LAMBDA_NAME", "")
    if checker:
        _hand_to_checker(checker, event, context.aws_request_id)
    return result


def handoff_key(record: dict) -> str:
    """One record, whichever delivery carries it: its device, its time and a digest of its content."""
    digest = hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return f"{record['iotDeviceId']}#{record['time']}#{digest[:32]}"


def _claim(table_name: str, key: str, request_id: str) -> bool:
    """Claim the hand-off of a record for this request; False when another request already holds it."""
    try:
        dynamodb.Table(table_name).put_item(
            Item={"recordKey": key, "requestId": request_id},
            ConditionExpression="attribute_not_exists(recordKey) OR requestId = :me",
            ExpressionAttributeValues={":me": request_id},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _release(table_name: str, key: str, request_id: str) -> None:
    """Give a claim back after a failed invoke (a failed release only delays a later redrive's hand-off)."""
    try:
        dynamodb.Table(table_name).delete_item(
            Key={"recordKey": key},
            ConditionExpression="requestId = :me",
            ExpressionAttributeValues={":me": request_id},
        )
    except (ClientError, BotoCoreError) as exc:
        logger.warning("Hand-off claim not released", extra={"error": str(exc)})


def _hand_to_checker(checker: str, event: dict, request_id: str) -> None:
    handoffs = os.environ.get("HANDOFF_TABLE_NAME", "")
    key = handoff_key(event) if handoffs else ""
    if handoffs:
        try:
            claimed = _claim(handoffs, key, request_id)
        except (ClientError, BotoCoreError) as exc:
            logger.exception("Hand-off claim failed", extra={"table": handoffs, "error": str(exc)})
            raise
        if not claimed:
            logger.info("Record already handed to event checker", extra={"event_checker": checker})
            return
    try:
        lambda_client.invoke(
            FunctionName=checker, InvocationType="Event", Payload=json.dumps(event).encode("utf-8")
        )
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Event checker invoke failed", extra={"event_checker": checker, "error": str(exc)})
        if handoffs:
            _release(handoffs, key, request_id)
        raise
    logger.info("Record handed to event checker", extra={"event_checker": checker})
