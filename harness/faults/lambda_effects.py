"""Lambda effects: what the Lambda service itself does wrong, applied in the runtime (not in handler code).

| effect              | point  | what happens                                                                |
|---------------------|--------|-----------------------------------------------------------------------------|
| `lambda_error`      | invoke | the invocation fails before the handler runs (Runtime.Unknown by default)   |
| `init_failure`      | invoke | a cold start's init fails (Runtime.ImportModuleError); the environment resets |
| `lambda_timeout`    | invoke | the invocation hangs until its timeout, before or after the handler's work  |
| `lambda_crash`      | invoke | the runtime process dies (out of memory: Runtime.ExitError, signal: killed) at the start, the end, or right after a given AWS call was applied |
| `lambda_throttle`   | admit  | the invocation is refused with 429 TooManyRequestsException, as when concurrency is exhausted |
| `recycle_container` | admit  | the function's idle containers are reclaimed: this invocation is a cold start |
| `reuse_container`   | invoke | this invocation's container is pinned: later invocations reuse it while idle |
Sync callers see these through the real invoke path (FunctionError Unhandled, 429 retried by botocore); async
events get Lambda's retries, DLQ and destinations.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from harness.faults.effects import Effect, FaultPlanError, register_effect
from harness.lambda_runtime.runtime_errors import runtime_exception


@register_effect("lambda_error")
@dataclass(frozen=True)
class LambdaError(Effect):
    """The invocation fails after init but before the handler runs (the container stays warm unless `reset`)."""

    error_type: str = "Runtime.Unknown"
    message: str = "Unknown application error occurred"
    reset: bool = False

    def invoke(self, ctx: Any) -> None:
        exc = runtime_exception(self.error_type, self.message, self.reset)

        def fail(handler: Any, event: Any, context: Any) -> Any:
            raise exc

        ctx.extra["wrap"](fail)


@register_effect("init_failure")
@dataclass(frozen=True)
class InitFailure(Effect):
    """A cold start's init phase fails; the environment is discarded and the next invocation starts cold."""

    implied_match: ClassVar[dict] = {"cold": True}
    error_type: Literal["Runtime.ImportModuleError", "Runtime.ExitError", "Exception"] = "Runtime.ImportModuleError"
    message: str | None = None

    def check(self, rule: Any, where: str) -> None:
        if rule.match.cold is False:
            raise FaultPlanError(f"{where}: init failures happen on cold starts; drop match.cold: false")

    def invoke(self, ctx: Any) -> None:
        container = ctx.extra["container"]
        module = container.config.handler.rpartition(".")[0]
        message = self.message or f"Unable to import module '{module}': init failed (injected fault)"
        exc = runtime_exception(self.error_type, message, True)

        def failing_init() -> None:
            del container.init  # back to the class's init for any later use
            raise exc

        container.init = failing_init


@register_effect("lambda_timeout")
@dataclass(frozen=True)
class LambdaTimeout(Effect):
    """The invocation runs into its timeout: `when: start` hangs before the handler (it never runs),
    `when: end` after it (its work is done, yet the caller sees a timeout and may retry)."""

    when: Literal["start", "end"] = "start"

    def invoke(self, ctx: Any) -> None:
        scheduler = ctx.sim.scheduler
        when = self.when

        def hang(handler: Any, event: Any, context: Any) -> Any:
            if when == "end":
                handler(event, context)
            # Sleep past the deadline: the runtime's deadline ends the task with TaskKilled, as Lambda would.
            scheduler.sleep(context.get_remaining_time_in_millis() / 1000.0 + 0.001)
            raise AssertionError("unreachable: the invocation should have been timed out")

        ctx.extra["wrap"](hang)


