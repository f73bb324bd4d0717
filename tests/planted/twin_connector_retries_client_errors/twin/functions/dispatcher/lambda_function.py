"""L1 Dispatcher: routes a device event to the device's L2 function.

The target is ``{digital_twin_name}-{iotDeviceId}{TARGET_FUNCTION_SUFFIX}``; the suffix is
``-processor`` when L2 runs on AWS and ``-connector`` when L2 runs on another cloud.
The target is invoked asynchronously (``InvocationType="Event"``).

Failure policy: a bad event (not an object, no ``iotDeviceId``) is logged and rejected, because a
retry cannot fix it. Missing configuration and a failed invoke are logged and re-raised, so Lambda's
async retries run and the event ends in the on-failure destination instead of being dropped.
"""

import json
import os

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-dispatcher")
lambda_client = boto3.client("lambda")

DEFAULT_SUFFIX = "-processor"


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


def _twin_name() -> str:
    raw = os.environ.get("DIGITAL_TWIN_INFO", "")
    try:
        name = json.loads(raw)["config"]["digital_twin_name"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(f"DIGITAL_TWIN_INFO missing or invalid: {type(exc).__name__}") from exc
    if not isinstance(name, str) or not name:
        raise ConfigurationError("DIGITAL_TWIN_INFO missing or invalid: empty digital_twin_name")
    return name


class MalformedEvent(ValueError):
    """The event is not a JSON object."""


def _parse_event(event):
    """Accept an object, or a JSON string holding one (IoT rules may deliver either)."""
    if isinstance(event, (str, bytes)):
        event = json.loads(event)
    if not isinstance(event, dict):
        raise MalformedEvent(f"event must be a JSON object, got {type(event).__name__}")
    return event


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    try:
        event = _parse_event(event)
    except ValueError as exc:
        logger.error("Malformed event", extra={"error": str(exc)})
        return {"status": "rejected", "reason": "malformed event"}

    device_id = event.get("iotDeviceId")
    if not isinstance(device_id, str) or not device_id:
        logger.error("iotDeviceId missing", extra={"event_keys": sorted(event)})
        return {"status": "rejected", "reason": "iotDeviceId missing"}

    try:
        twin_name = _twin_name()
    except ConfigurationError as exc:
        logger.error(str(exc))
        raise

    suffix = os.environ.get("TARGET_FUNCTION_SUFFIX") or DEFAULT_SUFFIX
    target = f"{twin_name}-{device_id}{suffix}"
    logger.info("Dispatching event", extra={"target_function": target, "iotDeviceId": device_id})

    try:
        lambda_client.invoke(
            FunctionName=target,
            InvocationType="Event",
            Payload=json.dumps(event).encode("utf-8"),
        )
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Dispatch failed", extra={"target_function": target, "error": str(exc)})
        raise

    logger.info("Dispatch successful", extra={"target_function": target})
    return {"status": "dispatched", "target": target}
