"""`Type: Api` events: routes of a REST API (an AWS::Serverless::Api, or SAM's implicit ServerlessRestApi whose
stage is `Prod`), served by the gateway with the payload format 1.0 proxy integration."""
from __future__ import annotations

from typing import TYPE_CHECKING

from harness.sources import authorizers
from harness.sources.base import EventSpec, register_source
from harness.sources.gateway import RestApi, Route

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}
DEFAULT_STAGE = "Prod"  # the stage SAM gives an Api without StageName


@register_source("Api", {"Path", "Method", "RestApiId", "Auth"})
class ApiSource:
    """One route: Path, Method, (optionally) RestApiId and Auth.Authorizer (a Lambda authorizer of the API)."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec = sources, spec
        props = spec.properties
        path, method = props.get("Path"), str(props.get("Method") or "").upper()
        if not path or not str(path).startswith("/"):
            raise spec.error(f"Path must start with '/', got {path!r}")
        if method not in METHODS:
            raise spec.error(f"Method {props.get('Method')!r} is not one of {', '.join(sorted(METHODS))}")
        self.api = api_of(sources, spec, "RestApiId", "ServerlessRestApi", "AWS::Serverless::Api", DEFAULT_STAGE, "rest")
        self.route = Route.make(method, str(path), spec.function, authorizers.for_route(sources, spec, self.api))

    def start(self) -> None:
        """Serve the route."""
        self.api.routes.append(self.route)

    def stop(self) -> None:
        """Routes stop with the gateway."""


def api_of(sources: EventSources, spec: EventSpec, key: str, implicit: str, resource_type: str, default_stage: str,
           kind: str) -> RestApi:
    """The API a route belongs to: the one its `key` property names (a resource of `resource_type` here), or SAM's
    implicit API; created on the gateway on first use."""
    deployer = sources.sim.deployer
    api_ref = spec.properties.get(key)
    if api_ref is None:
        api = sources.gateway.api(deployer.attributes(implicit)["Ref"], default_stage, implicit, kind=kind)
        # SAM's implicit API takes its Auth from Globals (Api / HttpApi)
        section = "HttpApi" if kind == "http" else "Api"
        api.auth = deployer.resolver.resolve((deployer.template.globals.get(section) or {}).get("Auth") or {})
        return api
    apis = {deployer.attributes(r.logical_id)["Ref"]: r for r in deployer.template.of_type(resource_type)}
    resource = apis.get(api_ref)
    if resource is None:
        raise spec.error(f"{key} {api_ref!r} is not an {resource_type} of this template "
                         f"(known: {', '.join(r.logical_id for r in apis.values()) or 'none'})")
    stage = str(deployer.resolver.resolve(resource.properties.get("StageName") or default_stage))
    api = sources.gateway.api(api_ref, stage, resource.logical_id, kind=kind)
    api.auth = deployer.resolver.resolve(resource.properties.get("Auth") or {})
    return api
