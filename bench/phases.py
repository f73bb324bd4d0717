"""CPU milliseconds per run of library scenarios spent creating, starting (deploy included), deploying and stopping
the simulation, and in the whole run, with the start and stop fast paths of issue 14's third wave on and off,
alternating in one process (both share the machine's load): `python bench/phases.py [--rounds N] [--runs N]`.

"On" is the harness as shipped. "Off" is the harness as it was before them: moto's own mock start and stop (its
reset rebuilds every regional backend and drops each service's per-account dict; its callbacks added one by
one), the deployer's CreateBucket and the secrets calls through botocore, SAM's implicit resources worked out per
resource, and a queue's messages in moto's plain list. The median of the rounds is printed. See
docs/performance.md ("Start, deploy and stop").
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
SCENARIOS = {"messages": "scenarios/messages/send_fails_rolls_back.yaml",
             "twin": "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
             "replies": "scenarios/replies/email_message_queued_json_success.yaml"}
PHASES = {"__init__": "create", "start": "start (deploy included)", "_deploy": "deploy", "stop": "stop"}
SPENT: dict[str, float] = dict.fromkeys(PHASES, 0.0)
DIRECT_CALLS = [("s3", "create_bucket"), ("secrets-manager", "create_secret"),
                ("secrets-manager", "put_secret_value")]


def _timed(name: str) -> None:
    from harness import simulation
    original = getattr(simulation.Simulation, name)

    @functools.wraps(original)
    def measured(self, *args, **kwargs):
        start = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            SPENT[name] += time.process_time() - start
    setattr(simulation.Simulation, name, measured)


@contextlib.contextmanager
def start_paths(on: bool) -> Iterator[None]:
    """This wave's start and stop paths on (as shipped) or off (as before them)."""
    from moto.sqs.models import Message, Queue

    from harness.aws import backend, direct, sqs_store
    from harness.aws.deploy import Deployer
    if on:
        yield
        return
    saved = (backend.kept_accounts, backend.registered_once, Deployer.deploy_all,
             {key: direct.DIRECT.pop(key) for key in DIRECT_CALLS}, Queue.__dict__["_messages"])

    def deploy_all(self) -> None:  # SAM's implicit resources per resource and reference, as before
        for logical_id in self.template.resources:
            self.attributes(logical_id)
    backend.kept_accounts = backend.registered_once = lambda on=True: contextlib.nullcontext()
    Deployer.deploy_all = deploy_all
    del Queue._messages, Message.visible_at, Message.delayed_until  # moto's plain list for new queues
    try:
        yield
    finally:
        backend.kept_accounts, backend.registered_once, Deployer.deploy_all, calls, store = saved
        direct.DIRECT.update(calls)
        Queue._messages = store
        for name in sqs_store.TIMERS:
            setattr(Message, name, sqs_store.timer(name))


def scenario(path: str, runs: int, spent: dict[str, float] = SPENT) -> dict[str, float]:
    """CPU ms per run: the whole run and each phase (what the timed phases add to `spent`, zeroed first)."""
    from harness.runner import Job, run_jobs
    spent.update(dict.fromkeys(spent, 0.0))
    start = time.process_time()
    results = run_jobs([Job(ROOT / path, seed=seed) for seed in range(1, runs + 1)], workers=1)
    total = time.process_time() - start
    if any(r.status != "passed" for r in results):
        raise SystemExit(f"{path}: {[r.status for r in results]}")
    return {"run": total / runs * 1e3, **{name: cpu / runs * 1e3 for name, cpu in spent.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args(argv)
    from harness.aws import moto_sqs
    moto_sqs.install()
    for name in PHASES:
        _timed(name)
    for path in SCENARIOS.values():  # warm: imports, templates, handler bytecode, moto's first start
        for on in (False, True):
            with start_paths(on):
                scenario(path, 2)
    samples: dict[tuple[str, bool], list[dict[str, float]]] = {}
    for _ in range(args.rounds):
        for on in (False, True):
            with start_paths(on):
                for system, path in SCENARIOS.items():
                    samples.setdefault((system, on), []).append(scenario(path, args.runs))
    for system in SCENARIOS:
        print(system)
        for key, title in [("run", "whole run"), *PHASES.items()]:
            off, on = (statistics.median(s[key] for s in samples[(system, flag)]) for flag in (False, True))
            print(f"  {title:<25} off {off:6.2f}   on {on:6.2f} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
