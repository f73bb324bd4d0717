"""A live progress line for long runs: what the run has spent against its budgets, on stderr.

Only on a terminal, only once a run has gone on for a few seconds (short runs never flash it), never in a forked
worker (its parent owns the terminal), and gone when the run ends: CI logs and test output never see it."""
from __future__ import annotations

import os
from typing import Any

DELAY = 3.0  # wall seconds a run goes on before the line appears
INTERVAL = 0.25  # at most this often it is redrawn
_forked = False


def _in_child() -> None:  # pragma: no cover - runs in a forked worker
    global _forked
    _forked = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_child)


class RunProgress:
    """The progress line of one run (fed by the budget meter, on the driver thread)."""

    def __init__(self, label: str, console: Any = None, delay: float = DELAY):
        if console is None:
            from rich.console import Console
            console = Console(stderr=True)
        self.label, self.console, self.delay = label, console, delay
        self.enabled = bool(console.is_terminal) and not _forked
        self._live: Any = None
        self._drawn = float("-inf")

    def update(self, meter: Any, spent: float) -> None:
        """Redraw the line when the run has gone on long enough and the last redraw is old enough."""
        if not self.enabled or spent < self.delay or spent - self._drawn < INTERVAL:
            return
        self._drawn = spent
        if self._live is None:
            from rich.live import Live
            self._live = Live(console=self.console, transient=True, auto_refresh=False)  # no thread: forks
            self._live.start()
        from rich.text import Text
        self._live.update(Text(self.line(meter, spent)), refresh=True)

    def line(self, meter: Any, spent: float) -> str:
        """`running NAME: 12 s wall (budget 300) · 3,600 s virtual · 12,345 steps · 321 invocations (budget 2,000)`."""
        budgets = meter.budgets
        return (f"running {self.label}: {spent:,.0f} s wall (budget {budgets.wall_seconds:,.0f}) · "
                f"{meter.clock.elapsed():,.0f} s virtual · {meter.steps:,} steps · "
                f"{meter.invoked.total():,} invocations (budget {budgets.invocations:,})")

    def stop(self) -> None:
        """Take the line away (the run ended)."""
        if self._live is not None:
            self._live.stop()
            self._live = None
