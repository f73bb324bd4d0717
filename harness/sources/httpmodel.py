"""HTTP requests and responses as small values, and their wire form (what the gateway and senders exchange)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as the gateway received it."""

    method: str
    target: str                                  # path and query, as on the request line
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"

    @property
    def path(self) -> str:
        """The path without the query string."""
        return urlsplit(self.target).path or "/"

    @property
    def query(self) -> str:
        """The raw query string."""
        return urlsplit(self.target).query

    def query_pairs(self) -> list[tuple[str, str]]:
        """Query parameters in order (repeated names kept)."""
        return parse_qsl(self.query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        """Last value of a header (names compare case-insensitively)."""
        found = None
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
        return found

    def without_header(self, name: str) -> HttpRequest:
        """A copy without the named header."""
        return HttpRequest(self.method, self.target, tuple((k, v) for k, v in self.headers
                                                           if k.lower() != name.lower()), self.body, self.source_ip)


@dataclass(frozen=True)
class HttpResponse:
    """What a caller got back: status, headers and body text (`content` holds the raw bytes)."""

    status: int
    headers: dict = field(default_factory=dict)
    body: str = ""
    content: bytes = b""

    @classmethod
    def of(cls, status: int, body: bytes | str | dict | list = b"", headers: dict | None = None,
           content_type: str | None = None) -> HttpResponse:
        """Build a response; dict/list bodies become JSON."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            content_type = content_type or "application/json"
        raw = body.encode() if isinstance(body, str) else bytes(body)
        if content_type and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = content_type
        return cls(status, headers, raw.decode("utf-8", "replace"), raw)

    def header(self, name: str) -> str | None:
        """A header's value (case-insensitive name)."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def ok(self) -> bool:
        """True for 2xx and 3xx."""
        return 200 <= self.status < 400


class MalformedRequest(ValueError):
    """Bytes that are not an HTTP/1.x request."""


def parse_request(raw: bytes, source_ip: str = "127.0.0.1") -> HttpRequest:
    """Parse a complete HTTP/1.x request (Content-Length or chunked body)."""
    head, sep, rest = bytes(raw).partition(b"\r\n\r\n")
    if not sep:
        raise MalformedRequest("request has no end of headers")
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise MalformedRequest(f"bad request line {lines[0]!r}")
    headers = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise MalformedRequest(f"bad header line {line!r}")
        headers.append((name.strip(), value.strip()))
    request = HttpRequest(parts[0], parts[1], tuple(headers), b"", source_ip)
    if (request.header("Transfer-Encoding") or "").lower() == "chunked":
        body = _dechunk(rest)
    else:
        length = request.header("Content-Length")
        body = rest[:int(length)] if length and length.isdigit() else rest
    return HttpRequest(parts[0], parts[1], tuple(headers), body, source_ip)


def _dechunk(data: bytes) -> bytes:
    out, pos = bytearray(), 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            raise MalformedRequest("truncated chunked body")
        size = int(data[pos:end].split(b";")[0] or b"0", 16)
        if size == 0:
            return bytes(out)
        out += data[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


def serialize_response(response: HttpResponse) -> bytes:
    """The response on the wire (HTTP/1.1, Content-Length, connection closed after it)."""
    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    for key, value in response.headers.items():
        if key.lower() not in ("content-length", "connection", "transfer-encoding"):
            lines.append(f"{key}: {value}")
    lines += [f"Content-Length: {len(response.content)}", "Connection: close", "", ""]
    return "\r\n".join(lines).encode("iso-8859-1", "replace") + response.content
