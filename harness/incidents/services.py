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
            "kinesis": "kinesis", "step functions": "stepfunctions", "ssm": "ssm", "kms": "kms",
            "dlq": "sqs", "queue": "sqs", "table": "dynamodb", "bucket": "s3", "iot": "iot-data"}
# What a message's verb says about the operation when it names none ("Final unlock failed", "querying
# conversations"): the first verb found picks the operation of the service the code belongs to.
VERBS = (("quer", {"dynamodb": "Query"}), ("scan", {"dynamodb": "Scan"}),
         ("delet", {"dynamodb": "DeleteItem", "sqs": "DeleteMessage", "s3": "DeleteObject"}),
         ("remov", {"dynamodb": "DeleteItem", "sqs": "DeleteMessage", "s3": "DeleteObject"}),
         ("unlock", {"dynamodb": "UpdateItem"}), ("lock", {"dynamodb": "UpdateItem"}),
         ("releas", {"dynamodb": "UpdateItem"}), ("updat", {"dynamodb": "UpdateItem"}),
         ("append", {"dynamodb": "UpdateItem"}), ("mark", {"dynamodb": "UpdateItem"}),
         ("roll", {"dynamodb": "UpdateItem"}), ("restor", {"dynamodb": "UpdateItem"}),
         ("sav", {"dynamodb": "PutItem", "s3": "PutObject"}), ("stor", {"dynamodb": "PutItem", "s3": "PutObject"}),
         ("writ", {"dynamodb": "PutItem", "s3": "PutObject"}), ("creat", {"dynamodb": "PutItem"}),
         ("put", {"dynamodb": "PutItem", "s3": "PutObject", "events": "PutEvents"}),
         ("read", {"dynamodb": "GetItem", "s3": "GetObject"}), ("load", {"dynamodb": "GetItem", "s3": "GetObject"}),
         ("fetch", {"dynamodb": "GetItem", "s3": "GetObject"}), ("get", {"dynamodb": "GetItem", "s3": "GetObject"}),
         ("send", {"sqs": "SendMessage", "events": "PutEvents"}), ("queu", {"sqs": "SendMessage"}),
         ("enqueu", {"sqs": "SendMessage"}), ("requeu", {"sqs": "SendMessage"}),
         ("dead-letter", {"sqs": "SendMessage"}), ("publish", {"sns": "Publish", "iot-data": "Publish"}),
         ("invok", {"lambda": "Invoke"}))
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


def services_with_operation(operation: str) -> list[str]:
    """Common services that have `operation` (Publish: sns and iot-data)."""
    return [name for name in COMMON if operation in _operations(name)]


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


def operation_by_verb(text: str, service: str) -> str | None:
    """The operation of `service` the message's first telling verb points at (None: no verb says)."""
    words = re.findall(r"[a-z][a-z-]*", text.lower())
    for word in words:
        for stem, operations in VERBS:
            if word.startswith(stem) and service in operations:
                return operations[service]
    return None


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
