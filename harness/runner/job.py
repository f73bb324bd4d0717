"""A Job (one scenario run to make) and how one is executed in the current process."""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import dependencies
from harness.sandbox.interrupts import Interrupted
from harness.scenario.runner import ScenarioResult


@dataclass(frozen=True, eq=False)
class Job:
    """One run: the scenario file, and optionally another seed, fault list (replacing the file's top-level
    `faults:`, same YAML shape, already parsed) or backend; `tag` is the caller's, carried back untouched."""

    path: Path
    seed: int | None = None
    faults: list[dict] | None = None
    backend: str | None = None
    tag: object = None


# (working folder, path as given, limits) -> (what loading it read, the Scenario or the ScenarioError it gave)
_SCENARIOS: dict[tuple, tuple[dependencies.Dependencies, Any]] = {}
# id -> a loaded Scenario this process has run at least once (what it imports and caches is warm here)
_RAN: dict[int, Any] = {}


def load(path: Path) -> Any:
    """The loaded Scenario for `path` (or the ScenarioError it raises), kept per process (forked workers inherit
    their parent's) and used again while every file and folder the load read or looked for is unchanged: the
    scenario, its template and included snippets, `_system.yaml`, payload files, the requirement register."""
    from harness.scenario import ScenarioError, limits, load_scenario
    key = (os.getcwd(), str(path), limits.current())
    kept = _SCENARIOS.get(key)
    if kept is not None and kept[0].unchanged():
        return kept[1]
    with dependencies.recorded() as read:
        try:
            loaded = load_scenario(path)
        except ScenarioError as exc:
            loaded = exc
    _SCENARIOS[key] = (read, loaded)
    return loaded


def execute(job: Job, watchdog_seconds: float = 30.0,
            run: Callable[[Any], ScenarioResult] | None = None) -> ScenarioResult:
    """Run `job` here, in this process; a file that does not load gives an `error` result saying why. `run`, when
    given, runs the loaded scenario (with the job's faults) instead of `run_scenario`."""
    from harness.scenario import run_scenario
    scenario = load(job.path)
    if isinstance(scenario, Exception):
        return load_error(job, str(scenario))
    if job.faults is not None:
        scenario = dataclasses.replace(scenario, top_level_faults=[dict(rule) for rule in job.faults])
    _RAN[id(scenario)] = scenario
    try:
        if run is not None:
            return run(scenario)
        return run_scenario(scenario, seed=job.seed, backend=job.backend, watchdog_seconds=watchdog_seconds)
    except (KeyboardInterrupt, Interrupted):
        raise
    except BaseException as exc:  # noqa: BLE001 - whatever escapes one run is that run's error, never the CLI's end
        return load_error(job, f"the harness stopped on {type(exc).__name__}: {exc}")


def ran_here(path: Path) -> bool:
    """True when this process has run the scenario `path` loads to now (a changed file loads anew: False)."""
    return id(load(path)) in _RAN


def load_error(job: Job, message: str) -> ScenarioResult:
    """The result of a job whose scenario file cannot be loaded (bad input)."""
    return ScenarioResult(Path(job.path).stem, str(job.path), job.seed or 0, job.backend or "moto", "error",
                          error=message)
