"""Error categories and the classification of AWS failures into them.

Each category has its own metric (``<Category>Errors``) and its own handling in ``app``:

| category            | examples                                                   | handling                        |
|---------------------|------------------------------------------------------------|---------------------------------|
| validation          | malformed event, unknown record, disallowed transition     | log details, DLQ, no retry      |
| dynamodb_throttling | ProvisionedThroughputExceeded, ThrottlingException, ...    | backoff 1-30 s within deadline  |
| dynamodb_other      | 5xx (retried up to 3 attempts), ValidationException, ...   | 5xx retried; others DLQ         |
| network             | connect/read timeouts, connection closed                   | up to 3 attempts with backoff   |
| access_denied       | AccessDeniedException, UnrecognizedClientException         | security log, alert, DLQ        |
| metrics             | EMF metric could not be recorded or flushed                | warning, processing continues   |
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError


class Category(StrEnum):
    VALIDATION = "validation"
    DYNAMODB_THROTTLING = "dynamodb_throttling"
    DYNAMODB_OTHER = "dynamodb_other"
    NETWORK = "network"
    ACCESS_DENIED = "access_denied"
    METRICS = "metrics"


ERROR_METRIC = {
    Category.VALIDATION: "ValidationErrors",
    Category.DYNAMODB_THROTTLING: "DynamoDBThrottlingErrors",
    Category.DYNAMODB_OTHER: "DynamoDBOtherErrors",
    Category.NETWORK: "NetworkErrors",
    Category.ACCESS_DENIED: "AccessDeniedErrors",
    Category.METRICS: "MetricsErrors",
}

# Top-level error codes and TransactWriteItems cancellation-reason codes meaning "slow down".
THROTTLING_CODES = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingError",
    "ProvisionedThroughputExceeded",
})
ACCESS_DENIED_CODES = frozenset({"AccessDeniedException", "AccessDenied", "UnrecognizedClientException"})
SERVER_ERROR_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
# Another writer changed the item between our read and our conditional write: re-read, no backoff.
CONFLICT_CODES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


@dataclass(frozen=True)
class Failure:
    """A classified AWS failure: its category, the AWS code (or exception name) and how to react."""

    category: Category
    code: str
    retryable: bool = False
    conflict: bool = False


def classify(exc: BotoCoreError | ClientError) -> Failure:
    """Map a botocore exception to a category and a reaction (retry with backoff, re-read, or stop)."""
    if isinstance(exc, (ConnectionError, HTTPClientError)):
        return Failure(Category.NETWORK, type(exc).__name__, retryable=True)
    if not isinstance(exc, ClientError):
        return Failure(Category.DYNAMODB_OTHER, type(exc).__name__)
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code == "TransactionCanceledException":
        return _classify_cancellation(exc)
    if code in THROTTLING_CODES:
        return Failure(Category.DYNAMODB_THROTTLING, code, retryable=True)
    if code in ACCESS_DENIED_CODES:  # PLANTED BUG: a permission error is backed off and retried like a throttle
        return Failure(Category.DYNAMODB_THROTTLING, code, retryable=True)
    if code in SERVER_ERROR_CODES or status >= 500:
        return Failure(Category.DYNAMODB_OTHER, code, retryable=True)
    if code in ("TransactionConflictException", "ConditionalCheckFailedException"):
        return Failure(Category.DYNAMODB_OTHER, code, conflict=True)
    return Failure(Category.DYNAMODB_OTHER, code)


def _classify_cancellation(exc: ClientError) -> Failure:
    reasons = [reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", [])]
    for reason in reasons:
        if reason in THROTTLING_CODES:
            return Failure(Category.DYNAMODB_THROTTLING, f"TransactionCanceled:{reason}", retryable=True)
    for reason in reasons:
        if reason in CONFLICT_CODES:
            return Failure(Category.DYNAMODB_OTHER, f"TransactionCanceled:{reason}", conflict=True)
    failed = next((reason for reason in reasons if reason != "None"), "Unknown")
    return Failure(Category.DYNAMODB_OTHER, f"TransactionCanceled:{failed}")
