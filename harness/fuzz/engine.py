"""The fuzz loop: one deployed simulation, hypothesis generating (and shrinking) events, every invocation checked
against the target's contract. A budget is a number of examples or a number of (wall) seconds."""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.clock import real_perf_counter
from harness.fuzz.properties import violations
from harness.fuzz.target import FuzzTarget

CHUNK = 100  # examples per hypothesis run when the budget is time


@dataclass(frozen=True)
class Budget:
    """Stop after `examples` generated events, or after `seconds` of wall time when given."""

    examples: int = 200
    seconds: float | None = None


@dataclass
class Finding:
    """The minimal failing event hypothesis shrank to, and what it broke."""

    event: Any
    problems: list[str]


@dataclass
class FuzzOutcome:
    """What a fuzz run did."""

    examples: int = 0
    seconds: float = 0.0
    finding: Finding | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Examples per second."""
        return self.examples / self.seconds if self.seconds else 0.0


class _Broken(AssertionError):
    """The property failed for one event (hypothesis shrinks on it)."""


class _SimulationBroken(BaseException):
    """The harness could not finish an invocation; a BaseException, so hypothesis stops instead of shrinking."""


def fuzz(target: FuzzTarget, budget: Budget, seed: int = 0,
         progress: Callable[[int], None] | None = None) -> FuzzOutcome:
    """Invoke the target with generated events until the budget is spent or the contract breaks."""
    from harness.simulation import Simulation
    outcome = FuzzOutcome()
    started = real_perf_counter()
    failures: list[Finding] = []
    sim = Simulation(target.template, seed=seed, faults=list(target.faults) or None,
                     parameters={k: str(v) for k, v in target.parameters.items()} or None)
    with sim:
        secrets = _secret_values(sim)

        def check(event: Any) -> None:
            outcome.examples += 1
            if progress is not None:
                progress(outcome.examples)
            try:
                result = sim.invoke(target.function, copy.deepcopy(event))
            except Exception as exc:  # e.g. WatchdogTimeout: a handler that never yields
                # The simulation cannot go on: stop here, unshrunk (shrinking needs more invocations).
                failures.append(Finding(copy.deepcopy(event), [
                    f"the invocation did not finish: {type(exc).__name__}: {str(exc)[:300]}"]))
                raise _SimulationBroken from exc
            problems = violations(result, source=target.source, errors=target.errors, statuses=target.statuses,
                                  secrets=secrets)
            if problems:
                failures.append(Finding(copy.deepcopy(event), problems))
                raise _Broken("; ".join(problems))

        run = 0
        while True:
            left = budget.examples - outcome.examples if budget.seconds is None else CHUNK
            if left <= 0 or _out_of_time(budget, started):
                break
            if _run_hypothesis(check, target.strategy(), left, seed + run, outcome):
                outcome.finding = failures[-1] if failures else None
                break
            run += 1
            if budget.seconds is None:
                break
    outcome.seconds = real_perf_counter() - started
    return outcome


def _out_of_time(budget: Budget, started: float) -> bool:
    return budget.seconds is not None and real_perf_counter() - started >= budget.seconds


def _run_hypothesis(check: Callable[[Any], None], strategy: Any, examples: int, seed: int,
                    outcome: FuzzOutcome) -> bool:
    """One hypothesis run; True when it found a failure (the last event `check` saw fail is the shrunk one)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis.errors import Flaky

    from harness.search.seeded import without_process_constants
    test = settings(max_examples=examples, deadline=None, database=None, derandomize=False,
                    report_multiple_bugs=False, suppress_health_check=list(HealthCheck), print_blob=False,
                    phases=[Phase.generate, Phase.shrink])(hypothesis_seed(seed)(given(strategy)(check)))
    try:
        with without_process_constants():  # the same examples for a seed, whatever the process imported before
            test()
    except _Broken:
        return True
    except _SimulationBroken:
        outcome.notes.append("the simulation could not finish an invocation; the run stopped there and the event "
                             "is not shrunk")
        return True
    except Flaky:
        outcome.notes.append("the failure did not repeat on every replay (state carried between examples); the "
                             "event written is the last one that failed")
        return True
    return False


def _secret_values(sim: Any) -> tuple[str, ...]:
    """Secrets Manager values of the deployed template (6 characters or longer), to look for in logs."""
    import json

    from botocore.exceptions import ClientError
    client = sim.client("secretsmanager")
    values = []
    for secret in client.list_secrets().get("SecretList", []):
        try:
            text = client.get_secret_value(SecretId=secret["ARN"]).get("SecretString") or ""
        except ClientError:  # a secret without a value has nothing to leak
            text = ""
        values.append(text)
        try:
            values += [str(v) for v in json.loads(text).values()]
        except (ValueError, AttributeError):
            pass
    return tuple(v for v in values if len(v) >= 6)
