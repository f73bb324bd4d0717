"""Remote L2 -> local L3 Writer (Lambda Function URL, payload format 2.0).

The gateway that lets a remote cloud store records without AWS credentials: it checks
``X-Inter-Cloud-Token`` in constant time, requires the envelope ``{"payload": {...}}`` whose payload
holds ``iotDeviceId`` and ``time``, and writes the record to the hot DynamoDB table with the same
item layout as the persister (``id`` = ``time``). ``put_item`` on the same key is an overwrite, so a
retried request stores the record once.

Responses: 200 stored; 400 malformed body or payload; 403 bad or missing token; 500 misconfigured
or DynamoDB failure (the remote sender retries).
"""

import base64
import binascii
import hmac
import json
import os
from decimal import Decimal

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-writer")
dynamodb = boto3.resource("dynamodb")

TOKEN_HEADER = "x-inter-cloud-token"
REQUIRED_KEYS = ("iotDeviceId", "time")


def _response(status: int, body: dict) -> dict:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def _header(event: dict, name: str):
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return value
    return None


def _token_matches(presented, expected: str) -> bool:
    if not isinstance(presented, str):
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def _decode_body(event: dict):
    body = event.get("body")
    if body is None:
        raise ValueError("request body is empty")
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body, validate=True).decode("utf-8")
    # DynamoDB rejects floats, NaN and Infinity: parse numbers as Decimal and refuse the constants.
    return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a valid number")


def validate_payload(payload) -> str | None:
    """Return why ``payload`` cannot be stored, or None when it can."""
    if not isinstance(payload, dict):
        return f"payload must be a JSON object, got {type(payload).__name__}"
    for key in REQUIRED_KEYS:
        value = payload.get(key)
        if value is None or value == "":
            return f"payload.{key} missing"
    if not isinstance(payload["iotDeviceId"], str):
        return "payload.iotDeviceId must be a string"
    if not isinstance(payload["time"], (str, int, Decimal)) or isinstance(payload["time"], bool):
        return "payload.time must be a string or a number"
    return None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    expected = os.environ.get("INTER_CLOUD_TOKEN", "")
    table_name = os.environ.get("DYNAMODB_TABLE_NAME", "")
    if not expected or not table_name:
        logger.error("Writer misconfigured: INTER_CLOUD_TOKEN or DYNAMODB_TABLE_NAME missing")
        return _response(500, {"error": "writer is not configured"})

    if not isinstance(event, dict) or not _token_matches(_header(event, TOKEN_HEADER), expected):
        logger.warning("Invalid X-Inter-Cloud-Token")
        return _response(403, {"error": "Forbidden"})

    try:
        envelope = _decode_body(event)
    except (ValueError, binascii.Error) as exc:
        logger.error("Malformed JSON body", extra={"error": f"{type(exc).__name__}: {exc}"})
        return _response(400, {"error": "Malformed JSON body"})

    payload = envelope.get("payload") if isinstance(envelope, dict) else envelope
    reason = validate_payload(payload)
    if reason:
        logger.error(f"Validation Error: {reason}")
        return _response(400, {"error": reason})

    item = dict(payload)
    item["id"] = str(item.pop("time"))
    try:
        dynamodb.Table(table_name).put_item(Item=item)
    except (ClientError, BotoCoreError) as exc:
        logger.exception("DynamoDB put_item failed", extra={"table": table_name, "error": str(exc)})
        return _response(500, {"error": "storage write failed"})

    logger.info("Record stored", extra={"iotDeviceId": item["iotDeviceId"], "id": item["id"]})
    return _response(200, {"status": "stored", "iotDeviceId": item["iotDeviceId"], "id": item["id"]})
