"""Fault rules: *match* (where) + *effect* (what) + an optional limit `times`, loaded from plain dicts.

    {"id": "throttle-put",
     "match": {"service": "dynamodb", "operation": "PutItem", "function": "Writer", "nth": 1},
     "effect": {"type": "aws_error", "code": "ProvisionedThroughputExceededException"},
     "times": 2}

The dict shape is what scenario YAML's `faults:` uses verbatim. Every mistake is reported with the rule's
index and id, the field and the allowed values; a rule that could never match (unknown service, operation
or event source) is an error here, not a silent no-op.
"""
from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass, fields
from typing import Any

from harness.faults import catalog
from harness.faults.effects import FaultPlanError, build_effect, points_of
from harness.template import closest

# Event sources the delivery point knows (SAM event types map onto them).
DELIVERY_SOURCES = {"sqs": "sqs", "eventbridge": "eventbridge", "schedule": "schedule", "api": "api",
                    "function_url": "function_url", "webhook": "webhook",
                    "eventbridgerule": "eventbridge", "cloudwatchevent": "eventbridge", "schedulev2": "schedule",
                    "httpapi": "api"}
RULE_KEYS = ("id", "match", "effect", "times")


@dataclass(frozen=True)
class Window:
    """Virtual seconds since the simulation started: `start <= t < end`."""

    start: float = 0.0
    end: float = math.inf

    def contains(self, t: float) -> bool:
        """True when `t` is inside the window."""
        return self.start <= t < self.end


@dataclass(frozen=True)
class Target:
    """What a rule is matched against at one point (the fields that do not apply stay None)."""

    point: str
    t: float = 0.0
    service: str | None = None
    operation: str | None = None
    resource: str | None = None
    function: str | None = None
    url: str | None = None
    host: str | None = None
    method: str | None = None
    source: str | None = None
    cold: bool | None = None
    attempt: int | None = None

    def describe(self) -> dict:
        """The non-empty fields (for the trace; URLs without query and loopback ports, which vary per run)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)
               if f.name not in ("point", "t") and getattr(self, f.name) is not None}
        if self.url:
            out["url"] = stable_url(self.url)
        return out


def stable_url(url: str) -> str:
    """`url` without its query string, with loopback host:port (an ephemeral port) shown as `loopback`."""
    from urllib.parse import urlsplit

    from harness.aws.wire import is_loopback

    parts = urlsplit(url)
    host = "loopback" if is_loopback(url) else (parts.hostname or "")
    return f"{parts.scheme}://{host}{parts.path or '/'}"


@dataclass(frozen=True)
class Match:
    """Where a rule applies; every given field must hold. Globs (`*`) work in resource, function, url, host."""

    service: str | None = None
    operation: str | None = None
    resource: str | None = None
    function: str | None = None
    url: str | None = None
    host: str | None = None
    method: str | None = None
    source: str | None = None
    cold: bool | None = None
    nth: int | None = None
    window: Window | None = None
    probability: float | None = None

    def matches(self, target: Target, resources: frozenset[str] = frozenset(),
                functions: frozenset[str] = frozenset()) -> tuple[bool, str]:
        """(True, "") when `target` satisfies every field except nth/probability, else (False, reason).
        `resources`/`functions` are the names the rule's resource/function resolve to in this simulation."""
        if self.service and self.service != "http" and target.service != self.service:
            return False, f"service {target.service} != {self.service}"
        if self.operation and target.operation != self.operation:
            return False, f"operation {target.operation} != {self.operation}"
        if self.resource and not _any_glob(target.resource or "", {self.resource} | resources) and not (
                target.point == "http" and _any_glob(target.url or "", {self.resource})):
            return False, f"resource {target.resource} does not match {self.resource}"
        if self.function and not _any_glob(target.function or "", {self.function} | functions):
            return False, f"function {target.function} does not match {self.function}"
        if self.url and not _url_matches(self.url, target.url or ""):
            return False, f"url {target.url} does not match {self.url}"
        if self.host and not _any_glob(target.host or "", {self.host.lower()}):
            return False, f"host {target.host} does not match {self.host}"
        if self.method and (target.method or "").upper() != self.method:
            return False, f"method {target.method} != {self.method}"
        if self.source and target.source != self.source:
            return False, f"source {target.source} != {self.source}"
        if self.cold is not None and target.cold is not self.cold:
            return False, f"cold {target.cold} != {self.cold}"
        if self.window and not self.window.contains(target.t):
            return False, f"t={target.t:g}s outside [{self.window.start:g}, {self.window.end:g})"
        return True, ""


