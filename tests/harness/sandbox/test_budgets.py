"""Run budgets: defaults, then the scenario's (or caller's) values, then the command line's."""
import argparse

import pytest

from harness.errors import InputError
from harness.sandbox import budgets
from harness.sandbox.budgets import Budgets, OverBudget


def flags(*argv):
    parser = argparse.ArgumentParser()
    budgets.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults_are_safe_and_finite():
    assert Budgets() == budgets.resolve({})
    assert Budgets().invocations == 2000 and Budgets().steps == 1_000_000
    assert Budgets().wall_seconds == 300 and Budgets().virtual_seconds == 30 * 86400


def test_a_scenario_value_replaces_the_default_and_the_command_line_replaces_both():
    assert budgets.resolve({"invocations": 10}).invocations == 10
    with budgets.applied(flags("--budget-invocations", "99", "--budget-wall", "5")):
        resolved = budgets.resolve({"invocations": 10, "steps": 7})
        assert (resolved.invocations, resolved.wall_seconds, resolved.steps) == (99, 5, 7)
        assert Budgets.coerce(None).invocations == 99
    assert budgets.resolve({}).invocations == 2000


def test_a_budget_flag_of_zero_is_bad_input():
    with pytest.raises(InputError, match="--budget-steps must be more than 0"), budgets.applied(flags("--budget-steps", "0")):
        pass


def test_the_message_names_the_budget_the_value_reached_and_every_way_to_raise_it():
    error = OverBudget("virtual_seconds", 90000, 86400)
    assert str(error).startswith("run over its virtual_time budget: 90,000 s of virtual time reached (budget 86,400)")
    assert "`budgets: {virtual_time: N}`" in str(error) and "--budget-virtual N" in str(error)
