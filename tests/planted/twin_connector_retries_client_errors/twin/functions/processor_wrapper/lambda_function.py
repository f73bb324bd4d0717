"""L2 Processor system wrapper: runs the user's ``process(event)`` and hands the result on.

Deployed as ``{digital_twin_name}-{iotDeviceId}-processor`` together with the user's ``process.py``
(merged at deployment time). The user's code runs between the ``User Logic Start`` and
``User Logic End`` log lines. If it raises (or returns something that is not a dict) the wrapper
logs ``[USER_LOGIC_ERROR]`` with the error and re-raises, so Lambda marks the invocation failed and
its async retries run. The Persister invoke is wrapped too: a failure is logged and re-raised.
"""

import json
import os

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError
from process import process  # the user's logic, merged next to this file at deployment time

logger = Logger(service="twin-processor")
lambda_client = boto3.client("lambda")


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


class UserLogicError(RuntimeError):
    """The user's process() returned something the pipeline cannot store."""


def _run_user_logic(event) -> bytes:
    """Run process(event); return its result serialised for the Persister."""
    logger.info("User Logic Start")
    try:
        result = process(event)
        if not isinstance(result, dict):
            raise UserLogicError(f"process() must return a dict, got {type(result).__name__}")
        try:
            return json.dumps(result).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise UserLogicError(f"process() returned a value that is not JSON-serialisable: {exc}") from exc
    except Exception as exc:
        # The error text belongs in the message: it is what operators search for.
        logger.exception(f"[USER_LOGIC_ERROR] {type(exc).__name__}: {exc}")  # noqa: TRY401
        raise
    finally:
        logger.info("User Logic End")


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    persister = os.environ.get("PERSISTER_LAMBDA_NAME", "")
    if not persister:
        logger.error("Processor misconfigured: PERSISTER_LAMBDA_NAME is not set")
        raise ConfigurationError("PERSISTER_LAMBDA_NAME is not set")

    payload = _run_user_logic(event)

    try:
        lambda_client.invoke(FunctionName=persister, InvocationType="Event", Payload=payload)
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Persister invoke failed", extra={"persister": persister, "error": str(exc)})
        raise

    logger.info("Handed result to persister", extra={"persister": persister})
    return {"status": "processed", "persister": persister}
