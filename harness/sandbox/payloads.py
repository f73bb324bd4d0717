"""Lambda's payload limits, as AWS documents them: 6 MB for a synchronous request or response, 256 KB for an
asynchronous event (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html)."""
from __future__ import annotations

import json
from typing import Any

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6,291,456 bytes, request and response
ASYNC_PAYLOAD_LIMIT = 256 * 1024  # 262,144 bytes


# json.dumps(payload, separators=(",", ":")) builds this encoder on every call; one is enough (it keeps no state).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def size_of(payload: Any) -> int:
    """Bytes of `payload` as JSON on the wire."""
    if isinstance(payload, (bytes, bytearray)):
        return len(payload)
    if type(payload) is dict and not payload:  # an invoke without a payload: `{}` (the encoder is built per call)
        return 2
    return len(_COMPACT.encode(payload))  # ASCII (ensure_ascii): as many bytes as characters


def request_too_large(size: int, invocation_type: str) -> str | None:
    """AWS's RequestTooLargeException message when a request of `size` bytes is over the limit, else None."""
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if size <= limit:
        return None
    return f"{invocation_type} request body of {size} bytes exceeds the maximum allowed payload size ({limit} bytes)"


def response_too_large(size: int, request_id: str) -> dict | None:
    """The error document of a function whose response is over 6 MB, else None."""
    if size <= SYNC_PAYLOAD_LIMIT:
        return None
    return {"errorType": "Function.ResponseSizeTooLarge", "requestId": request_id,
            "errorMessage": f"Response payload size ({size} bytes) exceeded maximum allowed payload size "
                            f"({SYNC_PAYLOAD_LIMIT} bytes)."}
