"""EventBridge schedule expressions: `rate(...)`, 6-field `cron(...)` and Scheduler's one-time `at(...)`.

No pinned dependency parses AWS's cron dialect (six fields, `?`, `L`, `W`, `#`, day-of-week 1 = Sunday), so
this is a small parser of its own. `next_after(t)` answers the first fire time strictly after `t`.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from harness.errors import InputError

_UTC = dt.UTC
_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_SEARCH_YEARS = 8  # cron with a year field may name a future year; beyond this the schedule never fires


class ScheduleExpression(Protocol):
    """A parsed expression: the next fire time strictly after `after`, or None when it never fires again."""

    text: str

    def next_after(self, after: dt.datetime) -> dt.datetime | None: ...


@dataclass(frozen=True)
class Rate:
    """`rate(5 minutes)`: every `seconds`, counted from `start` (when the rule was created)."""

    text: str
    seconds: int
    start: dt.datetime

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """First `start + k * seconds` (k >= 1) strictly after `after`."""
        elapsed = (after - self.start).total_seconds()
        k = max(1, int(elapsed // self.seconds) + 1)
        return self.start + dt.timedelta(seconds=k * self.seconds)


@dataclass(frozen=True)
class At:
    """`at(2030-01-01T10:00:00)`: fires once (EventBridge Scheduler one-time schedules)."""

    text: str
    when: dt.datetime

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """The one fire time, if still ahead."""
        return self.when if self.when > after else None


@dataclass(frozen=True)
class _DayRule:
    """Day-of-month or day-of-week field after parsing (`values` for plain lists, or one special form)."""

    any: bool = False                    # '?' or '*'
    values: frozenset = frozenset()
    last: bool = False                   # L (last day of month) / L alone in day-of-week
    last_offset: int = 0                 # L-3: three days before the last day of month
    weekday_near: int | None = None   # 15W
    last_weekday: bool = False           # LW
    last_dow: int | None = None       # 5L: last Thursday
    nth_dow: tuple | None = None      # 3#2: second Tuesday


@dataclass(frozen=True)
class Cron:
    """`cron(min hour day-of-month month day-of-week year)` in `tz` (UTC unless the schedule names one)."""

    text: str
    minutes: frozenset
    hours: frozenset
    dom: _DayRule
    months: frozenset
    dow: _DayRule
    years: frozenset | None
    tz: dt.tzinfo = _UTC

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """First matching minute strictly after `after`."""
        local = after.astimezone(self.tz).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = local.date()
        last = dt.date(min(local.year + _SEARCH_YEARS, 9999), 12, 31)
        while day <= last:
            if self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)
                        if candidate >= local:
                            return candidate.astimezone(_UTC)
            day += dt.timedelta(days=1)
        return None

    def _day_matches(self, day: dt.date) -> bool:
        if day.month not in self.months or (self.years is not None and day.year not in self.years):
            return False
        return _dom_matches(self.dom, day) and _dow_matches(self.dow, day)


def _dom_matches(rule: _DayRule, day: dt.date) -> bool:
    if rule.any:
        return True
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    if rule.last:
        return day.day == days_in_month - rule.last_offset
    if rule.last_weekday:
        target = dt.date(day.year, day.month, days_in_month)
        while target.weekday() >= 5:
            target -= dt.timedelta(days=1)
        return day == target
    if rule.weekday_near is not None:
        return day == _nearest_weekday(day.year, day.month, min(rule.weekday_near, days_in_month))
    return day.day in rule.values


def _nearest_weekday(year: int, month: int, dom: int) -> dt.date:
    """Quartz/AWS `W`: the weekday nearest to `dom`, never crossing into another month."""
    target = dt.date(year, month, dom)
    if target.weekday() == 5:  # Saturday -> Friday, or Monday when the 1st is a Saturday
        return target - dt.timedelta(days=1) if dom > 1 else target + dt.timedelta(days=2)
    if target.weekday() == 6:  # Sunday -> Monday, or Friday when Sunday is the last day
        last = calendar.monthrange(year, month)[1]
        return target + dt.timedelta(days=1) if dom < last else target - dt.timedelta(days=2)
    return target


def _aws_dow(day: dt.date) -> int:
    """AWS numbering: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _dow_matches(rule: _DayRule, day: dt.date) -> bool:
    if rule.any:
        return True
    dow = _aws_dow(day)
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    if rule.last:
        return dow == 7
    if rule.last_dow is not None:
        return dow == rule.last_dow and day.day + 7 > days_in_month
    if rule.nth_dow is not None:
        weekday, nth = rule.nth_dow
        return dow == weekday and (day.day - 1) // 7 + 1 == nth
    return dow in rule.values


