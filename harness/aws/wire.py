"""Building botocore responses on the wire (what a backend or a fault answers with)."""
from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse


class RawBody(io.BytesIO):
    """The raw stream botocore reads a response body from (`AWSResponse.content` joins `raw.stream()`)."""

    def stream(self, **_: Any):
        yield self.getvalue()


def aws_response(request: Any, status: int, body: bytes | str | dict | list = b"",
                 headers: dict[str, str] | None = None, content_type: str = "application/json") -> AWSResponse:
    """An AWSResponse for `request` with the given status, body and headers."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    merged = {"Content-Type": content_type, "x-amzn-RequestId": "harness"}
    merged.update(headers or {})
    url = getattr(request, "url", "") or ""
    return AWSResponse(url, status, merged, RawBody(body))


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def host_of(url: str) -> str:
    """Host name of a URL, lower-case, without port."""
    return (urlsplit(url).hostname or "").lower()


def is_loopback(url_or_host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost (parsed addresses, never string prefixes)."""
    from harness.sandbox.network import is_loopback_host
    host = host_of(url_or_host) if "://" in url_or_host else url_or_host
    return is_loopback_host(host)
