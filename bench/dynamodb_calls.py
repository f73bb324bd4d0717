"""moto's DynamoDB fast paths (harness/aws/dynamodb_fast.py) on and off, alternating batch by batch in one process so
both share the machine's load: CPU per scenario run of one scenario per system, and moto's CPU per DynamoDB call by
operation (thread CPU inside moto's `DynamoHandler.call_action`: parsing the request, the model, serializing the
answer). `python bench/dynamodb_calls.py [--rounds N] [--runs N]`. "Off" is moto with the harness's other fast paths
(moto_dispatch, moto_dynamodb) as they were before dynamodb_fast. See docs/performance.md."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
SCENARIOS = {"messages": "scenarios/messages/send_fails_rolls_back.yaml",
             "twin": "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
             "replies": "scenarios/replies/email_message_queued_json_success.yaml",
             "earnings": "scenarios/earnings/event_marks_record_processed_with_one_audit_entry.yaml"}
CALLS: dict[str, list[int]] = defaultdict(list)  # "on UpdateItem" -> thread CPU ns of each call


@contextlib.contextmanager
def dynamodb_paths(on: bool) -> Iterator[None]:
    """dynamodb_fast in place (as shipped) or out (each simulation's start would put it back: not while off)."""
    from harness.aws import dynamodb_fast
    install = dynamodb_fast.install
    if not on:
        dynamodb_fast.uninstall()
        dynamodb_fast.install = lambda: None
    try:
        yield
    finally:
        dynamodb_fast.install = install


def timed_calls(mode: list[str]) -> None:
    """Record the thread CPU of every DynamoDB call moto answers, by operation, under the current `mode[0]`."""
    from moto.dynamodb.responses import DynamoHandler
    call_action = DynamoHandler.call_action

    def timed(handler):
        action = handler._get_action()
        start = time.thread_time_ns()
        try:
            return call_action(handler)
        finally:
            CALLS[f"{mode[0]} {action}"].append(time.thread_time_ns() - start)
    DynamoHandler.call_action = timed


def scenario_cpu(path: str, runs: int) -> float:
    """Milliseconds of process CPU per run of a library scenario (serially, warm)."""
    from harness.runner import Job, run_jobs
    start = time.process_time()
    run_jobs([Job(ROOT / path, seed=seed) for seed in range(1, runs + 1)], workers=1)
    return (time.process_time() - start) / runs * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    mode = ["warm"]
    timed_calls(mode)
    for path in SCENARIOS.values():  # warm: imports, templates, handler bytecode, kept expression texts
        scenario_cpu(path, 2)
    per_run: dict[str, dict[str, list[float]]] = {name: {"off": [], "on": []} for name in SCENARIOS}
    for _ in range(args.rounds):
        for key in ("off", "on"):
            mode[0] = key
            with dynamodb_paths(key == "on"):
                for name, path in SCENARIOS.items():
                    per_run[name][key].append(scenario_cpu(path, args.runs))
    out: dict = {"runs": {}, "calls": {}}
    for name, values in per_run.items():
        off, on = statistics.median(values["off"]), statistics.median(values["on"])
        out["runs"][name] = {"off": off, "on": on, "best_off": min(values["off"]), "best_on": min(values["on"])}
        print(f"{name:9s} CPU ms per run (median / best of {args.rounds}): off {off:6.1f} / {min(values['off']):6.1f}"
              f"   on {on:6.1f} / {min(values['on']):6.1f}   on/off {on / off:.2f}")
    for action in sorted({key.split(" ", 1)[1] for key in CALLS if not key.startswith("warm")}):
        off, on = CALLS.get(f"off {action}", []), CALLS.get(f"on {action}", [])
        if off and on:
            off_us, on_us = statistics.median(off) / 1e3, statistics.median(on) / 1e3
            out["calls"][action] = {"off_us": off_us, "on_us": on_us, "calls": len(on)}
            print(f"{action:20s} moto CPU per call (median of {len(on)}): off {off_us:7.0f} us   on {on_us:7.0f} us"
                  f"   on/off {on_us / off_us:.2f}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
