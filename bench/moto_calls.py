"""moto's CPU per AWS operation, this tree against the harness at a git ref, side by side: each tree runs library
scenarios in a fresh interpreter (rounds alternate the trees, so both share the machine's load) and times, with the
calling thread's CPU, every request moto answers for handler code (`moto_dispatch.process_request`: normalizing,
parsing, the model, serializing) and every harness call answered from moto's models (`direct.answer`).

    python bench/moto_calls.py --baseline c4f34f3                     # the default scenarios
    python bench/moto_calls.py --baseline main --rounds 3 --runs 10 scenarios/replies/sms_emergency_unlock_fails_stalled_reset_releases.yaml

Prints, per operation, the calls per run and the median CPU per call in each tree, and each scenario's CPU per run
(median of the rounds). See docs/performance.md ("moto answering, fifth wave").
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCENARIOS = [
    "scenarios/messages/send_fails_rolls_back.yaml",
    "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
    "scenarios/replies/email_message_queued_json_success.yaml",
    "scenarios/earnings/event_marks_record_processed_with_one_audit_entry.yaml",
    "scenarios/replies/sms_emergency_unlock_fails_stalled_reset_releases.yaml",
]


def child(scenarios: list[str], runs: int) -> dict:
    """In a fresh interpreter of one tree: per-operation thread CPU (ns) and CPU per run of each scenario."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from harness.aws import direct, moto_dispatch
    from harness.runner import Job, run_jobs
    calls: dict[str, list[int]] = defaultdict(list)
    answer_api, answer_direct = moto_dispatch.process_request, direct.answer

    def operation(request) -> str:
        target = request.headers.get("X-Amz-Target")
        if target is not None:
            return (target.decode() if isinstance(target, bytes) else target).split(".")[-1]
        return f"{request.method} {request.url.split('?')[0].split('/', 3)[-1][:20] or '/'}"

    def timed_api(request):
        start = time.thread_time_ns()
        try:
            return answer_api(request)
        finally:
            calls[operation(request)].append(time.thread_time_ns() - start)

    def timed_direct(client, method, params):
        start = time.thread_time_ns()
        try:
            return answer_direct(client, method, params)
        finally:
            calls[f"direct {method}"].append(time.thread_time_ns() - start)

    moto_dispatch.process_request, direct.answer = timed_api, timed_direct
    for scenario in scenarios:  # imports, templates, handler bytecode, kept expression texts and shapes
        run_jobs([Job(Path(scenario), seed=0), Job(Path(scenario), seed=0)], workers=1)
    calls.clear()
    cpu = {}
    for scenario in scenarios:
        start = time.process_time()
        run_jobs([Job(Path(scenario), seed=seed) for seed in range(1, runs + 1)], workers=1)
        cpu[scenario] = (time.process_time() - start) / runs * 1000
    return {"calls": calls, "cpu": cpu, "runs": runs * len(scenarios)}


def measure(tree: Path, scenarios: list[str], runs: int) -> dict:
    """`child` run in a fresh interpreter of `tree`."""
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", "--runs", str(runs), *scenarios],
                         cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"{tree}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", default=DEFAULT_SCENARIOS)
    parser.add_argument("--baseline", metavar="REF", required="--child" not in (argv or sys.argv))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.scenarios, args.runs)))
        return 0
    sys.path.insert(0, str(ROOT / "bench"))
    from run import checkout
    trees = {"before": checkout(args.baseline), "after": ROOT}
    calls: dict[str, dict[str, list[int]]] = {label: defaultdict(list) for label in trees}
    cpu: dict[str, dict[str, list[float]]] = {label: defaultdict(list) for label in trees}
    runs = {label: 0 for label in trees}
    for _ in range(args.rounds):
        for label, tree in trees.items():
            result = measure(tree, args.scenarios, args.runs)
            for op, values in result["calls"].items():
                calls[label][op].extend(values)
            for scenario, value in result["cpu"].items():
                cpu[label][scenario].append(value)
            runs[label] += result["runs"]
    print(f"{'operation':32}{'calls/run':>10}{'before us':>11}{'after us':>10}{'after/before':>14}")
    for op in sorted(calls["after"], key=lambda o: -sum(calls["after"][o])):
        before, after = calls["before"].get(op), calls["after"][op]
        if not before:
            continue
        b, a = statistics.median(before) / 1e3, statistics.median(after) / 1e3
        print(f"{op:32}{len(after) / runs['after']:10.2f}{b:11.0f}{a:10.0f}{a / b:14.2f}")
    for label in trees:
        total = sum(sum(values) for values in calls[label].values()) / runs[label] / 1e6
        print(f"moto CPU per run, all operations ({label}): {total:.2f} ms")
    for scenario in args.scenarios:
        b, a = statistics.median(cpu["before"][scenario]), statistics.median(cpu["after"][scenario])
        print(f"{scenario:90} CPU ms/run {b:6.1f} -> {a:6.1f}  ({a / b:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
