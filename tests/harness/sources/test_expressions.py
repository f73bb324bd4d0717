"""Schedule expressions: rate(), AWS's 6-field cron() with ? L W #, and at()."""
import datetime as dt

import pytest

from harness import InputError
from harness.sources.expressions import parse

UTC = dt.UTC
START = dt.datetime(2030, 1, 1, tzinfo=UTC)  # a Tuesday


def fires(expression, count=4, after=START, **kwargs):
    schedule = parse(expression, start=START, **kwargs)
    out = []
    for _ in range(count):
        after = schedule.next_after(after)
        if after is None:
            break
        out.append(after)
    return out


def test_rate_counts_periods_from_the_start():
    assert fires("rate(5 minutes)", 3) == [START + dt.timedelta(minutes=m) for m in (5, 10, 15)]
    assert fires("rate(1 day)", 1) == [START + dt.timedelta(days=1)]


@pytest.mark.parametrize("text, fix", [("rate(1 minutes)", "rate(1 minute)"), ("rate(5 minute)", "rate(5 minutes)")])
def test_rate_unit_must_agree_with_the_value(text, fix):
    with pytest.raises(InputError, match=fr"use {fix.replace('(', '.').replace(')', '.')}"):
        parse(text, start=START)


def test_cron_every_weekday_at_noon():
    assert [d.isoformat() for d in fires("cron(0 12 ? * MON-FRI *)", 4)] == [
        "2030-01-01T12:00:00+00:00", "2030-01-02T12:00:00+00:00", "2030-01-03T12:00:00+00:00",
        "2030-01-04T12:00:00+00:00"]


def test_cron_increments_and_lists():
    assert [d.minute for d in fires("cron(0/15 * * * ? *)", 5)] == [15, 30, 45, 0, 15]
    assert [d.hour for d in fires("cron(0 8,17 * * ? *)", 3)] == [8, 17, 8]


def test_cron_last_day_of_month_and_nearest_weekday():
    assert [d.date().isoformat() for d in fires("cron(0 0 L * ? *)", 3)] == ["2030-01-31", "2030-02-28",
                                                                            "2030-03-31"]
    # 2030-06-15 is a Saturday: 15W fires on Friday the 14th
    assert fires("cron(0 0 15W 6 ? 2030)", 1)[0].date().isoformat() == "2030-06-14"


def test_cron_nth_and_last_weekday_of_month():
    assert fires("cron(0 10 ? * 2#1 *)", 1)[0].date().isoformat() == "2030-01-07"  # first Monday
    assert fires("cron(0 10 ? * 6L *)", 1)[0].date().isoformat() == "2030-01-25"  # last Friday


def test_cron_year_field_and_a_schedule_that_never_fires_again():
    assert fires("cron(0 0 1 1 ? 2031)", 2) == [dt.datetime(2031, 1, 1, tzinfo=UTC)]


def test_cron_with_a_time_zone():
    (first,) = fires("cron(0 9 * * ? *)", 1, timezone="Europe/Paris")
    assert first == dt.datetime(2030, 1, 1, 8, tzinfo=UTC)


def test_at_fires_once():
    assert fires("at(2030-01-02T03:04:05)", 3) == [dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)]


@pytest.mark.parametrize("text, message", [
    ("every 5 minutes", "is not rate"),
    ("cron(0 12 * * *)", "6 fields"),
    ("cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"),
    ("cron(61 12 * * ? *)", "'61' is not a valid value"),
    ("cron(0 12 ? * FUNDAY *)", "'FUNDAY' is not a valid value"),
    ("rate(5 fortnights)", "unit 'fortnights'"),
])
def test_bad_expressions_explain_themselves(text, message):
    with pytest.raises(InputError, match=message):
        parse(text, start=START)


def test_unknown_time_zone():
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        parse("cron(0 9 * * ? *)", start=START, timezone="Mars/Olympus")
