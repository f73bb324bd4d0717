"""Per-run budgets: wall time, virtual time, scheduler steps and invocations. A run that exceeds one fails with one
message naming the budget, the value reached and how to raise it: never a hang, never a pass.

Safe defaults (`Budgets()`), raised per scenario (`budgets:` block), per run (`--budget-*` flags) or per
simulation (`Simulation(budgets=Budgets(invocations=5000))`); see docs/safety.md."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import SimulationError


@dataclass(frozen=True)
class Budgets:
    """What one run may spend."""

    wall_seconds: float = 300.0  # real time from Simulation.start
    virtual_seconds: float = 30 * 86400.0  # virtual time since the start
    steps: int = 1_000_000  # scheduler steps (a task resumed once is one step)
    invocations: int = 2_000  # handler invocations (attempts), throttles not counted

    @classmethod
    def coerce(cls, value: Budgets | Mapping[str, Any] | None) -> Budgets:
        """Budgets from Budgets, a mapping of some fields (the rest from the run's defaults) or None."""
        if isinstance(value, Budgets):
            return value
        return resolve(value or {})


# (scenario key, CLI flag, what is counted) per field: the error message says how to raise each.
NAMES = {"wall_seconds": ("wall_time", "--budget-wall", "s of wall time"),
         "virtual_seconds": ("virtual_time", "--budget-virtual", "s of virtual time"),
         "steps": ("steps", "--budget-steps", "scheduler steps"),
         "invocations": ("invocations", "--budget-invocations", "invocations")}
_overrides: dict[str, float] = {}  # set from the command line for one run


class OverBudget(SimulationError):
    """A run spent more than one of its budgets."""

    def __init__(self, field: str, reached: float, limit: float, detail: str = ""):
        key, flag, unit = NAMES[field]
        self.budget, self.reached, self.limit = key, reached, limit
        super().__init__(
            f"run over its {key} budget: {_number(reached)} {unit} reached (budget {_number(limit)}){detail}; "
            f"raise it with `budgets: {{{key}: N}}` in the scenario file, {flag} N on the command line, or "
            f"Simulation(budgets={{'{field}': N}})")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def resolve(scenario: Mapping[str, Any]) -> Budgets:
    """The defaults, then a scenario's (or caller's) values, then the command line's."""
    return dataclasses.replace(Budgets(), **{**dict(scenario), **_overrides})


class Meter:
    """Checks a running simulation against its budgets between scheduler steps (on the driver thread)."""

    def __init__(self, budgets: Budgets, clock: Any, wall: Callable[[], float], invoked: Counter,
                 record: Callable[..., None]):
        self.budgets, self.clock, self._wall, self.invoked, self._record = budgets, clock, wall, invoked, record
        self.started = wall()
        self.steps = 0
        self.progress: Any = None  # a live line for long runs (harness.sandbox.progress.RunProgress)

    def step(self) -> None:
        """Count one scheduler step; raise OverBudget when any budget is spent."""
        self.steps += 1
        self.check()

    def check(self) -> None:
        """Raise OverBudget when any budget is spent (also after virtual time jumps with nothing due)."""
        budgets = self.budgets
        if self.steps > budgets.steps:
            self._over("steps", self.steps, budgets.steps)
        invocations = self.invoked.total()
        if invocations > budgets.invocations:
            self._over("invocations", invocations, budgets.invocations)
        elapsed = self.clock.elapsed()
        if elapsed > budgets.virtual_seconds:
            self._over("virtual_seconds", round(elapsed, 1), budgets.virtual_seconds)
        if self.steps & 63 == 0:  # the real clock is read every 64 steps: a step is bounded by the watchdog
            spent = self._wall() - self.started
            if spent > budgets.wall_seconds:
                self._over("wall_seconds", round(spent, 1), budgets.wall_seconds)
            if self.progress is not None:
                self.progress.update(self, spent)

    def _over(self, field: str, reached: float, limit: float) -> None:
        top = self.invoked.most_common(1)
        detail = f"; most invoked: {top[0][0]} ({top[0][1]:,} times)" if top else ""
        if field == "invocations" and top and top[0][1] > limit // 2:
            detail += " (if it invokes itself: RecursiveLoop in docs/safety.md)"
        self._record("budget_exceeded", budget=NAMES[field][0], reached=reached, limit=limit)
        raise OverBudget(field, reached, limit, detail)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that set a run's budgets (every scenario of the run)."""
    defaults = Budgets()
    group = parser.add_argument_group("run budgets (a run that spends more fails, naming the budget)")
    group.add_argument("--budget-wall", dest="budget_wall_seconds", type=float, metavar="SECONDS",
                       help=f"real seconds per run (default {defaults.wall_seconds:g})")
    group.add_argument("--budget-virtual", dest="budget_virtual_seconds", type=float, metavar="SECONDS",
                       help=f"virtual seconds per run (default {defaults.virtual_seconds:g}, 30 days)")
    group.add_argument("--budget-steps", dest="budget_steps", type=int, metavar="N",
                       help=f"scheduler steps per run (default {defaults.steps:,})")
    group.add_argument("--budget-invocations", dest="budget_invocations", type=int, metavar="N",
                       help=f"invocations per run (default {defaults.invocations:,})")


@contextlib.contextmanager
def applied(args: argparse.Namespace) -> Iterator[None]:
    """The budgets the command line asked for, in force while the block runs."""
    global _overrides
    changes = {name: value for name in NAMES if (value := getattr(args, f"budget_{name}", None)) is not None}
    for name, value in changes.items():
        if not value > 0:
            from harness.errors import InputError
            raise InputError(f"{NAMES[name][1]} must be more than 0, got {value:g}")
    previous = _overrides
    _overrides = {**previous, **changes}
    try:
        yield
    finally:
        _overrides = previous
