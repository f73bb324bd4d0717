"""The virtual clock's patch of time and datetime: what handler modules see, on every simulation start."""
import sys
import time
import types

import pytest

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
