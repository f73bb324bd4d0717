"""EventBridge: rules on buses, pattern matching (moto's matcher), target delivery with the target's retry policy
and dead-letter queue.

Events reach a bus from `sim.put_events` and from handler code's own `events:PutEvents` (both pass through moto,
which validates them and assigns the EventIds, then through a botocore `after-call` hook to here). Targets are
invoked from a delivery task through a real boto3 client (Lambda targets asynchronously, as EventBridge does), so
the fault plan can answer those calls; throttles, 5xx and network errors are retried with exponential backoff and
jitter (seeded), other errors go to the DLQ at once.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness.sources.base import EventSpec, as_bool, as_number, register_source
from harness.template import ACCOUNT_ID

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

DEFAULT_MAX_RETRIES = 185      # AWS: up to 185 attempts ...
DEFAULT_MAX_AGE = 86400        # ... over 24 hours
BACKOFF_BASE, BACKOFF_CAP = 1.0, 300.0
# A delivery held back by a `redeliver` fault arrives again this much later (EventBridge's at-least-once delivery).
REDELIVERY_DELAY = 60.0
THROTTLE_CODES = {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
                  "ThrottledException", "RequestThrottled", "ProvisionedThroughputExceededException",
                  "KMSThrottlingException", "ServiceUnavailable", "ServiceUnavailableException"}
ERROR_CODES = {"ResourceNotFoundException": "RESOURCE_NOT_FOUND", "AccessDeniedException": "NO_PERMISSIONS",
               "AccessDenied": "NO_PERMISSIONS"}


@dataclass(frozen=True)
class Target:
    """Where a rule (or schedule) sends an event, with its retry policy and DLQ."""

    arn: str
    rule_arn: str
    id: str = "Target"
    input: str | None = None
    input_path: str | None = None
    max_retries: int = DEFAULT_MAX_RETRIES
    max_age: float = DEFAULT_MAX_AGE
    dlq_arn: str | None = None

    def payload(self, event: dict) -> Any:
        """What the target receives: the event, the constant Input, or the InputPath selection."""
        if self.input is not None:
            return json.loads(self.input)
        if self.input_path:
            return _select(event, self.input_path)
        return event


@dataclass
class Rule:
    """An event rule: a pattern on a bus and its targets."""

    name: str
    arn: str
    bus: str
    pattern: Any  # moto's EventPattern
    targets: list[Target] = field(default_factory=list)
    enabled: bool = True
    label: str = ""


def _select(event: dict, path: str) -> Any:
    """InputPath: `$` or a dotted JSONPath like `$.detail.order`."""
    if path in ("$", ""):
        return event
    node: Any = event
    for part in path.lstrip("$").strip(".").split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def retry_policy(spec: EventSpec, policy: dict | None) -> tuple[int, float]:
    """(MaximumRetryAttempts, MaximumEventAgeInSeconds) within AWS's ranges."""
    policy = policy or {}
    retries = int(as_number(spec, "RetryPolicy.MaximumRetryAttempts", policy.get("MaximumRetryAttempts"), 0, 185,
                            DEFAULT_MAX_RETRIES))
    age = as_number(spec, "RetryPolicy.MaximumEventAgeInSeconds", policy.get("MaximumEventAgeInSeconds"), 60, 86400,
                    DEFAULT_MAX_AGE)
    return retries, age


RULE_EVENT_PROPERTIES = {"Pattern", "EventBusName", "Input", "InputPath", "RetryPolicy", "DeadLetterConfig",
                         "RuleName", "State", "Enabled", "Target"}


