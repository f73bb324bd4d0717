"""When a polling event source (an SQS or stream mapping) polls next.

AWS's pollers run all the time; here a poll is a daemon task scheduled exactly when something can be read (a send
or a put was seen, a delay, visibility timeout, batching window or retry ends, a batch finished), so an idle source
costs nothing. At most one poll is pending; asking for an earlier one supersedes it. While a poll is pending and
the source has work, the scheduler's idle probe keeps `run_until_idle` going.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


class PollSchedule:
    """The one pending poll of a source: `poke(at)` makes sure `poll` runs at `at` (default now)."""

    def __init__(self, sim: Any, name: str, poll: Callable[[], None], *, enabled: bool = True,
                 has_items: Callable[[], bool] = lambda: True):
        self.sim, self.name = sim, name
        self.enabled = enabled
        self.at: float | None = None      # when the pending poll runs (None: none pending)
        self.stopped = False
        self._poll, self._has_items = poll, has_items
        self._token = 0

    def start(self) -> None:
        """Register the idle probe and poll once now (anything already waiting is picked up)."""
        self.sim.scheduler.add_idle_probe(self.has_work)
        self.poke()

    def stop(self) -> None:
        """No more polls; a pending one does nothing."""
        self.stopped = True

    def has_work(self) -> bool:
        """Idle probe: a poll is pending and the source has items waiting."""
        return not self.stopped and self.enabled and self.at is not None and self._has_items()

    def poke(self, at: float | None = None) -> None:
        """Make sure a poll runs at `at` (default now; never in the past)."""
        if self.stopped or not self.enabled:
            return
        now = self.sim.clock.now()
        at = now if at is None else max(at, now)
        if self.at is not None and self.at <= at:
            return
        self.at = at
        self._token += 1
        token = self._token
        self.sim.scheduler.spawn(lambda: self._run(token), name=self.name, at=at, daemon=True)

    def _run(self, token: int) -> None:
        if token != self._token or self.stopped:
            return  # superseded by an earlier poll, or stopped
        self.at = None
        self._poll()
