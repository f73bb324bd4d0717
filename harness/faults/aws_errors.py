"""Protocol-correct AWS error responses: the status, headers and body a real service sends for an error code.

Each protocol puts the code somewhere else (what botocore's parsers read, `botocore/parsers.py`):
- json (DynamoDB, EventBridge, SQS): body `{"__type": "<namespace>#<Code>", "message": ...}`; SQS is
  *query compatible*, so the code a handler sees comes from the `x-amzn-query-error: <QueryCode>;Sender` header
  (`AWS.SimpleQueueService.NonExistentQueue`) while `__type` names the modeled shape (`QueueDoesNotExist`);
- rest-json (Lambda): header `x-amzn-ErrorType: <Code>`, body `{"Type": "User", "message": ...}`;
- query (SNS) and rest-xml (S3): an XML `<Error><Code>` document;
- smithy-rpc-v2-cbor (CloudWatch): a CBOR map with `__type`.
The status comes from the model when it says (Lambda's errors carry `httpStatusCode`), else from the table below
(AWS API references; SQS's `RequestThrottled` is 403 as botocore's `_retry.json` expects), else 400 for a
client error and 500 for a modeled server fault.
"""
from __future__ import annotations

import functools
from typing import Any

from harness.aws.wire import aws_response
from harness.faults.catalog import Service

# Codes a service answers with that are not (or not always) in its model, with their usual status.
COMMON_STATUS = {
    "ThrottlingException": 400, "Throttling": 400, "RequestLimitExceeded": 400,
    "ProvisionedThroughputExceededException": 400, "TooManyRequestsException": 400,
    "InternalServerError": 500, "InternalFailure": 500, "InternalError": 500, "InternalException": 500,
    "ServiceException": 500, "ServiceUnavailable": 503, "ServiceUnavailableException": 503,
    "AccessDeniedException": 400, "AccessDenied": 403, "UnrecognizedClientException": 400,
    "ExpiredTokenException": 400, "IncompleteSignature": 400, "ValidationException": 400,
    "RequestTimeout": 408, "RequestTimeoutException": 408, "RequestThrottled": 403, "KmsThrottled": 400,
    "SlowDown": 503,
}
# rest-json services send some of those with a different status.
REST_STATUS = {"TooManyRequestsException": 429, "AccessDeniedException": 403, "ThrottlingException": 429}

# SQS (query compatible): the code handlers see -> (modeled shape in `__type`, status). Shapes not listed use
# their own name as the code (KmsThrottled, RequestThrottled, InvalidAddress, ...).
SQS_QUERY_CODES = {
    "AWS.SimpleQueueService.NonExistentQueue": "QueueDoesNotExist",
    "AWS.SimpleQueueService.PurgeQueueInProgress": "PurgeQueueInProgress",
    "AWS.SimpleQueueService.QueueDeletedRecently": "QueueDeletedRecently",
    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct": "BatchEntryIdsNotDistinct",
    "AWS.SimpleQueueService.EmptyBatchRequest": "EmptyBatchRequest",
    "AWS.SimpleQueueService.InvalidBatchEntryId": "InvalidBatchEntryId",
    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest": "TooManyEntriesInBatchRequest",
    "AWS.SimpleQueueService.BatchRequestTooLong": "BatchRequestTooLong",
    "AWS.SimpleQueueService.UnsupportedOperation": "UnsupportedOperation",
    "AWS.SimpleQueueService.MessageNotInflight": "MessageNotInflight",
    "QueueAlreadyExists": "QueueNameExists",
}
SQS_SHAPE_TO_QUERY = {shape: code for code, shape in SQS_QUERY_CODES.items()}

MESSAGES = {
    "ProvisionedThroughputExceededException": "The level of configured provisioned throughput for the table was "
                                              "exceeded. Consider increasing your provisioning level with the "
                                              "UpdateTable API.",
    "ThrottlingException": "Rate exceeded",
    "RequestLimitExceeded": "Throughput exceeds the current throughput limit for your account. Please contact "
                            "AWS Support at https://aws.amazon.com/support request a limit increase",
    "ConditionalCheckFailedException": "The conditional request failed",
    "ResourceNotFoundException": "Requested resource not found",
    "InternalServerError": "Internal server error",
    "ServiceUnavailable": "Service Unavailable",
    "TooManyRequestsException": "Rate Exceeded.",
    "AWS.SimpleQueueService.NonExistentQueue": "The specified queue does not exist.",
    "RequestThrottled": "The request was denied due to request throttling.",
    "KmsThrottled": "The request was denied due to request throttling by AWS KMS.",
}


