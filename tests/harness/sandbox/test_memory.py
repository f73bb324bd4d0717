"""The memory gauge reads the process's peak resident set (from whichever thread asks), so growth made by any
thread during an invocation's step counts, as the kernel's high-water mark counts it."""
import resource
import threading

import pytest

from harness.sandbox.memory import Gauge


@pytest.fixture
def gauge():
    gauge = Gauge()
    if not gauge.available:
        pytest.skip("no /proc/self/clear_refs here: nothing is measured")
    yield gauge
    gauge.close()


def _process_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _in_a_thread(work):
    done = []
    thread = threading.Thread(target=lambda: done.append(work()))
    thread.start()
    thread.join()
    return done[0]


def test_a_step_starting_in_any_thread_notes_the_processes_peak(gauge):
    def start():
        meta = {"memory_limit_kb": 10**9}
        before = _process_peak()
        gauge.start(meta)
        return before, meta["rss_kb"], _process_peak()

    for before, noted, after in (start(), _in_a_thread(start)):
        assert before <= noted <= after


def test_growth_another_thread_makes_during_a_step_is_the_steps(gauge):
    meta = {"memory_limit_kb": 10**9}
    gauge.start(meta)
    _in_a_thread(lambda: bytearray(48 * 1024 * 1024).__setitem__(slice(None, None, 4096), b"x" * (12 * 1024)))
    gauge.settle(meta)
    assert meta["memory_peak_kb"] >= 40 * 1024
