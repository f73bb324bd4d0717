"""Where the fault plan plugs into a simulation: the router's FaultSeam, the runtime's hooks, the concurrency
check and the HTTP layer. `FaultsExtension` is the simulation extension that installs them all."""
from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from botocore.handlers import BUILTIN_HANDLERS

from harness.aws.router import AwsCall, NoFaults
from harness.faults.http import HttpLayer
from harness.faults.rules import Target

_local = threading.local()
_timeouts_installed = False


def _capture_timeouts(context: dict | None = None, **_: Any) -> None:
    config = (context or {}).get("client_config")
    _local.timeouts = (float(config.connect_timeout), float(config.read_timeout)) if config is not None else None


def install_timeout_capture() -> None:
    """Remember each request's client connect/read timeouts, so timeout faults wait as long as the client
    would (a botocore built-in handler: every client created afterwards has it)."""
    global _timeouts_installed
    from harness.aws.router import shared_session
    if not _timeouts_installed:
        BUILTIN_HANDLERS.append(("before-parameter-build", _capture_timeouts))
        _timeouts_installed = True
    # The shared session (handler modules' boto3.DEFAULT_SESSION) may predate the built-in handler: its handlers
    # were copied from BUILTIN_HANDLERS when it was made, so register on it too (once, by id).
    shared_session().events.register("before-parameter-build", _capture_timeouts,
                                     unique_id="harness-fault-timeouts")


def current_client_timeouts() -> tuple[float, float] | None:
    """(connect, read) timeouts of the client whose request is being handled on this thread."""
    return getattr(_local, "timeouts", None)


class AwsSeam:
    """The router's FaultSeam: rules at point `aws`, for requests handler code makes."""

    def __init__(self, sim: Any):
        self.sim = sim
        self._after: dict[int, list] = {}

    def before_send(self, call: AwsCall, request: Any) -> Any:
        self._after.pop(id(request), None)
        if not _armed(self.sim.faults, "aws"):
            return None
        target = Target("aws", self.sim.clock.elapsed(), service=call.service, operation=call.operation,
                        resource=call.resource, function=call.caller, attempt=call.attempt)
        after: list = []
        answer: list = [None]

        def apply(rule: Any, ctx: Any) -> bool:
            ctx.extra["resend"] = lambda: self._resend(call, request)
            effect = rule.effect
            if hasattr(effect, "aws_request"):
                response = effect.aws_request(ctx)
                if response is not None:
                    answer[0] = response
                    return True
            if hasattr(effect, "aws_response"):
                after.append((effect, ctx))
            return False

        self.sim.faults.run("aws", target, apply, raw=request, call=call)
        if after and answer[0] is None:
            self._after[id(request)] = after
        return answer[0]

    def after_send(self, call: AwsCall, request: Any, response: Any) -> Any:
        from harness.faults.lambda_effects import ProcessDied, crash_due
        if crash_due(call, response):
            self._after.pop(id(request), None)
            self.sim.trace.record("crash", service=call.service, operation=call.operation, resource=call.resource,
                                  function=call.caller, status=response.status_code)
            raise ProcessDied(f"{call.caller} died right after {call.service}:{call.operation}")
        for effect, ctx in self._after.pop(id(request), []):
            response = effect.aws_response(ctx, response)
        return response

    def _resend(self, call: AwsCall, request: Any) -> Any:
        """Apply the same request to the backend once more (for `duplicate`)."""
        if call.service == "lambda" and call.operation in ("Invoke", "InvokeAsync"):
            return self.sim.router.lambda_invoke(call, request)
        return self.sim.backend.answer(request, f"before-send.{call.service}.{call.operation}")


class InvokeHook:
    """The runtime hook: rules at point `invoke`, run in the container before the handler."""

    def __init__(self, sim: Any):
        self.sim = sim

    def before_invoke(self, config: Any, container: Any, request: Any, cold: bool) -> None:
        if not _armed(self.sim.faults, "invoke"):
            return
        runtime = self.sim.runtime
        target = Target("invoke", self.sim.clock.elapsed(), function=config.name, resource=config.name, cold=cold)
        wrappers: list[Callable] = []

        def apply(rule: Any, ctx: Any) -> bool:
            ctx.extra.update(config=config, container=container, request=request, cold=cold,
                             pool=runtime.pools[config.name], wrap=wrappers.append)
            rule.effect.invoke(ctx)
            return False

        self.sim.faults.run("invoke", target, apply, raw=request)
        if wrappers:
            wrap_next_call(container, wrappers)


def wrap_next_call(container: Any, wrappers: list[Callable]) -> None:
    """Run the container's handler through `wrappers` (each `w(handler, event, context)`) for its next call
    only; on a cold container, after init has imported the handler."""

    def install() -> None:
        original = container.handler
        composed = original
        for wrapper in reversed(wrappers):
            composed = functools.partial(wrapper, composed)

        def once(event: Any, context: Any) -> Any:
            container.handler = original
            return composed(event, context)

        container.handler = once

    if container.handler is not None:
        install()
        return
    real_init = container.init

    def init() -> None:
        if "init" in vars(container):
            del container.init
        real_init()
        install()

    container.init = init


class AdmitHook:
    """Wraps the runtime's concurrency check: rules at point `admit` (throttle, recycle)."""

    def __init__(self, sim: Any):
        self.sim = sim

    def install(self) -> None:
        runtime = self.sim.runtime
        original = runtime.throttled

        def throttled(config: Any) -> bool:
            if not _armed(self.sim.faults, "admit"):
                return original(config)
            target = Target("admit", self.sim.clock.elapsed(), function=config.name, resource=config.name)
            decision = [False]

            def apply(rule: Any, ctx: Any) -> bool:
                ctx.extra.update(config=config, pool=runtime.pools[config.name], runtime=runtime)
                if rule.effect.admit(ctx):
                    decision[0] = True
                    return True
                return False

            self.sim.faults.run("admit", target, apply)
            return decision[0] or original(config)

        runtime.throttled = throttled

    def uninstall(self) -> None:
        if "throttled" in vars(self.sim.runtime):
            del self.sim.runtime.throttled


class FaultsExtension:
    """Installs the fault plan and the HTTP layer into a simulation (created by Simulation itself)."""

    def __init__(self, sim: Any):
        self.sim = sim
        self.http = HttpLayer(sim, sim.faults)
        self._invoke = InvokeHook(sim)
        self._admit = AdmitHook(sim)

    def before_deploy(self, sim: Any) -> None:
        install_timeout_capture()
        self.http.plan = sim.faults
        sim.router.faults = AwsSeam(sim)
        sim.runtime.hooks.append(self._invoke)
        self._admit.install()
        self.http.install()

    def after_deploy(self, sim: Any) -> None:
        sim.faults.bind(sim)

    def stop(self, sim: Any) -> None:
        self.http.uninstall()
        self._admit.uninstall()
        if self._invoke in sim.runtime.hooks:
            sim.runtime.hooks.remove(self._invoke)
        sim.router.faults = NoFaults()
        sim.faults.unbind()


def _armed(plan: Any, point: str) -> bool:
    """True when `plan` has a rule at `point`; otherwise running it there could neither fire nor count anything,
    so the aws, invoke and admit seams skip building its target (a fast path: the same rules fire either way). Kept
    at the end of the module: the lines above appear in tracebacks that handler code logs (the trace keeps their
    text, not their line numbers)."""
    return any(rule.point == point for rule in plan.rules)