@register_source("EventBridgeRule", RULE_EVENT_PROPERTIES)
@register_source("CloudWatchEvent", RULE_EVENT_PROPERTIES)
class RuleSource:
    """A function's `Type: EventBridgeRule` (or the older `CloudWatchEvent`) event: Pattern, EventBusName,
    RuleName, RetryPolicy, DeadLetterConfig, Input, InputPath, State/Enabled, Target.Id."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec = sources, spec
        props = spec.properties
        if "InputTransformer" in props:
            raise spec.error("InputTransformer is not emulated by the harness yet (use Input or InputPath)")
        if not props.get("Pattern"):
            raise spec.error("Pattern is required (e.g. Pattern: {source: [my.app]})")
        bus = str(props.get("EventBusName") or "default").rsplit("/", 1)[-1]
        name = str(props.get("RuleName") or f"{sources.sim.deployer.template.stack_name}-{spec.function.logical_id}"
                                            f"{spec.name}")
        arn = rule_arn(sources.sim.region, bus, name)
        retries, age = retry_policy(spec, props.get("RetryPolicy"))
        target = Target(spec.function.arn, arn, str((props.get("Target") or {}).get("Id") or f"{spec.name}Target"),
                        props.get("Input"), props.get("InputPath"), retries, age,
                        sources.dead_letter_arn(spec, props.get("DeadLetterConfig")))
        enabled = as_bool(props.get("Enabled")) and str(props.get("State", "ENABLED")).upper() == "ENABLED"
        self.rule = Rule(name, arn, bus, sources.load_pattern(spec, props["Pattern"]), [target], enabled, spec.label)

    def start(self) -> None:
        """Add the rule to its bus."""
        self.sources.eventbridge.rules.append(self.rule)

    def stop(self) -> None:
        """Rules stop with the simulation."""


def rule_arn(region: str, bus: str, name: str) -> str:
    """ARN of a rule on a bus (the default bus is left out of the ARN, as AWS does)."""
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return f"arn:aws:events:{region}:{ACCOUNT_ID}:{resource}"


class EventBridge:
    """The buses of one simulation: matches events to rules and delivers them to targets."""

    def __init__(self, sources: EventSources):
        self.sources = sources
        self.sim = sources.sim
        self.rules: list[Rule] = []
        self.rng = sources.rng("eventbridge")

    def publish(self, event: dict, bus: str) -> int:
        """Route one event (AWS's envelope) on `bus`; returns how many targets it was sent to."""
        sent = 0
        for rule in self.rules:
            if rule.enabled and rule.bus == bus and rule.pattern.matches_event(event):
                for target in rule.targets:
                    self.dispatch(target, event, bus)
                    sent += 1
        self.sim.trace.record("event", bus=bus, source=event.get("source"), detail_type=event.get("detail-type"),
                              targets=sent, extra={"id": event.get("id")})
        return sent

    def dispatch(self, target: Target, event: dict, bus: str | None = None) -> None:
        """Deliver `event` to `target` from a new (non-daemon) task, through the fault plan's delivery seam
        (at-least-once delivery: duplicated, mutated, or delivered again later)."""
        function = target.arn.rsplit(":", 1)[-1] if target.arn.split(":")[2:3] == ["lambda"] else None
        delivery = self.sim.faults.on_delivery("eventbridge", [event], function=function, resource=bus)
        name = f"events:{target.rule_arn.rsplit('/', 1)[-1]}"
        for record in delivery.records:
            self._spawn(target, record, name)
        for record in delivery.redeliver:
            self._spawn(target, record, name, delay=REDELIVERY_DELAY)

    def _spawn(self, target: Target, event: dict, name: str, delay: float = 0.0) -> None:
        first = self.sim.clock.now() + delay
        self.sim.scheduler.spawn(lambda: self._attempt(target, event, 1, first), delay=delay, name=name)

    def _attempt(self, target: Target, event: dict, attempt: int, first: float) -> None:
        error = self.sources.send_to_target(target.arn, target.payload(event))
        if error is None:
            self.sim.trace.record("event_delivered", rule=target.rule_arn, target=target.arn, attempt=attempt)
            return
        code, message, retryable = error
        self.sim.trace.record("event_delivery_failed", rule=target.rule_arn, target=target.arn, attempt=attempt,
                              error=code, retryable=retryable)
        if not retryable:
            return self._dead_letter(target, event, code, message, None, attempt - 1)
        if attempt - 1 >= target.max_retries:
            return self._dead_letter(target, event, code, message, "MaximumRetryAttempts", attempt - 1)
        delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1)) * self.rng.uniform(0.5, 1.0)
        if self.sim.clock.now() + delay - first > target.max_age:
            return self._dead_letter(target, event, code, message, "MaximumEventAgeInSeconds", attempt - 1)
        self.sim.scheduler.spawn(lambda: self._attempt(target, event, attempt + 1, first), delay=delay,
                                 name=f"events-retry:{target.rule_arn.rsplit('/', 1)[-1]}")

    def _dead_letter(self, target: Target, event: dict, code: str, message: str, condition: str | None,
                     retries: int) -> None:
        self.sim.trace.record("event_dead_letter", rule=target.rule_arn, target=target.arn, error=code,
                              condition=condition, dlq=target.dlq_arn)
        if not target.dlq_arn:
            return  # AWS drops the event (only the FailedInvocations metric knows)
        attributes = {
            "RULE_ARN": _string(target.rule_arn), "TARGET_ARN": _string(target.arn),
            "ERROR_CODE": _string(ERROR_CODES.get(code, "THROTTLING" if code in THROTTLE_CODES else
                                                  "SDK_CLIENT_ERROR")),
            "ERROR_MESSAGE": _string(f"{code}: {message}"[:1024]),
            "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(retries)},
        }
        if condition:
            attributes["EXHAUSTED_RETRY_CONDITION"] = _string(condition)
        self.sim.client("sqs").send_message(QueueUrl=self.sim.queue_url(target.dlq_arn),
                                            MessageBody=json.dumps(event), MessageAttributes=attributes)


