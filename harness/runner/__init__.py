"""The one executor of scenario runs, shared by `harness run -n`, explore, chaos and fuzz.

    from harness.runner import Job, run_jobs
    results = run_jobs([Job(Path("scenarios/messages/send_fails_rolls_back.yaml"), seed=s) for s in range(50)])

`workers=None` uses every core (forked worker processes), `workers=1` runs serially in this process. Results come
back in job order and are the same (trace hashes included) as a serial run's. See docs/runner.md.
"""
from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from harness import sandbox
from harness.clock import resident_time
from harness.runner import heap
from harness.runner.job import Job, execute, load, ran_here
from harness.runner.pool import WorkerPool, run_forked, worker_count
from harness.runner.snapshot import REPEATS, Snapshots, snapshot_key
from harness.scenario.runner import ScenarioResult

__all__ = ["Job", "ScenarioResult", "kept_workers", "run_jobs"]

_kept: WorkerPool | None = None  # the worker pool `kept_workers` keeps for the batches of its block


def run_jobs(jobs: Iterable[Job], workers: int | None = None,
             on_result: Callable[[Job, ScenarioResult], None] | None = None,
             snapshots: bool | None = None) -> list[ScenarioResult]:
    """Run every job (on `workers` processes; None = all cores, 1 = here, serially); results in job order.
    `on_result(job, result)` is called in this process as each run ends (in completion order). With
    `snapshots=True` (or HARNESS_SNAPSHOTS=1 when None) a scenario run at least twice is deployed once per worker
    and each run forked from that snapshot (harness/runner/snapshot.py). Off by default: a forked run costs about
    30 ms more CPU than a fresh one in a warm worker (copy-on-write faults of reference counts) and saves a deploy
    of 4-16 ms (docs/performance.md, "Fork-fast runs")."""
    jobs = list(jobs)
    results: list[ScenarioResult | None] = [None] * len(jobs)

    def done(index: int, result: ScenarioResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(jobs[index], result)

    count = worker_count(workers, len(jobs))
    forking = _snapshots(jobs, snapshots)
    with heap.long_lived(), resident_time():  # freezegun's module scan once per batch, not per run
        if forking is not None and not sandbox.poisoned():  # a worker process holds the snapshot, never this one
            _warm(jobs)
            run_forked(jobs, count, done, run=forking.run)
        elif count <= 1:
            _run_here(jobs, done)
        else:
            _warm(jobs)
            if _kept is not None:
                _kept.run(jobs, count, done)
            else:
                run_forked(jobs, count, done)
    return [r for r in results if r is not None]


@contextlib.contextmanager
def kept_workers() -> Iterator[None]:
    """Within the block, batches that run on forked workers (without snapshots) share the same worker processes,
    forked by the first batch that needs them and ended with the block (a search's rounds: each later round
    starts at once). A block inside another uses the outer one's workers."""
    global _kept
    if _kept is not None:
        yield
        return
    _kept = pool = WorkerPool()
    try:
        yield
    finally:
        _kept = None
        pool.close()


def _run_here(jobs: list[Job], done: Callable[[int, ScenarioResult], None]) -> None:
    """Run the jobs serially in this process (the rest in a clean forked one if a handler thread poisons it)."""
    for index, job in enumerate(jobs):
        if sandbox.poisoned():  # a handler thread that would not stop: the rest runs in a clean process
            run_forked(jobs[index:], 1, lambda i, result, at=index: done(at + i, result), prepare=sandbox.after_fork)
            return
        done(index, execute(job))
        if index == 0:  # each later run collects its own garbage when it ends (heap.run_ended, in run_scenario)
            heap.settle()  # what the first run warmed stays out of the collector's passes for the others


def _snapshots(jobs: list[Job], wanted: bool | None) -> Snapshots | None:
    """Snapshots for the scenarios these jobs run at least REPEATS times, when wanted (`wanted`, else
    HARNESS_SNAPSHOTS=1) and forking is possible; else None."""
    if wanted is None:
        wanted = os.environ.get("HARNESS_SNAPSHOTS", "") == "1"
    if not wanted or not hasattr(os, "fork"):
        return None
    counts = Counter(snapshot_key(job) for job in jobs)
    repeated = {key for key, n in counts.items() if key is not None and n >= REPEATS}
    return Snapshots(repeated) if repeated else None


def _warm(jobs: list[Job]) -> None:
    """Import and load in the parent what every worker needs, so forked workers start warm. When the jobs run
    the same scenarios many times (explore, chaos, fuzz), each scenario this process has not run yet is run once
    here first: botocore's service models, moto's backends, handler bytecode and library imports are then ready
    in every worker (a later batch of the same scenario, such as chaos's next round, starts its workers at once)."""
    import harness.simulation  # noqa: F401 - imported for its side effect: workers inherit it
    paths = list({str(job.path): job.path for job in jobs}.values())
    for path in paths:
        load(path)
    if len(jobs) >= 4 * len(paths):
        for path in paths:
            if not ran_here(path):
                execute(Job(path))
    heap.settle(collect=True)  # what the parent holds is never collected in a worker: its pages stay shared
