"""L3 Cold-to-Archive Mover (scheduled): moves cold S3 objects older than the retention to archive.

The cutoff (``now - cold_storage_size_in_days``) is computed inside the handler on every run; at
module scope it went stale in warm containers. An object whose ``LastModified`` is before the cutoff
is copied to the archive bucket under the same key with an archive storage class, and only then
deleted from the cold bucket. A crash or retry between copy and delete copies the same key again
(an overwrite with the same bytes), so nothing is lost and nothing is duplicated.

A failed object is logged and skipped, the others are still moved, and the run raises at the end.
The run stops early when the Lambda context reports less than ``STOP_MARGIN_MS`` left.
"""

import datetime
import json
import os

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-cold-to-archive-mover")
s3_client = boto3.client("s3")

STOP_MARGIN_MS = 10_000
DEFAULT_ARCHIVE_STORAGE_CLASS = "DEEP_ARCHIVE"
ARCHIVE_STORAGE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE", "GLACIER_IR"})


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


class MoverError(RuntimeError):
    """At least one object could not be moved in this run."""


def _settings() -> dict:
    try:
        days = json.loads(os.environ.get("DIGITAL_TWIN_INFO", ""))["config"]["cold_storage_size_in_days"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(
            f"DIGITAL_TWIN_INFO missing or invalid: {type(exc).__name__}: {exc}"
        ) from exc
    if isinstance(days, bool) or not isinstance(days, (int, float)) or days < 0:
        raise ConfigurationError(f"cold_storage_size_in_days must be a number >= 0, got {days!r}")
    cold = os.environ.get("COLD_S3_BUCKET_NAME", "")
    archive = os.environ.get("ARCHIVE_S3_BUCKET_NAME", "")
    if not cold or not archive:
        raise ConfigurationError("COLD_S3_BUCKET_NAME and ARCHIVE_S3_BUCKET_NAME must be set")
    storage_class = os.environ.get("ARCHIVE_STORAGE_CLASS", "") or DEFAULT_ARCHIVE_STORAGE_CLASS
    if storage_class not in ARCHIVE_STORAGE_CLASSES:
        raise ConfigurationError(f"ARCHIVE_STORAGE_CLASS must be one of {sorted(ARCHIVE_STORAGE_CLASSES)}")
    return {"days": days, "cold": cold, "archive": archive, "storage_class": storage_class}


def _low_on_time(context) -> bool:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining is not None and remaining() < STOP_MARGIN_MS


def _move_object(settings: dict, key: str) -> None:
    s3_client.copy_object(
        CopySource={"Bucket": settings["cold"], "Key": key},
        Bucket=settings["archive"],
        Key=key,
        StorageClass=settings["storage_class"],
        MetadataDirective="COPY",
    )
    s3_client.delete_object(Bucket=settings["cold"], Key=key)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    try:
        settings = _settings()
    except ConfigurationError as exc:
        logger.error(f"Cold-to-Archive Mover misconfigured: {exc}")
        raise

    cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=settings["days"])
    cutoff_iso = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    logger.info("Cold-to-Archive Mover started", extra={"cutoff": cutoff_iso})
    result = {"cutoff": cutoff_iso, "moved": [], "failed": [], "complete": True}

    try:
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=settings["cold"]):
            for obj in page.get("Contents", []):
                if obj["LastModified"] >= cutoff:
                    continue
                if _low_on_time(context):
                    logger.warning(
                        "Stopping early: Lambda time nearly used up", extra={"moved": len(result["moved"])}
                    )
                    result["complete"] = False
                    break
                try:
                    _move_object(settings, obj["Key"])
                except (ClientError, BotoCoreError) as exc:
                    logger.exception(
                        "Archive move failed for object", extra={"key": obj["Key"], "error": str(exc)}
                    )
                    result["failed"].append(obj["Key"])
                    continue
                logger.info(
                    "Moved object to archive",
                    extra={"key": obj["Key"], "storage_class": settings["storage_class"]},
                )
                result["moved"].append(obj["Key"])
            if not result["complete"]:
                break
    except (ClientError, BotoCoreError) as exc:
        logger.exception(
            "Listing the cold bucket failed", extra={"bucket": settings["cold"], "error": str(exc)}
        )
        raise

    logger.info(
        "Cold-to-Archive Mover finished",
        extra={"moved": len(result["moved"]), "failed": len(result["failed"])},
    )
    if result["failed"]:
        raise MoverError(f"Cold-to-Archive move failed for {len(result['failed'])} object(s)")
    return result
