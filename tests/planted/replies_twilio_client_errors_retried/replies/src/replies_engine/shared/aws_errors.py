"""Classify botocore failures as transient (worth retrying later) or permanent."""
from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

TRANSIENT_ERROR_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "RequestThrottled",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalFailure",
        "InternalServiceError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KmsThrottled",
    }
)

_TRANSIENT_BOTOCORE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError``, else the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def is_transient(exc: BaseException) -> bool:
    """True for throttling, 5xx and network timeouts/connection failures; False for everything else."""
    if isinstance(exc, ClientError):
        if error_code(exc) in TRANSIENT_ERROR_CODES:
            return True
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return isinstance(status, int) and status >= 500
    return isinstance(exc, _TRANSIENT_BOTOCORE)


def is_conditional_check_failure(exc: BaseException) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) == "ConditionalCheckFailedException"


def is_aws_error(exc: BaseException) -> bool:
    return isinstance(exc, (ClientError, BotoCoreError))