@functools.cache
def _modeled(service: Service) -> dict[str, tuple[str, str, Any]]:
    """Every modeled error of `service` by shape name and by wire code: (shape name, wire code, shape)."""
    table: dict[str, tuple[str, str, Any]] = {}
    for op in service.operations:
        for shape in service.model.operation_model(op).error_shapes:
            wire = shape.error_code or shape.name
            if service.id == "sqs":  # the pinned SQS model lacks its query codes
                wire = SQS_SHAPE_TO_QUERY.get(shape.name, wire)
            table[shape.name] = table[wire] = (shape.name, wire, shape)
    return table


def known_codes(service: Service) -> set[str]:
    """Every code `aws_error` accepts for `service` without an explicit status (shape names and wire codes)."""
    return set(_modeled(service)) | set(COMMON_STATUS)


def resolve_code(service: Service | None, code: str) -> tuple[str, str, Any]:
    """(shape name for `__type`, code the client sees, modeled shape or None) for a code or a shape name."""
    if service is not None and code in _modeled(service):
        return _modeled(service)[code]
    return code, code, None


def status_for(service: Service | None, code: str) -> int:
    """The HTTP status a real service answers `code` with."""
    _, _, shape = resolve_code(service, code)
    modeled = (shape.metadata.get("error") or {}).get("httpStatusCode") if shape is not None else None
    if modeled:
        return int(modeled)
    if service is not None and service.protocol.startswith("rest") and code in REST_STATUS:
        return REST_STATUS[code]
    if code in COMMON_STATUS:
        return COMMON_STATUS[code]
    if shape is not None and shape.metadata.get("fault"):
        return 500
    return 400


def error_response(request: Any, service: Service | None, code: str, message: str, status: int,
                   extra: dict | None = None) -> Any:
    """An AWSResponse carrying `code` the way `service`'s protocol does."""
    protocol = service.protocol if service is not None else "json"
    sender = "Sender" if status < 500 else "Receiver"
    extra = dict(extra or {})
    shape, wire, _ = resolve_code(service, code)
    query_compatible = service is not None and service.query_compatible
    if protocol == "json":
        version = service.model.metadata.get("jsonVersion", "1.0") if service else "1.0"
        headers = {"Content-Type": f"application/x-amz-json-{version}"}
        if query_compatible:
            headers["x-amzn-query-error"] = f"{wire};{sender}"
        namespace = _namespace(service)
        body = {"__type": f"{namespace}#{shape}" if namespace else shape, "message": message, **extra}
        return aws_response(request, status, body, headers, content_type=headers["Content-Type"])
    if protocol == "rest-json":
        body = {"Type": "User" if status < 500 else "Service", "message": message, **extra}
        return aws_response(request, status, body, {"x-amzn-ErrorType": wire})
    if protocol == "smithy-rpc-v2-cbor":
        body = cbor_map({"__type": shape, "message": message})
        headers = {"smithy-protocol": "rpc-v2-cbor"}
        if query_compatible:
            headers["x-amzn-query-error"] = f"{wire};{sender}"
        return aws_response(request, status, body, headers, content_type="application/cbor")
    text = (f"<Code>{_xml(wire)}</Code><Message>{_xml(message)}</Message>")
    if protocol == "query":
        body = (f"<ErrorResponse><Error><Type>{sender}</Type>{text}</Error>"
                f"<RequestId>harness</RequestId></ErrorResponse>")
        return aws_response(request, status, body, content_type="text/xml")
    return aws_response(request, status, f"<Error>{text}<RequestId>harness</RequestId></Error>",
                        content_type="application/xml")


def _namespace(service: Service | None) -> str:
    if service is None:
        return ""
    if service.id == "dynamodb":
        return "com.amazonaws.dynamodb.v20120810"
    if service.model.metadata.get("jsonVersion", "1.0") == "1.0":
        return f"com.amazonaws.{service.name}"
    return ""


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cbor_map(values: dict[str, str]) -> bytes:
    """A CBOR map of text keys to text values (all the error document needs)."""
    out = bytearray(_cbor_head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            data = text.encode()
            out += _cbor_head(3, len(data)) + data
    return bytes(out)


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    if length < 65536:
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + length.to_bytes(4, "big")
