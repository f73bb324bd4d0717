"""Clock effects: a container with a skewed clock, and a warm container kept alive so its module-scope values
go stale (seed 001: the movers compute `cutoff` at import time)."""
import datetime


def test_a_skewed_container_reads_its_own_time_from_init_on(simulate):
    rules = [{"match": {"function": "Stamp", "cold": True}, "effect": {"type": "clock_skew", "seconds": -300}}]
    with simulate(rules) as sim:
        stamp = sim.invoke("Stamp", {}).payload
        echo = sim.invoke("Echo", {}).payload
        now = sim.clock.now()
    assert stamp["init"] == now - 300 and stamp["now"] == now - 300
    assert echo["init"] == now  # other containers keep the simulation's time


def test_a_kept_warm_container_serves_a_stale_module_scope_cutoff(simulate):
    rules = [{"match": {"function": "Stamp", "nth": 1}, "effect": {"type": "keep_warm", "seconds": 3 * 86400}}]
    with simulate(rules) as sim:
        first = sim.invoke("Stamp", {})
        sim.advance(2 * 86400)  # the next daily run, two days later
        later = sim.invoke("Stamp", {})
    assert not later.cold and later.container_id == first.container_id
    stale = datetime.datetime.fromisoformat(later.payload["cutoff"])
    fresh = datetime.datetime.fromisoformat(later.payload["fresh_cutoff"])
    assert later.payload["cutoff"] == first.payload["cutoff"] and fresh - stale == datetime.timedelta(days=2)


def test_without_the_fault_the_idle_container_is_reclaimed_and_the_cutoff_is_fresh(simulate):
    with simulate() as sim:
        sim.invoke("Stamp", {})
        sim.advance(2 * 86400)
        later = sim.invoke("Stamp", {})
    assert later.cold and later.payload["cutoff"] == later.payload["fresh_cutoff"]
