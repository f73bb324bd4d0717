"""Error responses in each protocol, parsed by botocore's own parsers the way a client would."""
import pytest
from botocore.parsers import create_parser

from harness.faults.aws_errors import error_response, status_for
from harness.faults.catalog import find_service


class _Request:
    url = "https://example.amazonaws.com/"


@pytest.mark.parametrize(("service", "operation", "code", "status", "error"), [
    ("dynamodb", "PutItem", "ProvisionedThroughputExceededException", 400,
     {"Code": "ProvisionedThroughputExceededException"}),
    ("sqs", "SendMessage", "QueueDoesNotExist", 400,
     {"Code": "AWS.SimpleQueueService.NonExistentQueue", "QueryErrorCode": "QueueDoesNotExist", "Type": "Sender"}),
    ("sqs", "SendMessage", "RequestThrottled", 403, {"Code": "RequestThrottled", "Type": "Sender"}),
    ("lambda", "Invoke", "TooManyRequestsException", 429, {"Code": "TooManyRequestsException"}),
    ("events", "PutEvents", "InternalException", 500, {"Code": "InternalException"}),
    ("cloudwatch", "PutMetricData", "InternalServiceFault", 500, {"Code": "InternalServiceError", "Type": "Receiver"}),
    ("sns", "Publish", "Throttled", 429, {"Code": "Throttled", "Type": "Sender"}),
    ("s3", "GetObject", "SlowDown", 503, {"Code": "SlowDown"}),
    ("s3", "GetObject", "NoSuchKey", 404, {"Code": "NoSuchKey"}),
])
def test_each_protocol_carries_the_code_where_botocore_reads_it(service, operation, code, status, error):
    model = find_service(service)
    assert status_for(model, code) == status
    response = error_response(_Request(), model, code, "boom", status)
    parsed = create_parser(model.protocol).parse(
        {"status_code": response.status_code, "headers": response.headers, "body": response.content},
        model.model.operation_model(operation).output_shape)
    assert {k: parsed["Error"][k] for k in error} == error
    assert parsed["Error"]["Message"] == "boom"
