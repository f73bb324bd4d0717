"""L3 Hot Reader: returns a device's hot records in a time range (Function URL or direct invoke).

Parameters come from the query string or a JSON body (Function URL, payload 2.0), or from the event
itself (direct invoke): ``iotDeviceId`` (required), ``startTime`` and ``endTime`` (required,
ISO-8601, start <= end; compared with the stored ids in UTC ``...000Z`` form) and
``selectedProperties`` (optional list, or comma-separated string in a query string) to limit the
returned attributes.

Responses: 200 ``{"iotDeviceId", "count", "items": [{"time", ...}]}``; 400 with the reason for bad
parameters; 500 when the hot table cannot be read or the function is not configured.
"""

import base64
import binascii
import datetime
import json
import os
from decimal import Decimal

import boto3
from aws_lambda_powertools import Logger
from boto3.dynamodb.conditions import Key
from botocore.exceptions import BotoCoreError, ClientError

logger = Logger(service="twin-hot-reader")
dynamodb = boto3.resource("dynamodb")


class BadRequest(ValueError):
    """The caller's parameters are invalid; the message is returned as the reason."""


def _json_default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _response(status: int, body: dict) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body, default=_json_default),
    }


def request_params(event) -> dict:
    """The request parameters of a Function URL event (query string, then JSON body) or a direct invoke."""
    if not isinstance(event, dict):
        raise BadRequest("request must be a JSON object")
    if "requestContext" not in event:
        return event
    params = dict(event.get("queryStringParameters") or {})
    body = event.get("body")
    if body:
        try:
            if event.get("isBase64Encoded"):
                body = base64.b64decode(body, validate=True).decode("utf-8")
            parsed = json.loads(body)
        except (ValueError, binascii.Error) as exc:
            raise BadRequest("Malformed JSON body") from exc
        if not isinstance(parsed, dict):
            raise BadRequest("JSON body must be an object")
        params.update(parsed)
    return params


def device_id_param(params: dict) -> str:
    device_id = params.get("iotDeviceId")
    if not isinstance(device_id, str) or not device_id.strip():
        raise BadRequest("iotDeviceId is required")
    return device_id


def selected_properties_param(params: dict):
    selected = params.get("selectedProperties")
    if selected is None:
        return None
    if isinstance(selected, str):
        selected = [p.strip() for p in selected.split(",") if p.strip()]
    if not isinstance(selected, list) or not selected or not all(isinstance(p, str) and p for p in selected):
        raise BadRequest("selectedProperties must be a non-empty list of property names")
    return selected


def timestamp_param(params: dict, name: str) -> datetime.datetime:
    """Parse an ISO-8601 parameter; a timestamp without offset is taken as UTC."""
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequest("startTime and endTime are required")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest(f"{name} must be an ISO-8601 timestamp") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.astimezone(datetime.UTC)


def as_sort_key(moment: datetime.datetime) -> str:
    """The stored ``id`` format (ISO-8601 UTC, milliseconds, ``Z``), so range bounds compare as text."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def shape_item(item: dict, selected) -> dict:
    """Stored item -> response record: ``id`` back to ``time``; only the selected properties."""
    record = {"time": item.get("id"), "iotDeviceId": item.get("iotDeviceId")}
    for key, value in item.items():
        if key in ("id", "iotDeviceId"):
            continue
        if selected is None or key in selected:
            record[key] = value
    return record


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    table_name = os.environ.get("DYNAMODB_TABLE_NAME", "")
    if not table_name:
        logger.error("Hot reader misconfigured: DYNAMODB_TABLE_NAME is not set")
        return _response(500, {"error": "reader is not configured"})

    try:
        params = request_params(event)
        device_id = device_id_param(params)
        start = timestamp_param(params, "startTime")
        end = timestamp_param(params, "endTime")
        if start > end:
            raise BadRequest("startTime must not be after endTime")
        selected = selected_properties_param(params)
    except BadRequest as exc:
        logger.warning("Bad request", extra={"reason": str(exc)})
        return _response(400, {"error": str(exc)})

    table = dynamodb.Table(table_name)
    query = {
        "KeyConditionExpression": Key("iotDeviceId").eq(device_id)
        & Key("id").between(as_sort_key(start), as_sort_key(end))
    }
    items = []
    try:
        while True:
            response = table.query(**query)
            items.extend(response.get("Items", []))
            if "LastEvaluatedKey" not in response:
                break
            query["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    except (ClientError, BotoCoreError) as exc:
        logger.exception("Hot table query failed", extra={"table": table_name, "error": str(exc)})
        return _response(500, {"error": "hot storage query failed"})

    logger.info("Hot records read", extra={"iotDeviceId": device_id, "count": len(items)})
    return _response(
        200,
        {
            "iotDeviceId": device_id,
            "count": len(items),
            "items": [shape_item(item, selected) for item in items],
        },
    )
