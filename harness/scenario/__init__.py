"""Scenarios: YAML files that run a system under faults and judge it.

    scenario = load_scenario("scenarios/messages/send_fails_rolls_back.yaml")
    result = run_scenario(scenario, seed=7)
    assert result.passed, result.report()
"""
from harness.scenario.errors import Problem, ScenarioError
from harness.scenario.expectations import EXPECTATIONS, Expectation, Outcome
from harness.scenario.loader import Scenario, load_scenario
from harness.scenario.runner import ScenarioResult, run_scenario
from harness.scenario.steps import STEPS, Step

__all__ = ["EXPECTATIONS", "Expectation", "Outcome", "Problem", "STEPS", "Scenario", "ScenarioError",
           "ScenarioResult", "Step", "load_scenario", "run_scenario"]
