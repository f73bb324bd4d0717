"""What counts as a failure: explore judges everything; chaos the invariants, `always` expectations and crashes."""
from types import SimpleNamespace

import pytest

from harness.errors import InputError
from harness.invariants import InvariantResult, Violation
from harness.scenario.expectations import Outcome
from harness.search.verdict import EVERYTHING, Judge, chaos_judge


def result(status="failed", error=None):
    outcomes = [Outcome("expect[0]", "fault", "", False), Outcome("expect[1]", "items", "", False),
                Outcome("steps[0].assert[0]", "http", "", False), Outcome("expect[2]", "queue", "", True)]
    invariants = [InvariantResult("no_message_lost", (Violation("lost m1"),)), InvariantResult("locks_released")]
    return SimpleNamespace(status=status, outcomes=outcomes, invariants=invariants, error=error)


def test_explore_judges_every_expectation_and_invariant():
    assert EVERYTHING.signature(result()) == ("expect[0] fault", "expect[1] items", "invariant no_message_lost",
                                             "steps[0].assert[0] http")


def test_chaos_judges_invariants_the_always_expectations_and_crashes():
    judge = Judge(frozenset({1}))
    assert judge.signature(result()) == ("expect[1] items", "invariant no_message_lost")
    crashed = result(status="error", error="Traceback ...\nKeyError: 'Records'")
    assert "error KeyError" in judge.signature(crashed)
    assert Judge(frozenset()).signature(result(status="skipped")) == ()


def test_always_must_name_an_expectation_of_the_scenario():
    scenario = SimpleNamespace(file="s.yaml", expect=[object(), object()],
                               model=SimpleNamespace(explore=SimpleNamespace(always=[0, 2])))
    with pytest.raises(InputError, match="explore.always: 2 is not an index of `expect`"):
        chaos_judge(scenario)
