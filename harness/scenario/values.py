"""Value types shared by scenario models: durations, start times and references to template resources."""
from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")
DURATION_HELP = "a duration: seconds as a number, or text like '90s', '5m', '1h30m', '250ms', '2d'"


def parse_duration(value: Any) -> float:
    """Seconds from a number or a text duration ('1m30s'); ValueError says what is accepted."""
    if isinstance(value, bool):  # pydantic turns this ValueError into a located problem
        raise ValueError(f"expected {DURATION_HELP}; got {value!r}")  # noqa: TRY004
    if isinstance(value, (int, float)):
        try:
            return _bounded(float(value), value)
        except OverflowError:  # an int too long for a float
            raise ValueError(f"expected a finite duration; got {str(value)[:40]}") from None
    if isinstance(value, _dt.timedelta):
        return _bounded(value.total_seconds(), value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return _bounded(float(text), value)
        parts = _DURATION.findall(text)
        if parts and "".join(n + u for n, u in parts) == text:
            return _bounded(sum(float(n) * _UNITS[u] for n, u in parts), value)
    raise ValueError(f"expected {DURATION_HELP}; got {value!r}")


def _bounded(seconds: float, written: Any) -> float:
    """A duration must be finite, 0 or more, and at most the limit (a year by default)."""
    from harness.scenario import limits
    if not math.isfinite(seconds):
        raise ValueError(f"expected a finite duration; got {written!r}")
    if seconds < 0:
        raise ValueError(f"expected a duration of 0 or more seconds; got {written!r}")
    bound = limits.current().max_duration
    if seconds > bound:
        raise ValueError(f"a duration of at most {bound:,.0f} s ({bound / 86400:g} days) is allowed; got {written!r}"
                         + limits.hint("max_duration"))
    return seconds


def parse_start(value: Any) -> Any:
    """Keep a start time the virtual clock accepts (ISO-8601 text, datetime or epoch seconds)."""
    from harness.clock import to_epoch
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    try:
        to_epoch(value)
    except (ValueError, TypeError):
        raise ValueError(f"expected an ISO-8601 time like 2030-01-01T09:00:00Z; got {value!r}") from None
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
Start = Annotated[Any, BeforeValidator(parse_start)]


@dataclass(frozen=True)
class Ref:
    """Marks a string field that names a template resource of `kind` (function, queue, table, ...)."""

    kind: str


def ref(kind: str) -> Any:
    """`Annotated[str, Ref(kind)]`: a name the loader checks against the system's template."""
    return Annotated[str, Ref(kind)]


FunctionRef = ref("function")
QueueRef = ref("queue")
TableRef = ref("table")
BucketRef = ref("bucket")
SecretRef = ref("secret")
ScheduleRef = ref("schedule")


class Model(BaseModel):
    """Base of every scenario model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
