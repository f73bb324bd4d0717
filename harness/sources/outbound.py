"""Outbound HTTP from handler code to the gateway, intercepted before the socket.

A handler task that opens a connection to a gateway address (a Function URL, an execute-api host of the template)
gets an in-memory socket instead: what it writes is parsed as an HTTP request when it reads the response, and the
response comes from a gateway task (`Gateway.exchange`) that the handler's task waits for — a yield point, in
virtual time, with the client's own timeout (`urlopen(..., timeout=5)`) counted in virtual seconds. The real server
is kept for callers outside the simulation. Covered: `http.client` (and so `urllib.request`) and `requests`.
Every other address goes through untouched (the network guard still refuses anything but loopback).
"""
from __future__ import annotations

import http.client
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from harness.sources.httpmodel import HttpResponse, parse_request, serialize_response

_local = threading.local()
_gateway = None           # the active simulation's Gateway
_saved: dict[str, Any] = {}


@contextmanager
def real_sockets() -> Iterator[None]:
    """Within the block the calling thread's connections are real sockets (the test thread sending to the
    gateway's server, as an outside client would)."""
    before = getattr(_local, "real", False)
    _local.real = True
    try:
        yield
    finally:
        _local.real = before


def _target(host: str, port: int | None) -> Any:
    gateway = _gateway
    if gateway is None or getattr(_local, "real", False):
        return None
    return gateway if gateway.is_gateway(host, port) else None


class ExchangeSocket:
    """Stands in for the socket of an intercepted connection."""

    def __init__(self, gateway: Any, host: str, port: int | None, timeout: Any):
        self.gateway, self.host, self.port = gateway, host, port
        self.timeout = timeout if isinstance(timeout, (int, float)) else None
        self._out = bytearray()

    def sendall(self, data: Any) -> None:
        self._out += bytes(data)

    def send(self, data: Any) -> int:
        self._out += bytes(data)
        return len(data)

    def settimeout(self, value: Any) -> None:
        self.timeout = value

    def gettimeout(self) -> Any:
        return self.timeout

    def setsockopt(self, *args: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def shutdown(self, how: int) -> None:
        pass

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BytesIO:
        """The response stream: the exchange happens here, once the whole request has been written."""
        response = exchange_bytes(self.gateway, self.host, self.port, bytes(self._out), self.timeout)
        if response is None:
            raise TimeoutError("timed out")
        return io.BytesIO(serialize_response(response))


def exchange_bytes(gateway: Any, host: str, port: int | None, raw: bytes,
                   timeout: float | None) -> HttpResponse | None:
    """Answer a raw HTTP request for `host:port` through a gateway task (None: the client timed out)."""
    from harness.scheduler import current_task
    from harness.sources.httpmodel import MalformedRequest
    try:
        request = parse_request(raw)
    except MalformedRequest as exc:
        return HttpResponse.of(400, {"message": f"Bad Request: {exc}"})
    scheme = "https" if port in (None, 443) and not host.startswith("127.") else "http"
    server, _, _ = gateway.locate(f"{scheme}://{host}" + (f":{port}" if port and port not in (80, 443) else "")
                                  + "/")
    task = current_task()
    caller = task.meta.get("function") if task is not None else "test"
    return gateway.exchange(server, request, timeout, caller)


def install(gateway: Any) -> None:
    """Intercept handler HTTP to `gateway` (idempotent)."""
    global _gateway
    _gateway = gateway
    if _saved:
        return
    _saved["http"] = http.client.HTTPConnection.connect
    _saved["https"] = http.client.HTTPSConnection.connect

    def connect(self: Any) -> None:
        target = _target(self.host, self.port)
        if target is None:
            return _saved["http"](self)
        self.sock = ExchangeSocket(target, self.host, self.port, self.timeout)

    def connect_tls(self: Any) -> None:
        target = _target(self.host, self.port)
        if target is None:
            return _saved["https"](self)
        self.sock = ExchangeSocket(target, self.host, self.port, self.timeout)  # no TLS to an in-memory peer

    http.client.HTTPConnection.connect = connect
    http.client.HTTPSConnection.connect = connect_tls
    _install_requests()


def uninstall() -> None:
    """Stop intercepting."""
    global _gateway
    _gateway = None
    if _saved:
        http.client.HTTPConnection.connect = _saved.pop("http")
        http.client.HTTPSConnection.connect = _saved.pop("https")
    if "requests" in _saved:
        import requests.adapters
        requests.adapters.HTTPAdapter.send = _saved.pop("requests")


def _install_requests() -> None:
    try:
        import requests
        import requests.adapters
    except ImportError:  # pragma: no cover - requests is pinned, but the interception must not need it
        return
    from urllib.parse import urlsplit

    real_send = requests.adapters.HTTPAdapter.send
    _saved["requests"] = real_send

    def send(self: Any, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True,
             cert: Any = None, proxies: Any = None) -> Any:
        parts = urlsplit(request.url)
        target = _target(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        if target is None:
            return real_send(self, request, stream=stream, timeout=timeout, verify=verify, cert=cert,
                             proxies=proxies)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        raw = _raw_request(request, parts)
        answer = exchange_bytes(target, parts.hostname or "", parts.port, raw, read_timeout)
        if answer is None:
            raise requests.exceptions.ReadTimeout(f"Read timed out. (read timeout={read_timeout})",
                                                  request=request)
        response = requests.models.Response()
        response.status_code = answer.status
        response.headers = requests.structures.CaseInsensitiveDict(answer.headers)
        response._content = answer.content
        response.url, response.request = request.url, request
        response.reason = http.client.responses.get(answer.status, "")
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        return response

    requests.adapters.HTTPAdapter.send = send


def _raw_request(request: Any, parts: Any) -> bytes:
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
    lines += [f"Content-Length: {len(body)}", "", ""]
    return "\r\n".join(lines).encode("iso-8859-1") + body
