"""Failure detectors: botocore's error text, throttles, HTTP client errors and structured error fields, as real
handlers log them."""
import pytest

from harness.incidents.detectors import detect


def found(text: str, fields: dict | None = None):
    return [(f.kind, f.data) for f in detect(text, fields or {}, "rid")]


def test_botocore_error_with_retries_counts_every_attempt():
    [(kind, data)] = found("An error occurred (ProvisionedThroughputExceededException) when calling the PutItem "
                           "operation (reached max retries: 9): The level of configured provisioned throughput for "
                           "the table was exceeded.")
    assert kind == "aws_error"
    assert (data["service"], data["operation"], data["code"], data["attempts"]) == \
        ("dynamodb", "PutItem", "ProvisionedThroughputExceededException", 10)


def test_botocore_error_without_retries_is_one_attempt_and_finds_the_service_by_operation():
    [(_, data)] = found("[ERROR] AccessDeniedException: An error occurred (AccessDeniedException) when calling the "
                        "GetSecretValue operation: User is not authorized")
    assert (data["service"], data["operation"], data["attempts"]) == ("secretsmanager", "GetSecretValue", 1)


def test_the_same_botocore_error_in_message_and_exception_field_counts_once():
    text = ("An error occurred (InternalServerError) when calling the PutItem operation (reached max retries: 3): "
            "Internal server error")
    assert len(found("Hot table write failed", {"error": text, "exception": "Traceback ...\n" + text})) == 1


def test_botocore_connection_error_names_the_service_by_endpoint():
    [(_, data)] = found('Could not connect to the endpoint URL: "https://sqs.us-east-1.amazonaws.com/"')
    assert (data["service"], data["network"]) == ("sqs", "EndpointConnectionError")


@pytest.mark.parametrize("text, code, service", [
    (("Lambda invoke failed: TooManyRequestsException Rate Exceeded. Reason: "
     "ReservedFunctionConcurrentInvocationLimitExceeded"), "TooManyRequestsException", "lambda"),
    ("SQS SendMessage throttled: Rate exceeded", "ThrottlingException", "sqs"),
])
def test_throttles_named_without_botocore_sentence(text, code, service):
    [(_, data)] = found(text)
    assert (data["code"], data["service"]) == (code, service)


def test_requests_http_error_gives_status_url_and_host():
    [(kind, data)] = found("503 Server Error: Service Unavailable for url: "
                           "https://api.twilio.com/2010-04-01/Accounts/AC0000/Messages.json")
    assert kind == "http_error"
    assert (data["status"], data["host"]) == (503, "api.twilio.com")


@pytest.mark.parametrize("text, error", [
    ("HTTPSConnectionPool(host='api.twilio.com', port=443): Read timed out. (read timeout=10)", "read_timeout"),
    (("HTTPSConnectionPool(host='api.twilio.com', port=443): Max retries exceeded with url: /2010-04-01 (Caused by "
     "ConnectTimeoutError(<urllib3.connection.HTTPSConnection object>, 'Connection to api.twilio.com timed out. "
     "(connect timeout=5)'))"), "connect_timeout"),
    (("HTTPSConnectionPool(host='api.twilio.com', port=443): Max retries exceeded with url: / (Caused by "
     "ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))"), "reset"),
])
def test_urllib3_connection_errors(text, error):
    [(_, data)] = found(text)
    assert (data["host"], data["error"]) == ("api.twilio.com", error)


def test_urllib_http_error_and_structured_status():
    [(_, data)] = found("urllib.error.HTTPError: HTTP Error 502: Bad Gateway", {"url": "https://l2.example.net/x?k=1"})
    assert (data["status"], data["host"], data["url"]) == (502, "l2.example.net", "https://l2.example.net/x")
    [(_, data)] = found("Transient Twilio error; retrying", {"http_status": 503, "attempt": 1})
    assert data["status"] == 503 and "host" not in data


def test_structured_aws_error_code_with_operation_in_field_or_message():
    [(_, data)] = found("DynamoDB call failed", {"operation": "TransactWriteItems",
                                                 "aws_error_code": "ProvisionedThroughputExceededException"})
    assert (data["service"], data["operation"]) == ("dynamodb", "TransactWriteItems")
    assert "attempts" not in data  # the record does not say: botocore may have retried before the handler saw it
    [(_, data)] = found("DynamoDB call failed", {"operation": "TransactWriteItems", "attempt": 2,
                                                 "aws_error_code": "ProvisionedThroughputExceededException"})
    assert data["attempts"] == 1  # the handler numbers its own attempts: one line each
    [(_, data)] = found("SQS SendMessage failed; rolling back", {"errorCode": "ServiceUnavailable", "retryAttempts": 2})
    assert (data["service"], data["operation"], data["attempts"]) == ("sqs", "SendMessage", 3)


@pytest.mark.parametrize("text, fields, expected", [
    ("Failed to send event to DLQ", {"error_code": "INVALID_EVENT", "dlq_error_code": "AccessDenied"},
     ("sqs", "SendMessage", "AccessDenied")),
    ("Final unlock failed; the stalled-lock reset will release the conversation",
     {"aws_error": "AccessDeniedException"}, ("dynamodb", "UpdateItem", "AccessDeniedException")),
    ("Transient DynamoDB error querying conversations", {"aws_error": "InternalServerError"},
     ("dynamodb", "Query", "InternalServerError")),
])
def test_structured_aws_error_without_an_operation_takes_it_from_the_message_verb(text, fields, expected):
    [(_, data)] = found(text, fields)
    assert (data["service"], data["operation"], data["code"]) == expected


def test_a_code_no_model_knows_counts_when_the_record_names_the_operation():
    [(_, data)] = found("SQS SendMessage failed; rolling message back to PENDING", {"errorCode": "SomethingUnexpected"})
    assert (data["service"], data["operation"], data["code"]) == ("sqs", "SendMessage", "SomethingUnexpected")
    assert found("validation failed", {"errorCode": "SomethingUnexpected"}) == []
    read_timeout = found("SQS SendMessage failed", {"errorCode": "ReadTimeoutError", "errorMessage":
                                                    'Read timeout on endpoint URL: "https://sqs.us-east-1.amazonaws.com/"'})
    assert [data.get("network") for _, data in read_timeout] == ["ReadTimeoutError"]  # botocore's, not an AWS code


def test_python_exception_names_are_not_aws_error_codes():
    assert found("bad input", {"error_code": "KeyError"}) == []
    assert found("Webhook received and parsed") == []


def test_structured_record_with_url_and_socket_error_is_a_connection_failure():
    [(_, data)] = found("Connection Error", {"url": "https://twin-l2.example.net/api/ingestion", "attempt": 1,
                                             "error": "ConnectionResetError: [Errno 104] Connection reset by peer"})
    assert (data["error"], data["host"]) == ("reset", "twin-l2.example.net")
