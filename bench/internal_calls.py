"""The harness's own AWS work on and off, alternating in one process (both share the machine's load): CPU per
scenario run and for the retry-heavy run, the best of several rounds. `python bench/internal_calls.py [--rounds N]`.
"On" is the harness as shipped: its own calls answered from moto's models (harness/aws/direct.py), judging reads
each table once from moto's models (State.settled), moto's callbacks built once (harness/aws/backend.py); "off" is
the harness as it was before them. See docs/performance.md."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
BASIC = ROOT / "tests" / "harness" / "fixtures" / "basic" / "template.yaml"
SCENARIOS = {"messages": "scenarios/messages/send_fails_rolls_back.yaml",
             "twin": "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
             "replies": "scenarios/replies/email_message_queued_json_success.yaml"}


@contextlib.contextmanager
def internal_paths(on: bool) -> Iterator[None]:
    """Every path of the harness's own AWS work on (as shipped) or off (through botocore, each read per check)."""
    from harness.aws import backend, direct
    from harness.scenario.state import State
    saved = direct.enabled, backend.reused_callbacks, State.settled
    if not on:
        direct.enabled = False
        backend.reused_callbacks = contextlib.nullcontext
        State.settled = lambda self: contextlib.nullcontext()
    try:
        yield
    finally:
        direct.enabled, backend.reused_callbacks, State.settled = saved


def scenario_cpu(path: str, runs: int = 10) -> float:
    """Milliseconds of process CPU per run of a library scenario (serially, warm)."""
    from harness.runner import Job, run_jobs
    start = time.process_time()
    run_jobs([Job(ROOT / path, seed=seed) for seed in range(1, runs + 1)], workers=1)
    return (time.process_time() - start) / runs * 1000


def retry_heavy_cpu() -> float:
    """Milliseconds of process CPU of 30 failing async events, their retries and DLQ/destination deliveries."""
    from harness import Simulation
    with Simulation(BASIC, seed=1) as sim:
        start = time.process_time()
        for i in range(30):
            sim.invoke("AlwaysFails", {"n": i}, type="Event")
            sim.advance(7)
        sim.run_until_idle()
        return (time.process_time() - start) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    figures = {**{name: (lambda path=path: scenario_cpu(path)) for name, path in SCENARIOS.items()},
               "retry_heavy": retry_heavy_cpu}
    for figure in figures.values():  # warm: imports, templates, handler bytecode
        figure()
    best: dict[str, dict[str, float]] = {name: {} for name in figures}
    for _ in range(args.rounds):
        for on in (False, True):
            with internal_paths(on):
                for name, figure in figures.items():
                    key = "on" if on else "off"
                    best[name][key] = min(best[name].get(key, float("inf")), figure())
    for name, values in best.items():
        print(f"{name:12s} CPU ms: off {values['off']:7.1f}  on {values['on']:7.1f}  "
              f"on/off {values['on'] / values['off']:.2f}")
    print(json.dumps(best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
