"""Remote L1 -> local L2 Ingestion (Lambda Function URL, payload format 2.0).

Checks ``X-Inter-Cloud-Token`` against ``INTER_CLOUD_TOKEN`` in constant time, unwraps the
connector envelope ``{"source": ..., "payload": {...}}`` and invokes
``{digital_twin_name}-{iotDeviceId}-processor`` asynchronously.

Responses: 200 accepted; 400 malformed body or payload; 403 bad or missing token; 500 when this
function is misconfigured or the processor invoke fails, so the remote connector retries.
"""

import base64
import binascii
import hmac
import json
import os

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-ingestion")
lambda_client = boto3.client("lambda")

TOKEN_HEADER = "x-inter-cloud-token"


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
    return json.loads(body)


def _twin_name():
    try:
        name = json.loads(os.environ.get("DIGITAL_TWIN_INFO", ""))["config"]["digital_twin_name"]
    except (ValueError, TypeError, KeyError):
        return None
    return name if isinstance(name, str) and name else None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    expected = os.environ.get("INTER_CLOUD_TOKEN", "")
    twin_name = _twin_name()
    if not expected or twin_name is None:
        logger.error("Ingestion misconfigured: INTER_CLOUD_TOKEN or DIGITAL_TWIN_INFO missing")
        return _response(500, {"error": "ingestion is not configured"})

    if not isinstance(event, dict) or not _token_matches(_header(event, TOKEN_HEADER), expected):
        logger.warning("Invalid X-Inter-Cloud-Token")
        return _response(403, {"error": "Forbidden"})

    try:
        envelope = _decode_body(event)
    except (ValueError, binascii.Error) as exc:
        logger.error("Malformed JSON body", extra={"error": f"{type(exc).__name__}: {exc}"})
        return _response(400, {"error": "Malformed JSON body"})

    payload = envelope.get("payload") if isinstance(envelope, dict) else None
    if not isinstance(payload, dict):
        logger.error("Validation Error: payload must be a JSON object")
        return _response(400, {"error": "payload must be a JSON object"})
    device_id = payload.get("iotDeviceId")
    if not isinstance(device_id, str) or not device_id:
        logger.error("Validation Error: payload.iotDeviceId missing")
        return _response(400, {"error": "payload.iotDeviceId missing"})

    target = f"{twin_name}-{device_id}-processor"
    logger.info(
        "Forwarding remote event",
        extra={"target_function": target, "source": envelope.get("source"), "iotDeviceId": device_id},
    )
    try:
        lambda_client.invoke(
            FunctionName=target, InvocationType="Event", Payload=json.dumps(payload).encode("utf-8")
        )
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Processor invoke failed", extra={"target_function": target, "error": str(exc)})
        return _response(500, {"error": "processor invoke failed"})

    return _response(200, {"status": "accepted", "target": target})
