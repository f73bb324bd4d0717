"""What the importer needs from the SAM template: function names, who may call whom (so a downstream
function's logged event is not replayed as a second input), and the queues and DLQs functions use."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.scenario.catalog import Catalog, _static, build
from harness.template import Resolver, Template, load_template


@dataclass
class SystemMap:
    """A loaded template seen from the logs' side."""

    template: Template
    catalog: Catalog
    # caller logical id -> names (logical ids of resources, or physical-name prefixes) its properties mention
    mentions: dict[str, set[str]] = field(default_factory=dict)
    resolver: Resolver | None = None

    def function(self, name: str | None) -> str | None:
        """The logical id of a function given its physical name or logical id (None: not in the template)."""
        return self.catalog.names.get("function", {}).get(name or "")

    def physical(self, logical_id: str) -> str:
        """The physical name of a resource."""
        return self.catalog.physical.get(logical_id, logical_id)

    def queue(self, name: str) -> str | None:
        """The logical id of a queue given its name, ARN or logical id."""
        return self.catalog.names.get("queue", {}).get(name.rsplit(":", 1)[-1])

    def callers(self, function: str) -> list[str]:
        """Logical ids of other functions whose configuration names `function`: its logical id, a prefix of its
        physical name (SAM's LambdaInvokePolicy allows `function:${FunctionName}*`) or a `-suffix` of it (a
        target name built at run time, such as TARGET_FUNCTION_SUFFIX: -processor)."""
        physical = self.physical(function)
        return [caller for caller, names in self.mentions.items() if caller != function and any(
            n in (function, f"{function}Url") or (len(n) >= 4 and physical.startswith(n))
            or (n.startswith("-") and len(n) >= 4 and physical.endswith(n)) for n in names)]

    def feeders(self, queue: str) -> list[str]:
        """Logical ids of functions whose configuration names the queue (they may send to it)."""
        physical = self.physical(queue)
        return [caller for caller, names in self.mentions.items() if queue in names or physical in names]

    def schedule_period(self, function: str) -> float | None:
        """Seconds between runs of the function's one `rate(...)` schedule; None for cron or several schedules."""
        periods = []
        for event in self.template.functions[function].events:
            if event.type in ("Schedule", "ScheduleV2"):
                expression = _static(self.resolver, event.properties.get("Schedule")
                                     or event.properties.get("ScheduleExpression"))
                match = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", expression or "")
                periods.append(int(match[1]) * {"minute": 60, "hour": 3600, "day": 86400}[match[2]]
                               if match else None)
        return periods[0] if len(periods) == 1 else None

    def allowed(self, function: str, service: str) -> bool:
        """True when the function's policies name an action of `service` (`iot:Publish`, `sns:Publish`)."""
        prefix = _IAM_PREFIX.get(service, service).lower()
        return any(n.lower().startswith(f"{prefix}:") for n in self.mentions.get(function, ()))

    def routes(self, function: str, event: dict) -> bool:
        """True when one of the function's EventBridge rules (Pattern, matched by moto) routes `event` to it;
        an EventBridge-shaped event no rule routes was invoked directly."""
        from moto.events.models import EventPattern
        for spec in self.template.functions[function].events:
            pattern = spec.properties.get("Pattern") if spec.type in ("EventBridgeRule", "CloudWatchEvent") else None
            if isinstance(pattern, dict):
                try:
                    resolved = self.resolver.resolve(pattern) if self.resolver else pattern
                    if EventPattern.load(json.dumps(resolved)).matches_event(event):
                        return True
                except Exception:  # noqa: BLE001 - a pattern moto cannot read (intrinsics): assume it routes
                    return True
        return False

    def dead_letter_owner(self, queue: str) -> str | None:
        """The function whose DeadLetterQueue target is `queue`, if one."""
        for logical_id, fn in self.template.functions.items():
            target = (fn.properties.get("DeadLetterQueue") or {}).get("TargetArn")
            if queue in _names(target):
                return logical_id
        return None


_IAM_PREFIX = {"iot-data": "iot", "events": "events", "stepfunctions": "states", "secretsmanager": "secretsmanager"}
# Where a function's configuration names what it calls or sends to (not its own FunctionName or CodeUri).
_MENTIONING = ("Environment", "Policies", "EventInvokeConfig", "DeadLetterQueue", "Role")


def load_system(template_path: Path, parameters: dict | None = None) -> SystemMap:
    """Load the template (with parameter overrides) and index what its functions mention."""
    template = load_template(template_path, parameters or {})
    catalog = build(template)
    resolver = Resolver(template, "us-east-1", _unresolvable)
    mentions = {logical_id: _names({k: fn.properties.get(k) for k in _MENTIONING}, resolver)
                for logical_id, fn in template.functions.items()}
    return SystemMap(template, catalog, mentions, resolver)


def _unresolvable(logical_id: str) -> dict:
    raise LookupError(logical_id)


def _names(node: Any, resolver: Resolver | None = None) -> set[str]:
    """Logical ids referenced (Ref, GetAtt) and strings that resolve statically, anywhere inside `node`."""
    found: set[str] = set()
    if isinstance(node, dict):
        if len(node) == 1:
            (key, arg), = node.items()
            if key == "Ref" and isinstance(arg, str):
                return {arg}
            if key == "Fn::GetAtt":
                return {str(arg[0] if isinstance(arg, list) else str(arg).split(".")[0])}
            if key == "Fn::Sub" and resolver is not None:
                try:
                    value = resolver.resolve(node)
                    return {value} if isinstance(value, str) else set()
                except Exception:  # noqa: BLE001 - needs a deployed resource: not a static name
                    return set()
        for value in node.values():
            found |= _names(value, resolver)
    elif isinstance(node, list):
        for value in node:
            found |= _names(value, resolver)
    elif isinstance(node, str):
        found.add(node)
    return found
