"""What the garbage collector costs per run of a warm batch, with the collection at each run's end on and off,
alternating in one process (both share the machine's load):
`python bench/gc_costs.py [--runs N] [--rounds N] [--workers N] [SCENARIO ...]`.

"On" is the harness as shipped (`harness.runner.heap.run_ended`: each run's garbage collected young when the run
ends, a full collection now and then); "off" sets `heap.COLLECT_AT_RUN_END = False` (the collector's own
thresholds only, as before the sixth wave). Serially (`run_jobs(..., workers=1)`), every collection is timed
with `gc.callbacks` and the collecting thread's CPU: per generation, collections and CPU milliseconds per run and
objects freed per run; "pending" is the objects the collector tracks outside the frozen heap at the batch's last
run (garbage left to the old generation shows there). With `--workers N` (N > 1) the same batch also runs on N
forked workers, and the workers' CPU per run (their rusage) is printed. See docs/performance.md ("The collector
at a run's end").
"""
from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
SCENARIOS = ["scenarios/messages/send_fails_rolls_back.yaml",
             "scenarios/replies/sms_emergency_unlock_fails_stalled_reset_releases.yaml"]


class Collections:
    """Every collection while installed: per generation, count, thread CPU seconds and objects freed."""

    def __init__(self) -> None:
        self.by_generation: dict[int, list[float]] = defaultdict(lambda: [0, 0.0, 0])
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.thread_time()
            return
        entry = self.by_generation[info["generation"]]
        entry[0] += 1
        entry[1] += time.thread_time() - self._started
        entry[2] += info["collected"]

    def total_ms(self) -> float:
        return sum(entry[1] for entry in self.by_generation.values()) * 1e3


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def serial(path: Path, runs: int, on: bool) -> dict:
    """One warm serial batch of `runs` seeds with the run-end collection on or off: GC and CPU per run."""
    from harness.runner import Job, heap, run_jobs
    heap.COLLECT_AT_RUN_END = on
    seen = Collections()
    pending: list[int] = []

    def noted(job: Job, result: object) -> None:
        if job.seed == runs - 1:
            pending.append(sum(len(gc.get_objects(generation)) for generation in range(3)))

    gc.callbacks.append(seen)
    try:
        before, wall = _cpu(resource.RUSAGE_SELF), time.perf_counter()
        results = run_jobs([Job(path, seed=seed) for seed in range(runs)], workers=1, on_result=noted)
        cpu, wall = _cpu(resource.RUSAGE_SELF) - before, time.perf_counter() - wall
    finally:
        gc.callbacks.remove(seen)
        heap.COLLECT_AT_RUN_END = True
    assert all(result.status == results[0].status for result in results), "runs disagree"
    return {"cpu_ms": cpu / runs * 1e3, "runs_per_s": runs / wall, "gc_ms": seen.total_ms() / runs,
            "pending": pending[0] if pending else 0,
            "generations": {generation: (entry[0] / runs, entry[1] * 1e3 / runs, entry[2] / runs)
                            for generation, entry in sorted(seen.by_generation.items())}}


def forked(path: Path, runs: int, workers: int, on: bool) -> dict:
    """The same batch on `workers` forked workers: the workers' CPU per run and runs per second."""
    from harness.runner import Job, heap, run_jobs
    heap.COLLECT_AT_RUN_END = on  # inherited by the workers
    try:
        before, wall = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        run_jobs([Job(path, seed=seed) for seed in range(runs)], workers=workers, snapshots=False)
        cpu, wall = _cpu(resource.RUSAGE_CHILDREN) - before, time.perf_counter() - wall
    finally:
        heap.COLLECT_AT_RUN_END = True
    return {"cpu_ms": cpu / runs * 1e3, "runs_per_s": runs / wall}


def _line(name: str, figures: list[dict]) -> str:
    median = {key: statistics.median(f[key] for f in figures) for key in ("cpu_ms", "runs_per_s")}
    text = f"  {name:4s} CPU {median['cpu_ms']:6.2f} ms/run  {median['runs_per_s']:6.1f} runs/s"
    if "gc_ms" in figures[0]:
        text += f"  GC {statistics.median(f['gc_ms'] for f in figures):5.2f} ms/run"
        text += f"  pending {statistics.median(f['pending'] for f in figures):8.0f}  |"
        last = figures[-1]["generations"]
        text += "".join(f"  gen{g}: {n:.2f}x {ms:.2f} ms, {freed:.0f} freed" for g, (n, ms, freed) in last.items())
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=SCENARIOS)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=0, help="also run on N forked workers (N > 1)")
    args = parser.parse_args()
    from harness.runner import Job, run_jobs
    for scenario in args.scenarios:
        path = Path(scenario)
        run_jobs([Job(path, seed=0)], workers=1)  # imports and caches warm before either is measured
        figures: dict[str, list[dict]] = {"on": [], "off": []}
        parallel: dict[str, list[dict]] = {"on": [], "off": []}
        for _ in range(args.rounds):
            for name in ("off", "on"):
                figures[name].append(serial(path, args.runs, name == "on"))
                if args.workers > 1:
                    parallel[name].append(forked(path, args.runs, args.workers, name == "on"))
        print(f"{path} (serial, {args.runs} runs a batch, median of {args.rounds} rounds)")
        for name in ("off", "on"):
            print(_line(name, figures[name]))
        if args.workers > 1:
            print(f"  {args.workers} forked workers (their CPU per run)")
            for name in ("off", "on"):
                print(_line(name, parallel[name]))


if __name__ == "__main__":
    main()
