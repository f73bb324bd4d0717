"""Expectations: each kind holds on a run that satisfies it and fails, saying what it expected and what it
found, on one that does not. One run of the shop fixture serves every check (expectations never stop a run)."""
import pytest

from harness.scenario import load_scenario, run_scenario

SCENARIO = """
name: expectations under test
seed: 3
setup:
  items:
    OrdersTable:
      - {orderId: old, status: PENDING, total: 12.5}
faults:
  - id: throttle-put
    match: {service: dynamodb, operation: PutItem, function: PlaceOrder}
    effect: {type: aws_error, code: ProvisionedThroughputExceededException}
    times: 1
steps:
  - invoke: {function: PlaceOrder, payload: {orderId: o1}, id: place}
  - invoke: {function: Worker, payload: {orderId: o1, fail: true}, type: Event, id: work}
  - advance: 30s
  - assert:
      - invocations: {function: Worker, count: 1, outcomes: {error: 1}}
      - invocations: {function: Worker, count: 2}
  - invoke: {function: Worker, payload: {orderId: o2}, type: Event}
expect:
  # --- expected to hold
  - invocations: {function: Worker, count: 4, outcomes: {error: 3, success: 1}, cold: 1}
  - invocations: {function: PlaceOrder, count: {min: 1, max: 1}, type: RequestResponse}
  - logs: {function: PlaceOrder, contains: "order o1 stored"}
  - logs: {regex: "Traceback \\\\(most recent", absent: true, function: PlaceOrder}
  - item: {table: OrdersTable, key: {orderId: o1}, subset: {status: QUEUED}}
  - item: {table: OrdersTable, key: {orderId: old}, equals: {orderId: old, status: PENDING, total: 12.5}}
  - item: {table: shop-orders, key: {orderId: nope}, absent: true}
  - items: {table: OrdersTable, count: 1, where: {status: QUEUED}}
  - object: {bucket: Receipts, key: o2.json, json: {orderId: o2}}
  - object: {bucket: Receipts, key: o1.json, exists: false}
  - queue: {queue: Outbox, depth: 1, bodies: [{orderId: o1}]}
  - dlq: {queue: WorkerDLQ, depth: 1, contains: {fail: true}, attributes: {ErrorCode: "200"}}
  - http: {step: place, status: 201, headers: {content-type: application/json}, json: {status: QUEUED}}
  - result: {step: place, status: success, payload: {statusCode: 201}}
  - fault: throttle-put
  - fault: {rule: throttle-put, count: 1}
  - order: {first: {invoke: PlaceOrder}, then: {invoke: Worker}}
  - order: {first: {fault: throttle-put}, then: {log: "order o1 stored"}, strict: true}
  - timing: {event: {invoke: Worker, attempt: 2}, at: 60s, tolerance: 1s}
  - timing: {event: {invoke: Worker, attempt: 3}, after: {invoke: Worker, status: error}, between: [179s, 181s]}
  - events: {match: {aws: "dynamodb:PutItem", caller: PlaceOrder}, count: 2}
  - events: {match: {kind: async_retry, function: Worker}, count: 2}
  # --- expected to fail (index 22 onwards)
  - invocations: {function: Worker, count: 1}
  - logs: {function: Worker, contains: "never logged"}
  - item: {table: OrdersTable, key: {orderId: o1}, subset: {status: SHIPPED}}
  - item: {table: OrdersTable, key: {orderId: o1}, absent: true}
  - queue: {queue: Outbox, depth: 0}
  - http: {step: place, status: 503}
  - timing: {event: {invoke: Worker, attempt: 2}, at: 30s, tolerance: 1s}
  - order: {first: {invoke: Worker}, then: {invoke: PlaceOrder}}
  - http: {step: work, status: 200}
  - object: {bucket: Receipts, key: o1.json}
"""
PASSING = 22


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from tests.harness.scenario.conftest import SHOP
    path = tmp_path_factory.mktemp("expect") / "expectations.yaml"
    path.write_text(f"system: {SHOP}\n" + SCENARIO, encoding="utf-8")
    return run_scenario(load_scenario(path))


def outcome(result, where):
    return next(o for o in result.outcomes if o.where == where)


@pytest.mark.parametrize("index", range(PASSING))
def test_expectation_holds_on_a_run_that_satisfies_it(result, index):
    found = outcome(result, f"expect[{index}]")
    assert found.passed, f"{found.description}: expected {found.expected}; found {found.found}"


@pytest.mark.parametrize("index, expected, found", [
    (22, "Worker: 1 invocation(s)", "4 invocation(s): 1 success, 3 error"),
    (23, "at least 1 line(s) with text 'never logged' in Worker's logs", "0 matching line(s) among"),
    (24, 'OrdersTable item {"orderId": "o1"} containing {"status": "SHIPPED"}', '"status": "QUEUED"'),
    (25, 'OrdersTable item {"orderId": "o1"} absent', "present:"),
    (26, "Outbox: depth 0", "depth 1 - 1 message(s)"),
    (27, "step 'place': status 503", "status 201"),
    (28, "invoke Worker attempt=2 #1 at t in [29s, 31s]", "at 60.1"),
    (29, "invoke Worker before invoke PlaceOrder", "first at"),
    (30, "step 'work' produced an HTTP response", "only a request id"),
    (31, "s3://Receipts/o1.json present", "no such object"),
])
def test_failing_expectation_says_what_it_expected_and_what_it_found(result, index, expected, found):
    failed = outcome(result, f"expect[{index}]")
    assert not failed.passed
    assert expected in failed.expected
    assert found in failed.found
    assert failed.slice, "a failing expectation carries the relevant slice of the trace"


def test_only_a_failing_expectation_carries_trace_lines_its_report_shows(result):
    passed = [o for o in result.outcomes if o.passed]
    assert passed and all(o.slice == () for o in passed)  # reports show none: not formatted
    assert all(o.slice for o in result.outcomes if not o.passed)


def test_mid_run_assert_is_checked_at_its_point_in_time(result):
    early, wrong = outcome(result, "steps[3].assert[0]"), outcome(result, "steps[3].assert[1]")
    assert early.passed and early.t == pytest.approx(30.0, abs=0.5)
    assert not wrong.passed and wrong.found.startswith("1 invocation(s)")


def test_failing_expectations_appear_in_the_report_with_line_numbers(result):
    report = result.report()
    assert result.status == "failed"
    assert "expect[26] (line" in report and "expected: Outbox: depth 0" in report
    assert "trace:" in report and "seed: 3" in report


def test_inspecting_state_for_checks_leaves_no_trace(result):
    harness_scans = [e for e in result.events if e["kind"] == "aws" and e.get("operation") in ("Scan", "GetItem")
                     and e.get("caller") == "harness"]
    assert harness_scans == []


def test_an_expectations_description_is_made_once_and_is_its_describe_in_every_run():
    from pathlib import Path

    from harness.scenario.expectations import EXPECTATIONS
    library = sorted(Path(__file__).resolve().parents[3].joinpath("scenarios").rglob("*.yaml"))
    checked = set()
    for path in [p for p in library if not p.name.startswith("_") and "requirements" not in p.parts][:60]:
        scenario = load_scenario(path)
        for expectation, _ in scenario.expect + [e for asserts in scenario.asserts.values() for e in asserts]:
            dumped = expectation.model_dump(by_alias=True)
            assert expectation.description == expectation.describe()
            assert expectation.model_dump(by_alias=True) == dumped  # the cached text is no field
            assert expectation == type(expectation).model_validate(dumped)  # nor part of its value
            checked.add(expectation.kind)
    assert len(checked) >= len(EXPECTATIONS) // 2
