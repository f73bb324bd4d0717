"""Scenarios: YAML files that run a system under faults and judge it.

    scenario = load_scenario("scenarios/messages/send_fails_rolls_back.yaml")
    result = run_scenario(scenario, seed=7)
    assert result.passed, result.report()

Names are imported on first use, so `harness.invariants` and the pytest plugin can use parts of this
package without loading the runner.
"""
from importlib import import_module
from typing import Any

_EXPORTS = {
    "EXPECTATIONS": "harness.scenario.expectations", "Expectation": "harness.scenario.expectations",
    "Outcome": "harness.scenario.expectations", "Problem": "harness.scenario.errors",
    "ScenarioError": "harness.scenario.errors", "STEPS": "harness.scenario.steps", "Step": "harness.scenario.steps",
    "Scenario": "harness.scenario.loader", "load_scenario": "harness.scenario.loader",
    "ScenarioResult": "harness.scenario.runner", "run_scenario": "harness.scenario.runner",
}
__all__ = [
    "EXPECTATIONS",
    "STEPS",
    "Expectation",
    "Outcome",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ScenarioResult",
    "Step",
    "load_scenario",
    "run_scenario",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'harness.scenario' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
