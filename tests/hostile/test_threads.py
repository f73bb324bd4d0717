"""Threads a handler starts belong to its execution environment: sealed in while they run, frozen while it is,
stopped when the simulation ends; one that cannot be stopped fails the run and poisons the process."""
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from harness import Simulation
from tests.hostile.conftest import TEMPLATE

ROOT = Path(__file__).parents[2]


def test_a_leaked_thread_is_sealed_in_owned_by_its_container_and_stopped_with_the_simulation():
    with Simulation(TEMPLATE, seed=3, watchdog_seconds=0.5) as sim:
        assert sim.invoke("LeakThread").payload == "started"
        [container] = sim.runtime.containers("LeakThread")
        [record] = container.threads
        assert record.thread.name == "leaky" and record.thread.is_alive()
        sim.invoke("LeakThread")  # runs again in the same environment: the thread may run meanwhile
        leaked = sys.modules.get("hostile")
    assert not record.thread.is_alive()  # stopped before the outer environment came back
    results = (leaked or container.modules["hostile"]).LEAKED
    assert results and set(results) == {"RefusedConnection"}  # never connected while it lived


def test_a_thread_blocked_forever_in_c_fails_the_run_by_name_and_the_process_refuses_more():
    code = textwrap.dedent(f"""
        from harness import Simulation
        from harness.errors import SimulationError
        sim = Simulation({str(TEMPLATE)!r}, seed=1).start()
        sim.invoke("LeakBlockingThread")
        try:
            sim.stop()
        except SimulationError as exc:
            print("stop:", exc)
        try:
            Simulation({str(TEMPLATE)!r}, seed=1).start()
        except SimulationError as exc:
            print("refused:", exc)
        from harness.sandbox import exits
        exits.REAL_EXIT(0)  # the stuck non-daemon thread would keep a normal exit waiting forever
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "stop: handler thread(s) 'stuck-in-c' (started by" in done.stdout
    assert "blocks outside Python" in done.stdout
    assert "refused: this process cannot run another simulation: handler thread(s) 'stuck-in-c'" in done.stdout


def test_no_handler_thread_survives_the_hostile_suite_module(hostile):
    hostile.invoke("ExitZero")
    assert not [t for t in threading.enumerate() if t.name in ("leaky",)]
