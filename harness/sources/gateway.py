"""The HTTP gateway: real HTTP servers on 127.0.0.1 that map requests to functions (API Gateway REST proxy and
Function URLs), with AWS's error mapping.

The server threads never run handler code and never touch the simulation. A request always becomes a *gateway
task* on the simulation's scheduler (route, build the proxy event, invoke, map the answer), so virtual time stays
consistent:
- the test thread (`sim.http`, a webhook sender) hands the bytes http.client writes to the server's own request
  handler in memory (harness.sources.in_memory_exchange; `Gateway.in_memory = False`: over the loopback socket)
  and drives the scheduler until the gateway task has answered; other callers (curl) reach the real server;
- handler code inside the simulation (urllib/requests to a gateway URL) is intercepted before the socket
  (`harness.sources.outbound`): its task spawns the gateway task and waits for it, a yield point.

Addresses: the API of a template is reached as `https://<api-id>.execute-api.<region>.amazonaws.com/<stage>/...`,
which is what `!Sub https://${Api}.execute-api.${AWS::Region}.amazonaws.com/<stage>/` resolves to; on the wire the
request goes to `sim.gateway_url` with that Host header (or to `<gateway_url>/restapis/<api-id>/<stage>/_user_request_/
<path>`). Each Function URL gets its own port: `!GetAtt FnUrl.FunctionUrl` is `http://127.0.0.1:<port>/`.
"""
from __future__ import annotations

import functools
import http.client
import itertools
import queue
import re
import select
import selectors
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from harness.baton import new_baton
from harness.errors import InputError
from harness.lambda_runtime.runtime import InvokeRequest
from harness.scheduler import TaskKilled, current_task
from harness.sources import connection_threads, in_memory_exchange, outbound, proxy
from harness.sources.httpmodel import HttpRequest, HttpResponse
from harness.sources.reply_reader import read_reply

if TYPE_CHECKING:  # pragma: no cover
    from harness.lambda_runtime.config import FunctionConfig
    from harness.simulation import Simulation
    from harness.sources.authorizers import LambdaAuthorizer

INTEGRATION_TIMEOUT = 29.0          # REST API default integration timeout -> 504
HTTP_API_TIMEOUT = 30.0             # HTTP API integration timeout -> 503
REST_MAX_BODY = 10 * 1024 * 1024    # API Gateway payload limit -> 413
URL_MAX_BODY = 6 * 1024 * 1024      # Lambda synchronous payload limit -> 413
WALL_TIMEOUT = 30.0                 # real seconds a server thread waits for the simulation to answer
EXCHANGE_HEADER = "X-Harness-Exchange"
_EXECUTE_API = re.compile(r"^([a-z0-9-]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")


@dataclass(frozen=True)
class Route:
    """One `Type: Api` event: METHOD /path/{param}/{proxy+} on an API stage, to a function."""

    method: str
    resource: str
    function: FunctionConfig
    pattern: re.Pattern
    authorizer: LambdaAuthorizer | None = None   # the Lambda authorizer protecting the route, if any
    payload_version: str = "1.0"                 # HTTP API routes: the integration's PayloadFormatVersion

    @classmethod
    def make(cls, method: str, resource: str, function: FunctionConfig,
             authorizer: LambdaAuthorizer | None = None) -> Route:
        """Compile the resource path template."""
        regex = ""
        for part in resource.strip("/").split("/") if resource.strip("/") else []:
            if part.startswith("{") and part.endswith("+}"):
                regex += f"/(?P<{_ident(part[1:-2])}>.+)"
            elif part.startswith("{") and part.endswith("}"):
                regex += f"/(?P<{_ident(part[1:-1])}>[^/]+)"
            else:
                regex += "/" + re.escape(part)
        return cls(method.upper(), "/" + resource.strip("/"), function, re.compile(f"^{regex or '/'}/?$"),
                   authorizer)

    def rank(self) -> tuple:
        """Exact paths win over parameters, parameters over greedy `{proxy+}` (API Gateway's precedence)."""
        return ("+}" in self.resource, self.resource.count("{"), -len(self.resource), self.method == "ANY")


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name)


