"""Does the harness read a template's Lambda authorizers the way AWS's SAM transform does? One check of
harness.sam_agreement: for every Api and HttpApi event, the authorizer the harness puts on the route against the
`security` of the transform's OpenAPI operation, and the authorizer's kind, function, identity sources, TTL, payload
format, simple responses and validation expression against its `x-amazon-apigateway-authorizer`."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.errors import InputError
from harness.sources.authorizers import LambdaAuthorizer, build, chosen
from harness.sources.base import EventSpec
from harness.template import FUNCTION_TYPE, EventSource, Template

# (event type, SAM's implicit API, the event's API key, Globals section, API kind)
API_EVENTS = (("Api", "ServerlessRestApi", "RestApiId", "Api", "rest"),
              ("HttpApi", "ServerlessHttpApi", "ApiId", "HttpApi", "http"))
# How SAM writes each identity source kind, per API kind.
EXPRESSIONS = {"rest": {"header": "method.request.header.", "querystring": "method.request.querystring.",
                        "stagevariable": "stageVariables.", "context": "context."},
               "http": {"header": "$request.header.", "querystring": "$request.querystring.",
                        "stagevariable": "$stageVariables.", "context": "$context."}}


def authorizer_disagreements(template: Template, translation: Any, names: dict[str, str]) -> Iterator[tuple[int, str]]:
    """Lambda authorizers of Api and HttpApi events: the authorizer on each route, its kind, function, identity
    sources, TTL, payload format, simple responses and validation expression against the transform's OpenAPI."""
    for event_type, implicit, key, section, kind in API_EVENTS:
        for fid, fn in template.functions.items():
            if template.resources[fid].type != FUNCTION_TYPE:
                continue
            for event in (e for e in fn.events if e.type == event_type):
                api_ref = event.properties.get(key) or {"Ref": implicit}
                api_id = str(api_ref.get("Ref")) if isinstance(api_ref, dict) else str(api_ref)
                body = translation.properties(api_id).get("Body")
                operation = translation.route_operation(api_id, event_type, event.properties)
                if operation is None:
                    continue  # the API has its own definition, or the route check reports the missing route
                owner = template.resources.get(api_id)
                auth = (owner.properties if owner else (template.globals.get(section) or {})).get("Auth") or {}
                label = f"event {fid}.{event.name} ({event_type})"
                yield from (((event.line, f"{label}: {what}")) for what in _compare(
                    template, kind, auth, event, operation, body, fid))


def _compare(template: Template, kind: str, auth: dict, event: EventSource, operation: dict, body: dict,
             fid: str) -> Iterator[str]:
    ours = chosen(auth, event.properties)
    security = operation.get("security") or []
    theirs = next(iter(security[0]), None) if security and isinstance(security[0], dict) else None
    theirs = None if theirs == "NONE" else theirs
    if ours != theirs:
        yield f"the harness protects the route with {ours or 'no authorizer'}, SAM's transform with " \
              f"{theirs or 'none'}"
        return
    definition = (auth.get("Authorizers") or {}).get(ours) if ours else None
    if not isinstance(definition, dict) or "FunctionArn" not in definition:
        return  # no authorizer, or one the harness does not emulate (warned at load)
    spec = EventSpec(None, event.name, event.type, event.properties, template.where(event.line))
    try:
        authorizer = build(kind, spec, ours, "", definition)
    except InputError as exc:
        yield f"the harness refuses authorizer {ours!r}: {exc}"
        return
    schemes = body.get("securityDefinitions") or (body.get("components") or {}).get("securitySchemes") or {}
    scheme = schemes.get(ours) or {}
    yield from _differences(kind, authorizer, definition, scheme)


def _differences(kind: str, authorizer: LambdaAuthorizer, definition: dict, scheme: dict) -> Iterator[str]:
    extension = scheme.get("x-amazon-apigateway-authorizer") or {}
    expected = {
        "type": authorizer.type.lower(),
        "function": definition["FunctionArn"],
        "identity": [EXPRESSIONS[kind][i.kind] + i.name for i in authorizer.identity],
        "validation": authorizer.validation.pattern if authorizer.validation else None,
    }
    found = {
        "type": extension.get("type"),
        "function": (((extension.get("authorizerUri") or {}).get("Fn::Sub") or [None, {}])[1] or {}).get(
            "__FunctionArn__"),
        "identity": _identity(extension.get("identitySource"), scheme) if authorizer.type == "REQUEST" else
        [EXPRESSIONS[kind]["header"] + str(scheme.get("name"))],
        "validation": extension.get("identityValidationExpression"),
    }
    if "authorizerResultTtlInSeconds" in extension:
        expected["ttl"], found["ttl"] = authorizer.ttl, int(extension["authorizerResultTtlInSeconds"])
    if kind == "http":
        expected["payload format"] = authorizer.version
        found["payload format"] = str(extension.get("authorizerPayloadFormatVersion"))
        expected["simple responses"] = authorizer.simple
        found["simple responses"] = bool(extension.get("enableSimpleResponses"))
    for what, ours in expected.items():
        if ours != found[what]:
            yield f"authorizer {authorizer.name!r} {what}: the harness reads {ours!r}, SAM's transform writes " \
                  f"{found[what]!r}"


def _identity(source: Any, scheme: dict) -> list[str]:
    if isinstance(source, list):
        return [str(s) for s in source]
    return [s.strip() for s in str(source).split(",") if s.strip()] if source else []
