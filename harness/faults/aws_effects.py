"""AWS effects, answered at the router's botocore hook so botocore's own retry code runs on them.

| effect          | where it acts                                   | the request...                         |
|-----------------|-------------------------------------------------|----------------------------------------|
| `aws_error`     | in front of the backend (protocol-correct body) | never arrives                          |
| `network_error` | in front of the backend (botocore exception)    | never arrives                          |
| `latency`       | in front of the backend (virtual sleep)         | arrives late                           |
| `response_lost` | behind the backend (raise after it answered)    | is applied; the caller sees an error   |
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from botocore import exceptions as botocore_errors

from harness.faults import catalog
from harness.faults.aws_errors import MESSAGES, error_response, known_codes, resolve_code, status_for
from harness.faults.effects import Effect, FaultPlanError, register_effect
from harness.faults.http import NetworkFault
from harness.template import ACCOUNT_ID, closest

NETWORK_ERRORS = {
    "EndpointConnectionError": botocore_errors.EndpointConnectionError,
    "ConnectTimeoutError": botocore_errors.ConnectTimeoutError,
    "ReadTimeoutError": botocore_errors.ReadTimeoutError,
    "ConnectionClosedError": botocore_errors.ConnectionClosedError,
}
# botocore's defaults (botocore/config.py): what a client waits before a timeout error.
DEFAULT_CONNECT_TIMEOUT = 60.0
DEFAULT_READ_TIMEOUT = 60.0


def client_timeouts() -> tuple[float, float]:
    """(connect, read) timeout of the client making the current request (captured by the seams)."""
    from harness.faults.seams import current_client_timeouts

    return current_client_timeouts() or (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)


@register_effect("aws_error")
@dataclass(frozen=True)
class AwsError(Effect):
    """Answer with an AWS error code, with the status and body the real service uses."""

    code: str
    message: str | None = None
    status: int | None = None
    extra: dict = field(default_factory=dict)  # merged into the error body (e.g. Item for ALL_OLD, Reason)

    def check(self, rule: Any, where: str) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise FaultPlanError(f"{where}.status: an error status is 400-599, got {self.status}")
        service = catalog.find_service(rule.match.service) if rule.match.service else None
        if service is not None and self.status is None:
            codes = known_codes(service)
            if self.code not in codes:
                raise FaultPlanError(
                    f"{where}.code: {self.code!r} is not an error {service.id} answers with"
                    f"{closest(self.code, codes)}; give effect.status too to inject a code the model does not list")

    def aws_request(self, ctx: Any) -> Any:
        service = catalog.find_service(ctx.target.service)
        status = self.status or status_for(service, self.code)
        return error_response(ctx.raw, service, self.code, self.message or _message(self.code, service, ctx),
                              status, self.extra)


def _message(code: str, service: Any, ctx: Any) -> str:
    if code in ("AccessDeniedException", "AccessDenied"):
        function = ctx.target.function or "function"
        action = f"{service.model.signing_name if service else ctx.target.service}:{ctx.target.operation}"
        return (f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/{function}-role/{function} is not authorized to "
                f"perform: {action} on resource: {ctx.target.resource or '*'} because no identity-based policy "
                f"allows the {action} action")
    shape, wire, _ = resolve_code(service, code)
    return MESSAGES.get(code) or MESSAGES.get(wire) or MESSAGES.get(shape) or code


@register_effect("network_error")
@dataclass(frozen=True)
class NetworkError(Effect):
    """Fail the attempt with one of botocore's connection errors (timeouts first wait, in virtual time, for
    `seconds` or the client's own connect/read timeout)."""

    error: Literal["EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError",
                   "ConnectionClosedError"] = "EndpointConnectionError"
    seconds: float | None = None

    def aws_request(self, ctx: Any) -> Any:
        wait = self.seconds
        if wait is None:
            connect, read = client_timeouts()
            wait = {"ConnectTimeoutError": connect, "ReadTimeoutError": read}.get(self.error, 0.0)
        if wait:
            ctx.sleep(wait)
        raise NETWORK_ERRORS[self.error](endpoint_url=ctx.raw.url)


@register_effect("latency")
@dataclass(frozen=True)
class Latency(Effect):
    """Delay in virtual time: an AWS request or HTTP request before it is sent, or a function's handler
    (the delay counts against the function's timeout). A match naming only a function means its invocations."""

    default_point = "invoke"
    seconds: float
    jitter: float = 0.0  # plus a uniform draw in [0, jitter) from the rule's seeded RNG

    def check(self, rule: Any, where: str) -> None:
        if self.seconds < 0 or self.jitter < 0:
            raise FaultPlanError(f"{where}: seconds and jitter must be >= 0")

    def _delay(self, ctx: Any) -> float:
        return self.seconds + (ctx.rng.uniform(0, self.jitter) if self.jitter else 0.0)

    def aws_request(self, ctx: Any) -> None:
        ctx.sleep(self._delay(ctx))

    def http_request(self, ctx: Any) -> None:
        delay, timeout = self._delay(ctx), ctx.raw.timeout
        if timeout is not None and delay > timeout:
            # The client stops waiting at its own timeout: it sees a read timeout, the request is not served.
            from harness.faults.http import NetworkFault

            ctx.sleep(timeout)
            raise NetworkFault("read_timeout", timeout=timeout)
        ctx.sleep(delay)

    def invoke(self, ctx: Any) -> None:
        delay = self._delay(ctx)

        def slow(handler: Any, event: Any, context: Any) -> Any:
            ctx.sim.scheduler.sleep(delay)
            return handler(event, context)

        ctx.extra["wrap"](slow)


@register_effect("response_lost")
@dataclass(frozen=True)
class ResponseLost(Effect):
    """The request is applied (the item is written, the message sent, the webhook processed) but the
    response never reaches the caller: it waits (virtual) and gets a read timeout, or the connection resets."""

    error: Literal["timeout", "reset"] = "timeout"
    seconds: float | None = None  # wait before the error; timeouts default to the client's read timeout

    def aws_response(self, ctx: Any, response: Any) -> Any:
        wait = self.seconds if self.seconds is not None else (client_timeouts()[1] if self.error == "timeout"
                                                              else 0.0)
        if wait:
            ctx.sleep(wait)
        cls = botocore_errors.ReadTimeoutError if self.error == "timeout" else botocore_errors.ConnectionClosedError
        raise cls(endpoint_url=ctx.raw.url)

    def http_response(self, ctx: Any, response: Any) -> Any:
        timeout = ctx.raw.timeout
        wait = self.seconds if self.seconds is not None else (timeout or 0.0) if self.error == "timeout" else 0.0
        if wait:
            ctx.sleep(wait)
        raise NetworkFault("read_timeout" if self.error == "timeout" else "reset", timeout=timeout)
