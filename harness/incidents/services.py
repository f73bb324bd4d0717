"""Which AWS service an operation name or an error code belongs to, from botocore's own models (the services a
Lambda function typically calls, in order of preference when a name is shared)."""
from __future__ import annotations

import functools
import re

from harness.faults.catalog import find_service

COMMON = ("dynamodb", "sqs", "sns", "s3", "lambda", "events", "secretsmanager", "ssm", "kinesis", "stepfunctions",
          "sts", "logs", "cloudwatch", "kms", "iot-data", "sesv2", "firehose")
# How services are named in log messages ("SQS SendMessage failed"), to prefer one when a name is shared.
MENTIONS = {"dynamodb": "dynamodb", "sqs": "sqs", "sns": "sns", "s3": "s3", "lambda": "lambda",
            "eventbridge": "events", "secrets manager": "secretsmanager", "secretsmanager": "secretsmanager",
            "kinesis": "kinesis", "step functions": "stepfunctions", "ssm": "ssm", "kms": "kms"}
_CAMEL = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\b")


@functools.cache
def _operations(name: str) -> frozenset[str]:
    service = find_service(name)
    return frozenset(service.operations) if service else frozenset()


@functools.cache
def _codes(name: str) -> frozenset[str]:
    from harness.faults.aws_errors import known_codes
    service = find_service(name)
    return frozenset(known_codes(service)) if service else frozenset()


def mentioned(text: str) -> list[str]:
    """Services a message names, in COMMON's order."""
    lower = text.lower()
    found = {service for word, service in MENTIONS.items() if re.search(rf"\b{re.escape(word)}\b", lower)}
    return [s for s in COMMON if s in found]


def service_of_operation(operation: str, hints: list[str] = ()) -> str | None:
    """The service (botocore loader name) that has `operation`, preferring services in `hints`."""
    for name in [*hints, *COMMON]:
        if operation in _operations(name):
            return name
    return None


def services_of_code(code: str) -> list[str]:
    """Services whose models define the error `code` (common codes such as ThrottlingException: all)."""
    return [name for name in COMMON if code in _codes(name)]


def operation_in(text: str, hints: list[str] = ()) -> tuple[str | None, str | None]:
    """(service, operation) for the first CamelCase word of `text` that is an operation of a common service."""
    for word in _CAMEL.findall(text):
        service = service_of_operation(word, hints)
        if service:
            return service, word
    return None, None


def service_of_host(host: str) -> str | None:
    """`sqs` for `sqs.us-east-1.amazonaws.com`, None for hosts that are not AWS endpoints."""
    if not host.endswith(("amazonaws.com", "amazonaws.com.cn")):
        return None
    prefix = host.split(".", 1)[0]
    return {"events": "events", "secretsmanager": "secretsmanager"}.get(prefix, prefix if prefix in COMMON else None)


def looks_like_aws_code(code: str) -> bool:
    """True for AWS error codes (`ProvisionedThroughputExceededException`, `ServiceUnavailable`, ...)."""
    import builtins
    if not re.fullmatch(r"[A-Z][A-Za-z0-9.]+", code) or hasattr(builtins, code):
        return False
    return bool(services_of_code(code)) or code.endswith(("Exception", "Fault", "Unavailable", "Throttling"))
