"""What a system's template declares, by kind: the names a scenario may refer to, checked at load time."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.scenario.errors import one_of, suggest
from harness.template import FUNCTION_TYPE, Resolver, Template, default_physical_name

_TYPES = {
    "queue": (("AWS::SQS::Queue",), "QueueName"),
    "table": (("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"), "TableName"),
    "bucket": (("AWS::S3::Bucket",), "BucketName"),
    "secret": (("AWS::SecretsManager::Secret",), "Name"),
    "bus": (("AWS::Events::EventBus",), "Name"),
}
SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")


class _Unresolvable(Exception):
    pass


@dataclass
class Catalog:
    """Logical ids and (statically resolvable) physical names of a template's resources, by kind."""

    # kind -> {accepted name (logical id or physical name) -> logical id}
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> physical name (when static)
    dlqs: set[str] = field(default_factory=set)  # logical ids of queues used as dead-letter targets
    routes: set[tuple[str, str]] = field(default_factory=set)  # (METHOD, /path) of Api events

    def resolve(self, kind: str, name: str) -> str:
        """Logical id for `name` of `kind`; ValueError naming the valid choices and the closest one."""
        known = self.names.get(kind, {})
        if name in known:
            return known[name]
        logical = sorted({v for v in known.values()})
        raise ValueError(f"unknown {kind} {name!r}{suggest(name, known)}; expected one of {one_of(logical)}")

    def logical_ids(self, kind: str) -> list[str]:
        """Every logical id of `kind`."""
        return sorted(set(self.names.get(kind, {}).values()))

    def kind_of(self, logical_id: str) -> str | None:
        """The kind of a logical id, if it is one of the catalogued resources."""
        for kind, known in self.names.items():
            if logical_id in known.values():
                return kind
        return None


def build(template: Template, region: str = "us-east-1") -> Catalog:
    """Catalog a loaded template (no backend needed)."""
    catalog = Catalog()
    resolver = Resolver(template, region, _no_attributes)
    enabled = _enabled(template, resolver)
    for kind, (rtypes, name_key) in _TYPES.items():
        table = catalog.names.setdefault(kind, {})
        for resource in template.of_type(*rtypes):
            if not enabled(resource.logical_id):
                continue
            table[resource.logical_id] = resource.logical_id
            name = _static(resolver, resource.properties.get(name_key))
            if name is None:
                name = default_physical_name(template.stack_name, resource.logical_id, resource.type)
            if kind == "queue" and str(resource.properties.get("FifoQueue")).lower() == "true" \
                    and not name.endswith(".fifo"):
                name += ".fifo"
            if kind == "bucket":
                name = name.lower()
            table[name] = resource.logical_id
            catalog.physical[resource.logical_id] = name
    functions = catalog.names.setdefault("function", {})
    schedules = catalog.names.setdefault("schedule", {})
    for logical_id, fn in template.functions.items():
        if not enabled(logical_id):
            continue
        functions[logical_id] = logical_id
        name = _static(resolver, fn.properties.get("FunctionName")) or default_physical_name(template.stack_name, logical_id, FUNCTION_TYPE)
        functions[name] = logical_id
        catalog.physical[logical_id] = name
        for event in fn.events:
            if event.type in SCHEDULE_EVENT_TYPES:
                schedules[event.name] = logical_id
                schedules[f"{logical_id}.{event.name}"] = logical_id
                schedules[logical_id] = logical_id
                schedules[name] = logical_id
                rule_name = _static(resolver, event.properties.get("Name"))
                if rule_name:
                    schedules[rule_name] = logical_id
            if event.type == "Api":
                method = str(event.properties.get("Method", "ANY")).upper()
                path = _static(resolver, event.properties.get("Path"))
                if path:
                    catalog.routes.add((method, path))
            dlq = (event.properties.get("DeadLetterConfig") or {})
            _add_dlq(catalog, dlq.get("QueueLogicalId") or dlq.get("Arn"))
        _add_dlq(catalog, (fn.properties.get("DeadLetterQueue") or {}).get("TargetArn"))
        on_failure = ((fn.properties.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}).get("OnFailure")
        _add_dlq(catalog, (on_failure or {}).get("Destination"))
    for rule in template.of_type("AWS::Events::Rule"):
        if rule.properties.get("ScheduleExpression"):
            schedules[rule.logical_id] = rule.logical_id
        for target in rule.properties.get("Targets") or []:
            _add_dlq(catalog, ((target or {}).get("DeadLetterConfig") or {}).get("Arn"))
    for queue in template.of_type("AWS::SQS::Queue"):
        policy = queue.properties.get("RedrivePolicy") or {}
        if isinstance(policy, dict):
            _add_dlq(catalog, policy.get("deadLetterTargetArn"))
    catalog.dlqs &= set(catalog.logical_ids("queue"))
    return catalog


def _enabled(template: Template, resolver: Resolver) -> Any:
    """logical id -> False when its Condition is false for these parameters (such resources are not deployed)."""
    def enabled(logical_id: str) -> bool:
        resource = template.resources.get(logical_id)
        if resource is None or resource.condition is None:
            return True
        try:
            return bool(resolver.condition(resource.condition))
        except Exception:  # noqa: BLE001 - a condition that needs deployed resources: assume deployed
            return True
    return enabled


def _add_dlq(catalog: Catalog, value: Any) -> None:
    """Record the queue a DLQ reference (`!GetAtt Q.Arn`, `!Ref Q`, a logical id) points at."""
    if isinstance(value, str):
        catalog.dlqs.add(value)
    elif isinstance(value, dict):
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            catalog.dlqs.add(str(target[0] if isinstance(target, list) else str(target).split(".")[0]))
        elif "Ref" in value:
            catalog.dlqs.add(str(value["Ref"]))


def _no_attributes(logical_id: str) -> dict:
    raise _Unresolvable(logical_id)


def _static(resolver: Resolver, value: Any) -> str | None:
    """The value if it resolves from parameters and pseudo parameters alone, else None."""
    if value is None:
        return None
    try:
        resolved = resolver.resolve(value)
    except Exception:  # noqa: BLE001 - anything that needs a deployed resource is not static
        return None
    return resolved if isinstance(resolved, str) else None


def function_type() -> str:
    """The SAM function resource type (for callers that only import this module)."""
    return FUNCTION_TYPE
