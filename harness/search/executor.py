"""Runs search jobs. `harness.runner` (the project's parallel executor: warm worker processes forked from a
deployed parent) when it is installed; until then, serially in this process with the scenario runner.

Both take the same `Job` (a scenario path, a seed, a fault list that replaces the scenario's own `faults:`,
a backend) and give back ScenarioResults in job order.
"""
from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OnResult = Callable[[Any, Any], None]


@dataclass(frozen=True)
class LocalJob:
    """One scenario run (the shape of harness.runner.Job)."""

    path: Path
    seed: int | None = None
    faults: list[dict] | None = None
    backend: str | None = None
    tag: object = None


def _runner() -> Any:
    try:
        from harness import runner
    except ImportError:
        return None
    return runner if hasattr(runner, "run_jobs") and hasattr(runner, "Job") else None


def make_job(path: Path | str, seed: int | None = None, faults: list[dict] | None = None,
             backend: str | None = None, tag: object = None) -> Any:
    """A job for whichever executor is installed."""
    runner = _runner()
    cls = runner.Job if runner is not None else LocalJob
    return cls(path=Path(path), seed=seed, faults=faults, backend=backend, tag=tag)


def executor_name() -> str:
    """`harness.runner` or `serial` (for summaries)."""
    return "harness.runner" if _runner() is not None else "serial (in-process)"


def run_jobs(jobs: Sequence[Any], workers: int | None = None, on_result: OnResult | None = None) -> list[Any]:
    """Run every job; results in job order; `on_result(job, result)` as each one finishes."""
    runner = _runner()
    if runner is None:
        return [_serial(job, on_result) for job in jobs]
    with warnings.catch_warnings():  # template warnings are in each result's warnings already
        warnings.simplefilter("ignore")
        return list(runner.run_jobs(list(jobs), workers=workers, on_result=on_result))


def kept_workers() -> contextlib.AbstractContextManager:
    """A block whose batches share their worker processes (harness.runner.kept_workers), when it is installed."""
    runner = _runner()
    return runner.kept_workers() if runner is not None and hasattr(runner, "kept_workers") else contextlib.nullcontext()


def run_here(job: Any) -> Any:
    """Run one job in this process (the shrinker's runs: one at a time, each depending on the last)."""
    return _serial(job, None)


_loaded: dict[Path, Any] = {}


def load(path: Path | str) -> Any:
    """A scenario, loaded once per process (ScenarioError for a bad file)."""
    from harness.scenario import load_scenario
    key = Path(path)
    if key not in _loaded:
        _loaded[key] = load_scenario(key)
    return _loaded[key]


def _serial(job: Any, on_result: OnResult | None) -> Any:
    from harness.scenario import run_scenario
    scenario = load(job.path)
    if job.faults is not None:
        scenario = dataclasses.replace(scenario, top_level_faults=[dict(rule) for rule in job.faults])
    with warnings.catch_warnings():  # template warnings are in result.warnings; not once per run on stderr
        warnings.simplefilter("ignore")
        result = run_scenario(scenario, seed=job.seed, backend=job.backend)
    if on_result is not None:
        on_result(job, result)
    return result
