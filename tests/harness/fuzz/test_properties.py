"""The properties `harness fuzz` checks on one invocation (and the `contract` expectation checks in a scenario)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.fuzz.properties import ranges_text, status_ranges, violations
from harness.lambda_runtime.runtime import InvocationResult


def result(status="success", payload=None, error=None, logs=()):
    return InvocationResult("req-1", "Fn", "RequestResponse", status, payload, error, tuple(logs))


def test_an_unhandled_exception_breaks_the_contract_unless_errors_are_allowed():
    failed = result("error", error={"errorType": "ValueError", "errorMessage": "bad quantity"})
    assert violations(failed, source="async") == ["unhandled ValueError: bad quantity"]
    assert violations(failed, source="sqs", errors=True) == []


def test_a_timeout_always_breaks_the_contract():
    assert violations(result("timeout"), source="sqs", errors=True) == ["the invocation timed out"]


@pytest.mark.parametrize("status, broken", [(200, False), (400, False), (499, False), (500, True), (503, True)])
def test_api_answers_must_have_a_documented_status(status, broken):
    problems = violations(result(payload={"statusCode": status, "body": "{}"}), source="api")
    assert bool(problems) == broken and (not broken or f"answered HTTP {status}" in problems[0])


def test_a_malformed_proxy_response_is_a_502_at_the_gateway():
    [problem] = violations(result(payload={"statusCode": 200, "body": {"not": "text"}}), source="api")
    assert problem.startswith("malformed proxy response (API Gateway answers 502)")


def test_a_secret_in_the_logs_is_reported_masked():
    [problem] = violations(result(logs=["token=s3cr3t-value here"]), source="async", secrets=("s3cr3t-value",))
    assert "***" in problem and "s3cr3t-value" not in problem


@given(st.lists(st.tuples(st.integers(100, 599), st.integers(0, 50)), min_size=1, max_size=4))
def test_status_ranges_round_trip_through_their_text(pairs):
    ranges = tuple((low, min(599, low + width)) for low, width in pairs)
    assert status_ranges(ranges_text(ranges)) == ranges


@pytest.mark.parametrize("text", ["", "600", "499-100", "abc", "1-2"])
def test_bad_status_ranges_are_value_errors(text):
    with pytest.raises(ValueError):
        status_ranges(text)
