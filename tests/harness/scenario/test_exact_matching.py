"""`exact: true`: JSON bodies, items, queue bodies, objects and payloads compared exactly, so a response that
carries an extra field (a leaked exception message) fails where subset matching would let it through."""
import pytest

from harness.scenario import ScenarioError, load_scenario, run_scenario
from harness.scenario.match import equals, subset

SCENARIO = """
name: exact matching under test
seed: 5
steps:
  - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: place}
  - invoke: {function: Worker, payload: {orderId: o2}, type: Event}
expect:
  # --- expected to hold
  - http: {step: place, json: {orderId: o1, status: QUEUED}, exact: true}
  - http: {step: place, json: {orderId: $any, status: {$regex: "^QUEUED$"}}, exact: true}
  - queue: {queue: Outbox, bodies: [{orderId: o1}], exact: true}
  - queue: {queue: Outbox, contains: {orderId: o1}, exact: true}
  - items: {table: OrdersTable, count: 1, where: {orderId: o1, status: QUEUED}, exact: true}
  - object: {bucket: Receipts, key: o2.json, json: {orderId: o2}, exact: true}
  - result: {step: place, payload: {statusCode: 201, headers: $any, body: $any}, exact: true}
  - http: {step: place, json: {status: QUEUED}}
  # --- expected to fail (index 8 onwards): each finds one field more than it names
  - http: {step: place, json: {status: QUEUED}, exact: true}
  - queue: {queue: Outbox, bodies: [{}], exact: true}
  - queue: {queue: Outbox, contains: {}, exact: true}
  - items: {table: OrdersTable, count: 1, where: {status: QUEUED}, exact: true}
  - object: {bucket: Receipts, key: o2.json, json: {}, exact: true}
  - result: {step: place, payload: {statusCode: 201}, exact: true}
"""
HOLDING = 8


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from tests.harness.scenario.conftest import SHOP
    path = tmp_path_factory.mktemp("exact") / "exact.yaml"
    path.write_text(f"system: {SHOP}\n" + SCENARIO, encoding="utf-8")
    return run_scenario(load_scenario(path))


def outcome(result, index):
    return next(o for o in result.outcomes if o.where == f"expect[{index}]")


@pytest.mark.parametrize("index", range(HOLDING))
def test_an_exact_expectation_holds_when_the_structure_is_exactly_that(result, index):
    found = outcome(result, index)
    assert found.passed, f"{found.description}: expected {found.expected}; found {found.found}"


@pytest.mark.parametrize("index", range(HOLDING, 14))
def test_an_exact_expectation_fails_on_one_extra_field(result, index):
    failed = outcome(result, index)
    assert not failed.passed
    assert any(word in failed.expected for word in ("equal to", "exactly")) or "payload" in failed.found


def test_an_error_body_that_leaks_an_exception_message_fails_exactly_and_passes_as_a_subset():
    leaked = '{"error": "SYSTEM_ERROR", "correlationId": "c1", "message": "An error occurred (ServiceUnavailable)"}'
    documented = {"error": "SYSTEM_ERROR", "correlationId": "c1"}
    assert subset(documented, leaked)
    assert not equals(documented, leaked)
    assert equals(documented, '{"error": "SYSTEM_ERROR", "correlationId": "c1"}')


def test_exact_nested_mappings_lists_and_markers():
    assert equals({"a": [{"b": 1}], "id": "$any"}, {"a": [{"b": 1.0}], "id": "x"})
    assert not equals({"a": [{"b": 1}]}, {"a": [{"b": 1, "c": 2}]})
    assert not equals({"id": "$any"}, {})
    assert equals({"sid": {"$regex": "^SM"}}, {"sid": "SM123"})


@pytest.mark.parametrize("line", [
    "http: {step: place, status: 201, exact: true}",
    "queue: {queue: Outbox, depth: 1, exact: true}",
    "items: {table: OrdersTable, count: 1, exact: true}",
    "object: {bucket: Receipts, key: o1.json, exact: true}",
    "result: {step: place, status: success, exact: true}",
])
def test_exact_without_a_structure_to_compare_is_a_located_load_error(write_scenario, line):
    path = write_scenario(f"""
        name: exact alone
        steps:
          - invoke: {{function: PlaceOrder, payload: {{orderId: o1}}, id: place}}
        expect:
          - {line}
        """)
    with pytest.raises(ScenarioError, match=r"scenario.yaml:6:\d+: expect\[0\].*exact: true applies to"):
        load_scenario(path)
