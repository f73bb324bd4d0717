"""Runaway handlers: a busy loop is stopped as AWS stops it (its timeout); one that cannot be stopped poisons
the process, which then refuses further simulations with the reason instead of hanging."""
import subprocess
import sys
import textwrap
from pathlib import Path


def test_busy_loop_ends_as_a_timeout_and_the_next_invocation_is_unaffected(hostile):
    result = hostile.invoke("Spin")
    assert result.status == "timeout" and result.error["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 3.00 seconds" in result.error["errorMessage"]
    assert hostile.invoke("ExitOne").error["errorType"] == "Runtime.ExitError"
    assert not any(t.is_alive() for t in _task_threads("Spin"))


def test_sleep_forever_ends_as_a_timeout_in_virtual_time(hostile):
    before = hostile.now
    result = hostile.invoke("SleepForever")
    assert result.status == "timeout" and hostile.now - before == 3


def _task_threads(function):
    import threading
    return [t for t in threading.enumerate() if t.name.startswith("sim-task-") and function in t.name]


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=120, cwd=str(Path(__file__).parents[2]), check=False)


def test_a_loop_that_swallows_every_stop_poisons_the_process_and_later_simulations_refuse():
    out = _python("""
        from harness import Simulation
        from harness.errors import WatchdogTimeout, SimulationError
        T = "tests/hostile/app/template.yaml"
        sim = Simulation(T, seed=1, watchdog_seconds=0.3).start()
        try:
            sim.invoke("SpinSwallowing")
        except WatchdogTimeout as exc:
            print("watchdog:", exc)
        sim.stop()
        try:
            Simulation(T, seed=1).start()
        except SimulationError as exc:
            print("refused:", exc)
    """)
    assert out.returncode == 0, out.stderr
    assert "watchdog: task" in out.stdout
    assert "refused: this process cannot run another simulation: task" in out.stdout
    assert "swallows every exception" in out.stdout
