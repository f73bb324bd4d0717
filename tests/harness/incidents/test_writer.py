"""From a timeline to fault rules, steps and expectations."""
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.incidents import writer
from harness.incidents.inputs import Input
from harness.incidents.system import load_system
from harness.incidents.timeline import Failure, Invocation, Timeline

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def earnings():
    return load_system(ROOT / "handlers" / "earnings" / "template.yaml")


def invocation(rid: str, start: float, end: float, **kw) -> Invocation:
    return Invocation("earnings-mark-earnings-processed", rid, kw.pop("attempt", 1), start, end=end, **kw)


def failure(at: float, since: float, attempts: int = 1, **data) -> Failure:
    data = {"service": "dynamodb", "operation": "TransactWriteItems", "code": "ThrottlingException", **data}
    return Failure("aws_error", "earnings-mark-earnings-processed", "r1", since, at, attempts, data, "f:1")


def test_equal_failures_become_one_rule_with_their_window_and_attempts(earnings):
    rule, why = writer.failure_rule([failure(1.5, 1.2, 3), failure(4.0, 3.1)], earnings, set())
    assert why == ""
    assert rule["match"] == {"service": "dynamodb", "operation": "TransactWriteItems",
                             "function": "MarkEarningsProcessedFunction", "window": {"from": 1.199, "until": 4.001}}
    assert rule["effect"] == {"type": "aws_error", "code": "ThrottlingException"}
    assert rule["times"] == 4


def test_a_failure_with_no_known_service_is_not_a_rule(earnings):
    rule, why = writer.failure_rule([failure(1.0, 0.0, service=None, operation=None, code="Weird")], earnings, set())
    assert rule is None and "no operation" in why


def test_timeouts_crashes_and_init_failures_become_lambda_faults(earnings):
    timeline = Timeline(datetime(2026, 1, 1, tzinfo=UTC), [
        invocation("r1", 0.0, 30.0, status="timeout"),
        invocation("r2", 40.0, 40.2, error_type="Runtime.OutOfMemory", status="error"),
        invocation("r3", 50.0, 50.1, error_type="Runtime.ImportModuleError", init_ms=12.0),
        invocation("r4", 60.0, 90.0, status="timeout", failures=[failure(61.0, 60.0)]),
        invocation("r5", 95.0, 95.1, error_type="KeyError"),
    ])
    rules, notes = writer.outcome_rules(timeline, earnings, set())
    assert [(r["effect"]["type"], r["match"]["window"], r["times"]) for r in rules] == [
        ("lambda_timeout", {"from": 0.0, "until": 0.001}, 1),
        ("lambda_crash", {"from": 39.999, "until": 40.001}, 1),
        ("init_failure", {"from": 49.999, "until": 50.001}, 1)]
    assert rules[1]["effect"]["error_type"] == "Runtime.OutOfMemory"
    assert [n.reason.split(" with")[0] for n in notes] == ["the handler raised KeyError"]


def test_a_log_stream_serving_runs_a_day_apart_was_kept_warm(earnings):
    timeline = Timeline(datetime(2026, 1, 1, tzinfo=UTC), [
        invocation("r1", 0.0, 1.0, stream="s1"), invocation("r2", 86400.0, 86401.0, stream="s1"),
        invocation("r3", 100.0, 101.0, stream="s2"), invocation("r4", 200.0, 201.0, stream="s2")])
    [rule] = writer.container_rules(timeline, earnings, set())
    assert rule["effect"] == {"type": "reuse_container"}
    assert rule["match"]["window"] == {"from": 0.0, "until": 0.001}


def test_steps_wait_for_a_synchronous_request_before_counting_the_gap():
    first = Input(0.0, {"http": {"method": "POST", "path": "/x"}}, "a", "k1", done=15.0)
    second = Input(20.0, {"http": {"method": "POST", "path": "/x"}}, "b", "k2", done=35.0)
    third = Input(40.0, {"put_event": {"source": "s", "detail_type": "d"}}, "c", "k3")
    steps = writer.steps_from([first, second, third], 50.0)
    assert steps == [first.step, {"advance": 5.0}, second.step, {"advance": 5.0}, third.step, {"advance": 11.0}]


def test_a_retried_code_with_unknown_attempts_fails_every_attempt_in_its_own_window(earnings):
    clusters = writer._clusters([failure(1.5, 1.2, None, code="InternalServerError"),
                                 failure(9.0, 8.0, None, code="InternalServerError")])
    assert len(clusters) == 2  # one window each: the calls between them succeeded
    rule, _ = writer.failure_rule(clusters[0], earnings, set())
    assert "times" not in rule and rule["match"]["window"] == {"from": 1.199, "until": 1.501}


def test_a_code_botocore_does_not_retry_with_unknown_attempts_is_one_attempt(earnings):
    rule, _ = writer.failure_rule([failure(1.5, 1.2, None, code="AccessDeniedException")], earnings, set())
    assert rule["times"] == 1