def parse(expression: str, *, start: dt.datetime, timezone: str | None = None, where: str = "") -> ScheduleExpression:
    """Parse a ScheduleExpression; `start` is when a rate schedule starts counting. Bad input -> InputError."""
    text = str(expression).strip()
    prefix = f"{where}: " if where else ""
    tz = _zone(timezone, prefix)
    match = re.fullmatch(r"(rate|cron|at)\((.*)\)", text)
    if not match:
        raise InputError(f"{prefix}schedule expression {text!r} is not rate(...), cron(...) or at(...) "
                         f"(expected e.g. rate(5 minutes) or cron(0 12 * * ? *))")
    kind, body = match.group(1), match.group(2).strip()
    if kind == "rate":
        return _rate(text, body, start, prefix)
    if kind == "at":
        try:
            when = dt.datetime.fromisoformat(body)
        except ValueError:
            raise InputError(f"{prefix}{text!r}: at() needs yyyy-mm-ddThh:mm:ss, got {body!r}") from None
        return At(text, (when if when.tzinfo else when.replace(tzinfo=tz)).astimezone(_UTC))
    return _cron(text, body, tz, prefix)


def _zone(name: str | None, prefix: str) -> dt.tzinfo:
    if not name or name.upper() == "UTC":
        return _UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{prefix}unknown time zone {name!r} (expected an IANA name like Europe/Paris)") from None


def _rate(text: str, body: str, start: dt.datetime, prefix: str) -> Rate:
    parts = body.split()
    if len(parts) != 2 or not re.fullmatch(r"[0-9]+", parts[0]):  # not isdigit(): '²' is a digit int() refuses
        raise InputError(f"{prefix}{text!r}: expected rate(<positive integer> <minute(s)|hour(s)|day(s)>)")
    value, unit = int(parts[0]), parts[1].lower()
    singular = unit.removesuffix("s")
    if singular not in _RATE_UNITS:
        raise InputError(f"{prefix}{text!r}: unit {parts[1]!r} is not one of minute(s), hour(s), day(s)")
    if value <= 0:
        raise InputError(f"{prefix}{text!r}: the value must be a positive integer")
    if (value == 1) == unit.endswith("s"):
        fixed = f"rate({value} {singular if value == 1 else singular + 's'})"
        raise InputError(f"{prefix}{text!r}: AWS requires a singular unit for 1 and plural otherwise; use {fixed}")
    return Rate(text, value * _RATE_UNITS[singular], start)


def _cron(text: str, body: str, tz: dt.tzinfo, prefix: str) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise InputError(f"{prefix}{text!r}: AWS cron has 6 fields (minutes hours day-of-month month day-of-week "
                         f"year), found {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise InputError(f"{prefix}{text!r}: exactly one of day-of-month and day-of-week must be '?'")
    try:
        return Cron(text, _values(minute, 0, 59, {}), _values(hour, 0, 23, {}), _dom(dom),
                    _values(month, 1, 12, _MONTHS), _dow(dow),
                    None if year == "*" else _values(year, 1970, 2199, {}), tz)
    except ValueError as exc:
        raise InputError(f"{prefix}{text!r}: {exc}") from None


def _number(token: str, low: int, high: int, names: dict) -> int:
    value = names.get(token.upper()) if not token.isdigit() else int(token)
    if value is None or not low <= value <= high:
        allowed = f"{low}-{high}" + (f" or {', '.join(names)}" if names else "")
        raise ValueError(f"{token!r} is not a valid value (expected {allowed})")
    return value


def _values(field: str, low: int, high: int, names: dict) -> frozenset:
    out: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"increment {step_text!r} must be a positive integer")
            step = int(step_text)
        if part in ("*", ""):
            first, last = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            first, last = _number(a, low, high, names), _number(b, low, high, names)
        else:
            first = _number(part, low, high, names)
            last = high if step > 1 else first
        if first > last:
            raise ValueError(f"range {part!r} runs backwards")
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _dom(field: str) -> _DayRule:
    upper = field.upper()
    if upper in ("?", "*"):
        return _DayRule(any=True)
    if upper == "L":
        return _DayRule(last=True)
    if upper == "LW":
        return _DayRule(last_weekday=True)
    if re.fullmatch(r"L-\d+", upper):
        return _DayRule(last=True, last_offset=int(upper[2:]))
    if re.fullmatch(r"\d+W", upper):
        return _DayRule(weekday_near=_number(upper[:-1], 1, 31, {}))
    return _DayRule(values=_values(field, 1, 31, {}))


def _dow(field: str) -> _DayRule:
    upper = field.upper()
    if upper in ("?", "*"):
        return _DayRule(any=True)
    if upper == "L":
        return _DayRule(last=True)
    if re.fullmatch(r"\w+L", upper):
        return _DayRule(last_dow=_number(upper[:-1], 1, 7, _DAYS))
    if "#" in upper:
        day, nth = upper.split("#", 1)
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise ValueError(f"{field!r}: the number after # must be 1-5")
        return _DayRule(nth_dow=(_number(day, 1, 7, _DAYS), int(nth)))
    return _DayRule(values=_values(field, 1, 7, _DAYS))
