"""Classification of AWS SDK failures by error code: retryable (network, throttling, 5xx) vs permanent."""
from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    ReadTimeoutError,
)


def client_error(code, status=400, query_code=None, attempts=0, message="m"):
    error = {"Code": code, "Message": message}
    if query_code:
        error["QueryErrorCode"] = query_code
    return ClientError({"Error": error, "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": attempts}},
                       "SendMessage")


@pytest.fixture
def classify(import_src):
    return import_src("message_api.errors").classify


@pytest.mark.parametrize(("error", "category", "retryable"), [
    (client_error("RequestThrottled"), "throttling", True),
    (client_error("KmsThrottled"), "throttling", True),
    (client_error("ThrottlingException"), "throttling", True),
    (client_error("ProvisionedThroughputExceededException"), "throttling", True),
    (client_error("InternalError", 500), "server_error", True),
    (client_error("ServiceUnavailable", 503), "server_error", True),
    (client_error("SomethingNew", 502), "server_error", True),
    (client_error("SomethingNew", 429), "throttling", True),
    (client_error("AccessDenied", 403), "access_denied", False),
    (client_error("AccessDeniedException"), "access_denied", False),
    (client_error("KmsAccessDenied"), "access_denied", False),
    (client_error("AWS.SimpleQueueService.NonExistentQueue", query_code="QueueDoesNotExist"),
     "missing_resource", False),
    (client_error("QueueDoesNotExist"), "missing_resource", False),
    (client_error("ResourceNotFoundException"), "missing_resource", False),
    (client_error("InvalidParameterValue"), "invalid_request", False),
    (client_error("InvalidMessageContents"), "invalid_request", False),
    (client_error("ValidationException"), "invalid_request", False),
    (client_error("SomethingNew", 400), "unknown", False),
    (EndpointConnectionError(endpoint_url="https://sqs"), "network", True),
    (ConnectTimeoutError(endpoint_url="https://sqs"), "network", True),
    (ReadTimeoutError(endpoint_url="https://sqs"), "network", True),
    (ConnectionClosedError(endpoint_url="https://sqs"), "network", True),
    (NoCredentialsError(), "access_denied", False),
    (ParamValidationError(report="MessageBody: secret value"), "invalid_request", False),
    (NoRegionError(), "unknown", False),
    (RuntimeError("bug"), "unknown", False),
], ids=lambda value: value if isinstance(value, (str, bool)) else type(value).__name__)
def test_error_is_classified_by_its_aws_code(classify, error, category, retryable):
    result = classify(error)

    assert (result.category, result.retryable) == (category, retryable)


def test_query_compatible_code_is_recognised_when_the_primary_code_is_unfamiliar(classify):
    result = classify(client_error("com.amazonaws.sqs#Unfamiliar", query_code="QueueDoesNotExist"))

    assert result.category == "missing_resource" and result.code == "com.amazonaws.sqs#Unfamiliar"


def test_classification_keeps_code_attempts_and_a_bounded_message(classify):
    result = classify(client_error("InternalError", 500, attempts=2, message="x" * 1000))

    assert result.log_fields() == {"errorCode": "InternalError", "errorCategory": "server_error", "retryable": True,
                                   "retryAttempts": 2, "errorMessage": "x" * 256}


def test_parameter_validation_message_is_not_kept_because_it_can_echo_values(classify):
    assert classify(ParamValidationError(report="MessageBody: secret value")).message == ""


def test_conditional_check_failure_is_recognised_only_for_that_code(import_src):
    errors = import_src("message_api.errors")

    assert errors.is_conditional_check_failure(client_error("ConditionalCheckFailedException"))
    assert not errors.is_conditional_check_failure(client_error("ValidationException"))
    assert not errors.is_conditional_check_failure(RuntimeError("x"))
