"""The HTTP layer: every outbound HTTP request made with `urllib.request` or `requests` inside a simulation.

For each request the layer
1. yields to the scheduler when called from a task (an HTTP request is a yield point, like an AWS request);
2. asks the fault plan (point `http`) whether to delay it, answer it, mutate it or break the connection;
3. sends it: to an in-process route (`add_route`, e.g. the harness gateway), to a mocked endpoint declared on
   `sim.http_mock` (a `responses.RequestsMock`, the way third-party APIs such as Twilio are simulated), or over
   real loopback; anything else is refused with an error that says how to mock it;
4. lets after-effects replace the response or lose it (the server did the work, the client sees a timeout);
5. records an `http` trace event.
Faults surface as each client's own exceptions (`urllib.error.URLError`/`HTTPError`, `TimeoutError`,
`requests.exceptions.ReadTimeout`, ...), so handler code takes its real error paths. `requests` is patched at
`Session.send` (above the transport adapters, where `responses` and the gateway's interception sit), urllib at
`AbstractHTTPHandler.do_open`; code that talks to `http.client` or `urllib3` directly is not covered (the
socket guard still refuses non-loopback). Addresses the harness gateway answers in-process (execute-api hosts
and Function URL ports of the template) count as served, like loopback.
"""
from __future__ import annotations

import dataclasses
import hashlib
import http.client
import io
import json
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.aws.wire import is_loopback
from harness.faults.rules import Target
from harness.safety import RefusedConnection
from harness.sandbox import frozen
from harness.scheduler import current_task

_local = threading.local()
_active: HttpLayer | None = None
LOOPBACK_URL = re.compile(r"^https?://(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(/|$)", re.IGNORECASE)
KINDS = ("refused", "reset", "read_timeout", "connect_timeout", "closed")


@dataclass(frozen=True)
class HttpRequest:
    """An outbound HTTP request as the layer (and HTTP effects) see it."""

    method: str
    url: str
    headers: dict = field(default_factory=dict)
    body: bytes | None = None
    client: str = "requests"
    timeout: float | None = None  # the client's read timeout (urllib: its one timeout)
    connect_timeout: float | None = None  # the client's connect timeout, when it sets one apart

    def header(self, name: str) -> str | None:
        """A header value, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def replace(self, **changes: Any) -> HttpRequest:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    @property
    def host(self) -> str:
        """Host name, lower-case."""
        return (urlsplit(self.url).hostname or "").lower()


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP response: status, headers and body bytes."""

    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    @property
    def text(self) -> str:
        """Body as text (UTF-8, invalid bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """Body parsed as JSON."""
        return json.loads(self.body)


class NetworkFault(Exception):
    """A connection-level failure; each client adapter raises its own library's exception for it."""

    def __init__(self, kind: str, message: str = "", timeout: float | None = None, harness: bool = False):
        super().__init__(message or kind)
        if kind not in KINDS:
            raise ValueError(f"network fault kind {kind!r} is not one of {', '.join(KINDS)}")
        self.kind, self.timeout, self.harness = kind, timeout, harness


