"""The `overlap` expectation: at most `max` opened-but-not-closed events at any point (one lock holder)."""
from harness.scenario import load_scenario, run_scenario

SCENARIO = """
name: overlap under test
seed: 5
steps:
  - invoke: {function: PlaceOrder, payload: {orderId: o1}}
  - invoke: {function: PlaceOrder, payload: {orderId: o2}}
expect:
  - overlap: {open: {invoke: PlaceOrder}, close: {invoke: PlaceOrder, status: success}}
  - overlap: {open: {invoke: PlaceOrder}, close: {log: never logged by anyone}}
  - overlap: {open: {invoke: PlaceOrder}, close: {log: never logged by anyone}, max: 2}
"""


def _outcomes(tmp_path):
    from tests.harness.scenario.conftest import SHOP
    path = tmp_path / "overlap.yaml"
    path.write_text(f"system: {SHOP}\n" + SCENARIO, encoding="utf-8")
    result = run_scenario(load_scenario(path))
    return {o.where: o for o in result.outcomes}


def test_overlap_holds_when_every_open_is_closed_before_the_next_and_fails_when_two_stay_open(tmp_path):
    outcomes = _outcomes(tmp_path)
    assert outcomes["expect[0]"].passed
    second = outcomes["expect[1]"]
    assert not second.passed
    assert "at most 1" in second.expected
    assert second.found.startswith("2 open at once")
    assert outcomes["expect[2]"].passed
