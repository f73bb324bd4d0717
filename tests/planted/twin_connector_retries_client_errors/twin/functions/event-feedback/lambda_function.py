"""L2 Event Feedback: publishes an event checker's feedback to the device over MQTT (IoT Core).

Input: ``{"detail": {"digitalTwinName", "iotDeviceId", "payload"}}``, as sent by the event checker.
The message ``{"message": payload}`` is published with QoS 1 to the topic
``{digitalTwinName}-{iotDeviceId}``.

Failure policy: a malformed request is logged (``Event Feedback Failed: ...``) and rejected without
a retry; a failed publish is logged and re-raised so Lambda's async retries run.
"""

import json

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-event-feedback")
iot_data_client = boto3.client("iot-data")

REQUIRED_DETAIL_KEYS = ("digitalTwinName", "iotDeviceId", "payload")


def validate_detail(event):
    """Return (detail, None) when ``event`` is a valid request, else (None, reason)."""
    detail = event.get("detail") if isinstance(event, dict) else None
    if not isinstance(detail, dict):
        return None, "event has no detail object"
    for key in REQUIRED_DETAIL_KEYS:
        if detail.get(key) in (None, ""):
            return None, f"detail.{key} missing"
    for key in ("digitalTwinName", "iotDeviceId"):
        if not isinstance(detail[key], str) or any(c in detail[key] for c in "#+/"):
            return None, f"detail.{key} must be a string without MQTT wildcards or '/'"
    return detail, None


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    detail, reason = validate_detail(event)
    if reason:
        logger.error(f"Event Feedback Failed: {reason}")
        return {"status": "rejected", "reason": reason}

    topic = f"{detail['digitalTwinName']}-{detail['iotDeviceId']}"
    try:
        iot_data_client.publish(
            topic=topic, qos=1, payload=json.dumps({"message": detail["payload"]}).encode("utf-8")
        )
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Event Feedback Failed: publish failed", extra={"topic": topic, "error": str(exc)})
        raise

    logger.info("Feedback sent", extra={"topic": topic})
    return {"status": "sent", "topic": topic}