def _any_glob(value: str, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns if p)


def _url_matches(pattern: str, url: str) -> bool:
    """`/path*` matches the path of any URL (the harness gateway's port changes per run); else the full URL,
    as a glob or a prefix."""
    if pattern.startswith("/"):
        from urllib.parse import urlsplit
        path = urlsplit(url).path or "/"
        return fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern.rstrip("*"))
    return fnmatch.fnmatchcase(url, pattern) or (("*" not in pattern) and url.startswith(pattern))


@dataclass(frozen=True)
class Rule:
    """One fault rule. `point` (aws, http, invoke, admit, delivery) says where the engine consults it."""

    id: str
    index: int
    match: Match
    effect: Any
    times: int | None
    point: str
    source: str = "<python>"

    def describe(self) -> dict:
        """The rule as recorded in the trace."""
        return {"rule": self.id, "effect": self.effect.name, "point": self.point}


# ---------------------------------------------------------------------------------------------- loading
def rule_from_dict(data: Any, index: int, source: str = "<python>") -> Rule:
    """Build and validate one rule; errors name `source`, the rule index and id, the field and what is allowed."""
    where = f"{source}: rule {index}"
    if isinstance(data, Rule):
        return data
    if not isinstance(data, dict):
        raise FaultPlanError(f"{where}: expected a mapping with keys {', '.join(RULE_KEYS)}, "
                             f"got {type(data).__name__}")
    rule_id = data.get("id", f"rule-{index}")
    if not isinstance(rule_id, str) or not rule_id:
        raise FaultPlanError(f"{where}.id: expected a non-empty string, got {rule_id!r}")
    where = f"{source}: rule {index} ({rule_id!r})"
    for key in data:
        if key not in RULE_KEYS:
            raise FaultPlanError(f"{where}: unknown key {key!r}{closest(str(key), RULE_KEYS)}; "
                                 f"allowed: {', '.join(RULE_KEYS)}")
    if "effect" not in data:
        raise FaultPlanError(f"{where}.effect: missing; a rule needs an effect such as "
                             f"{{type: aws_error, code: ThrottlingException}}")
    effect = build_effect(data["effect"], f"{where}.effect")
    match = _match(data.get("match") or {}, effect, f"{where}.match")
    times = data.get("times", 1 if match.nth is not None else None)
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
        raise FaultPlanError(f"{where}.times: expected a whole number >= 1 (or leave it out for no limit), "
                             f"got {times!r}")
    point = _point(match, effect, f"{where}.match")
    rule = Rule(rule_id, index, match, effect, times, point, source)
    check = getattr(effect, "check", None)
    if check is not None:
        check(rule, f"{where}.effect")
    return rule


MATCH_KEYS = tuple(f.name for f in fields(Match))


def _match(data: Any, effect: Any, where: str) -> Match:
    if not isinstance(data, dict):
        raise FaultPlanError(f"{where}: expected a mapping with any of {', '.join(MATCH_KEYS)}, "
                             f"got {type(data).__name__}")
    data = {**getattr(effect, "implied_match", {}), **data}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in MATCH_KEYS:
            raise FaultPlanError(f"{where}.{key}: unknown match field{closest(str(key), MATCH_KEYS)}; "
                                 f"allowed: {', '.join(MATCH_KEYS)}")
        if value is None:
            continue
        values[key] = _match_value(key, value, f"{where}.{key}", data)
    return Match(**values)


