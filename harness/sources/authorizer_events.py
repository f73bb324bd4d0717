"""What a Lambda authorizer receives and how its answer is read (API Gateway's documented formats):
the REST `TOKEN` and `REQUEST` events, the HTTP API authorizer events of payload 1.0 and 2.0, IAM policy
evaluation against the method/route ARN, simple responses, and the context the integration then sees."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from harness.sources import proxy

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.authorizers import LambdaAuthorizer, RouteRequest

INVOKE_ACTIONS = ("execute-api:Invoke", "execute-api:*", "*")


def event(authorizer: LambdaAuthorizer, call: RouteRequest, values: list[str | None], request_id: str,
          sim: Any) -> dict:
    """The authorizer function's event."""
    arn = call.arn(sim.region)
    if authorizer.type == "TOKEN":
        return {"type": "TOKEN", "authorizationToken": values[0], "methodArn": arn}
    epoch = sim.clock.now()
    if authorizer.version == "2.0":
        http = proxy.http_api_event(call.request, api_id=call.api.api_id, stage=call.api.stage,
                                    route_key=call.context_variables()["routeKey"],
                                    path_parameters=call.path_parameters, request_id=request_id, epoch=epoch,
                                    host=call.host)
        for absent in ("body", "isBase64Encoded"):  # an authorizer never sees the body
            http.pop(absent, None)
        return {"version": "2.0", "type": "REQUEST", "routeArn": arn,
                "identitySource": [v for v in values if v], **{k: v for k, v in http.items() if k != "version"}}
    rest = proxy.rest_event(call.request, api_id=call.api.api_id, stage=call.api.stage,
                            resource=call.route.resource, path=call.path, path_parameters=call.path_parameters,
                            request_id=request_id, epoch=epoch, host=call.host)
    context = rest["requestContext"]
    out: dict[str, Any] = {}
    if authorizer.api_kind == "http":
        joined = ",".join(v for v in values if v)
        out = {"version": "1.0", "identitySource": joined, "authorizationToken": joined}
    out.update({
        "type": "REQUEST", "methodArn": arn, "resource": rest["resource"], "path": rest["path"],
        "httpMethod": rest["httpMethod"], "headers": rest["headers"] or {},
        "queryStringParameters": rest["queryStringParameters"] or {},
        "pathParameters": rest["pathParameters"] or {},
        "requestContext": {
            "path": context["path"], "accountId": context["accountId"], "resourceId": context["resourceId"],
            "stage": context["stage"], "requestId": context["requestId"],
            "identity": {"sourceIp": context["identity"]["sourceIp"]},
            "resourcePath": context["resourcePath"], "httpMethod": context["httpMethod"],
            "apiId": call.api.api_id,
        },
    })
    return out


def verdict(authorizer: LambdaAuthorizer, answer: Any, arn: str) -> str:
    """'allow', 'explicit' (a Deny matched), 'implicit' (no Allow matched) or 'malformed'."""
    if not isinstance(answer, dict):
        return "malformed"
    if authorizer.simple:
        allowed = answer.get("isAuthorized")
        if not isinstance(allowed, bool):
            return "malformed"
        return "allow" if allowed else "explicit"
    document = answer.get("policyDocument")
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        return "malformed"
    effects = {str(s.get("Effect")) for s in statements if _covers(s, arn)}
    if "Deny" in effects:
        return "explicit"
    return "allow" if "Allow" in effects else "implicit"


def _covers(statement: dict, arn: str) -> bool:
    actions = _listed(statement.get("Action"))
    resources = _listed(statement.get("Resource"))
    return any(a in INVOKE_ACTIONS for a in actions) and any(_glob(r).fullmatch(arn) for r in resources)


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value is not None else []


def _glob(pattern: str) -> re.Pattern:
    """IAM resource wildcards: `*` any run of characters (slashes included), `?` one character."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern))


def integration_context(authorizer: LambdaAuthorizer, answer: dict, payload_version: str,
                        latency_ms: int) -> dict | None:
    """`requestContext.authorizer` of the integration's event; None when a REST context value is an object or
    an array (API Gateway answers 500)."""
    context = answer.get("context") or {}
    if not isinstance(context, dict):
        return None
    if authorizer.api_kind == "http" and payload_version == "2.0":
        return {"lambda": context}
    if authorizer.api_kind == "rest":
        if any(isinstance(v, (dict, list)) for v in context.values()):
            return None
        context = {k: _stringified(v) for k, v in context.items()}  # REST passes every value as a string
    out = dict(context)
    if "principalId" in answer:
        out["principalId"] = answer["principalId"]
    out["integrationLatency"] = latency_ms
    return out


def _stringified(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