@dataclass
class RestApi:
    """A REST API (an AWS::Serverless::Api, or SAM's implicit ServerlessRestApi) with its routes."""

    api_id: str
    stage: str
    logical_id: str
    routes: list[Route] = field(default_factory=list)
    kind: str = "rest"                # rest (payload 1.0, REST error mapping) | http (HTTP API)
    auth: dict | None = None          # the API's resolved `Auth` (authorizers, default authorizer)
    authorizer_cache: dict = field(default_factory=dict)  # (authorizer, identity values) -> (expires, answer)

    def host(self, region: str) -> str:
        """The execute-api host name."""
        return f"{self.api_id}.execute-api.{region}.amazonaws.com"


@dataclass
class _Pending:
    request: HttpRequest
    server: _Server
    done: threading.Event = field(default_factory=threading.Event)
    response: HttpResponse | None = None


class Gateway:
    """Servers, routes and the gateway task of one simulation."""

    def __init__(self, sim: Simulation):
        self.sim = sim
        self.apis: dict[str, RestApi] = {}
        self.inbox: queue.Queue[tuple[str, _Pending]] = queue.Queue()
        self.main = _Server(self, None)
        self.url_servers: dict[str, _Server] = {}   # function name -> its Function URL server
        self._ids = itertools.count(1)
        self.exchanges = 0

    # ------------------------------------------------------------------ addresses
    @property
    def url(self) -> str:
        """Base URL of the main server (REST APIs)."""
        return f"http://127.0.0.1:{self.main.port}"

    def function_url(self, name: str) -> str:
        """The Function URL of a function: its own loopback port (started on first use)."""
        if name not in self.url_servers:
            self.url_servers[name] = _Server(self, name)
        return f"http://127.0.0.1:{self.url_servers[name].port}/"

    def ports(self) -> set[int]:
        """Every port the gateway listens on."""
        return {self.main.port} | {s.port for s in self.url_servers.values()}

    def api(self, api_id: str, stage: str, logical_id: str, kind: str = "rest") -> RestApi:
        """The REST or HTTP API with this id (created on first use)."""
        if api_id not in self.apis:
            self.apis[api_id] = RestApi(api_id, stage, logical_id, kind=kind)
        return self.apis[api_id]

    def stop(self) -> None:
        """Shut every server down."""
        for server in [self.main, *self.url_servers.values()]:
            server.close()

    def reopen(self) -> None:
        """Listen again, on the same ports, after `stop` (a run forked from a snapshot)."""
        for server in [self.main, *self.url_servers.values()]:
            server.reopen()

    # ------------------------------------------------------------------ resolving a caller's URL
    def locate(self, url: str) -> tuple[_Server, str, str]:
        """(server, Host header, request target) for an absolute gateway or execute-api URL."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = (parts.hostname or "").lower()
        match = _EXECUTE_API.match(host)
        if match and match.group(1) in self.apis:
            return self.main, host, target
        if host in ("127.0.0.1", "localhost") and parts.port:
            for server in [self.main, *self.url_servers.values()]:
                if server.port == parts.port:
                    return server, f"127.0.0.1:{parts.port}", target
        known = [api.host(self.sim.region) for api in self.apis.values()] + [self.url]
        raise InputError(f"{url!r} is not served by the simulation's gateway (known: {', '.join(known)})")

    def is_gateway(self, host: str, port: int | None) -> bool:
        """True for an address the gateway answers (used to intercept handler HTTP)."""
        host = (host or "").lower().strip("[]")
        match = _EXECUTE_API.match(host)
        if match:
            return match.group(1) in self.apis
        return host in ("127.0.0.1", "localhost") and port in self.ports()

    # ------------------------------------------------------------------ exchanges
    def exchange(self, server: _Server, request: HttpRequest, client_timeout: float | None = None,
                 caller: str | None = None) -> HttpResponse | None:
        """Answer `request` in a gateway task; None when the client's own timeout ran out first. From a task
        this is a yield point; from the test thread it drives the simulation until the answer is ready."""
        task = self.sim.scheduler.spawn(lambda: self.handle(server, request, client_timeout, caller),
                                        name=f"gateway:{request.method} {request.path}")
        if current_task() is not None:
            self.sim.scheduler.wait_for(task)
        else:
            self.sim.scheduler.run_until_done(task)
        if task.error is not None:
            raise task.error
        return task.result

    # sim.http and sim.webhook hand the bytes http.client writes to the server's own request handler in memory, on
    # the test thread, and read its reply's bytes back (in_memory_exchange.py); False sends them over the loopback
    # socket to the server's threads (tests compare the two: the same replies, errors and traces).
    in_memory = True

    def external(self, server: _Server, request: HttpRequest, host: str,
                 client_timeout: float | None = None) -> HttpResponse | None:
        """Send `request` to the gateway's server as http.client writes it (the test thread is the caller) and drive
        the simulation until the server has its answer. None when the client's timeout ran out."""
        if current_task() is not None:
            raise InputError("sim.http and sim.webhook drive the simulation and are called from the test, not from "
                             "handler code (handler code just uses urllib or requests)")
        exchange_id = str(next(self._ids))
        headers = [(k, v) for k, v in request.headers if k.lower() not in ("host", "content-length")]
        headers += [("Host", host), (EXCHANGE_HEADER, exchange_id)]
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WALL_TIMEOUT)
        memory = self.in_memory and server.listening()
        try:
            with outbound.real_sockets():  # the test thread is the client itself: no thread of its own
                conn.sock = in_memory_exchange.ClientEnd() if memory else _connect(server.port)
                conn.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
                for key, value in headers:
                    conn.putheader(key, value)
                conn.putheader("Content-Length", str(len(request.body)))
                conn.endheaders(request.body or None)
            if memory:
                self.serve_waiting()  # requests other callers sent before this one are answered first, as on the wire
                in_memory_exchange.serve(server.httpd, conn.sock, lambda pending: self._answer(pending, client_timeout))
            else:
                self._serve_until(exchange_id, conn, client_timeout)
            status, reply_headers, body = read_reply(conn.sock, request.method)
        except (OSError, http.client.HTTPException) as exc:
            if exc.__class__.__name__ == "RemoteDisconnected" and client_timeout is not None:
                return None  # the gateway task reported the client's timeout: the server closed the connection
            raise
        finally:
            conn.close()
        return HttpResponse(status, reply_headers, body.decode("utf-8", "replace"), body)

    def _serve_until(self, exchange_id: str, conn: http.client.HTTPConnection, client_timeout: float | None) -> None:
        """Answer what reaches the gateway (other callers' requests too) until this exchange has been answered, or
        the server replied without asking the simulation (a request it refused as malformed)."""
        while True:
            try:
                got_id, pending = self.inbox.get(timeout=0.005)
            except queue.Empty:
                if conn.sock is None or _readable(conn.sock):
                    return  # the server answered (or closed) on its own
                continue
            self._answer(pending, client_timeout if got_id == exchange_id else None)
            if got_id == exchange_id:
                return

    def serve_waiting(self) -> int:
        """Answer the requests already waiting in the inbox (other callers'), without waiting for more."""
        return self._serve_inbox(self.inbox.get_nowait)

    def serve_pending(self, wall_seconds: float = 0.0) -> int:
        """Answer requests that callers outside the test (curl, a browser) sent to the gateway; returns how many."""
        timeout = wall_seconds if wall_seconds > 0 else 0.001
        return self._serve_inbox(lambda: self.inbox.get(timeout=timeout))

    def _serve_inbox(self, take: Any) -> int:
        """Answer each request `take()` gives until it raises queue.Empty; returns how many."""
        served = 0
        while True:
            try:
                _, pending = take()
            except queue.Empty:
                return served
            self._answer(pending, None)
            served += 1

    def _answer(self, pending: _Pending, client_timeout: float | None) -> None:
        try:
            pending.response = self.exchange(pending.server, pending.request, client_timeout, "test")
        except Exception:
            pending.response = HttpResponse.of(500, {"message": "Internal server error"})
            raise
        finally:
            pending.done.set()

    # ------------------------------------------------------------------ the gateway task
    def handle(self, server: _Server, request: HttpRequest, client_timeout: float | None,
               caller: str | None) -> HttpResponse | None:
        """Route, invoke and map one request (runs inside the gateway task)."""
        self.exchanges += 1
        if server.function is None:
            response, function = self._rest(request, client_timeout)
        else:
            response, function = self._url(server, request, client_timeout)
        self.sim.trace.record("gateway", method=request.method, path=request.path, function=function,
                              status=None if response is None else response.status, caller=caller,
                              via="url" if server.function else "rest")
        return response

    def _rest(self, request: HttpRequest, client_timeout: float | None) -> tuple[HttpResponse | None, Any]:
        host = (request.header("Host") or "").split(":")[0].lower()
        api, path = self._find_api(host, request.path)
        if api is None:
            return HttpResponse.of(403, {"message": "Forbidden"}), None
        if path is None:
            return HttpResponse.of(403, {"message": "Forbidden"}), None  # unknown stage
        candidates = sorted((r for r in api.routes if r.pattern.match(path)), key=Route.rank)
        route = next((r for r in candidates if r.method in (request.method, "ANY")), None)
        if api.kind == "http":
            return self._http_api(api, route, request, path, host, client_timeout)
        if route is None:
            return HttpResponse.of(403, {"message": "Missing Authentication Token"}), None
        if len(request.body) > REST_MAX_BODY:
            return HttpResponse.of(413, {"message": "Request Too Long"}), route.function.name
        event_host = host if _EXECUTE_API.match(host) else api.host(self.sim.region)
        params = route.pattern.match(path).groupdict()
        headers = [(k, v) for k, v in request.headers if k.lower() != "host"]
        headers = [("Host", event_host)] + headers + [("X-Forwarded-For", request.source_ip),
                                                      ("X-Forwarded-Port", "443"), ("X-Forwarded-Proto", "https")]
        request = HttpRequest(request.method, request.target, tuple(_dedupe_forwarded(headers)), request.body,
                              request.source_ip)
        decision = self._authorize(api, route, request, path, params, event_host, INTEGRATION_TIMEOUT)
        if decision.refusal is not None:
            return decision.refusal, route.function.name
        request_id = self.sim.runtime.new_request_id()
        event = proxy.rest_event(request, api_id=api.api_id, stage=api.stage, resource=route.resource, path=path,
                                 path_parameters=params, request_id=request_id, epoch=self.sim.clock.now(),
                                 host=event_host)
        if decision.context is not None:
            event["requestContext"]["authorizer"] = decision.context
        limit = INTEGRATION_TIMEOUT if client_timeout is None else min(INTEGRATION_TIMEOUT, client_timeout)
        outcome = self.invoke(route.function, event, request_id, limit)
        fn = route.function.name
        if outcome == "throttled":
            return HttpResponse.of(500, proxy.INTERNAL_ERROR), fn  # Lambda's 429 surfaces as a 500 on a REST API
        if outcome == "deadline":
            if client_timeout is not None and client_timeout < INTEGRATION_TIMEOUT:
                return None, fn
            return HttpResponse.of(504, {"message": "Endpoint request timed out"}), fn
        if not outcome.ok:
            return HttpResponse.of(502, proxy.INTERNAL_ERROR), fn
        response = proxy.rest_response(outcome.payload)
        return (response or HttpResponse.of(502, proxy.INTERNAL_ERROR)), fn

    def _http_api(self, api: RestApi, route: Route | None, request: HttpRequest, path: str, host: str,
                  client_timeout: float | None) -> tuple[HttpResponse | None, Any]:
        """An HTTP API: routes (`$default` catches the rest), payload 2.0 (or 1.0) and its error mapping."""
        route = route or next((r for r in api.routes if r.method == "$DEFAULT"), None)
        if route is None:
            return HttpResponse.of(404, {"message": "Not Found"}), None
        if len(request.body) > REST_MAX_BODY:
            return HttpResponse.of(413, {"message": "Request Entity Too Large"}), route.function.name
        event_host = host if _EXECUTE_API.match(host) else api.host(self.sim.region)
        params = {k: v for k, v in (route.pattern.match(path).groupdict() if route.method != "$DEFAULT"
                                    else {}).items()}
        decision = self._authorize(api, route, request, path, params, event_host, HTTP_API_TIMEOUT)
        if decision.refusal is not None:
            return decision.refusal, route.function.name
        request_id = self.sim.runtime.new_request_id()
        route_key = "$default" if route.method == "$DEFAULT" else f"{route.method} {route.resource}"
        if route.payload_version == "1.0":  # the REST shape, with the version key HTTP APIs add
            event = {"version": "1.0", **proxy.rest_event(
                request, api_id=api.api_id, stage=api.stage, resource=route.resource, path=path,
                path_parameters=params, request_id=request_id, epoch=self.sim.clock.now(), host=event_host)}
        else:
            event = proxy.http_api_event(request, api_id=api.api_id, stage=api.stage, route_key=route_key,
                                         path_parameters=params, request_id=request_id,
                                         epoch=self.sim.clock.now(), host=event_host)
        if decision.context is not None:
            event["requestContext"]["authorizer"] = decision.context
        limit = HTTP_API_TIMEOUT if client_timeout is None else min(HTTP_API_TIMEOUT, client_timeout)
        outcome = self.invoke(route.function, event, request_id, limit)
        fn = route.function.name
        if outcome == "deadline":
            if client_timeout is not None and client_timeout < HTTP_API_TIMEOUT:
                return None, fn
            return HttpResponse.of(503, {"message": "Service Unavailable"}), fn
        if outcome == "throttled" or not outcome.ok:
            return HttpResponse.of(500, {"message": "Internal Server Error"}), fn
        mapped = (proxy.rest_response(outcome.payload) if route.payload_version == "1.0"
                  else proxy.url_response(outcome.payload))
        return (mapped or HttpResponse.of(500, {"message": "Internal Server Error"})), fn

    def _authorize(self, api: RestApi, route: Route, request: HttpRequest, path: str, params: dict, host: str,
                   limit: float) -> Any:
        """The route's Lambda authorizer step (harness.sources.authorizers): a refusal or the context to pass."""
        from harness.sources import authorizers
        if route.authorizer is None:
            return authorizers.Decision(None)
        call = authorizers.RouteRequest(request, api, route, path, params, host)
        return authorizers.authorize(self, route.authorizer, call, limit)

    def _find_api(self, host: str, path: str) -> tuple[RestApi | None, str | None]:
        """The API a request addresses and the resource path inside its stage (None: wrong stage)."""
        match = _EXECUTE_API.match(host)
        api = self.apis.get(match.group(1)) if match else None
        if api is None and path.startswith("/restapis/"):
            parts = path.split("/", 5)  # '', restapis, id, stage, _user_request_, rest
            api = self.apis.get(parts[2]) if len(parts) > 2 else None
            if api is not None and len(parts) >= 5 and parts[4] == "_user_request_":
                path = f"/{parts[3]}/" + (parts[5] if len(parts) > 5 else "")
        if api is None and len(self.apis) == 1 and not match:
            api = next(iter(self.apis.values()))  # one API: the gateway's own address serves it directly
        if api is None:
            return None, None
        if api.stage == "$default":
            return api, path  # an HTTP API's $default stage has no path prefix
        prefix = f"/{api.stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return api, path[len(prefix):] or "/"
        return api, None

    def _url(self, server: _Server, request: HttpRequest,
             client_timeout: float | None) -> tuple[HttpResponse | None, Any]:
        config = self.sim.runtime.function(server.function)
        if config is None:
            return HttpResponse.of(403, {"Message": "Forbidden"}), None
        if config.function_url_auth == "AWS_IAM" and not request.header("Authorization"):
            return HttpResponse.of(403, {"Message": "Forbidden"}), config.name
        if len(request.body) > URL_MAX_BODY:
            return HttpResponse.of(413, {"Message": "Request Entity Too Large"}), config.name
        request_id = self.sim.runtime.new_request_id()
        url_id = f"url-{config.name.lower()}"
        event = proxy.url_event(request, url_id=url_id, request_id=request_id, epoch=self.sim.clock.now(),
                                host=request.header("Host") or f"127.0.0.1:{server.port}",
                                auth_type=config.function_url_auth or "NONE")
        outcome = self.invoke(config, event, request_id, client_timeout)
        if outcome == "throttled":
            return HttpResponse.of(429, {"Message": "Rate Exceeded."}), config.name
        if outcome == "deadline":
            return None, config.name
        if not outcome.ok:
            return HttpResponse.of(502, proxy.URL_ERROR), config.name
        return (proxy.url_response(outcome.payload) or HttpResponse.of(502, proxy.URL_ERROR)), config.name

    def invoke(self, config: FunctionConfig, event: dict, request_id: str, limit: float | None) -> Any:
        """Invoke synchronously from the gateway task: the InvocationResult, 'throttled', or 'deadline' when
        `limit` virtual seconds pass first (the function keeps running, as on AWS)."""
        runtime, scheduler = self.sim.runtime, self.sim.scheduler
        request = InvokeRequest(config.name, event, "RequestResponse", request_id)
        if runtime.throttled(config):
            runtime.throttle_result(config, request)
            return "throttled"
        invocation = runtime.spawn_invocation(config, request)
        me = current_task()
        if limit is not None:
            scheduler.set_deadline(me, scheduler.clock.now() + limit)
        try:
            scheduler.wait_for(invocation)
        except TaskKilled:
            me.kill_reason, me.deadline = None, None
            return "deadline"
        me.deadline = None
        if invocation.error is not None:
            raise invocation.error
        return invocation.result


