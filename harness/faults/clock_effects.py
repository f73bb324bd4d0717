"""Clock effects: a container whose clock is wrong, and a warm container that lives across a long gap.

`clock_skew` moves one container's `time.time()`/`datetime.now()` by `seconds` (negative: behind), from
this invocation on, including its init code on a cold start; other containers keep the simulation's time.
`keep_warm` stops the container that runs this invocation from being reclaimed for `seconds` of virtual time,
so an invocation after a long gap (a daily job) reuses it and reads module-scope values computed at its init
(the stale `cutoff` of seed 001's movers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.faults.effects import Effect, FaultPlanError, register_effect


@register_effect("clock_skew")
@dataclass(frozen=True)
class ClockSkew(Effect):
    """Skew the clock of the container that runs the matched invocation by `seconds` (±)."""

    seconds: float

    def invoke(self, ctx: Any) -> None:
        ctx.extra["container"].skew = self.seconds


@register_effect("keep_warm")
@dataclass(frozen=True)
class KeepWarm(Effect):
    """Keep the matched invocation's container warm for `seconds` of virtual time, however idle it is."""

    seconds: float

    def check(self, rule: Any, where: str) -> None:
        if self.seconds <= 0:
            raise FaultPlanError(f"{where}.seconds: expected a positive number of seconds, got {self.seconds}")

    def invoke(self, ctx: Any) -> None:
        container = ctx.extra["container"]
        until = ctx.sim.clock.now() + self.seconds
        container.keep_warm_until = max(container.keep_warm_until or 0.0, until)
