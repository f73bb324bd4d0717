"""HTTP effects for outbound requests (urllib, requests) and calls to the harness's own gateway.

| effect        | the request...                    | the client sees                                          |
|---------------|-----------------------------------|----------------------------------------------------------|
| `http_status` | never arrives                     | that status, body and headers (urllib raises HTTPError)  |
| `http_error`  | never arrives (or hangs)          | connection refused / reset / closed / connect or read timeout |
| `http_body`   | is served                         | the real status with a body that is not what was promised|
`latency`, `response_lost`, `duplicate` and `mutate` also apply to HTTP (see their modules).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.faults.effects import Effect, FaultPlanError, register_effect
from harness.faults.http import HttpResponse, NetworkFault

# Bodies real servers and gateways typically send for these statuses (overridable with `body`).
DEFAULT_BODIES = {
    400: {"message": "Bad Request"}, 401: {"message": "Unauthorized"}, 403: {"message": "Forbidden"},
    404: {"message": "Not Found"}, 409: {"message": "Conflict"}, 429: {"message": "Too Many Requests"},
    500: {"message": "Internal Server Error"}, 502: {"message": "Bad Gateway"},
    503: {"message": "Service Unavailable"}, 504: {"message": "Gateway Timeout"},
}
DEFAULT_TIMEOUT = 30.0  # a client without a timeout waits for the server; 30 s stands in for "long"


@register_effect("http_status")
@dataclass(frozen=True)
class HttpStatus(Effect):
    """Answer with an HTTP status (body: `body` text, or `json`, or a small JSON message)."""

    status: int
    body: str | None = None
    json: Any = None
    headers: dict = field(default_factory=dict)

    def check(self, rule: Any, where: str) -> None:
        if not 100 <= self.status <= 599:
            raise FaultPlanError(f"{where}.status: expected an HTTP status 100-599, got {self.status}")
        if self.body is not None and self.json is not None:
            raise FaultPlanError(f"{where}: give body or json, not both")

    def http_request(self, ctx: Any) -> HttpResponse:
        headers = {str(k): str(v) for k, v in self.headers.items()}
        if self.body is not None:
            body = self.body.encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            document = self.json if self.json is not None else DEFAULT_BODIES.get(self.status, {"status": self.status})
            body = json.dumps(document).encode()
            headers.setdefault("Content-Type", "application/json")
        if self.status == 429:
            headers.setdefault("Retry-After", "1")
        return HttpResponse(self.status, headers, body)


@register_effect("http_error")
@dataclass(frozen=True)
class HttpError(Effect):
    """Break the connection: refused, reset or closed at once; connect/read timeouts after the client's
    timeout (or `seconds`) of virtual time."""

    error: Literal["refused", "reset", "closed", "connect_timeout", "read_timeout"] = "refused"
    seconds: float | None = None

    def http_request(self, ctx: Any) -> None:
        timeout = ctx.raw.connect_timeout if self.error == "connect_timeout" else ctx.raw.timeout
        if self.error in ("connect_timeout", "read_timeout"):
            wait = self.seconds if self.seconds is not None else (timeout or DEFAULT_TIMEOUT)
            ctx.sleep(wait)
        elif self.seconds:
            ctx.sleep(self.seconds)
        raise NetworkFault(self.error, timeout=timeout)


@register_effect("http_body")
@dataclass(frozen=True)
class HttpBody(Effect):
    """Serve the request, then replace the response body (and optionally its content type and status):
    HTML where JSON was promised, truncated JSON (`mutator: truncated_json`), an empty body, ..."""

    body: str | None = None
    mutator: str | None = None
    content_type: str | None = None
    status: int | None = None

    def check(self, rule: Any, where: str) -> None:
        if (self.body is None) == (self.mutator is None):
            raise FaultPlanError(f"{where}: give exactly one of body (replacement text) or mutator (a payload "
                                 f"mutator applied to the real body)")
        if self.mutator is not None:
            from harness.faults.payloads import require_mutator
            require_mutator(self.mutator, where + ".mutator")

    def http_response(self, ctx: Any, response: HttpResponse) -> HttpResponse:
        if self.body is not None:
            body = self.body.encode()
        else:
            from harness.faults.payloads import mutate
            mutated = mutate(response.body, self.mutator, rng=ctx.rng)
            body = mutated if isinstance(mutated, bytes) else json.dumps(mutated).encode() if not isinstance(
                mutated, str) else mutated.encode("utf-8", "surrogateescape")
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        if self.content_type:
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            headers["Content-Type"] = self.content_type
        return HttpResponse(self.status or response.status, headers, body)
