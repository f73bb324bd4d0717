"""What the garbage collector costs per run of a warm batch, under the collector's policies side by side,
alternating in one process (all share the machine's load):
`python bench/gc_costs.py [--runs N] [--rounds N] [--workers N] [--policies off,end,on] [--bare] [SCENARIO ...]`.

"on" is the harness as shipped (`harness.runner.heap`: the young generation collected every `RUN_YOUNG`
allocations while a scenario runs, each run's garbage collected young when the run ends, inside `run_scenario`, a
full collection now and then); "end" keeps the young threshold at `YOUNG` during runs (`RUN_YOUNG =
YOUNG`: the sixth wave's schedule, its run-end collection now inside the run); "off" sets
`heap.COLLECT_AT_RUN_END = False` (the collector's own thresholds only, as before the sixth wave). Serially (`run_jobs(..., workers=1)`), every collection is timed with `gc.callbacks` and the
collecting thread's CPU: per generation, collections and CPU milliseconds per run and objects freed per run;
"pending" is the objects the collector tracks outside the frozen heap at the batch's last run (garbage left to the
old generation shows there); "wall" is the median `result.wall_seconds` (the run-end collection is in it). With
`--workers N` (N > 1) the same batch also runs on N forked workers, and the workers' CPU per run (their rusage) is
printed. With `--bare` the runs are bare `run_scenario` calls in a settled process instead (bench/figures.py's
warm figures): CPU per run is then the mean, with the median run's beside it. See docs/performance.md ("The
collector at a run's end", "The collector during a run, seventh wave").
"""
from __future__ import annotations

import argparse
import contextlib
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
POLICIES = ("off", "end", "on")


@contextlib.contextmanager
def policy(name: str):
    """The collector's policy `name` (one of POLICIES) in this process (and workers forked meanwhile)."""
    from harness.runner import heap
    saved = heap.COLLECT_AT_RUN_END, heap.RUN_YOUNG
    heap.COLLECT_AT_RUN_END = name != "off"
    if name == "end":
        heap.RUN_YOUNG = heap.YOUNG
    try:
        yield
    finally:
        heap.COLLECT_AT_RUN_END, heap.RUN_YOUNG = saved


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


def serial(path: Path, runs: int, name: str) -> dict:
    """One warm serial batch of `runs` seeds under the policy `name`: GC and CPU per run."""
    from harness.runner import Job, run_jobs
    seen = Collections()
    pending: list[int] = []

    def noted(job: Job, result: object) -> None:
        if job.seed == runs - 1:
            pending.append(sum(len(gc.get_objects(generation)) for generation in range(3)))

    gc.callbacks.append(seen)
    try:
        with policy(name):
            before, wall = _cpu(resource.RUSAGE_SELF), time.perf_counter()
            results = run_jobs([Job(path, seed=seed) for seed in range(runs)], workers=1, on_result=noted)
            cpu, wall = _cpu(resource.RUSAGE_SELF) - before, time.perf_counter() - wall
    finally:
        gc.callbacks.remove(seen)
    assert all(result.status == results[0].status for result in results), "runs disagree"
    return {"cpu_ms": cpu / runs * 1e3, "runs_per_s": runs / wall, "gc_ms": seen.total_ms() / runs,
            "pending": pending[0] if pending else 0,
            "wall_ms": statistics.median(result.wall_seconds for result in results[1:]) * 1e3,
            "generations": {generation: (entry[0] / runs, entry[1] * 1e3 / runs, entry[2] / runs)
                            for generation, entry in sorted(seen.by_generation.items())}}


