"""Error categorisation of AWS failures, and the retry policy's bounds (backoff, attempts, deadline)."""
from __future__ import annotations

import random

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from hypothesis import given
from hypothesis import strategies as st

URL = "https://dynamodb.us-east-1.amazonaws.com/"


@pytest.mark.parametrize(
    ("code", "status", "category", "retryable", "conflict"),
    [
        ("ProvisionedThroughputExceededException", 400, "dynamodb_throttling", True, False),
        ("ThrottlingException", 400, "dynamodb_throttling", True, False),
        ("RequestLimitExceeded", 400, "dynamodb_throttling", True, False),
        ("AccessDeniedException", 400, "access_denied", False, False),
        ("UnrecognizedClientException", 400, "access_denied", False, False),
        ("InternalServerError", 500, "dynamodb_other", True, False),
        ("ServiceUnavailable", 503, "dynamodb_other", True, False),
        ("SomethingNew", 502, "dynamodb_other", True, False),
        ("ValidationException", 400, "dynamodb_other", False, False),
        ("ResourceNotFoundException", 400, "dynamodb_other", False, False),
        ("TransactionConflictException", 400, "dynamodb_other", False, True),
        ("ConditionalCheckFailedException", 400, "dynamodb_other", False, True),
    ],
)
def test_client_errors_are_classified_by_aws_error_code(handler, client_error, code, status, category,
                                                       retryable, conflict):
    failure = handler.errors.classify(client_error(code, "GetItem", status))

    assert (failure.category.value, failure.code, failure.retryable, failure.conflict) == (
        category, code, retryable, conflict)


@pytest.mark.parametrize(
    "exc",
    [
        EndpointConnectionError(endpoint_url=URL),
        ConnectTimeoutError(endpoint_url=URL),
        ReadTimeoutError(endpoint_url=URL),
        ConnectionClosedError(endpoint_url=URL),
    ],
)
def test_connection_failures_and_timeouts_are_network_errors_and_retryable(handler, exc):
    failure = handler.errors.classify(exc)

    assert (failure.category.value, failure.code, failure.retryable) == ("network", type(exc).__name__, True)


def test_other_botocore_errors_are_permanent_dynamodb_errors(handler):
    failure = handler.errors.classify(ParamValidationError(report="bad"))

    assert (failure.category.value, failure.code, failure.retryable) == (
        "dynamodb_other", "ParamValidationError", False)


@pytest.mark.parametrize(
    ("reasons", "category", "code", "retryable", "conflict"),
    [
        (["ThrottlingError", "None"], "dynamodb_throttling", "TransactionCanceled:ThrottlingError", True, False),
        (["None", "ProvisionedThroughputExceeded"], "dynamodb_throttling",
         "TransactionCanceled:ProvisionedThroughputExceeded", True, False),
        (["ConditionalCheckFailed", "None"], "dynamodb_other", "TransactionCanceled:ConditionalCheckFailed",
         False, True),
        (["None", "TransactionConflict"], "dynamodb_other", "TransactionCanceled:TransactionConflict", False, True),
        (["ConditionalCheckFailed", "ThrottlingError"], "dynamodb_throttling",
         "TransactionCanceled:ThrottlingError", True, False),
        (["None", "ValidationError"], "dynamodb_other", "TransactionCanceled:ValidationError", False, False),
        ([], "dynamodb_other", "TransactionCanceled:Unknown", False, False),
    ],
)
def test_cancelled_transactions_are_classified_by_their_cancellation_reasons(handler, client_error, reasons,
                                                                            category, code, retryable, conflict):
    exc = client_error("TransactionCanceledException", "TransactWriteItems",
                       CancellationReasons=[{"Code": reason} for reason in reasons])

    failure = handler.errors.classify(exc)

    assert (failure.category.value, failure.code, failure.retryable, failure.conflict) == (
        category, code, retryable, conflict)


def test_every_category_has_its_own_metric(handler):
    names = {category: handler.errors.ERROR_METRIC[category] for category in handler.errors.Category}

    assert names == {
        handler.errors.Category.VALIDATION: "ValidationErrors",
        handler.errors.Category.DYNAMODB_THROTTLING: "DynamoDBThrottlingErrors",
        handler.errors.Category.DYNAMODB_OTHER: "DynamoDBOtherErrors",
        handler.errors.Category.NETWORK: "NetworkErrors",
        handler.errors.Category.ACCESS_DENIED: "AccessDeniedErrors",
        handler.errors.Category.METRICS: "MetricsErrors",
    }


@given(retry_number=st.integers(min_value=1, max_value=40), seed=st.integers(min_value=0, max_value=2**32))
def test_backoff_delay_is_always_between_1_and_30_seconds(handler, retry_number, seed):
    handler.retry._rng.seed(seed)

    delay = handler.retry.RetryPolicy().delay_s(retry_number)

    assert 1.0 <= delay <= 30.0
    assert delay <= 2.0**retry_number


@pytest.mark.parametrize(("retry_number", "ceiling"), [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 30.0), (9, 30.0)])
def test_backoff_ceiling_doubles_per_retry_and_caps_at_30_seconds(handler, jitter, retry_number, ceiling):
    class Capture:
        @staticmethod
        def uniform(low, high):
            return (low, high)

    jitter(Capture())

    assert handler.retry.RetryPolicy().delay_s(retry_number) == (1.0, ceiling)


def test_backoff_has_jitter(handler, jitter):
    jitter(random.Random(1))

    delays = {round(handler.retry.RetryPolicy().delay_s(4), 6) for _ in range(20)}

    assert len(delays) > 10


@pytest.mark.parametrize(
    ("delay_s", "remaining_ms", "fits"),
    [
        (1.0, 8_000, True),
        (1.0, 7_999, False),
        (16.0, 23_000, True),
        (16.0, 22_999, False),
        (2.0, 30_000, True),
    ],
)
def test_a_retry_must_leave_the_reserve_for_one_attempt_and_a_clean_exit(handler, delay_s, remaining_ms, fits):
    assert handler.retry.RetryPolicy(reserve_ms=7_000).fits_deadline(delay_s, remaining_ms) is fits


def test_attempt_limits_are_per_kind_of_failure(handler):
    policy = handler.retry.RetryPolicy()
    failure = handler.errors.Failure

    assert policy.attempt_limit(failure(handler.errors.Category.DYNAMODB_THROTTLING, "x", retryable=True)) == 8
    assert policy.attempt_limit(failure(handler.errors.Category.NETWORK, "x", retryable=True)) == 3
    assert policy.attempt_limit(failure(handler.errors.Category.DYNAMODB_OTHER, "x", retryable=True)) == 3
