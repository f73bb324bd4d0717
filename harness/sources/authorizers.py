"""Lambda authorizers: REST APIs (`TOKEN` and `REQUEST`) and HTTP APIs (`REQUEST`, authorizer payload 1.0 or 2.0,
simple or IAM policy responses), as SAM declares them under an API's `Auth` and a route's `Auth.Authorizer`.

What API Gateway documents, and the harness does, before a protected route's function runs:
- identity sources are read from the request; a missing one gives 401 without calling the authorizer (HTTP APIs
  always; REST `REQUEST` authorizers when caching is on; a REST `TOKEN` authorizer's header always, and a token
  that fails `ValidationExpression`);
- the authorizer function is invoked synchronously with the documented event; a result is cached per API by
  identity-source values for `ReauthorizeEvery` seconds of virtual time (REST default 300; HTTP APIs cache only
  when it is set), and a cached policy is evaluated again against each new method ARN;
- the answer decides: Allow → the integration runs with the authorizer's context in `requestContext.authorizer`
  (REST: values stringified, with `principalId` and `integrationLatency`; HTTP API payload 2.0: under `lambda`);
  Deny or no matching Allow → 403; error `Unauthorized` (REST) → 401; any other error, timeout or a malformed
  answer → 500.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness import template as _template
from harness.errors import TemplateError
from harness.sources import authorizer_events as events
from harness.sources.base import as_number
from harness.sources.httpmodel import HttpResponse
from harness.template import ACCOUNT_ID

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.base import EventSpec
    from harness.sources.extension import EventSources
    from harness.sources.gateway import Gateway, RestApi, Route
    from harness.sources.httpmodel import HttpRequest

REST_TTL_DEFAULT = 300   # API Gateway REST: authorizerResultTtlInSeconds when not set
MAX_TTL = 3600
IDENTITY_KINDS = {"Headers": "header", "QueryStrings": "querystring", "StageVariables": "stagevariable",
                  "Context": "context"}
REFUSALS = {
    "rest": {401: {"message": "Unauthorized"}, 500: {"message": None},
             "explicit": {"Message": "User is not authorized to access this resource with an explicit deny"},
             "implicit": {"Message": "User is not authorized to access this resource"}},
    "http": {401: {"message": "Unauthorized"}, 500: {"message": "Internal Server Error"},
             "explicit": {"message": "Forbidden"}, "implicit": {"message": "Forbidden"}},
}
# What SAM accepts under Auth that the harness reads; the rest is warned about by name at load.
API_AUTH_KEYS = {"Authorizers", "DefaultAuthorizer"}
ROUTE_AUTH_KEYS = {"Authorizer"}
LAMBDA_AUTHORIZER_KEYS = {"FunctionArn", "FunctionPayloadType", "Identity", "AuthorizerPayloadFormatVersion",
                          "EnableSimpleResponses", "FunctionInvokeRole", "EnableFunctionDefaultPermissions"}

for _type in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi"):
    _template.EMULATED[_type].add("Auth")


@dataclass(frozen=True)
class Identity:
    """One identity source: a header, query string, stage variable or context variable, by name."""

    kind: str
    name: str

    def read(self, request: HttpRequest, context: dict[str, str]) -> str | None:
        """Its value in this request (None or '' when absent)."""
        if self.kind == "header":
            return request.header(self.name)
        if self.kind == "querystring":  # case-sensitive; a repeated parameter's values joined by commas
            return ",".join(v for k, v in request.query_pairs() if k == self.name) or None
        if self.kind == "context":
            return context.get(self.name)
        return None  # stage variables: the harness's stages define none


@dataclass(frozen=True)
class LambdaAuthorizer:
    """One Lambda authorizer of an API."""

    name: str
    function: str            # the authorizer function's name
    api_kind: str            # rest | http
    type: str                # TOKEN | REQUEST
    version: str             # authorizer payload format: 1.0 (REST, HTTP) or 2.0 (HTTP)
    simple: bool             # HTTP API 2.0 EnableSimpleResponses: {"isAuthorized": bool, "context": {...}}
    identity: tuple[Identity, ...]
    ttl: int
    validation: re.Pattern | None = None   # REST TOKEN ValidationExpression

    @property
    def caching(self) -> bool:
        """Results are cached only with a TTL and at least one identity source (API Gateway's rule)."""
        return self.ttl > 0 and bool(self.identity)


@dataclass(frozen=True)
class Decision:
    """What the authorizer step decided: a refusal to answer with, or the integration's authorizer context."""

    refusal: HttpResponse | None
    context: dict | None = None


# ---------------------------------------------------------------------------------------------- configuration
def for_route(sources: EventSources, spec: EventSpec, api: RestApi) -> LambdaAuthorizer | None:
    """The Lambda authorizer protecting a route: its event's `Auth.Authorizer`, else the API's
    `DefaultAuthorizer`; None for `NONE`, no authorizer, or a kind the harness does not emulate (warned at load)."""
    auth = api.auth or {}
    name = chosen(auth, spec.properties)
    if name is None or name == "AWS_IAM":
        return None
    definitions = auth.get("Authorizers") or {}
    if name not in definitions:
        raise spec.error(f"Auth.Authorizer {name!r} is not an authorizer of API {api.logical_id} (declared: "
                         f"{', '.join(sorted(definitions)) or 'none'}){_template.closest(str(name), set(definitions))}")
    definition = definitions[name] or {}
    if "FunctionArn" not in definition:
        return None  # Cognito or JWT: warned about at load
    config = sources.sim.runtime.function(str(definition["FunctionArn"]))
    if config is None:
        raise spec.error(f"authorizer {name!r}: FunctionArn {definition['FunctionArn']!r} is not a function of "
                         f"this template")
    return build(api.kind, spec, name, config.name, definition)


def chosen(auth: dict, event_properties: dict) -> str | None:
    """The name of the authorizer a route uses (its event's `Auth.Authorizer`, else the API's
    `DefaultAuthorizer`); None for `NONE` or none at all."""
    name = (event_properties.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
    return None if name is None or name == "NONE" else str(name)


def build(kind: str, spec: EventSpec, name: str, function: str, definition: dict) -> LambdaAuthorizer:
    """A Lambda authorizer of a REST (`kind` rest) or HTTP API (http) from its SAM definition."""
    return (_http if kind == "http" else _rest)(spec, name, function, definition)


def _rest(spec: EventSpec, name: str, function: str, definition: dict) -> LambdaAuthorizer:
    payload_type = str(definition.get("FunctionPayloadType") or "TOKEN")
    if payload_type not in ("TOKEN", "REQUEST"):
        raise spec.error(f"authorizer {name!r}: FunctionPayloadType must be TOKEN or REQUEST, got {payload_type!r}")
    identity = definition.get("Identity") or {}
    ttl = _ttl(spec, name, identity.get("ReauthorizeEvery"), REST_TTL_DEFAULT)
    if payload_type == "TOKEN":
        expression = identity.get("ValidationExpression")
        return LambdaAuthorizer(name, function, "rest", "TOKEN", "1.0", False,
                                (Identity("header", str(identity.get("Header") or "Authorization")),), ttl,
                                re.compile(str(expression)) if expression else None)
    sources = _identities(identity)
    if not sources:
        raise spec.error(f"authorizer {name!r}: a REQUEST authorizer needs Identity with at least one of Headers, "
                         f"QueryStrings, StageVariables or Context (as SAM requires)")
    return LambdaAuthorizer(name, function, "rest", "REQUEST", "1.0", False, sources, ttl)


def _http(spec: EventSpec, name: str, function: str, definition: dict) -> LambdaAuthorizer:
    version = str(definition.get("AuthorizerPayloadFormatVersion") or "")
    if version not in ("1.0", "2.0"):
        raise spec.error(f"authorizer {name!r}: AuthorizerPayloadFormatVersion must be 1.0 or 2.0 (SAM requires "
                         f"it), got {version or None!r}")
    simple = bool(definition.get("EnableSimpleResponses"))
    if simple and version != "2.0":
        raise spec.error(f"authorizer {name!r}: EnableSimpleResponses needs AuthorizerPayloadFormatVersion 2.0")
    identity = definition.get("Identity") or {}
    return LambdaAuthorizer(name, function, "http", "REQUEST", version, simple, _identities(identity),
                            _ttl(spec, name, identity.get("ReauthorizeEvery"), 0))


def _identities(identity: dict) -> tuple[Identity, ...]:
    return tuple(Identity(kind, str(value)) for key, kind in IDENTITY_KINDS.items()
                 for value in identity.get(key) or [])


def _ttl(spec: EventSpec, name: str, value: Any, default: int) -> int:
    return int(as_number(spec, f"authorizer {name!r}: Identity.ReauthorizeEvery", value, 0, MAX_TTL, default))


# ---------------------------------------------------------------------------------------------- one request
@dataclass(frozen=True)
class RouteRequest:
    """A request that matched a protected route, with what the authorizer events need."""

    request: HttpRequest
    api: RestApi
    route: Route
    path: str                 # inside the stage
    path_parameters: dict
    host: str

    def arn(self, region: str) -> str:
        """The method ARN (REST) or route ARN (HTTP API) the policy is evaluated against."""
        return (f"arn:aws:execute-api:{region}:{ACCOUNT_ID}:{self.api.api_id}/{self.api.stage}/"
                f"{self.request.method}/{self.path.lstrip('/')}")

    def context_variables(self) -> dict[str, str]:
        """`$context.*` values an identity source can name."""
        route_key = "$default" if self.route.method == "$DEFAULT" else f"{self.route.method} {self.route.resource}"
        return {"httpMethod": self.request.method, "path": self.path, "stage": self.api.stage,
                "resourcePath": self.route.resource, "routeKey": route_key,
                "identity.sourceIp": self.request.source_ip,
                "identity.userAgent": self.request.header("User-Agent") or ""}


def authorize(gateway: Gateway, authorizer: LambdaAuthorizer, call: RouteRequest, limit: float) -> Decision:
    """Run the authorizer step for one request (inside the gateway task)."""
    sim = gateway.sim
    refusals = REFUSALS[authorizer.api_kind]
    values = [source.read(call.request, call.context_variables()) for source in authorizer.identity]
    if _missing(authorizer, values):
        _trace(sim, authorizer, call, "missing identity source", 401)
        return Decision(HttpResponse.of(401, refusals[401]))
    cache = call.api.authorizer_cache
    key = (authorizer.name, tuple(values))
    cached = cache.get(key) if authorizer.caching else None
    if cached is not None and cached[0] > sim.clock.now():
        answer, latency, outcome = cached[1], 0, "cached"
    else:
        started = sim.clock.now()
        status, answer = _invoke(gateway, authorizer, call, values, limit)
        latency = round((sim.clock.now() - started) * 1000)
        if status is not None:
            _trace(sim, authorizer, call, "unauthorized" if status == 401 else "authorizer error", status)
            return Decision(HttpResponse.of(status, refusals[status]))
        outcome = "invoked"
    verdict = events.verdict(authorizer, answer, call.arn(sim.region))
    if verdict == "malformed":
        _trace(sim, authorizer, call, "malformed answer", 500)
        return Decision(HttpResponse.of(500, refusals[500]))
    if authorizer.caching and outcome == "invoked":
        cache[key] = (sim.clock.now() + authorizer.ttl, answer)
    if verdict != "allow":
        _trace(sim, authorizer, call, f"{outcome}: {verdict} deny", 403)
        return Decision(HttpResponse.of(403, refusals[verdict]))
    context = events.integration_context(authorizer, answer, call.route.payload_version, latency)
    if context is None:  # REST: a context value that is an object or array
        _trace(sim, authorizer, call, "context value not a string, number or boolean", 500)
        return Decision(HttpResponse.of(500, refusals[500]))
    _trace(sim, authorizer, call, f"{outcome}: allow", None)
    return Decision(None, context)


def _missing(authorizer: LambdaAuthorizer, values: list[str | None]) -> bool:
    """A missing or empty identity source refuses the request before the authorizer runs."""
    if authorizer.type == "TOKEN":
        token = values[0]
        return not token or (authorizer.validation is not None and not authorizer.validation.fullmatch(token))
    if authorizer.api_kind == "rest" and not authorizer.caching:
        return False  # REST REQUEST without caching: no validation before the call (AWS)
    return any(not value for value in values)


def _invoke(gateway: Gateway, authorizer: LambdaAuthorizer, call: RouteRequest, values: list[str | None],
            limit: float) -> tuple[int | None, Any]:
    """(None, the authorizer function's answer), or (the status to refuse with, None): 401 for a REST
    `Unauthorized` error, else 500."""
    runtime = gateway.sim.runtime
    config = runtime.function(authorizer.function)
    request_id = runtime.new_request_id()
    event = events.event(authorizer, call, values, request_id, gateway.sim)
    outcome = gateway._invoke(config, event, request_id, limit)
    if outcome in ("throttled", "deadline"):
        return 500, None
    if not outcome.ok:
        message = (outcome.error or {}).get("errorMessage")
        return (401 if authorizer.api_kind == "rest" and message == "Unauthorized" else 500), None
    return None, outcome.payload


def _trace(sim: Any, authorizer: LambdaAuthorizer, call: RouteRequest, outcome: str, status: int | None) -> None:
    sim.trace.record("authorizer", api=call.api.logical_id, authorizer=authorizer.name,
                     function=authorizer.function, method=call.request.method, path=call.path, outcome=outcome,
                     status=status)


# ---------------------------------------------------------------------------------------------- load-time warnings
def _check_auth(template: _template.Template) -> None:
    """Warn, with file:line, about the parts of `Auth` the harness does not emulate (Cognito, JWT and IAM
    authorizers, API keys, resource policies): routes that rely on them are not checked."""
    apis = [(r.logical_id, r.properties.get("Auth"), template.where(r.line))
            for r in template.of_type("AWS::Serverless::Api", "AWS::Serverless::HttpApi")]
    for section in ("Api", "HttpApi"):
        auth = (template.globals.get(section) or {}).get("Auth")
        if auth is not None:
            apis.append((f"Globals.{section}", auth, str(template.path)))
    for owner, auth, where in apis:
        if not isinstance(auth, dict):
            continue
        default = auth.get("DefaultAuthorizer")
        if default is not None and default not in ("AWS_IAM", "NONE") and default not in (auth.get("Authorizers") or {}):
            raise TemplateError(f"{where}: {owner}.Auth.DefaultAuthorizer {default!r} is not one of its Authorizers "
                                f"({', '.join(sorted(auth.get('Authorizers') or {})) or 'none declared'})")
        if default == "AWS_IAM":
            template.warnings.append(f"{where}: {owner}.Auth.DefaultAuthorizer AWS_IAM is not emulated (requests are "
                                     f"not checked)")
        for key in sorted(set(auth) - API_AUTH_KEYS - {"AddDefaultAuthorizerToCorsPreflight"}):
            template.warnings.append(f"{where}: {owner}.Auth.{key} is not emulated by the harness (ignored)")
        for name, definition in (auth.get("Authorizers") or {}).items():
            if not isinstance(definition, dict) or "FunctionArn" not in definition:
                template.warnings.append(
                    f"{where}: {owner}.Auth.Authorizers.{name} is not a Lambda authorizer (Cognito, JWT or IAM): "
                    f"the harness does not emulate it, so routes it protects are not checked")
                continue
            for key in sorted(set(definition) - LAMBDA_AUTHORIZER_KEYS):
                template.warnings.append(f"{where}: {owner}.Auth.Authorizers.{name}.{key} is not emulated by the "
                                         f"harness (ignored)")
    for fid, fn in template.functions.items():
        for event in fn.events:
            auth = event.properties.get("Auth") if event.type in ("Api", "HttpApi") else None
            for key in sorted(set(auth or {}) - ROUTE_AUTH_KEYS):
                template.warnings.append(f"{template.where(event.line)}: function {fid!r} event {event.name!r}: "
                                         f"Auth.{key} is not emulated by the harness (ignored)")
            if isinstance(auth, dict) and auth.get("Authorizer") == "AWS_IAM":
                template.warnings.append(f"{template.where(event.line)}: function {fid!r} event {event.name!r}: "
                                         f"Auth.Authorizer AWS_IAM is not emulated (requests are not checked)")


_template.LOAD_CHECKS.append(_check_auth)
