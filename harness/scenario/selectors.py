"""Trace event selectors: which events an `order`, `timing` or `events` expectation talks about."""
from __future__ import annotations

import functools
import re
from typing import Any

from pydantic import Field, model_validator

from harness.scenario.values import FunctionRef, Model

PRIMARY = ("invoke", "aws", "log", "log_regex", "fault", "step", "kind")


class Selector(Model):
    """Exactly one of `invoke`, `aws`, `log`, `log_regex`, `fault`, `step`, `kind`, plus qualifiers."""

    invoke: FunctionRef | None = None
    aws: str | None = None
    log: str | None = None
    log_regex: str | None = None
    fault: str | None = None
    step: str | None = None
    kind: str | None = None
    function: FunctionRef | None = None
    attempt: int | None = None
    status: str | int | None = None
    cold: bool | None = None
    resource: str | None = None
    caller: str | None = None
    error: str | None = None
    where: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_primary(self) -> Selector:
        given = [name for name in PRIMARY if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"a selector names exactly one of {', '.join(PRIMARY)}; "
                             f"got {', '.join(given) if given else 'none'}")
        if self.log_regex is not None:
            try:
                re.compile(self.log_regex)
            except re.error as exc:
                raise ValueError(f"log_regex is not a valid regular expression: {exc}") from None
        if self.aws is not None and not re.fullmatch(r"[a-z0-9-]+(:[A-Za-z0-9]+)?", self.aws):
            raise ValueError(f"aws expects 'service:Operation' like 'sqs:SendMessage' or 'dynamodb:PutItem'; "
                             f"got {self.aws!r}")
        return self

    def describe(self) -> str:
        """Short human form, e.g. `invoke Writer attempt=2`."""
        return self._described

    @functools.cached_property
    def _described(self) -> str:
        """`describe()`'s text, made once (a model's fields never change; every run of a scenario asks again)."""
        head = next(f"{name} {getattr(self, name)}" for name in PRIMARY if getattr(self, name) is not None)
        quals = [f"{k}={getattr(self, k)}" for k in ("function", "attempt", "status", "cold", "resource", "caller",
                                                     "error") if getattr(self, k) is not None]
        quals += [f"{k}={v}" for k, v in self.where.items()]
        return " ".join([head] + quals)

    def find(self, ctx: Any) -> list:
        """Matching trace events of the run, in order."""
        trace = ctx.sim.trace
        fn = ctx.function_name(self.function) if self.function else None
        if self.invoke is not None:
            name = ctx.function_name(self.invoke)
            if self.status == "throttled":
                events = trace.of("throttle", function=name)
            else:
                events = trace.of("invoke_end" if self.status is not None else "invoke_start", function=name)
        elif self.aws is not None:
            service, _, operation = self.aws.partition(":")
            events = [e for e in trace.of("aws", service=service) if not operation or e.data.get("operation") == operation]
        elif self.log is not None or self.log_regex is not None:
            pattern = re.compile(self.log_regex) if self.log_regex is not None else None
            events = [e for e in trace.of("log") if (fn is None or e.data.get("function") == fn) and
                      (pattern.search(str(e.data.get("message", ""))) if pattern else
                       self.log in str(e.data.get("message", "")))]
        elif self.fault is not None:
            events = trace.of("fault", rule=self.fault)
        elif self.step is not None:
            events = trace.of("step", id=self.step)
        else:
            events = trace.of(self.kind)
            if fn is not None:
                events = [e for e in events if e.data.get("function") == fn]
        if not self._qualifies:
            return events
        # The names a qualifier accepts, looked up once per question rather than once per event.
        resources = ctx.resource_names(self.resource) if self.resource is not None and events else None
        callers = (self.caller, ctx.function_name_or_self(self.caller)) if self.caller is not None and events else None
        return [e for e in events if self._qualified(e, resources, callers)]

    @functools.cached_property
    def _qualifies(self) -> bool:
        """Whether any qualifier is set (made once: a model's fields never change)."""
        return any(getattr(self, k) is not None for k in ("attempt", "cold", "error", "status", "resource", "caller")) \
            or bool(self.where)

    def _qualified(self, event: Any, resources: set[str] | None, callers: tuple[str, str] | None) -> bool:
        data = event.data
        checks = {"attempt": self.attempt, "cold": self.cold, "error": self.error}
        if any(value is not None and data.get(key) != value for key, value in checks.items()):
            return False
        if self.status is not None and self.status != "throttled" and str(data.get("status")) != str(self.status):
            return False
        if resources is not None and data.get("resource") not in resources:
            return False
        if callers is not None and data.get("caller") not in callers:
            return False
        return all(str(data.get(k)) == str(v) for k, v in self.where.items())
