"""What judging a run costs: CPU milliseconds per run of one scenario, and how much of it goes to its expectations,
its invariants and `_finish` (trace hash, events, stats), per expectation kind and per invariant. Works on any tree
that has `Expectation.evaluate`, `Invariant.run` and `runner._finish` (it wraps them with thread-CPU timers).

    python bench/judgement.py [SCENARIO] [RUNS]
    python bench/judgement.py [SCENARIO] [RUNS] --baseline main [--rounds 3]   # side by side with git REF

Prints one JSON line; with --baseline, the median of each figure over the rounds for both trees (each round runs
the baseline, then this tree, each in a fresh interpreter, so both share the machine's load). Judging runs on the calling thread while the simulation is idle, so its thread CPU time is
its own cost; the total is the process's CPU time per run (all threads).
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

SCENARIO = "scenarios/messages/send_fails_rolls_back.yaml"


def _timed(owner: object, name: str, bucket: dict, label) -> None:
    """Replace `owner.name` with a wrapper adding its thread CPU time to `bucket[label(args)]`."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            bucket[label(args)] += time.thread_time() - start

    setattr(owner, name, wrapper)


def measure(path: Path, runs: int) -> dict:
    """CPU ms per run, in total and by part of the judgement, over `runs` seeds (after one warm-up run)."""
    from harness.invariants import Invariant
    from harness.runner import Job, run_jobs
    from harness.scenario import runner
    from harness.scenario.expectations import Expectation
    run_jobs([Job(path, seed=0)], workers=1)  # warm: imports, compiled scenario, templates
    expectations: dict[str, float] = defaultdict(float)
    invariants: dict[str, float] = defaultdict(float)
    finish: dict[str, float] = defaultdict(float)
    _timed(Expectation, "evaluate", expectations, lambda args: type(args[0]).kind)
    _timed(Invariant, "run", invariants, lambda args: type(args[0]).name)
    _timed(runner, "_finish", finish, lambda args: "_finish")
    start = time.process_time()
    results = run_jobs([Job(path, seed=seed) for seed in range(1, runs + 1)], workers=1)
    total = (time.process_time() - start) / runs * 1e3

    def per_run(bucket: dict) -> dict:
        return {k: round(v / runs * 1e3, 3) for k, v in sorted(bucket.items(), key=lambda kv: -kv[1])}

    parts = {"expectations": sum(expectations.values()), "invariants": sum(invariants.values()),
             "finish": sum(finish.values())}
    judgement = sum(parts.values()) / runs * 1e3
    return {"scenario": str(path), "runs": runs, "passed": sum(r.status == "passed" for r in results),
            "cpu_ms_per_run": round(total, 2), "judgement_ms_per_run": round(judgement, 3),
            "judgement_share": round(judgement / total, 3), **{k: round(v / runs * 1e3, 3) for k, v in parts.items()},
            "by_expectation": per_run(expectations), "by_invariant": per_run(invariants)}


def side_by_side(path: str, runs: int, ref: str, rounds: int) -> dict:
    """{before, after}: each figure's median over `rounds` alternating runs of the tree at `ref` and this one."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import ROOT, checkout
    trees = {"before": checkout(ref), "after": ROOT}
    samples: dict[str, list[dict]] = {"before": [], "after": []}
    for _ in range(rounds):
        for side, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            done = subprocess.run([sys.executable, __file__, path, str(runs)], cwd=tree, env=env, check=True,
                                  capture_output=True, text=True)
            samples[side].append(json.loads(done.stdout.strip().splitlines()[-1]))
    figures = ("cpu_ms_per_run", "judgement_ms_per_run", "judgement_share", "expectations", "invariants", "finish")
    return {side: {f: statistics.median(s[f] for s in got) for f in figures} for side, got in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", nargs="?", default=SCENARIO)
    parser.add_argument("runs", nargs="?", type=int, default=50)
    parser.add_argument("--baseline", metavar="REF", help="measure the harness at git REF too, alternating")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds with --baseline (default 3)")
    args = parser.parse_args(argv)
    if args.baseline:
        print(json.dumps(side_by_side(args.scenario, args.runs, args.baseline, args.rounds)))
    else:
        print(json.dumps(measure(Path(args.scenario), args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
