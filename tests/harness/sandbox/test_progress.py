"""The progress line of a long run: on a terminal after a few seconds of wall time, never off a terminal (CI logs,
test output), gone when the run ends."""
import io
from collections import Counter

from rich.console import Console

from harness.sandbox.budgets import Budgets, Meter
from harness.sandbox.progress import RunProgress


class Clock:
    def __init__(self):
        self.now = 0.0

    def elapsed(self):
        return 3600.0

    def __call__(self):
        return self.now


def run(terminal: bool, wall_seconds: float) -> str:
    """Drive a meter 640 steps over `wall_seconds` of (fake) wall time; what the console got."""
    out = io.StringIO()
    clock = Clock()
    meter = Meter(Budgets(), clock, clock, Counter({"f": 7}), lambda *a, **k: None)
    meter.progress = RunProgress("shop", Console(file=out, force_terminal=terminal, width=200))
    for step in range(640):
        clock.now = wall_seconds * step / 640
        meter.step()
    text = out.getvalue()
    meter.progress.stop()
    return text


def test_a_long_run_on_a_terminal_shows_what_it_spent_against_its_budgets():
    text = run(terminal=True, wall_seconds=10)
    assert "running shop:" in text and "s wall (budget 300)" in text and "3,600 s virtual" in text
    assert "steps" in text and "7 invocations (budget 2,000)" in text


def test_a_short_run_never_shows_it():
    assert run(terminal=True, wall_seconds=2) == ""


def test_off_a_terminal_nothing_is_printed_however_long_the_run():
    assert run(terminal=False, wall_seconds=60) == ""
