"""What a fault rule may name: AWS services and operations as botocore's own models define them.

The router identifies a request by botocore's hyphenized service id (`dynamodb`, `sqs`, `eventbridge`,
`secrets-manager`) and the operation's API name (`PutItem`). Rules may also use the service's endpoint name
(`events`, `secretsmanager`) or the snake_case method name (`put_item`); both are normalised here, so a rule
that names something botocore does not know is rejected when the plan loads instead of never matching.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from botocore.session import get_session

from harness.template import closest

# Services whose hyphenized id differs from the name botocore loads them by. Reading every model to find the
# rest would take tens of seconds, so other services are named by their loader name (`aws <name>` in the CLI).
ALIASES = {
    "eventbridge": "events", "secrets-manager": "secretsmanager", "cloudwatch-logs": "logs",
    "api-gateway": "apigateway", "cognito-identity-provider": "cognito-idp", "step-functions": "stepfunctions",
    "dynamodb-streams": "dynamodbstreams", "elastic-load-balancing-v2": "elbv2",
    "iot-data-plane": "iot-data", "cloudwatch-events": "events", "api-gateway-management-api": "apigatewaymanagementapi",
}
# Names a rule's `service` may take besides AWS services.
NON_AWS = ("http",)


@dataclass(frozen=True)
class Service:
    """One AWS service as botocore models it."""

    id: str            # hyphenized service id: what the router calls `service`
    name: str          # botocore's loader name (`events` for EventBridge)
    protocol: str      # the protocol botocore uses for it: json, rest-json, query, rest-xml, smithy-rpc-v2-cbor
    model: Any         # botocore ServiceModel

    @property
    def operations(self) -> tuple[str, ...]:
        """API operation names (`PutItem`, ...)."""
        return tuple(self.model.operation_names)

    @property
    def query_compatible(self) -> bool:
        """True for JSON services that still report query-protocol error codes (SQS)."""
        return "awsQueryCompatible" in self.model.metadata


@functools.cache
def _available() -> tuple[str, ...]:
    return tuple(get_session().get_available_services())


@functools.cache
def _load(name: str) -> Service:
    model = get_session().get_service_model(name)
    return Service(model.service_id.hyphenize(), name, model.resolved_protocol, model)


def find_service(name: str) -> Service | None:
    """The service a rule names (hyphenized id, loader name or alias), or None."""
    key = name.strip().lower()
    available = set(_available())
    for candidate in (key, ALIASES.get(key), key.replace("-", "")):
        if candidate and candidate in available:
            return _load(candidate)
    return None


def service_names() -> list[str]:
    """Every name a rule may use for `service` (for error messages)."""
    return sorted(set(_available()) | set(ALIASES) | set(NON_AWS))


def unknown_service_message(name: str) -> str:
    """Why `name` is not a service, with the closest valid name."""
    return (f"unknown service {name!r}{closest(name.lower(), service_names())}; use botocore's service name "
            f"(dynamodb, sqs, lambda, events/eventbridge, s3, ...) or 'http' for outbound HTTP")


def find_operation(service: Service, name: str) -> str | None:
    """The API name of an operation given its API or snake_case name, or None."""
    from botocore import xform_name

    operations = service.operations
    if name in operations:
        return name
    by_snake = {xform_name(op): op for op in operations}
    return by_snake.get(name) or {op.lower(): op for op in operations}.get(name.lower())


def unknown_operation_message(service: Service, name: str) -> str:
    """Why `name` is not an operation of `service`, with the closest valid name."""
    return f"{service.id} has no operation {name!r}{closest(name, list(service.operations))}"
