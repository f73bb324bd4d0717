"""Expectations: what must be true at the end of a run (`expect`) or at a point in it (`assert` steps).

Each kind is a small model registered in EXPECTATIONS; `check(ctx)` returns a Verdict saying what was
expected, what was found and which trace events are relevant. Data-store kinds live in `stores.py`,
time and order kinds in `timeline.py`.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from harness.scenario.match import Count, Range, count_ok, count_text, show
from harness.scenario.registry import Registry
from harness.scenario.values import FunctionRef, Model


@dataclass(frozen=True)
class Verdict:
    """What a check concluded: pass/fail, the expectation and the finding in words, related trace events."""

    passed: bool
    expected: str
    found: str
    seqs: tuple[int, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A checked expectation, located in the scenario (`expect[2]`, `steps[3].assert[0]`)."""

    where: str
    kind: str
    description: str
    passed: bool
    expected: str = ""
    found: str = ""
    seqs: tuple[int, ...] = ()
    t: float = 0.0
    line: int = 0
    slice: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"where": self.where, "kind": self.kind, "description": self.description, "passed": self.passed,
                "expected": self.expected, "found": self.found, "seqs": list(self.seqs), "t": self.t,
                "line": self.line, "slice": list(self.slice)}


class Expectation(Model):
    """Base of every expectation kind."""

    kind: ClassVar[str] = ""
    shorthand: ClassVar[str | None] = None

    def check(self, ctx: Any) -> Verdict:
        """Compare the run with the expectation."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for reports."""
        fields = self.model_dump(exclude_defaults=True, by_alias=True)
        return f"{self.kind} " + " ".join(f"{k}={show(v, 80)}" for k, v in fields.items())

    def shown(self, name: str, limit: int = 300) -> str:
        """`show()` of one of its own fields, made once (every run of a scenario checks the same expectation)."""
        memo = self._shown
        if (name, limit) not in memo:
            memo[name, limit] = show(getattr(self, name), limit)
        return memo[name, limit]

    @functools.cached_property
    def _shown(self) -> dict[tuple[str, int], str]:
        return {}

    @functools.cached_property
    def description(self) -> str:
        """`describe()`, made once: a scenario's expectations are checked again in every run of it, and a model's
        fields never change."""
        return self.describe()

    def evaluate(self, ctx: Any, where: str, line: int = 0) -> Outcome:
        """Check and wrap the verdict (a check that raises fails with the error as its finding)."""
        try:
            with ctx.inspecting():
                verdict = self.check(ctx)
        except Exception as exc:  # noqa: BLE001 - a broken check is a failed expectation, not a crash
            verdict = Verdict(False, self.description, f"the check could not run: {type(exc).__name__}: {exc}")
        return Outcome(where, self.kind, self.description, verdict.passed, verdict.expected, verdict.found,
                       verdict.seqs, ctx.sim.now, line, () if verdict.passed else _slice(ctx.sim.trace, verdict.seqs))


def _slice(trace: Any, seqs: tuple[int, ...]) -> tuple[str, ...]:
    """The trace lines a failed expectation's report shows: around its events, else the run's last ones (a
    passed expectation's report shows none, so it is not formatted)."""
    events = trace.slice(seqs, width=3) if seqs else trace.slice(last=12)
    return tuple(_clip(x) for x in trace.format(events[-40:]).splitlines())


def _clip(line: str, limit: int = 320) -> str:
    """Trace lines for reports, shortened (a JSON log line can be kilobytes)."""
    return line if len(line) <= limit else line[: limit - 3] + "..."


EXPECTATIONS: Registry[type[Expectation]] = Registry("expectation")


def invocation_result(ctx: Any, step: str) -> tuple[Any, Verdict | None]:
    """The InvocationResult a step produced, or a failed Verdict saying the step has none."""
    result = ctx.outputs.get(step)
    if hasattr(result, "status") and hasattr(result, "request_id"):
        return result, None
    return result, Verdict(False, f"step {step!r} returned an invocation result",
                           f"it returned {show(result, 120)} (only RequestResponse invokes have a result)")


def expectation(cls: type[Expectation]) -> type[Expectation]:
    """Class decorator: register an expectation model under its `kind`."""
    return EXPECTATIONS.register(cls.kind)(cls)


OUTCOMES = ("success", "error", "timeout", "throttled", "recursive_loop")
AT_LEAST_ONE = Range(min=1)  # a frozen model: one serves every check (made per check, it cost as much as the check)


