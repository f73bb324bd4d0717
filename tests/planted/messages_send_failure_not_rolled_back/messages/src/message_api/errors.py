"""Classify AWS SDK failures as retryable or permanent by their AWS error code.

Retryable errors (network, throttling, 5xx) have already been retried by botocore's standard retry
mode by the time they reach the handler; the classification decides what the handler answers (503
"try again" vs 500) and what it logs. Permanent errors (access denied, missing queue or table,
invalid parameter or message too large) are never retried: botocore gives up at once and so do we.

SQS speaks the JSON protocol with AWS-query compatibility, so a missing queue surfaces as
``AWS.SimpleQueueService.NonExistentQueue`` with ``QueryErrorCode`` ``QueueDoesNotExist``; both
spellings are listed.
"""
from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
    "RequestThrottledException", "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "RequestLimitExceeded", "SlowDown", "KmsThrottled",
})
SERVER_ERROR_CODES = frozenset({
    "InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable",
    "RequestTimeout", "RequestTimeoutException",
})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "KmsAccessDenied", "InvalidSecurity",
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
    "SignatureDoesNotMatch", "IncompleteSignature", "MissingAuthenticationToken",
})
MISSING_RESOURCE_CODES = frozenset({
    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist",
    "AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecently",
    "ResourceNotFoundException", "KmsNotFound",
})
INVALID_REQUEST_CODES = frozenset({
    "InvalidParameterValue", "InvalidParameterCombination", "MissingParameter", "InvalidMessageContents",
    "InvalidAddress", "InvalidAttributeValue", "UnsupportedOperation",
    "AWS.SimpleQueueService.UnsupportedOperation", "ValidationException", "ValidationError",
    "RequestEntityTooLarge", "KmsDisabled", "KmsInvalidState", "KmsInvalidKeyUsage", "KmsOptInRequired",
    "ItemCollectionSizeLimitExceededException",
})

_PERMANENT = (
    ("access_denied", ACCESS_DENIED_CODES),
    ("missing_resource", MISSING_RESOURCE_CODES),
    ("invalid_request", INVALID_REQUEST_CODES),
)
_RETRYABLE = (
    ("throttling", THROTTLING_CODES),
    ("server_error", SERVER_ERROR_CODES),
)


@dataclass(frozen=True)
class ErrorClass:
    """What went wrong, in terms an operator and the response code can use."""

    code: str
    category: str
    retryable: bool
    retry_attempts: int | None = None
    message: str = ""

    def log_fields(self) -> dict[str, object]:
        return {
            "errorCode": self.code,
            "errorCategory": self.category,
            "retryable": self.retryable,
            "retryAttempts": self.retry_attempts,
            "errorMessage": self.message,
        }


def _classify_client_error(error: ClientError) -> ErrorClass:
    details = error.response.get("Error", {})
    meta = error.response.get("ResponseMetadata", {})
    code = str(details.get("Code") or "Unknown")
    codes = {code, str(details.get("QueryErrorCode") or "")}
    status = int(meta.get("HTTPStatusCode") or 0)
    common = {"code": code, "retry_attempts": meta.get("RetryAttempts"),
              "message": str(details.get("Message") or "")[:256]}
    for category, known in _PERMANENT:
        if codes & known:
            return ErrorClass(category=category, retryable=False, **common)
    for category, known in _RETRYABLE:
        if codes & known:
            return ErrorClass(category=category, retryable=True, **common)
    if status == 429:
        return ErrorClass(category="throttling", retryable=True, **common)
    if status >= 500:
        return ErrorClass(category="server_error", retryable=True, **common)
    return ErrorClass(category="unknown", retryable=False, **common)


def classify(error: BaseException) -> ErrorClass:
    """Classify any exception raised by a boto3 call (or by code around it)."""
    if isinstance(error, ClientError):
        return _classify_client_error(error)
    if isinstance(error, (BotoConnectionError, HTTPClientError)):
        return ErrorClass(code=type(error).__name__, category="network", retryable=True,
                          message=str(error)[:256])
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return ErrorClass(code=type(error).__name__, category="access_denied", retryable=False,
                          message=str(error)[:256])
    if isinstance(error, ParamValidationError):
        return ErrorClass(code=type(error).__name__, category="invalid_request", retryable=False)
    if isinstance(error, BotoCoreError):
        return ErrorClass(code=type(error).__name__, category="unknown", retryable=False,
                          message=str(error)[:256])
    return ErrorClass(code=type(error).__name__, category="unknown", retryable=False)


def is_conditional_check_failure(error: BaseException) -> bool:
    return isinstance(error, ClientError) and \
        error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"
