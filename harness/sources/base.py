"""The event-source registry and what every source is built from.

A source is one entry of a function's `Events:` in the SAM template (or a standalone AWS::Events::Rule). Its
class is registered under the SAM event type with `@register_source("SQS")`; the registry is `SOURCES`.
Adding a source type is one new module with one registered class.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from harness import template as _template
from harness.errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from harness.lambda_runtime.config import FunctionConfig
    from harness.sources.extension import EventSources


@dataclass(frozen=True)
class EventSpec:
    """One event source as written in the template, with its properties resolved."""

    function: FunctionConfig | None  # None for a standalone rule (targets name their functions)
    name: str                             # the event's key under Events:, or the rule's logical id
    type: str                             # SAM event type: SQS, Schedule, Api, ...
    properties: dict
    where: str                            # file:line, for error messages

    @property
    def label(self) -> str:
        """`Function.Event`, how errors and the trace name this source."""
        return f"{self.function.logical_id}.{self.name}" if self.function else self.name

    def error(self, message: str) -> InputError:
        """An InputError that names the template line and the source."""
        return InputError(f"{self.where}: event {self.label!r} ({self.type}): {message}")


class Source(Protocol):
    """A running event source."""

    spec: EventSpec

    def start(self) -> None:
        """Begin delivering (schedule the first poll or fire)."""

    def stop(self) -> None:
        """Stop delivering; pending work is dropped."""


SourceFactory = Callable[["EventSources", EventSpec], Source]
SOURCES: dict[str, SourceFactory] = {}


def register_source(event_type: str, properties: Iterable[str] = ()) -> Callable[[Any], Any]:
    """Class decorator: handle SAM events of `event_type`, whose emulated `properties` are listed (the loader
    warns about any other, with file:line); the template loader then accepts that type."""

    def decorate(factory: Any) -> Any:
        SOURCES[event_type] = factory
        # The loader reports unsupported event types by name at load time; a registered type is supported.
        _template.SUPPORTED_EVENT_TYPES.add(event_type)
        _template.EVENT_PROPERTIES[event_type] = set(properties)
        return factory

    return decorate


def as_bool(value: Any, default: bool = True) -> bool:
    """Template booleans arrive as bool or as 'true'/'false' strings."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "disabled")
    return bool(value)


def as_number(spec: EventSpec, key: str, value: Any, low: float, high: float, default: float) -> float:
    """A numeric property within AWS's documented range, or an InputError naming the property."""
    if value is None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise spec.error(f"{key} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise spec.error(f"{key} must be {low:g}-{high:g}, got {value!r}")
    return number