class HttpLayer:
    """Intercepts urllib and requests while installed; one per simulation."""

    def __init__(self, sim: Any, plan: Any = None):
        import responses

        self.sim, self.plan = sim, plan
        # Declared third-party endpoints; unmatched non-loopback requests are refused (see `route_for`).
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        self.mock.add_passthru(LOOPBACK_URL)
        self.routes: list[tuple[str, Callable[[HttpRequest], HttpResponse]]] = []
        self.exchanges = 0
        self._saved: dict[str, Any] = {}

    # ------------------------------------------------------------------ installation
    def install(self) -> None:
        """Patch requests and urllib (and start the `responses` mock underneath)."""
        global _active
        import requests.sessions

        self.mock.start()
        inner = requests.sessions.Session.send
        real_do_open = urllib.request.AbstractHTTPHandler.do_open
        self._saved = {"send": inner, "do_open": real_do_open}
        requests.sessions.Session.send = _session_send(inner)
        urllib.request.AbstractHTTPHandler.do_open = _urllib_do_open(real_do_open)
        _active = self

    def uninstall(self) -> None:
        """Undo `install`."""
        global _active
        import requests.sessions

        if not self._saved:
            return
        requests.sessions.Session.send = self._saved["send"]
        urllib.request.AbstractHTTPHandler.do_open = self._saved["do_open"]
        self._saved = {}
        try:
            self.mock.stop(allow_assert=False)
        except RuntimeError:
            pass
        if _active is self:
            _active = None

    def add_route(self, prefix: str, answer: Callable[[HttpRequest], HttpResponse]) -> None:
        """Answer requests whose URL starts with `prefix` in-process (no socket), e.g. the harness gateway."""
        self.routes.append((prefix, answer))

    # ------------------------------------------------------------------ one exchange
    def route_for(self, request: HttpRequest) -> str:
        """'route', 'mock', 'served' (the harness gateway), 'loopback' or 'refused'."""
        if any(request.url.startswith(prefix) for prefix, _ in self.routes):
            return "route"
        if self._mocked(request):
            return "mock"
        if self._served(request):
            return "served"
        if is_loopback(request.url):
            return "loopback"
        return "refused"

    def _served(self, request: HttpRequest) -> bool:
        """True for an address another extension answers in-process (the gateway's `is_gateway`)."""
        parts = urlsplit(request.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        for extension in getattr(self.sim, "extensions", ()):
            gateway = getattr(extension, "gateway", None)
            if gateway is not None and callable(getattr(gateway, "is_gateway", None)) and \
                    gateway.is_gateway(parts.hostname or "", port):
                return True
        return False

    def _mocked(self, request: HttpRequest) -> bool:
        import requests

        registered = self.mock.registered()
        if not registered:
            return False
        prepared = requests.Request(request.method, request.url, headers=request.headers,
                                    data=request.body).prepare()
        return any(entry.matches(prepared)[0] for entry in registered)

    def exchange(self, request: HttpRequest, send: Callable[[HttpRequest, str], Any],
                 to_http: Callable[[Any], HttpResponse]) -> Any:
        """Run one request through yield, faults, routing and after-effects; returns the client's native
        response, or an HttpResponse when an effect produced or changed it; raises NetworkFault."""
        task = current_task()
        caller = (task.meta.get("function") or task.name) if task is not None else "test"
        if task is not None:
            frozen.refuse_if_ended(task, f"HTTP {request.method.upper()} {request.url}", self.sim.trace.record)
            self.sim.scheduler.yield_now()
        self.exchanges += 1
        state: dict[str, Any] = {"request": request, "answer": None, "after": []}
        target = Target("http", self.sim.clock.elapsed(), service="http", resource=request.host,
                        function=caller, url=request.url, host=request.host, method=request.method.upper())

        def apply(rule: Any, ctx: Any) -> bool:
            ctx.raw = state["request"]
            ctx.extra["send"] = lambda: self._send(state["request"], send, to_http)
            effect = rule.effect
            if hasattr(effect, "http_request"):
                result = effect.http_request(ctx)
                if isinstance(result, HttpRequest):
                    state["request"] = result
                elif isinstance(result, HttpResponse):
                    state["answer"] = result
                    return True
            if hasattr(effect, "http_response"):
                state["after"].append((effect, ctx))
            return False

        try:
            if self.plan is not None:
                self.plan.run("http", target, apply, raw=request)
            response = state["answer"]
            if response is None:
                response = self._send(state["request"], send, to_http, raw=not state["after"])
            for effect, ctx in state["after"]:
                response = effect.http_response(ctx, to_http(response))
        except NetworkFault as fault:
            self._record(state["request"], caller, None, fault.kind)
            raise
        status = response.status if isinstance(response, HttpResponse) else _native_status(response)
        self._record(state["request"], caller, status, None)
        return response

    def _send(self, request: HttpRequest, send: Callable[[HttpRequest, str], Any],
              to_http: Callable[[Any], HttpResponse], raw: bool = False) -> Any:
        route = self.route_for(request)
        if route == "refused":
            message = (f"refused HTTP {request.method} {request.url}: inside a simulation only loopback and "
                       f"mocked endpoints are reachable; declare this one with "
                       f"sim.http_mock.add('{request.method}', '{request.url.split('?')[0]}', json=..., status=...)")
            self.sim.trace.record("refused", url=_safe_url(request.url), message=message)
            raise NetworkFault("refused", message, harness=True)
        if route == "route":
            _, answer = next((p, a) for p, a in self.routes if request.url.startswith(p))
            return answer(request)
        response = send(request, route)
        return response if raw else to_http(response)

    def _record(self, request: HttpRequest, caller: str, status: int | None, error: str | None) -> None:
        parts = urlsplit(request.url)
        host = "loopback" if is_loopback(request.url) else (parts.hostname or "")
        # As text, so an ephemeral gateway port gets its stable name (Trace.stable_name) like the rest.
        extra: dict[str, Any] = {"port": f"{parts.hostname}:{parts.port}"} if parts.port else {}
        if request.body:  # lets invariants tell two sends of the same request from two different requests
            body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
            extra["body"] = hashlib.sha256(body).hexdigest()[:12]
        self.sim.trace.record("http", method=request.method.upper(), host=host, path=parts.path or "/",
                              caller=caller, client=request.client, status=status, error=error,
                              extra=extra or None)


def active_layer() -> HttpLayer | None:
    """The installed layer, if a simulation is running."""
    return _active


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"


def _native_status(response: Any) -> int | None:
    return getattr(response, "status_code", None) or getattr(response, "status", None)


# ---------------------------------------------------------------------------------------------- requests
def _session_send(inner: Callable) -> Callable:
    def send(session, request, **kwargs):
        layer = _active
        if layer is None or getattr(_local, "bypass", False):
            return inner(session, request, **kwargs)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        if body is not None and not isinstance(body, bytes):
            body = b"".join(body) if not hasattr(body, "read") else body.read()
        connect, read = _requests_timeouts(kwargs.get("timeout"))
        original = HttpRequest(request.method or "GET", request.url, dict(request.headers), body, "requests",
                               read, connect)

        def native(http_request: HttpRequest, route: str) -> Any:
            prepared = request if http_request == original else _prepared(http_request)
            _local.bypass = True  # redirects re-enter Session.send; they are part of this exchange
            try:
                return inner(session, prepared, **kwargs)
            finally:
                _local.bypass = False

        try:
            result = layer.exchange(original, native, _requests_to_http)
        except NetworkFault as fault:
            raise _requests_error(fault, request) from None
        if isinstance(result, HttpResponse):
            return _http_to_requests(result, request, None)
        return result

    send.__wrapped__ = inner
    return send


def _requests_timeouts(timeout: Any) -> tuple[float | None, float | None]:
    """(connect, read) from requests' `timeout=`: one number for both, or a (connect, read) tuple."""
    def number(value: Any) -> float | None:
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if isinstance(timeout, tuple):
        return number(timeout[0]) if timeout else None, number(timeout[-1]) if timeout else None
    return number(timeout), number(timeout)


def _prepared(request: HttpRequest) -> Any:
    import requests
    return requests.Request(request.method, request.url, headers=request.headers, data=request.body).prepare()


def _requests_to_http(response: Any) -> HttpResponse:
    if isinstance(response, HttpResponse):
        return response
    return HttpResponse(response.status_code, dict(response.headers), response.content)


def _http_to_requests(response: HttpResponse, request: Any, adapter: Any) -> Any:
    import requests
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    out = requests.Response()
    out.status_code = response.status
    out.headers = CaseInsensitiveDict(response.headers)
    out._content = response.body
    out._content_consumed = True
    out.raw = io.BytesIO(response.body)
    out.url = request.url
    out.request = request
    out.reason = _reason(response.status)
    out.encoding = get_encoding_from_headers(out.headers)
    out.connection = adapter
    return out


def _pool(url: str) -> Any:
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    parts = urlsplit(url)
    cls = HTTPSConnectionPool if parts.scheme == "https" else HTTPConnectionPool
    return cls(parts.hostname or "localhost", parts.port)


def _requests_error(fault: NetworkFault, request: Any) -> Exception:
    import requests.exceptions as rex
    import urllib3.exceptions as u3

    url, pool = request.url, _pool(request.url)
    if fault.harness:
        return rex.ConnectionError(str(fault), request=request)
    if fault.kind == "refused":
        reason = u3.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
        return rex.ConnectionError(u3.MaxRetryError(pool, url, reason), request=request)
    if fault.kind == "connect_timeout":
        reason = u3.ConnectTimeoutError(None, f"Connection to {pool.host} timed out. (connect timeout="
                                              f"{fault.timeout})")
        return rex.ConnectTimeout(u3.MaxRetryError(pool, url, reason), request=request)
    if fault.kind == "read_timeout":
        return rex.ReadTimeout(u3.ReadTimeoutError(pool, url, f"Read timed out. (read timeout={fault.timeout})"),
                               request=request)
    if fault.kind == "reset":
        cause = ConnectionResetError(104, "Connection reset by peer")
    else:
        cause = http.client.RemoteDisconnected("Remote end closed connection without response")
    return rex.ConnectionError(u3.ProtocolError("Connection aborted.", cause), request=request)


# ---------------------------------------------------------------------------------------------- urllib
def _urllib_do_open(real_do_open: Callable) -> Callable:
    def do_open(handler, http_class, req, **http_conn_args):
        layer = _active
        if layer is None or getattr(_local, "bypass", False):
            return real_do_open(handler, http_class, req, **http_conn_args)
        if req.data is not None and not isinstance(req.data, bytes):
            req.data = req.data.read() if hasattr(req.data, "read") else b"".join(req.data)
        headers = dict(req.unredirected_hdrs)
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        timeout = req.timeout if isinstance(req.timeout, (int, float)) else None
        original = HttpRequest(req.get_method(), req.full_url, headers, req.data, "urllib", timeout, timeout)

        def native(http_request: HttpRequest, route: str) -> Any:
            if route == "mock":
                return _via_mock(http_request)
            if http_request == original:
                return real_do_open(handler, http_class, req, **http_conn_args)
            again = urllib.request.Request(http_request.url, data=http_request.body, headers=http_request.headers,
                                           method=http_request.method)
            again.timeout = req.timeout
            return real_do_open(handler, http_class, again, **http_conn_args)

        try:
            result = layer.exchange(original, native, _urllib_to_http)
        except NetworkFault as fault:
            raise _urllib_error(fault) from None
        if isinstance(result, HttpResponse):
            return _http_to_urllib(result, req)
        return result

    do_open.__wrapped__ = real_do_open
    return do_open


def _via_mock(request: HttpRequest) -> HttpResponse:
    """Answer a urllib request from the `responses` registry, by sending it with requests underneath."""
    import requests

    _local.bypass = True
    try:
        with requests.Session() as session:
            response = session.send(_prepared(request), timeout=request.timeout)
    finally:
        _local.bypass = False
    return _requests_to_http(response)


def _urllib_to_http(response: Any) -> HttpResponse:
    if isinstance(response, HttpResponse):
        return response
    body = response.read()
    return HttpResponse(response.status, dict(response.headers.items()), body)


class _FakeSocket:
    def __init__(self, data: bytes):
        self._data = data

    def makefile(self, *_: Any, **__: Any) -> io.BytesIO:
        return io.BytesIO(self._data)

    def close(self) -> None:
        pass


def _http_to_urllib(response: HttpResponse, req: Any) -> http.client.HTTPResponse:
    """A genuine http.client.HTTPResponse parsed from the bytes `response` would have on the wire."""
    lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
    for key, value in response.headers.items():
        if key.lower() not in ("content-length", "transfer-encoding", "connection"):
            lines.append(f"{key}: {value}")
    lines += [f"Content-Length: {len(response.body)}", "Connection: close"]
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body
    out = http.client.HTTPResponse(_FakeSocket(raw), method=req.get_method())
    out.begin()
    out.url = req.get_full_url()
    out.msg = out.reason
    return out


def _urllib_error(fault: NetworkFault) -> BaseException:
    if fault.harness:
        return urllib.error.URLError(RefusedConnection(str(fault)))
    if fault.kind == "refused":
        return urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))
    if fault.kind == "connect_timeout":
        return urllib.error.URLError(TimeoutError("timed out"))
    if fault.kind == "read_timeout":
        return TimeoutError("The read operation timed out")
    if fault.kind == "reset":
        return ConnectionResetError(104, "Connection reset by peer")
    return http.client.RemoteDisconnected("Remote end closed connection without response")


def _reason(status: int) -> str:
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
