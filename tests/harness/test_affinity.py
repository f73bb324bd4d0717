"""A running simulation keeps its threads on one core (harness/affinity.py): where threads run changes, never
what runs, and every thread gets its cores back at stop."""
import os
import threading

import pytest

from harness import Simulation, affinity
from harness.scheduler import pooled_threads

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                                reason="needs sched_setaffinity and at least two cores to choose from")


@pytest.fixture(autouse=True)
def pinning_on(monkeypatch):
    """On here whatever the environment says (`make test` turns it off for the rest of the unit tests)."""
    monkeypatch.setenv("HARNESS_PIN_CORE", "1")


def _cores(thread: threading.Thread | None = None) -> set[int]:
    return os.sched_getaffinity(0 if thread is None else thread.native_id)


def test_a_running_simulation_keeps_its_driver_and_task_threads_on_one_core(basic_template):
    before = _cores()
    with Simulation(basic_template, seed=1) as sim:
        sim.invoke("Stamp", {})
        held = _cores()
        assert len(held) == 1
        assert pooled_threads() and all(_cores(t) == held for t in pooled_threads())
    assert _cores() == before
    assert all(_cores(t) == before for t in pooled_threads())


def test_the_same_seed_gives_the_same_trace_with_threads_pinned_or_free(basic_template, monkeypatch):
    def trace_hash() -> str:
        with Simulation(basic_template, seed=3) as sim:
            for n in range(3):
                sim.invoke("Stamp", {"n": n}, type="Event")
            sim.run_until_idle()
            return sim.trace.hash()

    pinned = trace_hash()
    monkeypatch.setenv("HARNESS_PIN_CORE", "0")
    assert trace_hash() == pinned


def test_harness_pin_core_0_leaves_the_threads_where_they_may_run(basic_template, monkeypatch):
    monkeypatch.setenv("HARNESS_PIN_CORE", "0")
    before = _cores()
    with Simulation(basic_template, seed=1) as sim:
        sim.invoke("Stamp", {})
        assert _cores() == before


def test_a_runner_worker_s_preferred_core_is_the_one_its_simulations_use(basic_template, monkeypatch):
    cores = sorted(_cores())
    monkeypatch.setattr(affinity, "_preferred", None)
    affinity.prefer(len(cores) + 1)  # modulo the cores this process may use
    with Simulation(basic_template, seed=1) as sim:
        sim.invoke("Stamp", {})
        assert _cores() == {cores[1]}
