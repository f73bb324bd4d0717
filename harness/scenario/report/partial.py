"""Reports of a run still in progress. `harness run --report-dir` keeps results.json and junit.xml up to date
while scenarios finish, so a run killed outright (SIGKILL, a lost machine) leaves what it had; SIGINT and SIGTERM
write everything anyway. Writing after every scenario made a run quadratic: each write serialises every result so
far, traces included (45 % of a serial library run's CPU). A write now waits until `RATIO` times as long as the
last write took has passed, so writing costs at most about 1/RATIO of the run and a kill loses at most that long's
results."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.clock import real_monotonic

RATIO = 10.0  # wait this many times the last write's duration before the next one


class PartialReports:
    """Calls `write` for the results so far when one more is `offered`, but not sooner than RATIO times the last
    write's duration after it (the first offer writes at once)."""

    def __init__(self, write: Callable[[], Any], clock: Callable[[], float] = real_monotonic,
                 ratio: float = RATIO) -> None:
        self._write, self._clock, self._ratio = write, clock, ratio
        self._due = float("-inf")
        self.writes = 0

    def offer(self) -> bool:
        """One more result is in: write now when due; True when it wrote."""
        began = self._clock()
        if began < self._due:
            return False
        self._write()
        ended = self._clock()
        self._due = ended + (ended - began) * self._ratio
        self.writes += 1
        return True
