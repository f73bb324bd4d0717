"""'The same call' in client_errors_not_retried and retries_bounded: one API on one resource for one input, and
for item operations on one item - a per-item loop (reset this lock, then that one) is not a retry."""
from harness.scenario.ledger import Call
from tests.harness.test_invariants import check, run


def item_call(key, error=None, t=0.0):
    params = {"TableName": "T", "Key": {"conversation_id": key}}
    return Call("dynamodb", "UpdateItem", "T", "fn", "r1", t, 400 if error else 200, error, 0, params)


def test_client_errors_not_retried_allows_the_next_item_after_a_permanent_error_on_one_item():
    view = run()
    view.ledger.calls += [item_call("conv-a", "AccessDeniedException"), item_call("conv-b", t=1.0)]
    assert check("client_errors_not_retried", view).passed


def test_client_errors_not_retried_still_fails_when_the_same_item_is_updated_again():
    view = run()
    view.ledger.calls += [item_call("conv-a", "AccessDeniedException"), item_call("conv-a", t=1.0)]
    result = check("client_errors_not_retried", view)
    assert not result.passed and "AccessDeniedException" in result.violations[0].message


def test_retries_bounded_counts_repeats_per_item():
    view = run()
    view.ledger.calls += [item_call(f"conv-{i}", t=float(i)) for i in range(5)]
    assert check("retries_bounded", view, max_same_call=1).passed
    view.ledger.calls += [item_call("conv-0", t=9.0)]
    assert not check("retries_bounded", view, max_same_call=1).passed
