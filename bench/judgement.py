"""What judging a run costs: CPU milliseconds per run of one scenario, and how much of it goes to its expectations,
its invariants and `_finish` (trace hash, events, stats), per expectation kind and per invariant. Works on any tree
that has `Expectation.evaluate`, `Invariant.run` and `runner._finish` (it wraps them with thread-CPU timers).

    python bench/judgement.py [SCENARIO] [RUNS]
    PYTHONPATH=/path/to/other/tree python bench/judgement.py ...   # the same figure for another tree

Prints one JSON line. Judging runs on the calling thread while the simulation is idle, so its thread CPU time is
its own cost; the total is the process's CPU time per run (all threads).
"""
from __future__ import annotations

import json
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else SCENARIO)
    print(json.dumps(measure(path, int(args[1]) if len(args) > 1 else 50)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