def _string(value: str) -> dict:
    return {"DataType": "String", "StringValue": value}


def rules_from_resources(sources: EventSources) -> list[Any]:
    """Standalone AWS::Events::Rule resources: pattern rules, and schedule rules (as schedule sources)."""
    from harness.sources.schedule import ScheduleSource

    sim = sources.sim
    template, deployer = sim.deployer.template, sim.deployer
    out: list[Any] = []
    for resource in template.of_type("AWS::Events::Rule"):
        if not deployer.enabled(resource.logical_id):
            continue
        props = deployer.resolver.resolve(resource.properties)
        spec = EventSpec(None, resource.logical_id, "AWS::Events::Rule", props, template.where(resource.line))
        name = deployer.attrs[resource.logical_id]["Ref"]
        bus = str(props.get("EventBusName") or "default").rsplit("/", 1)[-1]
        arn = rule_arn(sim.region, bus, name)
        targets = []
        for raw in props.get("Targets") or []:
            spec_t = EventSpec(None, f"{resource.logical_id}.{raw.get('Id', 'Target')}", spec.type, raw, spec.where)
            if "InputTransformer" in raw:
                raise spec_t.error("InputTransformer is not emulated by the harness yet (use Input or InputPath)")
            retries, age = retry_policy(spec_t, raw.get("RetryPolicy"))
            targets.append(Target(str(raw["Arn"]), arn, str(raw.get("Id", "Target")), raw.get("Input"),
                                  raw.get("InputPath"), retries, age,
                                  (raw.get("DeadLetterConfig") or {}).get("Arn")))
        enabled = str(props.get("State", "ENABLED")).upper() == "ENABLED"
        if props.get("ScheduleExpression"):
            out.append(ScheduleSource(sources, spec, targets=targets, rule_name=name, enabled=enabled))
        elif props.get("EventPattern"):
            rule = Rule(name, arn, bus, sources.load_pattern(spec, props["EventPattern"]), targets, enabled,
                        resource.logical_id)
            out.append(_StaticRule(sources, spec, rule))
    return out


class _StaticRule:
    """A standalone pattern rule as a source (so it starts and stops with the others)."""

    def __init__(self, sources: EventSources, spec: EventSpec, rule: Rule):
        self.sources, self.spec, self.rule = sources, spec, rule

    def start(self) -> None:
        self.sources.eventbridge.rules.append(self.rule)

    def stop(self) -> None:
        pass
