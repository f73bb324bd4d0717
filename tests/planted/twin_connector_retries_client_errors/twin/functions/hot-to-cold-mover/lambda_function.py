"""L3 Hot-to-Cold Mover (scheduled): moves hot DynamoDB items older than the retention to S3.

The cutoff (``now - hot_storage_size_in_days``) is computed inside the handler on every run. It used
to be computed at module scope, so a warm container kept the cutoff of its first (cold-start) run and
stopped moving data as days went by.

For each device in ``config_iot_devices`` the mover repeatedly takes the oldest page of items with
``id < cutoff`` (consistent read, at most 100 items), writes it to the cold bucket as one JSON object,
then deletes exactly those items in one DynamoDB transaction. This order makes a crash or retry safe:

* crash before the delete: the items are still hot and are moved again by the next run; the object
  key is ``{iotDeviceId}/{id of the oldest item}.json``, and the oldest remaining item is the same, so
  the retry overwrites the same object (with the same items, or more when the page was not full);
* the transaction deletes all items of a page or none, so a page is never half deleted.

Nothing is deleted before its object is stored, and no item is stored in two objects. The run stops
early (and says so) when the Lambda context reports less than ``STOP_MARGIN_MS`` left; the next
scheduled run continues. A device that fails is logged, the others are still moved, and the run
raises at the end so the failure is visible and retried.
"""

import datetime
import json
import os
from decimal import Decimal

import boto3
from aws_lambda_powertools import Logger
from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-hot-to-cold-mover")
dynamodb = boto3.resource("dynamodb")
s3_client = boto3.client("s3")

MAX_PAGE_SIZE = 100  # TransactWriteItems accepts at most 100 actions
STOP_MARGIN_MS = 10_000
COLD_STORAGE_CLASS = "STANDARD_IA"


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


class MoverError(RuntimeError):
    """At least one device could not be moved in this run."""


def _json_default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def compute_cutoff(now: datetime.datetime, days) -> str:
    """ISO-8601 UTC timestamp (milliseconds, ``Z``) ``days`` before ``now``; ids below it are moved."""
    cutoff = now - datetime.timedelta(days=days)
    return cutoff.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _settings() -> dict:
    try:
        info = json.loads(os.environ.get("DIGITAL_TWIN_INFO", ""))
        days = info["config"]["hot_storage_size_in_days"]
        devices = [device["id"] for device in info["config_iot_devices"]]
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(
            f"DIGITAL_TWIN_INFO missing or invalid: {type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days < 0:
        raise ConfigurationError(f"hot_storage_size_in_days must be a number >= 0, got {days!r}")
    table_name = os.environ.get("DYNAMODB_TABLE_NAME", "")
    bucket = os.environ.get("COLD_S3_BUCKET_NAME", "")
    if not table_name or not bucket:
        raise ConfigurationError("DYNAMODB_TABLE_NAME and COLD_S3_BUCKET_NAME must be set")
    raw_page = os.environ.get("MOVER_PAGE_SIZE", "")
    try:
        page_size = int(raw_page) if raw_page else MAX_PAGE_SIZE
    except ValueError as exc:
        raise ConfigurationError(f"MOVER_PAGE_SIZE must be an integer, got {raw_page!r}") from exc
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ConfigurationError(f"MOVER_PAGE_SIZE must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    return {"days": days, "devices": devices, "table": table_name, "bucket": bucket, "page_size": page_size}


def _low_on_time(context) -> bool:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining is not None and remaining() < STOP_MARGIN_MS


def _move_device(
    table, bucket: str, device_id: str, cutoff: str, page_size: int, context, result: dict
) -> bool:
    """Move every item of one device below the cutoff; False when stopped for lack of time."""
    while True:
        if _low_on_time(context):
            return False
        response = table.query(
            KeyConditionExpression=Key("iotDeviceId").eq(device_id) & Key("id").lt(cutoff),
            ScanIndexForward=True,
            ConsistentRead=True,
            Limit=page_size,
        )
        items = response.get("Items", [])
        if not items:
            return True
        key = f"{device_id}/{items[0]['id']}.json"
        s3_client.put_object(
            Bucket=bucket,
            Key=key,
            Body=json.dumps(items, default=_json_default).encode("utf-8"),
            ContentType="application/json",
            StorageClass=COLD_STORAGE_CLASS,
        )
        table.meta.client.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": table.name, "Key": {"iotDeviceId": device_id, "id": item["id"]}}}
                for item in items
            ]
        )
        logger.info(
            "Moved items to cold storage",
            extra={
                "iotDeviceId": device_id,
                "count": len(items),
                "key": key,
                "first_id": items[0]["id"],
                "last_id": items[-1]["id"],
            },
        )
        result["moved"] += len(items)
        result["objects"].append(key)
        if len(items) < page_size:
            return True


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    try:
        settings = _settings()
    except ConfigurationError as exc:
        logger.error(f"Hot-to-Cold Mover misconfigured: {exc}")
        raise

    cutoff = compute_cutoff(datetime.datetime.now(datetime.UTC), settings["days"])
    logger.info("Hot-to-Cold Mover started", extra={"cutoff": cutoff, "devices": len(settings["devices"])})
    table = dynamodb.Table(settings["table"])
    result = {"cutoff": cutoff, "moved": 0, "objects": [], "failed_devices": [], "complete": True}

    for device_id in settings["devices"]:
        try:
            finished = _move_device(
                table, settings["bucket"], device_id, cutoff, settings["page_size"], context, result
            )
        except (ClientError, BotoCoreError) as exc:
            logger.exception(
                "Hot-to-Cold move failed for device", extra={"iotDeviceId": device_id, "error": str(exc)}
            )
            result["failed_devices"].append(device_id)
            continue
        if not finished:
            logger.warning("Stopping early: Lambda time nearly used up", extra={"iotDeviceId": device_id})
            result["complete"] = False
            break

    logger.info("Hot-to-Cold Mover finished", extra=result)
    if result["failed_devices"]:
        raise MoverError(f"Hot-to-Cold move failed for devices: {', '.join(result['failed_devices'])}")
    return result
