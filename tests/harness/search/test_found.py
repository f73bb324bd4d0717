"""Found scenarios: the original with the failing seed and plan, the `always` expectations, a replay header."""
import yaml

from harness.scenario import load_scenario
from harness.search.found import write_found

ORDER = """
name: order
seed: 8
explore: {seeds: 3, always: [1]}
steps:
  - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: place}
expect:
  - http: {step: place, status: 201}
  - item: {table: OrdersTable, key: {orderId: o1}, subset: {status: QUEUED}}
"""


def test_a_found_scenario_keeps_the_always_expectations_and_loads_from_its_new_folder(shop_scenario, tmp_path):
    scenario = load_scenario(shop_scenario(ORDER))
    faults = [{"id": "chaos-1", "match": {"function": "PlaceOrder", "nth": 1}, "effect": {"type": "lambda_error"},
               "times": 1}]
    path = write_found(scenario, faults, 99, ["invariant x: broken"], tmp_path / "found", frozenset({1}))
    text = path.read_text()
    assert text.startswith("# Found by chaos search") and f"replay: python -m harness replay {path}" in text
    data = yaml.safe_load(text)
    assert (data["seed"], data["faults"], len(data["expect"])) == (99, faults, 1) and "explore" not in data
    assert "item" in data["expect"][0] and load_scenario(path).seed == 99
