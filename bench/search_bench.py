"""Search throughput: scenario runs per second for `explore` (many seeds) and `chaos` (generated plans), with the
CPU seconds one run costs, so a figure taken on a busy machine can be read against its load.

    .venv/bin/python bench/search_bench.py [SCENARIO] [--runs N]
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import warnings
from pathlib import Path

from harness.clock import real_perf_counter
from harness.search import executor
from harness.search.chaos import Options, search

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "scenarios" / "messages" / "send_fails_rolls_back.yaml"


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(label: str, runs: int, work) -> None:
    """Print runs/s (wall) and CPU seconds per run for one piece of work."""
    cpu, wall = _cpu(), real_perf_counter()
    done = work()
    wall, cpu = real_perf_counter() - wall, _cpu() - cpu
    print(f"{label:<38} {done:>5} runs  {done / wall:6.1f} runs/s  {cpu / done * 1000:6.0f} ms CPU/run  "
          f"(load {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=64)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    jobs = [executor.make_job(args.scenario, seed=seed) for seed in range(args.runs)]
    executor.run_here(jobs[0])  # warm: imports, scenario loading
    measure("explore, serial (1 process)", args.runs, lambda: len(executor.run_jobs(jobs, workers=1)))
    measure(f"explore, {executor.executor_name()} (all cores)", args.runs, lambda: len(executor.run_jobs(jobs)))

    def chaos() -> int:
        found = search(args.scenario, Options(budget=args.runs, seed=1, found_dir=Path("/tmp/search-bench")))
        return found.runs + 1 + (found.shrunk.runs if found.shrunk else 0)

    measure("chaos (draw, run, judge; all cores)", args.runs, chaos)
    return 0


if __name__ == "__main__":
    sys.exit(main())
