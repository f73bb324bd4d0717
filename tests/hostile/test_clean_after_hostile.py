"""After every hostile handler, a clean simulation in the same process gives its usual trace hash."""
from pathlib import Path

from harness import Simulation
from tests.hostile.conftest import TEMPLATE

BASIC = Path(__file__).parents[1] / "harness" / "fixtures" / "basic" / "template.yaml"
HOSTILE = ["ExitZero", "ExitOne", "Keyboard", "OsExit", "Abort", "KillSelf", "SignalHarness", "ExitAtInit", "Spin",
           "SleepForever", "LeakThread", "HugeResponse", "MemoryError"]


def clean_hash() -> str:
    with Simulation(BASIC, seed=5) as sim:
        sim.invoke("Stamp")
        sim.invoke("AlwaysFails", type="Event")
        sim.run_until_idle()
        return sim.trace.hash()


def test_a_clean_simulation_after_every_hostile_handler_has_its_usual_trace_hash():
    usual = clean_hash()
    with Simulation(TEMPLATE, seed=13, watchdog_seconds=0.5) as sim:
        outcomes = {name: sim.invoke(name, {"signal": "SIGINT", "route": "udp_sendto"}).status for name in HOSTILE}
        for route in ("connect_bytes", "subprocess", "proc_environ"):
            assert "refused" in sim.invoke("Escape", {"route": route}).payload
    assert outcomes == {**{name: "error" for name in HOSTILE}, "Spin": "timeout", "SleepForever": "timeout",
                        "LeakThread": "success"}
    assert clean_hash() == usual


def test_a_clean_simulation_after_loops_memory_hogs_and_late_requests_has_its_usual_trace_hash():
    from harness import OverBudget
    usual = clean_hash()
    with Simulation(TEMPLATE, seed=13, budgets={"invocations": 60}) as sim:
        outcomes = {name: sim.invoke(name).status for name in ("TouchingMemoryHog", "SendsAfterTimeout")}
        for loop in ("Recurse", "RecurseAllowed"):
            sim.invoke(loop, type="Event")
            try:
                sim.run_until_idle()
            except OverBudget as exc:
                outcomes[loop] = exc.budget
            else:
                outcomes[loop] = sim.invocations[-1].status
    assert outcomes == {"TouchingMemoryHog": "error", "SendsAfterTimeout": "timeout", "Recurse": "recursive_loop",
                        "RecurseAllowed": "invocations"}
    assert clean_hash() == usual
