"""Each fast path of the harness on and off, alternating in one process (so both share the machine's load), with
the best of several rounds: `python bench/fast_paths.py [--rounds N]`. Complements `bench/run.py --baseline`,
whose fresh interpreters per figure are at the mercy of a busy machine. See docs/performance.md."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
BASIC = ROOT / "tests" / "harness" / "fixtures" / "basic" / "template.yaml"
STALLED = ROOT / "scenarios" / "replies" / "reply_sender_crashes_stalled_lock_reset.yaml"
LIBRARY = ROOT / "scenarios" / "messages" / "send_fails_rolls_back.yaml"


@contextlib.contextmanager
def fast_paths(on: bool) -> Iterator[None]:
    """Every fast path on (as shipped) or off (the harness as it was before them)."""
    import freezegun.api

    from harness import clock, template
    from harness.scheduler import Scheduler
    real_load = template.load_template

    def uncached(*args, **kwargs):
        template._LOADED.clear()
        return real_load(*args, **kwargs)
    if not on:
        Scheduler.pass_baton_directly = False
        freezegun.api._get_cached_module_attributes = clock._freezegun_cached_attributes
        template.load_template = uncached
    try:
        yield
    finally:
        Scheduler.pass_baton_directly = True
        freezegun.api._get_cached_module_attributes = clock._cached_time_attributes
        template.load_template = real_load


def _wall() -> Callable[[], float]:
    from harness.clock import real_perf_counter
    return real_perf_counter


def retry_heavy() -> float:
    """Virtual seconds per wall second: 30 failing async events, their retries and DLQ deliveries."""
    from harness import Simulation
    with Simulation(BASIC, seed=1) as sim:
        start = _wall()()
        for i in range(30):
            sim.invoke("AlwaysFails", {"n": i}, type="Event")
            sim.advance(7)
        sim.run_until_idle()
        return sim.now / (_wall()() - start)


def invoke_noop(n: int = 300) -> float:
    """Microseconds per warm invoke of a no-op handler."""
    from harness import Simulation
    with Simulation(BASIC, seed=1) as sim:
        sim.invoke("Stamp")
        start = _wall()()
        for _ in range(n):
            sim.invoke("Stamp")
        return (_wall()() - start) / n * 1e6


def invoke_3calls(n: int = 60) -> float:
    """Milliseconds per warm invoke of a handler making 3 SQS calls."""
    from harness import Simulation
    with Simulation(BASIC, seed=1) as sim:
        sim.invoke("Writer", {"name": "x", "steps": 3})
        start = _wall()()
        for _ in range(n):
            sim.invoke("Writer", {"name": "x", "steps": 3})
        return (_wall()() - start) / n * 1e3


def scenario(path: Path) -> Callable[[], float]:
    """Milliseconds of one whole run (load, start, deploy, steps, judging) of a library scenario."""
    def run() -> float:
        from harness.scenario import load_scenario, run_scenario
        start = _wall()()
        result = run_scenario(load_scenario(path))
        assert result.passed, result.report()
        return (_wall()() - start) * 1e3
    run.__doc__ = f"milliseconds per run of {path.relative_to(ROOT)} (whole run)"
    return run


FIGURES: dict[str, tuple[Callable[[], float], bool]] = {  # name: (measure, higher is better)
    "retry_heavy compression (x)": (retry_heavy, True),
    "warm no-op invoke (µs)": (invoke_noop, False),
    "warm invoke with 3 SQS calls (ms)": (invoke_3calls, False),
    "stalled-lock scenario run (ms)": (scenario(STALLED), False),
    "send_fails_rolls_back run (ms)": (scenario(LIBRARY), False),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    for name, (measure, higher) in FIGURES.items():
        measure()  # warm: imports, moto backends, the first cold container
        samples: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.rounds):
            for on in (False, True):
                with fast_paths(on):
                    samples[on].append(measure())
        best = {on: (max if higher else min)(values) for on, values in samples.items()}
        print(f"{name:38s} off {best[False]:12,.1f}   on {best[True]:12,.1f}   on/off {best[True] / best[False]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
