"""L2 Default Processor: the pass-through processor used when a device has no custom logic.

It forwards the event unchanged to the Persister (async invoke). Failures are logged with a clear
``Default processor failed`` line: a malformed event is rejected without a retry, a failed Persister
invoke is re-raised so Lambda's async retries run.
"""

import json
import os

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-default-processor")
lambda_client = boto3.client("lambda")


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    persister = os.environ.get("PERSISTER_LAMBDA_NAME", "")
    if not persister:
        logger.error("Default processor failed: PERSISTER_LAMBDA_NAME is not set")
        raise ConfigurationError("PERSISTER_LAMBDA_NAME is not set")

    if not isinstance(event, dict) or not event.get("iotDeviceId"):
        logger.error("Default processor failed: event is not an object with an iotDeviceId")
        return {"status": "rejected", "reason": "event is not an object with an iotDeviceId"}

    try:
        lambda_client.invoke(
            FunctionName=persister, InvocationType="Event", Payload=json.dumps(event).encode("utf-8")
        )
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Default processor failed: persister invoke failed", extra={"error": str(exc)})
        raise

    logger.info(
        "Event forwarded to persister", extra={"persister": persister, "iotDeviceId": event["iotDeviceId"]}
    )
    return {"status": "processed", "persister": persister}