def _match_value(key: str, value: Any, where: str, data: dict) -> Any:
    if key in ("resource", "function", "url", "host", "method", "source", "service", "operation") and (
            not isinstance(value, str) or not value):
        raise FaultPlanError(f"{where}: expected a non-empty string, got {value!r}")
    if key == "service":
        if value.lower() == "http":
            return "http"
        service = catalog.find_service(value)
        if service is None:
            raise FaultPlanError(f"{where}: {catalog.unknown_service_message(value)}")
        return service.id
    if key == "operation":
        service_name = data.get("service")
        if not service_name or str(service_name).lower() == "http":
            raise FaultPlanError(f"{where}: an operation needs an AWS service in match.service")
        service = catalog.find_service(str(service_name))
        operation = catalog.find_operation(service, value) if service else None
        if service is not None and operation is None:
            raise FaultPlanError(f"{where}: {catalog.unknown_operation_message(service, value)}")
        return operation
    if key == "method":
        return value.upper()
    if key == "source":
        source = DELIVERY_SOURCES.get(value.lower().replace("-", "_"))
        if source is None:
            raise FaultPlanError(f"{where}: unknown event source {value!r}"
                                 f"{closest(value.lower(), DELIVERY_SOURCES)}; allowed: "
                                 f"{', '.join(sorted(set(DELIVERY_SOURCES.values())))}")
        return source
    if key == "cold":
        if not isinstance(value, bool):
            raise FaultPlanError(f"{where}: expected true or false, got {value!r}")
        return value
    if key == "nth":
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise FaultPlanError(f"{where}: expected a whole number >= 1 (1 = the first matching call), "
                                 f"got {value!r}")
        return value
    if key == "probability":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            raise FaultPlanError(f"{where}: expected a number in (0, 1], got {value!r}")
        return float(value)
    if key == "window":
        return _window(value, where)
    return value


def _window(value: Any, where: str) -> Window:
    if isinstance(value, Window):
        return value
    if not isinstance(value, dict) or not value or set(value) - {"from", "until"}:
        raise FaultPlanError(f"{where}: expected a mapping with 'from' and/or 'until' (virtual seconds since "
                             f"the start), e.g. {{from: 10, until: 60}}, got {value!r}")
    start, end = value.get("from", 0.0), value.get("until", math.inf)
    for name, number in (("from", start), ("until", end)):
        if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 0:
            raise FaultPlanError(f"{where}.{name}: expected a number of seconds >= 0, got {number!r}")
    if end <= start:
        raise FaultPlanError(f"{where}: 'until' ({end}) must be after 'from' ({start})")
    return Window(float(start), float(end))


def _point(match: Match, effect: Any, where: str) -> str:
    supported = points_of(effect)
    name = effect.name
    if match.service == "http" or match.url or match.host or match.method:
        point, why = "http", "match names HTTP (service: http, url, host or method)"
    elif match.source:
        point, why = "delivery", f"match.source is {match.source!r}"
    elif match.service:
        point, why = "aws", f"match.service is the AWS service {match.service!r}"
    elif len(supported) == 1:
        point, why = supported[0], ""
    elif getattr(effect, "default_point", None) in supported:
        point, why = effect.default_point, ""
    else:
        raise FaultPlanError(f"{where}: effect {name!r} applies at {_points_text(supported)}; say which with "
                             f"{_how(supported)}")
    if point not in supported:
        raise FaultPlanError(f"{where}: effect {name!r} cannot apply here ({why}); it applies at "
                             f"{_points_text(supported)}: {_how(supported)}")
    if match.operation and point != "aws":
        raise FaultPlanError(f"{where}.operation: only AWS requests have operations (this rule applies at {point})")
    if match.cold is not None and point != "invoke":
        raise FaultPlanError(f"{where}.cold: only function invocations are cold or warm (this rule applies "
                             f"at {point})")
    return point


_POINT_TEXT = {"aws": "AWS requests", "http": "outbound HTTP requests", "invoke": "function invocations",
               "admit": "invocation admission (concurrency)", "delivery": "event-source deliveries"}
_POINT_HOW = {"aws": "match.service: <an AWS service>", "http": "match.service: http (or url/host)",
              "invoke": "match.function only (no service)", "admit": "match.function only (no service)",
              "delivery": "match.source: sqs|eventbridge|schedule|api|function_url|webhook"}


def _points_text(points: tuple[str, ...]) -> str:
    return " and ".join(_POINT_TEXT[p] for p in points)


def _how(points: tuple[str, ...]) -> str:
    return "; ".join(f"{_POINT_TEXT[p]}: {_POINT_HOW[p]}" for p in points)
