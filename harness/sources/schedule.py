"""Schedules: `Type: Schedule` (EventBridge rule) and `Type: ScheduleV2` (EventBridge Scheduler) events.

Each fire is a short daemon task that hands the event to the EventBridge delivery (a normal task, so the invocation
it causes keeps `run_until_idle` going) and schedules the next fire. Daemon fires never keep a simulation running
by themselves. A rate schedule counts from the moment the simulation deployed it: rate(5 minutes) first fires at
+5 min (so 12 times in one hour).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from harness.sources import expressions
from harness.sources.base import EventSpec, as_bool, register_source
from harness.sources.eventbridge import Target, retry_policy, rule_arn
from harness.template import ACCOUNT_ID

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

_UTC = dt.UTC


class ScheduleSource:
    """A schedule that fires its targets on virtual time."""

    def __init__(self, sources: EventSources, spec: EventSpec, *, targets: list[Target] | None = None,
                 rule_name: str | None = None, enabled: bool | None = None):
        self.sources, self.spec = sources, spec
        self.sim = sources.sim
        props = spec.properties
        self.v2 = spec.type == "ScheduleV2"
        text = props.get("ScheduleExpression") if self.v2 or spec.type == "AWS::Events::Rule" else props.get("Schedule")
        if not text:
            key = "ScheduleExpression" if self.v2 else "Schedule"
            raise spec.error(f"{key} is required (e.g. rate(5 minutes) or cron(0 12 * * ? *))")
        start = self.sim.clock.datetime().replace(tzinfo=_UTC)
        self.expression = expressions.parse(str(text), start=start, where=f"{spec.where}: event {spec.label!r}",
                                            timezone=props.get("ScheduleExpressionTimezone") if self.v2 else None)
        stack = self.sim.deployer.template.stack_name
        # SAM names a ScheduleV2 after its generated logical id; CloudFormation names a rule `<stack>-<id>-<random>`
        generated = spec.label.replace(".", "")
        self.name = rule_name or str(props.get("Name") or (generated if self.v2 else f"{stack}-{generated}"))
        if self.v2:
            group = str(props.get("GroupName") or "default")
            self.arn = f"arn:aws:scheduler:{self.sim.region}:{ACCOUNT_ID}:schedule/{group}/{self.name}"
        else:
            self.arn = rule_arn(self.sim.region, "default", self.name)
        if enabled is None:
            state = str(props.get("State", "ENABLED")).upper()
            enabled = as_bool(props.get("Enabled")) and state == "ENABLED"
        self.enabled = enabled
        if targets is None:
            retries, age = retry_policy(spec, props.get("RetryPolicy"))
            targets = [Target(spec.function.arn, self.arn, f"{spec.name}Target", props.get("Input"), None, retries,
                              age, sources.dead_letter_arn(spec, props.get("DeadLetterConfig")))]
        self.targets = targets
        self.end = _date(props.get("EndDate"))
        # EventBridge Scheduler's flexible window: each fire lands somewhere in the window (seeded).
        window = props.get("FlexibleTimeWindow") or {}
        flexible = self.v2 and str(window.get("Mode", "OFF")).upper() == "FLEXIBLE"
        self.flex = float(window.get("MaximumWindowInMinutes", 0)) * 60 if flexible else 0.0
        self._flex_rng = sources.rng(f"flex:{self.name}")
        self.fires = 0
        self._stopped = False

    def start(self) -> None:
        """Arm the first fire."""
        begin = _date(self.spec.properties.get("StartDate"))
        now = self.sim.clock.datetime().replace(tzinfo=_UTC)
        if self.enabled:
            self._arm(max(now, begin - dt.timedelta(microseconds=1)) if begin else now)

    def stop(self) -> None:
        """No more fires."""
        self._stopped = True

    def fire(self, scheduled: dt.datetime | None = None) -> None:
        """Deliver one scheduled event now (also what `sim.fire_schedule` calls)."""
        when = scheduled or self.sim.clock.datetime().replace(tzinfo=_UTC)
        self.fires += 1
        self.sim.trace.record("schedule", schedule=self.name, expression=self.expression.text)
        event = self._event(when)
        for target in self.targets:
            self.sources.eventbridge.dispatch(target, event)

    def _arm(self, after: dt.datetime) -> None:
        nxt = self.expression.next_after(after)
        if nxt is None or (self.end is not None and nxt > self.end):
            return

        def fire() -> None:
            if self._stopped:
                return
            self.fire(nxt)
            self._arm(nxt)

        at = nxt.timestamp() + (self._flex_rng.uniform(0, self.flex) if self.flex else 0.0)
        self.sim.scheduler.spawn(fire, name=f"schedule:{self.name}", at=at, daemon=True)

    def _event(self, when: dt.datetime) -> Any:
        if self.v2:
            # EventBridge Scheduler sends the schedule's Input as is (an empty object when none is set).
            return json.loads(self.spec.properties.get("Input") or "{}")
        return {
            "version": "0", "id": self.sources.new_id(), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": ACCOUNT_ID, "time": when.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.sim.region, "resources": [self.arn], "detail": {},
        }


def _date(value: Any) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)


register_source("Schedule", {"Schedule", "Name", "Description", "Enabled", "Input", "RetryPolicy",
                             "DeadLetterConfig"})(ScheduleSource)
register_source("ScheduleV2", {"ScheduleExpression", "ScheduleExpressionTimezone", "Name", "Description",
                               "State", "Input", "RetryPolicy", "DeadLetterConfig", "GroupName", "EndDate",
                               "StartDate", "FlexibleTimeWindow"})(ScheduleSource)