def _dedupe_forwarded(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keep the caller's X-Forwarded-* when present (a sender that says https), else the gateway's."""
    seen: dict[str, int] = {}
    out: list[tuple[str, str]] = []
    for key, value in headers:
        name = key.lower()
        if name.startswith("x-forwarded-") and name in seen:
            continue
        seen[name] = len(out)
        out.append((key, value))
    return out


class _Server:
    """One listening socket on 127.0.0.1 (an ephemeral port) with its serving thread."""

    def __init__(self, gateway: Gateway, function: str | None):
        self.gateway, self.function = gateway, function
        self._listen(0)
        # The port differs from run to run; handler code may log its URL, the trace must not differ.
        gateway.sim.trace.stable_name(f"127.0.0.1:{self.port}", f"127.0.0.1:<{function or 'gateway'}-port>")

    def _listen(self, port: int) -> None:
        handler = type("GatewayHandler", (_Handler,), {"server_ref": self})
        self.httpd = _PooledHTTPServer(("127.0.0.1", port), handler)
        self.port = self.httpd.server_address[1]
        self._wake_read, self._wake_write = socket.socketpair()
        self._served = new_baton()  # given when the serving loop has returned
        # The serving loop runs on a parked connection thread (a new one when none is parked), as a connection does:
        # no thread started and joined per simulation.
        connection_threads.run(self._serve, f"gateway-{self.port}", self._served.give)

    def reopen(self) -> None:
        """Listen again on the same port after `close` (a run forked from a snapshot: the addresses handed out
        at deploy time stay valid); OSError when the port has been taken meanwhile."""
        self._listen(self.port)

    def _serve(self) -> None:
        """serve_forever, woken at once by close() instead of polling for it."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.httpd, selectors.EVENT_READ)
            selector.register(self._wake_read, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if self._wake_read in ready:
                    return
                self.httpd._handle_request_noblock()  # what serve_forever does for a ready socket

    def listening(self) -> bool:
        """True until `close`."""
        return self._wake_write.fileno() >= 0

    def close(self) -> None:
        if self._wake_write.fileno() < 0:
            return  # already closed
        self._wake_write.send(b"x")
        self._served.take()
        self._served.close()
        self.httpd.server_close()
        self._wake_read.close()
        self._wake_write.close()


class _PooledHTTPServer(ThreadingHTTPServer):
    """A thread per connection, as ThreadingHTTPServer gives, from reused threads
    (harness.sources.connection_threads); closing it waits for its connections to end, as ThreadingHTTPServer's
    does."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type) -> None:
        super().__init__(address, handler)
        self._connections = 0
        self._ended = threading.Condition()

    def server_bind(self) -> None:
        """HTTPServer's bind, but `server_name` (its `socket.getfqdn` of the address: a resolver lookup per server,
        which nothing the gateway runs reads) is looked up when first read."""
        socketserver.TCPServer.server_bind(self)
        self.server_port = self.server_address[1]

    @functools.cached_property
    def server_name(self) -> str:
        """The address's fully qualified name, as HTTPServer sets it."""
        return socket.getfqdn(self.server_address[0])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._ended:
            self._connections += 1
        connection_threads.run(lambda: self.process_request_thread(request, client_address),  # closes the socket
                               f"gateway-{self.server_address[1]}-connection", self._connection_ended)

    def _connection_ended(self) -> None:
        with self._ended:
            self._connections -= 1
            self._ended.notify_all()

    def server_close(self) -> None:
        super().server_close()
        with self._ended:
            self._ended.wait_for(lambda: self._connections == 0)


class _Handler(BaseHTTPRequestHandler):
    """Parses one request and hands it to the simulation; never runs handler code."""

    server_ref: _Server
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # a garbled request line still gets a proper status line back
    timeout = 10  # real seconds: a client that stops sending mid-request is dropped

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed HTTP (bad request line or headers): a JSON 400 like API Gateway's, never a crash."""
        self.close_connection = True
        self._reply(HttpResponse.of(code, {"message": message or "Bad Request"}))

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._serve  # every method reaches the gateway (which answers like API Gateway)
        raise AttributeError(name)

    def _serve(self) -> None:
        self.close_connection = True
        length = self.headers.get("Content-Length")
        if length is not None and not length.strip().isdigit():
            return self._reply(HttpResponse.of(400, {"message": "Bad Request: invalid Content-Length"}))
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            body = self._read_chunked()
            if body is None:
                return self._reply(HttpResponse.of(400, {"message": "Bad Request: malformed chunked body"}))
        else:
            body = self.rfile.read(int(length)) if length else b""
        request = HttpRequest(self.command, self.path, tuple(self.headers.items()), body, self.client_address[0])
        exchange_id = request.header(EXCHANGE_HEADER) or ""
        pending = _Pending(request.without_header(EXCHANGE_HEADER), self.server_ref)
        if isinstance(self.connection, in_memory_exchange.ServerEnd):  # the caller is the thread running this
            self.connection.answer(pending)
            if pending.response is not None:
                self._reply(pending.response)
            return
        self.server_ref.gateway.inbox.put((exchange_id, pending))
        if not pending.done.wait(WALL_TIMEOUT):
            return self._reply(HttpResponse.of(503, {"message": "the simulation is not being driven: call "
                                                                 "sim.http/sim.webhook, or harness.sources.of(sim).gateway.serve_pending()"}))
        if pending.response is None:
            return  # the client's own timeout ran out first: close without an answer
        self._reply(pending.response)

    def _read_chunked(self) -> bytes | None:
        out = bytearray()
        try:
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        except ValueError:
            return None

    def _reply(self, response: HttpResponse) -> None:
        """The response on the wire: the bytes `send_response`, `send_header` and `end_headers` write, in one write."""
        headers = [(key, value) for key, value in response.headers.items()
                   if key.lower() not in ("content-length", "connection", "date", "server")]
        headers += [("Content-Length", str(len(response.content))), ("Connection", "close")]
        if self.request_version == "HTTP/0.9":  # no status line, no headers: BaseHTTPRequestHandler's own way
            self.send_response(response.status)
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.content)
            return
        code = response.status
        self.log_request(code)
        # http.server's own formatting, operator for operator (%d and %s are not what format() gives every value)
        phrase = self.responses[code][0] if code in self.responses else ""
        lines = ["%s %d %s\r\n" % (self.protocol_version, code, phrase),  # noqa: UP031
                 "Server: %s\r\n" % self.version_string(), "Date: %s\r\n" % self.date_time_string()]  # noqa: UP031
        lines += ["%s: %s\r\n" % header for header in headers]  # noqa: UP031
        lines.append("\r\n")
        self.close_connection = True  # what send_header does for "Connection: close"
        head = "".join(lines).encode("latin-1", "strict")
        self.wfile.write(head if self.command == "HEAD" else head + response.content)


def _connect(port: int) -> socket.socket:
    """A connected loopback socket, as `http.client` makes it (timeout, TCP_NODELAY) without resolving the
    address first: the gateway listens on 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(WALL_TIMEOUT)
        sock.connect(("127.0.0.1", port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except BaseException:
        sock.close()
        raise
    return sock


def _readable(sock: socket.socket) -> bool:
    """True when `sock` has something to read (or was closed), without waiting; poll, not select: a process running
    many simulations may have descriptors above select's FD_SETSIZE."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
