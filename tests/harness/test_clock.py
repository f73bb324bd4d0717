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