@expectation
class Invocations(Expectation):
    """How often a function ran, and how those invocations ended."""

    kind: ClassVar[str] = "invocations"
    function: FunctionRef
    count: Count | None = None
    outcomes: dict[Literal["success", "error", "timeout", "throttled", "recursive_loop"], Count] = Field(
        default_factory=dict)
    type: Literal["RequestResponse", "Event"] | None = None
    cold: Count | None = None

    @model_validator(mode="after")
    def _something(self) -> Invocations:
        if self.count is None and not self.outcomes and self.cold is None:
            raise ValueError("expected at least one of count, outcomes, cold")
        return self

    def check(self, ctx: Any) -> Verdict:
        name = ctx.function_name(self.function)
        runs = [r for r in ctx.sim.invocations if r.function == name and (self.type is None or
                                                                          r.invocation_type == self.type)]
        tally = {status: sum(1 for r in runs if r.status == status) for status in OUTCOMES}
        colds = sum(1 for r in runs if r.cold)
        ok = (self.count is None or count_ok(self.count, len(runs))) and \
            all(count_ok(spec, tally[status]) for status, spec in self.outcomes.items()) and \
            (self.cold is None or count_ok(self.cold, colds))
        wanted = []
        if self.count is not None:
            wanted.append(f"{count_text(self.count)} invocation(s)")
        wanted += [f"{count_text(spec)} {status}" for status, spec in self.outcomes.items()]
        if self.cold is not None:
            wanted.append(f"{count_text(self.cold)} cold start(s)")
        found = f"{len(runs)} invocation(s): " + ", ".join(f"{v} {k}" for k, v in tally.items() if v) + \
            (f"; {colds} cold" if self.cold is not None else "")
        if not runs:
            found = "no invocations"
        seqs = tuple(e.seq for e in ctx.sim.trace.of("invoke_end", "throttle", function=name))
        return Verdict(ok, f"{self.function}: " + ", ".join(wanted), found, seqs)


@expectation
class Logs(Expectation):
    """Log lines present (or absent), by text or regex, optionally for one function."""

    kind: ClassVar[str] = "logs"
    function: FunctionRef | None = None
    contains: str | None = None
    regex: str | None = None
    absent: bool = False
    count: Count | None = None

    @model_validator(mode="after")
    def _one_pattern(self) -> Logs:
        if (self.contains is None) == (self.regex is None):
            raise ValueError("give exactly one of contains (text) or regex")
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex is not a valid regular expression: {exc}") from None
        if self.absent and self.count is not None:
            raise ValueError("absent: true already means count 0; give one of them")
        return self

    def check(self, ctx: Any) -> Verdict:
        name = ctx.function_name(self.function) if self.function else None
        lines = [e for e in ctx.sim.trace.of("log") if name is None or e.data.get("function") == name]
        pattern = re.compile(self.regex) if self.regex is not None else None
        hits = [e for e in lines if (pattern.search(str(e.data.get("message", ""))) if pattern
                                     else self.contains in str(e.data.get("message", "")))]
        spec: Count = 0 if self.absent else (self.count if self.count is not None else AT_LEAST_ONE)
        what = f"regex {self.regex!r}" if pattern else f"text {self.contains!r}"
        scope = f" in {self.function}'s logs" if self.function else " in the logs"
        found = f"{len(hits)} matching line(s)"
        if hits:
            found += ": " + " | ".join(str(e.data.get("message", ""))[:160] for e in hits[:3])
        elif lines:
            found += f" among {len(lines)} line(s); last: " + str(lines[-1].data.get("message", ""))[:160]
        return Verdict(count_ok(spec, len(hits)), f"{count_text(spec)} line(s) with {what}{scope}", found,
                       tuple(e.seq for e in (hits or lines[-3:])))


@expectation
class FaultFired(Expectation):
    """A fault rule that must have fired (by its `id`), optionally an exact number of times."""

    kind: ClassVar[str] = "fault"
    shorthand: ClassVar[str | None] = "rule"
    rule: str
    count: Count = Range(min=1)

    def check(self, ctx: Any) -> Verdict:
        fired = ctx.sim.trace.of("fault", rule=self.rule)
        others = sorted({str(e.data.get("rule")) for e in ctx.sim.trace.of("fault")} - {self.rule})
        found = f"fired {len(fired)} time(s)" + (f"; other rules fired: {', '.join(others)}" if others else "")
        return Verdict(count_ok(self.count, len(fired)), f"fault rule {self.rule!r} fired {count_text(self.count)} "
                       f"time(s)", found, tuple(e.seq for e in fired))


@expectation
class Result(Expectation):
    """The outcome of a synchronous `invoke` step (by its `id`): status, payload subset (exactly with
    `exact: true`), error type."""

    kind: ClassVar[str] = "result"
    step: str
    status: Literal["success", "error", "timeout", "throttled"] | None = None
    payload: Any = None
    error_type: str | None = None
    exact: bool = False

    @model_validator(mode="after")
    def _exact(self) -> Result:
        from harness.scenario.stores import exact_needs
        exact_needs(self, "payload")
        return self

    def check(self, ctx: Any) -> Verdict:
        from harness.scenario.match import matches
        result, not_a_result = invocation_result(ctx, self.step)
        if not_a_result is not None:
            return not_a_result
        problems = []
        if self.status is not None and result.status != self.status:
            problems.append(f"status {result.status}")
        if self.payload is not None and not matches(self.payload, result.payload, self.exact):
            problems.append(f"payload {show(result.payload)}")
        error_type = (result.error or {}).get("errorType")
        if self.error_type is not None and error_type != self.error_type:
            problems.append(f"error type {error_type}")
        wanted = ", ".join(f"{k} {show(v, 120)}" for k, v in (("status", self.status), ("payload", self.payload),
                                                                ("error type", self.error_type)) if v is not None)
        seqs = tuple(e.seq for e in ctx.sim.trace.of("invoke_end", request_id=result.request_id))
        return Verdict(not problems, f"step {self.step!r}: {wanted}",
                       "; ".join(problems) or f"status {result.status}", seqs)


# Data-store and timeline kinds register themselves on import.
from harness.fuzz import properties as _fuzz_properties  # noqa: F401 - the `contract` kind (harness fuzz)
from harness.scenario import stores as _stores  # noqa: F401
from harness.scenario import timeline as _timeline  # noqa: F401
