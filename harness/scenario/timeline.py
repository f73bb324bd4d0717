"""Expectations about the timeline: ordering ("A before B"), timing windows and event counts."""
from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, model_validator

from harness.scenario.expectations import Expectation, Verdict, expectation
from harness.scenario.match import Count, count_ok, count_text
from harness.scenario.selectors import Selector
from harness.scenario.values import Duration


def _when(events: list) -> str:
    return ", ".join(f"#{e.seq}@{e.t:g}s" for e in events[:6]) + (" ..." if len(events) > 6 else "")


@expectation
class Order(Expectation):
    """`first` happens before `then` (the first of each; with `strict`, every `first` before every `then`)."""

    kind: ClassVar[str] = "order"
    first: Selector
    then: Selector
    strict: bool = False

    def describe(self) -> str:
        return f"order: {self.first.describe()} before {self.then.describe()}" + (" (strict)" if self.strict else "")

    def check(self, ctx: Any) -> Verdict:
        a, b = self.first.find(ctx), self.then.find(ctx)
        expected = f"{self.first.describe()} before {self.then.describe()}"
        seqs = tuple(e.seq for e in (a[:3] + b[:3]))
        if not a or not b:
            missing = " and ".join(s.describe() for s, found in ((self.first, a), (self.then, b)) if not found)
            return Verdict(False, expected, f"never happened: {missing}", seqs)
        last_a = a[-1] if self.strict else a[0]
        ok = last_a.seq < b[0].seq
        return Verdict(ok, expected, f"first at {_when(a)}; then at {_when(b)}", seqs)


REAL_TIME_SLACK = 0.5  # seconds added to both ends of a timing window in real-time mode (LocalStack)


@expectation
class Timing(Expectation):
    """The `nth` matching event happens at `at` ± `tolerance` (or `between` two times), in virtual seconds
    since the start or since the first `after` event."""

    kind: ClassVar[str] = "timing"
    event: Selector
    nth: int = Field(1, ge=1)
    at: Duration | None = None
    tolerance: Duration = 0.0
    between: tuple[Duration, Duration] | None = None
    after: Selector | None = None

    @model_validator(mode="after")
    def _window(self) -> Timing:
        if (self.at is None) == (self.between is None):
            raise ValueError("give exactly one of at (with tolerance) or between: [from, to]")
        if self.between is not None and self.between[0] > self.between[1]:
            raise ValueError(f"between: the start {self.between[0]:g}s is after the end {self.between[1]:g}s")
        return self

    def describe(self) -> str:
        window = f"at {self.at:g}s ± {self.tolerance:g}s" if self.at is not None else \
            f"between {self.between[0]:g}s and {self.between[1]:g}s"
        origin = f" after {self.after.describe()}" if self.after else ""
        return f"timing: {self.event.describe()} #{self.nth} {window}{origin}"

    def check(self, ctx: Any) -> Verdict:
        low, high = (self.at - self.tolerance, self.at + self.tolerance) if self.at is not None else self.between
        if getattr(ctx.sim, "real_time", False):
            # On a real-clock backend handler code takes wall time too; allow the documented slack.
            low, high = low - REAL_TIME_SLACK, high + REAL_TIME_SLACK
        origin, origin_seq = 0.0, ()
        if self.after is not None:
            anchors = self.after.find(ctx)
            if not anchors:
                return Verdict(False, self.describe(), f"the anchor {self.after.describe()} never happened")
            origin, origin_seq = anchors[0].t, (anchors[0].seq,)
        events = self.event.find(ctx)
        expected = f"{self.event.describe()} #{self.nth} at t in [{low:g}s, {high:g}s]" + \
            (f" after the anchor (t={origin:g}s)" if self.after else "")
        if len(events) < self.nth:
            return Verdict(False, expected, f"only {len(events)} matching event(s): {_when(events) or 'none'}",
                           origin_seq + tuple(e.seq for e in events))
        event = events[self.nth - 1]
        t = event.t - origin
        return Verdict(low - 1e-9 <= t <= high + 1e-9, expected, f"at {t:g}s (event #{event.seq})",
                       origin_seq + (event.seq,))


@expectation
class Events(Expectation):
    """How many trace events match a selector."""

    kind: ClassVar[str] = "events"
    match: Selector
    count: Count

    def describe(self) -> str:
        return f"events: {count_text(self.count)} x {self.match.describe()}"

    def check(self, ctx: Any) -> Verdict:
        events = self.match.find(ctx)
        return Verdict(count_ok(self.count, len(events)), f"{count_text(self.count)} x {self.match.describe()}",
                       f"{len(events)}: {_when(events) or 'none'}", tuple(e.seq for e in events[:10]))


@expectation
class Overlap(Expectation):
    """At no point of the run are more than `max` `open` events outstanding, each `close` ending one (a lock has
    at most one holder: `open` = acquired, `close` = released)."""

    kind: ClassVar[str] = "overlap"
    open: Selector
    close: Selector
    max: int = Field(1, ge=0)

    def describe(self) -> str:
        return f"overlap: at most {self.max} x {self.open.describe()} not yet closed by {self.close.describe()}"

    def check(self, ctx: Any) -> Verdict:
        opens, closes = self.open.find(ctx), self.close.find(ctx)
        open_seqs, close_seqs = {e.seq for e in opens}, {e.seq for e in closes}
        depth, peak, peak_events, outstanding = 0, 0, [], []
        for event in sorted(opens + closes, key=lambda e: e.seq):
            if event.seq in open_seqs:
                outstanding.append(event)
                if len(outstanding) > peak:
                    peak, peak_events = len(outstanding), list(outstanding)
            if event.seq in close_seqs and outstanding and (event.seq not in open_seqs):
                outstanding.pop(0)
            depth = len(outstanding)
        expected = f"at most {self.max} x {self.open.describe()} open at once (closed by {self.close.describe()})"
        found = f"at most {peak} open at once ({len(opens)} opened, {len(closes)} closed, {depth} open at the end)"
        if peak > self.max:
            found = f"{peak} open at once: {_when(peak_events)} - " + found
        return Verdict(peak <= self.max, expected, found, tuple(e.seq for e in peak_events[:10]))
