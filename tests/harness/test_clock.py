"""The virtual clock's patch of time and datetime: what handler modules see, on every simulation start."""
import datetime as _dt
import sys
import time
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.clock import TimePatch, VirtualClock, real_sleep

START = "2030-01-01T00:00:00Z"


@pytest.fixture
def module():
    """A module the way handler code binds time functions: `from time import time` at module scope."""
    made = types.ModuleType("tests_late_time_binding")
    sys.modules[made.__name__] = made
    yield made
    del sys.modules[made.__name__]


def _patch() -> TimePatch:
    return TimePatch(VirtualClock(START), real_sleep, lambda: 0.0)


def test_a_time_function_bound_after_an_earlier_start_reads_virtual_time_on_the_next(module):
    patch = _patch()
    patch.start()  # scans (and remembers) the module without any time binding
    patch.stop()
    module.now = time.time  # bound later, as a module imported since would
    patch.start()
    try:
        assert module.now() == VirtualClock(START).now()
    finally:
        patch.stop()
    assert module.now is time.time


def test_a_module_whose_binding_was_removed_is_not_given_one_back(module):
    module.now = time.time
    patch = _patch()
    patch.start()
    patch.stop()
    del module.now
    module.other = 1  # the same number of names as before
    patch.start()
    try:
        assert not hasattr(module, "now")
    finally:
        patch.stop()


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(0, 1e6), st.floats(-3600, 3600)), max_size=20))
def test_a_datetime_reused_at_one_instant_equals_one_computed_afresh(steps):
    clock = VirtualClock(START)
    for forward, skew in steps:
        for _ in range(2):  # the second read at the same instant is the reused one
            expected = _dt.datetime.fromtimestamp(clock.now() + skew, _dt.UTC).replace(tzinfo=None)
            got = clock.datetime(skew)
            assert (got, type(got)) == (expected, type(expected))
        clock.advance_to(clock.now() + forward)


def test_a_datetime_read_before_freezegun_patched_is_not_reused_after():
    clock = VirtualClock(START)
    plain = clock.datetime()
    patch = TimePatch(clock, real_sleep, lambda: 0.0)
    patch.start()
    try:
        patched = clock.datetime()
        assert type(patched) is _dt.datetime and type(patched) is not type(plain)  # freezegun's class now
    finally:
        patch.stop()
    assert type(clock.datetime()) is type(plain) and clock.datetime() == plain


def _freezeguns_seconds(moment: _dt.datetime) -> float:
    """What freezegun's own fake time.time() computes from its factory's datetime."""
    import calendar
    return calendar.timegm(moment.timetuple()) + moment.microsecond / 1000000.0


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(0, 1e7), st.floats(-3600, 3600)), min_size=1, max_size=10))
def test_time_read_under_the_virtual_clock_is_what_freezeguns_conversion_gives(steps):
    clock = VirtualClock(START)
    skew = [0.0]
    patch = TimePatch(clock, real_sleep, lambda: skew[0])
    patch.start()
    try:
        for forward, step_skew in steps:
            skew[0] = step_skew
            expected = _freezeguns_seconds(clock.datetime(step_skew))
            for _ in range(2):  # the second read at the same instant gives the remembered seconds
                assert (time.time(), time.monotonic(), time.perf_counter()) == (expected,) * 3
                assert time.time_ns() == int(expected * 1e9)
            clock.advance_to(clock.now() + forward)
    finally:
        patch.stop()


def _read_time() -> float:
    return time.time()


def test_freezeguns_own_freezes_and_ignore_lists_still_decide_what_time_reads():
    import freezegun
    caller = types.ModuleType("an_ignored_caller")
    caller.time = time
    read_there = types.FunctionType(_read_time.__code__, vars(caller))  # time read from code of an ignored module
    with freezegun.freeze_time("2031-05-06 07:08:09.25", ignore=["an_ignored_caller"]):
        assert _read_time() == _freezeguns_seconds(_dt.datetime(2031, 5, 6, 7, 8, 9, 250000))
        assert abs(read_there() - freezegun.api.real_time()) < 60
    with freezegun.freeze_time("2031-05-06", tick=True):  # a new datetime on every read
        reads = [time.time() for _ in range(2000)]
        assert _freezeguns_seconds(_dt.datetime(2031, 5, 6)) <= reads[0]
        assert reads == sorted(reads) and len(set(reads)) > 1
