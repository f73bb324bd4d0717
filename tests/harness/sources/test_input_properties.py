"""Property tests of the event-source input parsers: schedule expressions (AWS's rate/cron/at grammar) and
EventBridge patterns (matched as AWS documents content filtering). Any input gives a value or InputError."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness import strategies as hs
from harness.errors import InputError
from harness.sources import expressions
from harness.sources.base import EventSpec
from harness.sources.extension import EventSources

START = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
UNITS = ["minute", "minutes", "hour", "hours", "day", "days"]
cron_field = st.sampled_from(["*", "?", "0", "5", "1-5", "*/15", "MON-FRI", "L", "3#2", "15W", "JAN", "5/10",
                              "2030", "LW", "L-2", "6L", "99", "x", ""])
texts = (st.builds(lambda n, u: f"rate({n} {u})", st.integers(-2, 10**6) | st.text(max_size=3), st.sampled_from(UNITS))
         | st.lists(cron_field, min_size=5, max_size=7).map(lambda f: f"cron({' '.join(f)})")
         | st.text(max_size=30).map(lambda t: f"at({t})") | st.text(max_size=30))


@given(texts)
@example("rate(\u00b2 minutes)")  # a superscript two: str.isdigit() but not int(): ValueError before the fix
@example("cron(0 0 31 2 ? *)")   # February 31st: never
def test_schedule_expressions_parse_or_raise_input_error(text):
    try:
        expression = expressions.parse(text, start=START)
    except InputError as error:
        assert repr(text.strip()) in str(error) or "schedule expression" in str(error)
        return
    after = START + dt.timedelta(days=3)
    following = expression.next_after(after)
    assert following is None or following > after


@given(st.integers(1, 10_000), st.sampled_from([("minute", 60), ("hour", 3600), ("day", 86400)]),
       st.integers(0, 10**7))
def test_rate_fires_every_period_from_its_start(value, unit, offset):
    name, seconds = unit
    expression = expressions.parse(f"rate({value} {name if value == 1 else name + 's'})", start=START)
    after = START + dt.timedelta(seconds=offset)
    following = expression.next_after(after)
    elapsed = (following - START).total_seconds()
    assert elapsed % (value * seconds) == 0 and following > after
    assert (following - after).total_seconds() <= value * seconds


@given(st.integers(0, 59), st.integers(0, 23), st.datetimes(min_value=dt.datetime(2030, 1, 1),
                                                            max_value=dt.datetime(2031, 1, 1)))
def test_daily_cron_fires_at_its_minute_and_hour_within_a_day(minute, hour, after):
    expression = expressions.parse(f"cron({minute} {hour} * * ? *)", start=START)
    after = after.replace(tzinfo=dt.UTC)
    following = expression.next_after(after)
    assert (following.minute, following.hour, following.second) == (minute, hour, 0)
    assert after < following <= after + dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------- patterns
SPEC = EventSpec(None, "Rule", "EventBridgeRule", {}, "template.yaml:1")
scalars = st.text(max_size=8) | st.integers(-1000, 1000)


def load(pattern):
    return EventSources.load_pattern(None, SPEC, pattern)  # the method reads nothing from the instance


def matches(pattern, event) -> bool:
    return load(pattern).matches_event(event)


@given(hs.json_values(6))
@example({"source": [{"numeric": [">", "x"]}]})
@example({"source": [{"prefix": 1}]})
def test_any_json_pattern_loads_or_raises_input_error(pattern):
    try:
        load(pattern)
    except InputError as error:
        assert "invalid event pattern" in str(error) and "template.yaml:1" in str(error)


@given(scalars, scalars, hs.json_objects())
def test_a_value_list_matches_exactly_its_values_and_ignores_other_fields(value, other, rest):
    event = {**rest, "detail": {"kind": value}}
    assert matches({"detail": {"kind": [value]}}, event)
    assert matches({"detail": {"kind": [other]}}, event) == (other == value)


@given(st.lists(scalars, min_size=1, max_size=4), scalars)
def test_an_array_value_matches_when_any_element_does(values, wanted):
    assert matches({"detail": {"tags": [wanted]}}, {"detail": {"tags": values}}) == (wanted in values)


@given(st.text(max_size=6), st.text(max_size=6))
def test_prefix_matches_strings_that_start_with_it(prefix, value):
    assert matches({"source": [{"prefix": prefix}]}, {"source": value}) == value.startswith(prefix)


@given(st.text(max_size=6), st.lists(st.text(max_size=6), min_size=1, max_size=3))
def test_anything_but_matches_every_other_value(value, excluded):
    assert matches({"source": [{"anything-but": excluded}]}, {"source": value}) == (value not in excluded)


@given(st.booleans(), st.booleans())
def test_exists_matches_on_presence(present, wanted):
    event = {"detail": {"amount": 5} if present else {}}
    assert matches({"detail": {"amount": [{"exists": wanted}]}}, event) == (present == wanted)


@given(st.integers(-100, 100), st.integers(-100, 100), st.sampled_from([">", ">=", "<", "<=", "="]))
def test_numeric_matching_compares_numbers(value, bound, operator):
    expected = {">": value > bound, ">=": value >= bound, "<": value < bound, "<=": value <= bound,
                "=": value == bound}[operator]
    assert matches({"detail": {"n": [{"numeric": [operator, bound]}]}}, {"detail": {"n": value}}) == expected


def test_matching_is_case_sensitive():
    assert not matches({"source": ["Orders"]}, {"source": "orders"})
    with pytest.raises(InputError):
        load("{not json")
