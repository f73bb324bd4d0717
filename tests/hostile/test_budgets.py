"""Per-run budgets: a runaway run fails with one message naming the budget, the value reached and how to raise it,
never hangs and never passes; a clean simulation afterwards is unaffected."""
from pathlib import Path

import pytest

from harness import OverBudget, Simulation
from harness.cli import main
from tests.hostile.conftest import TEMPLATE

SCENARIOS = Path(__file__).parent / "loops"  # not "scenarios": the failing one is not a pytest item


def loop(budgets):
    with Simulation(TEMPLATE, seed=3, budgets=budgets) as sim:
        sim.invoke("RecurseAllowed", {}, type="Event")
        with pytest.raises(OverBudget) as caught:
            sim.run_until_idle()
        return caught.value, sim


@pytest.mark.parametrize(("budgets", "message"), [
    ({"invocations": 30}, "run over its invocations budget: 31 invocations reached (budget 30)"),
    ({"steps": 25}, "run over its steps budget: 26 scheduler steps reached (budget 25)"),
    ({"wall_seconds": 1e-6}, "run over its wall_time budget: "),
])
def test_a_self_invoking_loop_ends_at_the_first_budget_it_spends(budgets, message):
    error, sim = loop(budgets)
    assert str(error).startswith(message)
    assert "--budget-" in str(error) and "in the scenario file" in str(error)
    assert sim.trace.of("budget_exceeded")


def test_virtual_time_budget_fails_a_run_that_goes_on_in_virtual_time():
    with Simulation(TEMPLATE, seed=3, budgets={"virtual_seconds": 3600}) as sim:
        sim.advance(1800)
        with pytest.raises(OverBudget, match=r"virtual_time budget: 7,200 s of virtual time reached \(budget 3,600\)"):
            sim.advance(5400)


def test_defaults_end_a_self_invoking_loop_allowed_to_run():
    error, _ = loop(None)
    assert error.budget == "invocations" and error.limit == 2000


def test_cli_run_fails_with_the_budget_message_and_the_flag_raises_or_lowers_it(capsys):
    scenario = str(SCENARIOS / "self_invoking_allowed.yaml")
    assert main(["run", scenario]) == 1
    out = capsys.readouterr().out
    assert "run over its invocations budget: 51 invocations reached (budget 50)" in out
    assert main(["run", scenario, "--budget-invocations", "20"]) == 1
    assert "21 invocations reached (budget 20)" in capsys.readouterr().out
    assert main(["run", scenario, "--budget-invocations", "0"]) == 2


def test_recursive_loop_detection_ends_the_same_loop_by_default_and_the_scenario_passes(capsys):
    assert main(["run", str(SCENARIOS / "self_invoking_terminated.yaml")]) == 0
