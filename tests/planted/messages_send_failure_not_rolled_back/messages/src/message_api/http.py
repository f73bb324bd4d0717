"""API Gateway REST proxy (payload 1.0) request helpers and JSON responses."""
from __future__ import annotations

import json
import re
import uuid
from typing import Any

CORRELATION_HEADER = "X-Correlation-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SAFE_TOKEN = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def get_header(event: dict[str, Any], name: str) -> str | None:
    """Case-insensitive header lookup in ``headers``, then ``multiValueHeaders`` (first value)."""
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted and isinstance(value, str):
            return value
    for key, values in (event.get("multiValueHeaders") or {}).items():
        if key.lower() == wanted and isinstance(values, list) and values and isinstance(values[0], str):
            return values[0]
    return None


def resolve_correlation_id(event: dict[str, Any], context: Any) -> tuple[str, bool]:
    """The caller's ``X-Correlation-Id`` when it is a safe token; else API Gateway's request id,
    else the Lambda request id, else a new UUID. The flag says a header was present but rejected."""
    supplied = get_header(event, CORRELATION_HEADER)
    if supplied is not None and SAFE_TOKEN.match(supplied):
        return supplied, False
    request_id = (event.get("requestContext") or {}).get("requestId")
    if not isinstance(request_id, str) or not SAFE_TOKEN.match(request_id):
        request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    return request_id, supplied is not None


def json_response(status: int, body: dict[str, Any], correlation_id: str,
                  headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", CORRELATION_HEADER: correlation_id, **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
    }


def error_response(status: int, error: str, correlation_id: str, **extra: Any) -> dict[str, Any]:
    headers = {"Retry-After": "5"} if status in (409, 503) else None
    return json_response(status, {"error": error, "correlationId": correlation_id, **extra}, correlation_id,
                         headers)


def system_error(correlation_id: str, retryable: bool) -> dict[str, Any]:
    """The only answer for an infrastructure failure: no codes, queue names or messages leak out."""
    return error_response(503 if retryable else 500, "SYSTEM_ERROR", correlation_id)
