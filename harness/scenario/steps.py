"""Scenario steps: one registered model per kind; YAML `- invoke: {...}` calls `Invoke(...).run(ctx)`.

A step's keys are the keyword arguments of the Simulation method it calls (YAML is the serialized API).
Steps that need a Simulation method another piece provides (event sources) name it in `requires`; the
loader refuses them with a clear message when that piece is not installed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from harness import dependencies
from harness.sandbox.payloads import SYNC_PAYLOAD_LIMIT
from harness.scenario import limits
from harness.scenario.model import Setup
from harness.scenario.registry import Registry
from harness.scenario.values import Duration, FunctionRef, Model, QueueRef, ScheduleRef, SecretRef


class Step(Model):
    """Base of every step; `shorthand` names the field a scalar value fills (`advance: 90s`)."""

    kind: ClassVar[str] = ""
    shorthand: ClassVar[str | None] = None
    requires: ClassVar[str | None] = None  # Simulation attribute this step calls

    def run(self, ctx: Any, index: int) -> Any:
        """Perform the step."""
        raise NotImplementedError

    def problems(self, folder: Path) -> list[tuple[tuple, str]]:
        """Extra load-time checks: (path inside the step, message) pairs."""
        return []

    def label(self) -> str:
        """One line for traces and reports."""
        return self.kind


STEPS: Registry[type[Step]] = Registry("step")


def step(cls: type[Step]) -> type[Step]:
    """Class decorator: register a step model under its `kind`."""
    return STEPS.register(cls.kind)(cls)


@step
class Invoke(Step):
    """`sim.invoke(function, payload, type)`; the result is kept under `id` for `result` expectations."""

    kind: ClassVar[str] = "invoke"
    function: FunctionRef
    payload: Any = None
    payload_file: str | None = None
    type: Literal["RequestResponse", "Event", "DryRun"] = "RequestResponse"
    id: str | None = None

    @model_validator(mode="after")
    def _one_payload(self) -> Invoke:
        if self.payload is not None and self.payload_file is not None:
            raise ValueError("give either payload or payload_file, not both")
        return self

    def problems(self, folder: Path) -> list[tuple[tuple, str]]:
        if self.payload_file is None:
            return []
        path = folder / self.payload_file
        dependencies.note(path)
        if not limits.confined(path, folder):
            return [(("payload_file",), (f"{self.payload_file} is outside the scenario's folder {folder}; file paths "
                                        f"stay inside it{limits.hint('allowed_paths')}"))]
        if not path.is_file():
            return [(("payload_file",), f"file not found: {path} (paths are relative to the scenario file)")]
        if path.stat().st_size > SYNC_PAYLOAD_LIMIT:
            return [(("payload_file",), (f"{path} is {path.stat().st_size:,} bytes, over Lambda's "
                                        f"{SYNC_PAYLOAD_LIMIT:,}-byte payload limit"))]
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            return [(("payload_file",), f"{path} is not valid JSON: {exc}")]
        return []

    def run(self, ctx: Any, index: int) -> Any:
        payload = self.payload
        if self.payload_file is not None:
            payload = json.loads((ctx.folder / self.payload_file).read_text(encoding="utf-8"))
        return ctx.sim.invoke(self.function, payload, type=self.type)

    def label(self) -> str:
        return f"invoke {self.function} ({self.type})"


@step
class Http(Step):
    """`sim.http(method, path, body, headers, query, function_url)` through the loopback gateway."""

    kind: ClassVar[str] = "http"
    requires: ClassVar[str | None] = "http"
    method: str = "GET"
    path: str
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    function_url: FunctionRef | None = None
    id: str | None = None

    def run(self, ctx: Any, index: int) -> Any:
        body = self.body if self.body is None or isinstance(self.body, str) else json.dumps(self.body)
        return ctx.sim.http(self.method.upper(), self.path, body=body, headers=dict(self.headers) or None,
                            query=dict(self.query) or None, function_url=self.function_url)

    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


class SecretValue(Model):
    """A value read from Secrets Manager at run time: `{secret: Name, key: field}` (key for JSON secrets)."""

    secret: SecretRef
    key: str | None = None

    def read(self, ctx: Any) -> str:
        """The secret's value (or one field of a JSON secret)."""
        text = ctx.sim.client("secretsmanager").get_secret_value(
            SecretId=ctx.physical("secret", self.secret))["SecretString"]
        return str(json.loads(text)[self.key]) if self.key else text


@step
class Webhook(Step):
    """`sim.webhook(url, params, auth_token, kind)`: a provider-faithful webhook delivery (Twilio signs it)."""

    kind: ClassVar[str] = "webhook"
    requires: ClassVar[str | None] = "webhook"
    url: str
    params: dict[str, Any] = Field(default_factory=dict)
    auth_token: str | SecretValue | None = None
    type: Literal["twilio", "json"] = Field("twilio", alias="kind")
    id: str | None = None

    def run(self, ctx: Any, index: int) -> Any:
        token = self.auth_token.read(ctx) if isinstance(self.auth_token, SecretValue) else self.auth_token
        kwargs = {"auth_token": token} if token is not None else {}
        return ctx.sim.webhook(self.url, {k: str(v) for k, v in self.params.items()}, kind=self.type, **kwargs)

    def label(self) -> str:
        return f"webhook {self.url} ({self.type})"


