"""The effect registry: what a fault does, as small frozen dataclasses registered by name.

An effect says *what* happens; the rule's match says *where*. An effect takes part at a point of the
simulation by defining the method for it (a class may define several):

| point    | method                       | called                                                     |
|----------|------------------------------|------------------------------------------------------------|
| aws      | `aws_request(ctx)`           | before the backend: return an AWSResponse, raise, or None  |
| aws      | `aws_response(ctx, response)`| after the backend applied the request: return/raise        |
| http     | `http_request(ctx)`          | before the request is sent: return an HttpResponse or None |
| http     | `http_response(ctx, resp)`   | after the exchange: return an HttpResponse or raise        |
| invoke   | `invoke(ctx)`                | in the function's container, before its handler runs       |
| admit    | `admit(ctx) -> bool`         | when an invocation asks for concurrency (True = throttle)  |
| delivery | `deliver(ctx, delivery)`     | before an event source hands records to a function         |

A new fault is one class: `@register_effect("name")` on a frozen dataclass whose fields are its settings.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from harness.errors import InputError
from harness.template import closest

POINT_METHODS = {
    "aws": ("aws_request", "aws_response"),
    "http": ("http_request", "http_response"),
    "invoke": ("invoke",),
    "admit": ("admit",),
    "delivery": ("deliver",),
}

EFFECTS: dict[str, type] = {}


class FaultPlanError(InputError):
    """A fault rule that cannot be loaded: the message names the rule, the field and the allowed values."""


def register_effect(name: str) -> Callable[[type], type]:
    """Class decorator: make an effect available as `{"type": name, ...}` in rules."""

    def decorate(cls: type) -> type:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"effect {name!r} must be a dataclass (frozen), got {cls.__name__}")
        if not points_of(cls):
            raise TypeError(f"effect {name!r} defines none of the point methods "
                            f"{', '.join(m for ms in POINT_METHODS.values() for m in ms)}")
        cls.name = name
        EFFECTS[name] = cls
        return cls

    return decorate


def points_of(effect: Any) -> tuple[str, ...]:
    """The points an effect (class or instance) takes part in, from the methods it defines."""
    cls = effect if isinstance(effect, type) else type(effect)
    return tuple(point for point, methods in POINT_METHODS.items()
                 if any(callable(getattr(cls, m, None)) for m in methods))


class Effect:
    """Optional base with the hooks every effect may override (effects need not inherit from it)."""

    name: ClassVar[str] = ""
    # Match fields the effect implies (e.g. init failures only happen on cold starts).
    implied_match: ClassVar[dict] = {}

    def check(self, rule: Any, where: str) -> None:
        """Raise FaultPlanError when this effect cannot apply where the rule's match points it."""

    def describe(self) -> dict:
        """The settings recorded in the trace."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if getattr(self, f.name) not in (None, {}, ())}


@dataclass
class FaultContext:
    """What an effect may use when it fires: the simulation, the rule's own seeded RNG and the target."""

    sim: Any
    rule: Any
    rng: Any
    target: Any
    raw: Any = None          # botocore request (aws) or HttpRequest (http) or InvokeRequest (invoke)
    call: Any = None         # router AwsCall (aws)
    extra: dict = field(default_factory=dict)

    @property
    def scheduler(self) -> Any:
        """The simulation's scheduler (virtual sleeps)."""
        return self.sim.scheduler

    def sleep(self, seconds: float) -> None:
        """Virtual sleep when called from a task; from the test thread time does not pass (noted)."""
        from harness.scheduler import current_task

        if current_task() is not None:
            self.sim.scheduler.sleep(seconds)
        else:
            self.extra["not_delayed"] = "called from the test thread, where virtual time cannot pass"


# ---------------------------------------------------------------------------------------------- parsing
def build_effect(data: Any, where: str) -> Any:
    """An effect instance from its dict (`{"type": ..., settings...}`), with precise errors."""
    if isinstance(data, str):
        data = {"type": data}
    if not isinstance(data, dict):
        raise FaultPlanError(f"{where}: expected a mapping with 'type' (one of {_effect_names()}), "
                             f"got {type(data).__name__}")
    kind = data.get("type")
    if kind is None:
        raise FaultPlanError(f"{where}.type: missing; allowed: {_effect_names()}")
    if kind not in EFFECTS:
        raise FaultPlanError(f"{where}.type: {kind!r} is not a registered effect{closest(str(kind), EFFECTS)}; "
                             f"allowed: {_effect_names()}")
    cls = EFFECTS[kind]
    return build_dataclass(cls, {k: v for k, v in data.items() if k != "type"}, where, f"effect {kind!r}")


def _effect_names() -> str:
    return ", ".join(sorted(EFFECTS))


def build_dataclass(cls: type, data: dict, where: str, what: str) -> Any:
    """Instantiate a dataclass from a dict, checking names, required fields, types and Literal choices."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = unknown[0]
        raise FaultPlanError(f"{where}.{key}: {what} has no setting {key!r}{closest(str(key), fields)}; "
                             f"allowed: {', '.join(fields) or '(none)'}")
    values = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise FaultPlanError(f"{where}.{name}: {what} requires {name!r} ({_type_text(hints[name])})")
            continue
        values[name] = convert(data[name], hints[name], f"{where}.{name}")
    try:
        instance = cls(**values)
    except (TypeError, ValueError) as exc:
        raise FaultPlanError(f"{where}: {what}: {exc}") from None
    return instance


def convert(value: Any, hint: Any, where: str) -> Any:
    """Check `value` against a type hint (str, int, float, bool, dict, list, Literal, Optional, unions)."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        choices = typing.get_args(hint)
        if value not in choices:
            raise FaultPlanError(f"{where}: {value!r} is not allowed{closest(str(value), [str(c) for c in choices])};"
                                 f" allowed: {', '.join(repr(c) for c in choices)}")
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return convert(value, arg, where)
            except FaultPlanError:
                continue
        raise FaultPlanError(f"{where}: expected {_type_text(hint)}, got {value!r}")
    if hint is Any:
        return value
    base = origin or hint
    if base is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if base is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if base in (str, bool, dict, list) and isinstance(value, base):
        return value
    if base is tuple and isinstance(value, (list, tuple)):
        return tuple(value)
    raise FaultPlanError(f"{where}: expected {_type_text(hint)}, got {type(value).__name__} {value!r}")


def _type_text(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(c) for c in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_text(a) for a in typing.get_args(hint) if a is not type(None))
    names = {str: "a string", int: "an integer", float: "a number", bool: "true/false", dict: "a mapping",
             list: "a list", tuple: "a list", Any: "any value"}
    return names.get(origin or hint, getattr(hint, "__name__", str(hint)))