@register_effect("lambda_crash")
@dataclass(frozen=True)
class LambdaCrash(Effect):
    """The runtime process dies (default: killed for running out of memory) at the start of the handler, after
    its work, or in the middle: `after: {service, operation}` right after the handler's first such AWS call
    was applied (the write is done, the handler never learns it). The handler cannot catch it (its `finally`
    blocks do run: a simplification) and the environment is discarded."""

    when: Literal["start", "end"] = "end"
    error_type: str = "Runtime.ExitError"
    message: str | None = None
    after: dict | None = None  # {service, operation}: crash right after this call of the handler is applied

    def check(self, rule: Any, where: str) -> None:
        if self.after is None:
            return
        from harness.faults import catalog
        unknown = set(self.after) - {"service", "operation"}
        service = catalog.find_service(str(self.after.get("service") or ""))
        if unknown or service is None:
            raise FaultPlanError(f"{where}.after: expected {{service: <AWS service>, operation: <optional>}}, "
                                 f"got {self.after!r}")
        operation = self.after.get("operation")
        if operation is not None and catalog.find_operation(service, str(operation)) is None:
            raise FaultPlanError(f"{where}.after.operation: {catalog.unknown_operation_message(service, operation)}")

    def invoke(self, ctx: Any) -> None:
        request_id = ctx.extra["request"].request_id
        exc = runtime_exception(self.error_type, self.message or
                                f"RequestId: {request_id} Error: Runtime exited with error: signal: killed", True)
        if self.after is not None:
            ctx.extra["wrap"](_crash_after(self.after, exc))
            return
        when = self.when

        def crash(handler: Any, event: Any, context: Any) -> Any:
            if when == "end":
                handler(event, context)
            raise exc

        ctx.extra["wrap"](crash)


class ProcessDied(BaseException):
    """Unwinds handler code from the call after which the process died (a BaseException: `except Exception`
    in the handler cannot swallow it); the invocation's wrapper turns it into the runtime's error."""


def _crash_after(after: dict, exc: Exception) -> Any:
    from harness.faults import catalog
    from harness.scheduler import current_task
    service = catalog.find_service(str(after["service"]))
    operation = catalog.find_operation(service, str(after["operation"])) if after.get("operation") else None
    watch = (service.id if service else str(after["service"]), operation)

    def crash(handler: Any, event: Any, context: Any) -> Any:
        task = current_task()
        task.meta["crash_after"] = watch
        try:
            return handler(event, context)
        except ProcessDied:
            raise exc from None
        finally:
            task.meta.pop("crash_after", None)

    return crash


def crash_due(call: Any, response: Any) -> bool:
    """True when the running invocation must die now that `call` was applied (see `lambda_crash` `after`)."""
    from harness.scheduler import current_task
    task = current_task()
    watch = task.meta.get("crash_after") if task is not None else None
    if watch is None or watch[0] != call.service or watch[1] not in (None, call.operation):
        return False
    return response is not None and response.status_code < 300


@register_effect("lambda_throttle")
@dataclass(frozen=True)
class LambdaThrottle(Effect):
    """Refuse the invocation as if its concurrency were exhausted (sync: 429 TooManyRequestsException with
    Reason ReservedFunctionConcurrentInvocationLimitExceeded; async: queued and retried)."""

    def admit(self, ctx: Any) -> bool:
        return True


@register_effect("recycle_container")
@dataclass(frozen=True)
class RecycleContainer(Effect):
    """Reclaim the function's idle containers before this invocation, so it is a cold start."""

    def admit(self, ctx: Any) -> bool:
        pool = ctx.extra["pool"]
        pool.recycle()
        pool.force_cold = True
        if pool.pinned is not None and pool.pinned.state == "dead":
            pool.pinned = None
        return False


@register_effect("reuse_container")
@dataclass(frozen=True)
class ReuseContainer(Effect):
    """Pin the container that runs this invocation: later invocations reuse it whenever it is idle, and it is
    not reclaimed for `seconds` (default: never), however long the gap."""

    seconds: float | None = None

    def invoke(self, ctx: Any) -> None:
        container = ctx.extra["container"]
        ctx.extra["pool"].pinned = container
        until = math.inf if self.seconds is None else ctx.sim.clock.now() + self.seconds
        container.keep_warm_until = max(container.keep_warm_until or 0.0, until)