@step
class SendMessage(Step):
    """`sim.send_message(queue, body, delay_seconds, attributes, group_id)`."""

    kind: ClassVar[str] = "send_message"
    requires: ClassVar[str | None] = "send_message"
    queue: QueueRef
    body: Any
    delay_seconds: int = Field(0, ge=0, le=900)
    attributes: dict[str, Any] | None = None
    group_id: str | None = None
    id: str | None = None

    def run(self, ctx: Any, index: int) -> Any:
        body = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return ctx.sim.send_message(self.queue, body, delay_seconds=self.delay_seconds,
                                    attributes=self.attributes, group_id=self.group_id)

    def label(self) -> str:
        return f"send_message {self.queue}"


@step
class PutEvent(Step):
    """`sim.put_event(source, detail_type, detail, bus)`: one EventBridge event."""

    kind: ClassVar[str] = "put_event"
    requires: ClassVar[str | None] = "put_event"
    source: str
    detail_type: str
    detail: Any = Field(default_factory=dict)
    bus: str | None = None
    id: str | None = None

    def run(self, ctx: Any, index: int) -> Any:
        kwargs = {"bus": self.bus} if self.bus else {}
        return ctx.sim.put_event(source=self.source, detail_type=self.detail_type, detail=self.detail, **kwargs)

    def label(self) -> str:
        return f"put_event {self.source}/{self.detail_type}"


@step
class PutEvents(Step):
    """`sim.put_events(entries)`: EventBridge PutEvents entries exactly as the API takes them."""

    kind: ClassVar[str] = "put_events"
    shorthand: ClassVar[str | None] = "entries"
    requires: ClassVar[str | None] = "put_events"
    entries: list[dict[str, Any]] = Field(min_length=1)
    id: str | None = None

    def run(self, ctx: Any, index: int) -> Any:
        return ctx.sim.put_events([dict(e) for e in self.entries])


@step
class FireSchedule(Step):
    """`sim.fire_schedule(name)`: run a scheduled function now (by function, event or rule name)."""

    kind: ClassVar[str] = "fire_schedule"
    shorthand: ClassVar[str | None] = "name"
    requires: ClassVar[str | None] = "fire_schedule"
    name: ScheduleRef

    def run(self, ctx: Any, index: int) -> Any:
        return ctx.sim.fire_schedule(self.name)

    def label(self) -> str:
        return f"fire_schedule {self.name}"


@step
class Advance(Step):
    """`sim.advance(seconds)`: run everything due in the next stretch of virtual time."""

    kind: ClassVar[str] = "advance"
    shorthand: ClassVar[str | None] = "seconds"
    seconds: Duration

    def run(self, ctx: Any, index: int) -> Any:
        return ctx.sim.advance(self.seconds)

    def label(self) -> str:
        return f"advance {self.seconds:g}s"


@step
class RunUntilIdle(Step):
    """`sim.run_until_idle(max)`: run until only idle background work (pollers, schedules) is left."""

    kind: ClassVar[str] = "run_until_idle"
    shorthand: ClassVar[str | None] = "max"
    max: Duration | None = None

    def run(self, ctx: Any, index: int) -> Any:
        return ctx.sim.run_until_idle(self.max if self.max is not None else ctx.max_virtual_time)


@step
class Assert(Step):
    """Check expectations now, mid-run (same forms as `expect`)."""

    kind: ClassVar[str] = "assert"
    shorthand: ClassVar[str | None] = "expect"
    expect: list[Any] = Field(min_length=1)  # validated by the loader against EXPECTATIONS

    def run(self, ctx: Any, index: int) -> Any:
        for position, (expectation, line) in enumerate(ctx.compiled_asserts[index]):
            ctx.outcomes.append(expectation.evaluate(ctx, f"steps[{index}].assert[{position}]", line))


@step
class AddFaults(Step):
    """`sim.add_faults(rules)`: more fault rules from now on (same shape as the top-level `faults`)."""

    kind: ClassVar[str] = "add_faults"
    shorthand: ClassVar[str | None] = "rules"
    requires: ClassVar[str | None] = "add_faults"
    rules: list[dict[str, Any]] = Field(min_length=1)

    def run(self, ctx: Any, index: int) -> Any:
        return ctx.sim.add_faults([dict(r) for r in self.rules])


@step
class SetupStep(Setup, Step):
    """Write more data mid-run (same form as the top-level `setup`; never faulted)."""

    kind: ClassVar[str] = "setup"

    def run(self, ctx: Any, index: int) -> Any:
        from harness.scenario.seeding import apply_setup
        apply_setup(ctx, self)
