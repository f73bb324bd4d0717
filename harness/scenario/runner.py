"""Runs a loaded scenario in one Simulation and judges it: expectations, invariants, trace hash, stats."""
from __future__ import annotations

import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

from harness.clock import BudgetExceeded, real_perf_counter
from harness.errors import TemplateWarning
from harness.invariants import InvariantResult
from harness.sandbox import budgets
from harness.scenario import ledger as _ledger
from harness.scenario.context import RunContext
from harness.scenario.determinism import fresh_library_state, pinned_randomness
from harness.scenario.expectations import Outcome, _clip
from harness.scenario.loader import Scenario
from harness.scenario.seeding import apply_setup
from harness.scenario.system import system_name
from harness.scenario.views import LiveView


@dataclass
class ScenarioResult:
    """The verdict of one run; `report()` is the text a failing test or CLI run prints."""

    name: str
    file: str
    seed: int
    backend: str
    status: str  # passed | failed | error | skipped
    outcomes: list[Outcome] = field(default_factory=list)
    invariants: list[InvariantResult] = field(default_factory=list)
    trace_hash: str = ""
    stats: dict = field(default_factory=dict)
    error: str | None = None
    events: list[dict] = field(default_factory=list)
    slices: dict[str, list[str]] = field(default_factory=dict)  # invariant name -> trace lines
    warnings: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    lanes: dict[str, str] = field(default_factory=dict)  # physical name -> logical id (for diagrams)
    lane_kinds: dict[str, str] = field(default_factory=dict)  # logical id -> function, queue, table, ...
    skip_reason: str | None = None
    observation: Any = None  # what `observe` returned at the end of the run (differential runs)
    system: str = ""
    proves: list[str] = field(default_factory=list)  # requirement ids (scenarios/requirements/<system>.yaml)

    @property
    def passed(self) -> bool:
        """True when every expectation and invariant held and the run did not crash."""
        return self.status == "passed"

    @property
    def failures(self) -> list[str]:
        """One line per failed expectation, violated invariant or crash."""
        out = [f"{o.where} (line {o.line}) {o.kind}: expected {o.expected}; found {o.found}"
               for o in self.outcomes if not o.passed]
        out += [f"invariant {r.name}: {v.message}" for r in self.invariants for v in r.violations]
        if self.error:
            out.append(f"error: {self.error.strip().splitlines()[-1]}")
        return out

    @property
    def replay(self) -> str:
        """The one command that reproduces this run."""
        backend = f" --backend {self.backend}" if self.backend != "moto" else ""
        return f"python -m harness replay {self.file} --seed {self.seed}{backend}"

    def report(self) -> str:
        """What failed, what was expected and found, the trace around it, the seed and the replay command."""
        head = f"{self.status.upper()} {self.file} :: {self.name} (seed {self.seed}, trace {self.trace_hash or '-'})"
        lines = [head] + ([f"  proves: {', '.join(self.proves)}"] if self.proves else [])
        lines += [f"  {self.skip_reason}"] if self.skip_reason else []
        for outcome in self.outcomes:
            if outcome.passed:
                continue
            lines.append(f"  {outcome.where} (line {outcome.line}) {outcome.kind} at t={outcome.t:g}s")
            lines.append(f"    expected: {outcome.expected}")
            lines.append(f"    found:    {outcome.found}")
            lines += ["    trace:"] + [f"      {line}" for line in outcome.slice[-15:]]
        for result in self.invariants:
            for violation in result.violations:
                lines.append(f"  invariant {result.name}: {violation.message}")
            if not result.passed and self.slices.get(result.name):
                lines += ["    trace:"] + [f"      {line}" for line in self.slices[result.name][-15:]]
        if self.error:
            lines.append("  the run stopped with an error:")
            lines += [f"    {line}" for line in self.error.rstrip().splitlines()[-12:]]
        lines.append(f"  seed: {self.seed}")
        lines.append(f"  replay: {self.replay}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready form (reports are rebuilt from it)."""
        return {"name": self.name, "file": self.file, "seed": self.seed, "backend": self.backend,
                "status": self.status, "trace_hash": self.trace_hash, "stats": self.stats, "error": self.error,
                "outcomes": [o.to_dict() for o in self.outcomes],
                "invariants": [r.to_dict() for r in self.invariants], "events": self.events,
                "slices": self.slices, "warnings": self.warnings, "wall_seconds": self.wall_seconds,
                "lanes": self.lanes, "lane_kinds": self.lane_kinds, "replay": self.replay,
                "failures": self.failures, "report": self.report(), "skip_reason": self.skip_reason,
                "system": self.system, "proves": list(self.proves)}


# Real-time budget for scenarios that declare none (only applies on a real-clock backend such as LocalStack).
DEFAULT_REAL_BUDGET = 60.0


def run_scenario(scenario: Scenario, seed: int | None = None, backend: str | None = None,
                 watchdog_seconds: float = 30.0, observe: Any = None) -> ScenarioResult:
    """Run `scenario` once (with `seed`/`backend` overriding the file's) and judge it; `observe(sim)`, when
    given, is called at the end of the run and its value kept in `result.observation`."""
    from harness.runner import heap
    seed = scenario.model.seed if seed is None else int(seed)
    with heap.during_run():
        with pinned_randomness(seed), fresh_library_state():
            result = _run(scenario, seed, backend, watchdog_seconds, observe)
        # The simulation stopped and its per-environment libraries left sys.modules: in a settled process its
        # garbage is collected now, work the run caused, so counted in its wall time (harness/runner/heap.py).
        started = real_perf_counter()
        heap.run_ended()
        result.wall_seconds = round(result.wall_seconds + real_perf_counter() - started, 3)
    return result


def simulation_kwargs(scenario: Scenario, seed: int, backend: str, watchdog_seconds: float) -> dict[str, Any]:
    """The Simulation arguments of a run of `scenario` (its template apart)."""
    model = scenario.model
    kwargs: dict[str, Any] = {"seed": seed, "start": model.start, "backend": backend,
                              "parameters": {k: str(v) for k, v in model.parameters.items()},
                              "stack_name": model.stack_name, "watchdog_seconds": watchdog_seconds,
                              "max_real_seconds": model.max_real_seconds or DEFAULT_REAL_BUDGET,
                              "budgets": budgets.resolve(model.budgets.values() if model.budgets else {})}
    if scenario.top_level_faults:
        kwargs["faults"] = [dict(rule) for rule in scenario.top_level_faults]
    if model.functions:
        from harness.lambda_runtime.stubs import FunctionMock
        kwargs["functions"] = {name: FunctionMock.coerce(spec["mock"], scenario.folder, f"functions.{name}.mock")
                               for name, spec in model.functions.items()}
    return kwargs


def _run(scenario: Scenario, seed: int, backend: str | None, watchdog_seconds: float,
         observe: Any = None, deployed: Any = None) -> ScenarioResult:
    """One run; `deployed` is a simulation already started for it (a snapshot's, reseeded), else one is made."""
    from harness.simulation import Simulation
    model = scenario.model
    backend = backend or model.backend or "moto"
    # A mocked function's runtime warning is answered by its mock.
    reported = [w for w in scenario.warnings if not any(f"function {name!r} is " in w for name in model.functions)]
    result = ScenarioResult(scenario.name, scenario.file, seed, backend, "error", warnings=reported,
                            system=system_name(model.system), proves=list(model.proves))
    started = real_perf_counter()
    kwargs = simulation_kwargs(scenario, seed, backend, watchdog_seconds) if deployed is None else {}
    _ledger.install()
    sim = None
    ctx: RunContext | None = None
    try:
        if deployed is not None:
            sim = deployed
        else:
            with warnings.catch_warnings():  # a scenario reports its template's warnings in its result (and the CLI)
                warnings.simplefilter("ignore", TemplateWarning)
                sim = Simulation(scenario.template, **kwargs)
            sim.start()
        ledger = _ledger.Ledger(sim.clock)
        sim.runtime.hooks.insert(0, ledger)
        _ledger.activate(ledger)
        ctx = RunContext(sim, scenario.catalog, ledger, scenario.folder)
        ctx.outcomes = []
        ctx.max_virtual_time = model.max_virtual_time
        ctx.compiled_asserts = dict(scenario.asserts)  # step index -> [(expectation, its line)]
        _run_steps(ctx, scenario)
        if model.settle:
            sim.run_until_idle(model.max_virtual_time)
        with ctx.state.settled():  # the run is over: every check reads each table and the secrets once
            result.outcomes = list(ctx.outcomes) + [
                value.evaluate(ctx, f"expect[{i}]", line) for i, (value, line) in enumerate(scenario.expect)]
            with ctx.inspecting():
                view = LiveView(ctx)
                result.invariants = [inv.run(view) for inv in scenario.invariants]
        result.slices = {r.name: [_clip(x) for x in sim.trace.format(sim.trace.slice(
            [s for v in r.violations for s in v.seqs], width=3)).splitlines()] for r in result.invariants if not r.passed}
        failed = any(not o.passed for o in result.outcomes) or any(not r.passed for r in result.invariants)
        result.status = "failed" if failed else "passed"
        if observe is not None:
            with ctx.inspecting():
                result.observation = observe(sim)
    except BudgetExceeded as exc:
        result.status, result.skip_reason = "skipped", f"skipped on {backend}: {exc}"
        result.warnings.append(result.skip_reason)
    except budgets.OverBudget as exc:  # one line: the budget, the value reached, how to raise it
        if ctx is not None:
            result.outcomes = list(ctx.outcomes)
        result.error, result.status = str(exc), "error"
    except Exception as exc:  # noqa: BLE001 - any crash becomes the scenario's (reported) outcome
        if ctx is not None:
            result.outcomes = list(ctx.outcomes)
        result.error = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
        result.status = "error"
    finally:
        _ledger.activate(None)
        if sim is not None:
            _finish(result, sim, ctx)
            sim.stop()
        result.wall_seconds = round(real_perf_counter() - started, 3)
    return result


def _run_steps(ctx: RunContext, scenario: Scenario) -> None:
    sim = ctx.sim
    for mock in scenario.model.http_mocks:
        mock.register(sim.http_mock)
    setup = scenario.model.setup
    if setup.items or setup.objects or setup.messages or setup.secrets:
        sim.trace.record("step", index=-1, step="setup", label="setup")
        apply_setup(ctx, setup)
    for i, step in enumerate(scenario.steps):
        step_id = getattr(step, "id", None)
        sim.trace.record("step", index=scenario.step_index[i], step=step.kind, id=step_id, label=step.label())
        output = step.run(ctx, i)
        if step_id:
            ctx.outputs[step_id] = output


def _finish(result: ScenarioResult, sim: Any, ctx: RunContext | None) -> None:
    trace = sim.trace
    result.trace_hash = trace.hash()
    result.events = [e.to_dict() for e in trace.events]
    result.warnings += [w for w in getattr(sim, "warnings", []) if w not in result.warnings]
    result.stats = {
        "virtual_seconds": round(sim.now, 3), "events": len(trace),
        "invocations": len(trace.of("invoke_start")), "aws_calls": len(trace.of("aws")),
        "faults": len(trace.of("fault")), "expectations": len(result.outcomes),
        "invariants": len(result.invariants),
    }
    if ctx is not None:
        result.lanes = {physical: logical for logical, physical in ctx.catalog.physical.items()}
        result.lane_kinds = {logical: kind for logical in ctx.catalog.physical
                             for kind in [ctx.catalog.kind_of(logical)] if kind}