def bare(path: Path, runs: int, name: str) -> dict:
    """`runs` seeds through a bare `run_scenario` in a settled process (as bench/figures.py's warm figures run them)
    under the policy `name`: GC and CPU per run, mean and median ("off" is how they ran before the seventh wave)."""
    from harness.runner import heap
    from harness.scenario import load_scenario, run_scenario
    scenario = load_scenario(path)
    seen = Collections()
    cpus, walls = [], []
    with heap.long_lived(), policy(name):
        heap.settle()
        gc.callbacks.append(seen)
        try:
            started = time.perf_counter()
            for seed in range(runs):
                before = time.process_time()
                result = run_scenario(scenario, seed=seed)
                cpus.append(time.process_time() - before)
                walls.append(result.wall_seconds)
            wall = time.perf_counter() - started
        finally:
            gc.callbacks.remove(seen)
    return {"cpu_ms": statistics.mean(cpus) * 1e3, "cpu_median_ms": statistics.median(cpus) * 1e3,
            "runs_per_s": runs / wall, "gc_ms": seen.total_ms() / runs,
            "wall_ms": statistics.median(walls) * 1e3,
            "generations": {generation: (entry[0] / runs, entry[1] * 1e3 / runs, entry[2] / runs)
                            for generation, entry in sorted(seen.by_generation.items())}}


def forked(path: Path, runs: int, workers: int, name: str) -> dict:
    """The same batch on `workers` forked workers: the workers' CPU per run and runs per second."""
    from harness.runner import Job, run_jobs
    with policy(name):  # inherited by the workers
        before, wall = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
        run_jobs([Job(path, seed=seed) for seed in range(runs)], workers=workers, snapshots=False)
        cpu, wall = _cpu(resource.RUSAGE_CHILDREN) - before, time.perf_counter() - wall
    return {"cpu_ms": cpu / runs * 1e3, "runs_per_s": runs / wall}


def _line(name: str, figures: list[dict]) -> str:
    median = {key: statistics.median(f[key] for f in figures) for key in ("cpu_ms", "runs_per_s")}
    text = f"  {name:4s} CPU {median['cpu_ms']:6.2f} ms/run  {median['runs_per_s']:6.1f} runs/s"
    if "cpu_median_ms" in figures[0]:
        text += f" (median run {statistics.median(f['cpu_median_ms'] for f in figures):6.2f} ms)"
    if "gc_ms" in figures[0]:
        text += f"  GC {statistics.median(f['gc_ms'] for f in figures):5.2f} ms/run"
        text += f"  wall {statistics.median(f['wall_ms'] for f in figures):6.1f} ms"
        if "pending" in figures[0]:
            text += f"  pending {statistics.median(f['pending'] for f in figures):8.0f}"
        text += "  |"
        last = figures[-1]["generations"]
        text += "".join(f"  gen{g}: {n:.2f}x {ms:.2f} ms, {freed:.0f} freed" for g, (n, ms, freed) in last.items())
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=SCENARIOS)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=0, help="also run on N forked workers (N > 1)")
    parser.add_argument("--policies", default=",".join(POLICIES), help="a comma-separated subset of off,end,on")
    parser.add_argument("--bare", action="store_true",
                        help="bare run_scenario calls in a settled process (the warm figures' way) instead of run_jobs")
    args = parser.parse_args()
    names = [name for name in args.policies.split(",") if name]
    if not names or set(names) - set(POLICIES):
        parser.error(f"--policies: a comma-separated subset of {','.join(POLICIES)}, got {args.policies!r}")
    from harness.runner import Job, run_jobs
    for scenario in args.scenarios:
        path = Path(scenario)
        run_jobs([Job(path, seed=0)], workers=1)  # imports and caches warm before any is measured
        figures: dict[str, list[dict]] = {name: [] for name in names}
        parallel: dict[str, list[dict]] = {name: [] for name in names}
        for _ in range(args.rounds):
            for name in names:
                figures[name].append(bare(path, args.runs, name) if args.bare else serial(path, args.runs, name))
                if args.workers > 1:
                    parallel[name].append(forked(path, args.runs, args.workers, name))
        way = "bare run_scenario in a settled process" if args.bare else "serial"
        print(f"{path} ({way}, {args.runs} runs a batch, median of {args.rounds} rounds)")
        for name in names:
            print(_line(name, figures[name]))
        if args.workers > 1:
            print(f"  {args.workers} forked workers (their CPU per run)")
            for name in names:
                print(_line(name, parallel[name]))


if __name__ == "__main__":
    main()
