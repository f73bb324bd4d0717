"""The harness's own AWS work on and off, alternating in one process (both share the machine's load): CPU per
scenario run and for the retry-heavy run, the best of several rounds. `python bench/internal_calls.py [--rounds N]`.
"On" is the harness as shipped: its own calls answered from moto's models (harness/aws/direct.py), judging reads
each table once from moto's models (State.settled), moto's callbacks built once (harness/aws/backend.py); "off" is
the harness as it was before them. `--sixth` compares only the sixth wave's paths, on and off, on the library's
slowest time-heavy scenarios and the messages run: GetSecretValue and the DynamoDB reads answered directly,
botocore's parameter verdicts kept, one clock reading per SQS poll (CPU per run, median of the rounds, and the
harness's own calls still made through botocore per run). See docs/performance.md."""
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


SIXTH = {"sms_emergency": "scenarios/replies/sms_emergency_unlock_fails_stalled_reset_releases.yaml",
         "sms_final": "scenarios/replies/sms_final_unlock_fails_after_send_no_second_reply_stalled_reset.yaml",
         "retry_storm": "scenarios/incidents/replies_twilio_unsubscribed_retry_storm/"
                        "replies_twilio_unsubscribed_retry_storm.yaml",
         "messages": "scenarios/messages/send_fails_rolls_back.yaml"}
SIXTH_CALLS = [("secrets-manager", "get_secret_value"), ("dynamodb", "get_item"), ("dynamodb", "scan"),
               ("dynamodb", "query"), ("dynamodb", "describe_table")]


@contextlib.contextmanager
def sixth_wave_paths(on: bool) -> Iterator[None]:
    """The sixth wave's paths on (as shipped) or off (those reads through botocore, every parameter check made,
    every question of a poll reading the clock)."""
    from harness.aws import direct
    from harness.sources.sqs import SqsMapping
    if on:
        yield
        return
    calls = {key: direct.DIRECT.pop(key) for key in SIXTH_CALLS}
    valid = direct._valid

    def every_time(client, operation, params):
        from botocore.validate import ParamValidator
        shape = client.meta.service_model.operation_model(operation).input_shape
        return not ParamValidator().validate(params, shape).has_errors()
    direct._valid, SqsMapping.one_clock_reading = every_time, False
    try:
        yield
    finally:
        direct.DIRECT.update(calls)
        direct._valid, SqsMapping.one_clock_reading = valid, True


def botocore_calls(path: str) -> int:
    """The harness's own calls made through botocore in one run of a library scenario."""
    from harness.aws import router
    from harness.runner import Job, run_jobs
    counted = [0]
    handle = router.Router.handle

    def counting(self, request, event_name):
        counted[0] += router.is_internal()
        return handle(self, request, event_name)
    router.Router.handle = counting
    try:
        run_jobs([Job(ROOT / path, seed=1)], workers=1)
    finally:
        router.Router.handle = handle
    return counted[0]


def sixth(rounds: int, runs: int) -> int:
    """The sixth wave's paths on and off, alternating in one process."""
    import statistics
    for path in SIXTH.values():  # warm: imports, templates, handler bytecode
        scenario_cpu(path, 2)
    cpu: dict[tuple[str, bool], list[float]] = {}
    for _ in range(rounds):
        for on in (False, True):
            with sixth_wave_paths(on):
                for name, path in SIXTH.items():
                    cpu.setdefault((name, on), []).append(scenario_cpu(path, runs))
    out = {}
    for name, path in SIXTH.items():
        calls = {}
        for on in (False, True):
            with sixth_wave_paths(on):
                calls[on] = botocore_calls(path)
        off, on = statistics.median(cpu[(name, False)]), statistics.median(cpu[(name, True)])
        out[name] = {"off_ms": round(off, 2), "on_ms": round(on, 2), "botocore_calls_off": calls[False],
                     "botocore_calls_on": calls[True]}
        print(f"{name:14s} CPU ms per run: off {off:7.2f}  on {on:7.2f}  on/off {on / off:.3f}   harness calls "
              f"through botocore per run: off {calls[False]}  on {calls[True]}")
    print(json.dumps(out))
    return 0


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
    parser.add_argument("--sixth", action="store_true", help="the sixth wave's paths only, on the time-heavy runs")
    parser.add_argument("--runs", type=int, default=10, help="runs per scenario and round (--sixth)")
    args = parser.parse_args(argv)
    if args.sixth:
        return sixth(args.rounds, args.runs)
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
