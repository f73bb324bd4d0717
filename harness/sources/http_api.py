"""`Type: HttpApi` events: routes of an HTTP API (an AWS::Serverless::HttpApi, or SAM's implicit
ServerlessHttpApi), on the `$default` stage unless the API names another, with payload format 2.0 (or 1.0 when
`PayloadFormatVersion: "1.0"`) and HTTP API's error mapping (500 for function errors, 503 on timeout)."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from harness.sources import authorizers
from harness.sources.api import METHODS, api_of
from harness.sources.base import EventSpec, register_source
from harness.sources.gateway import Route

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

HTTP_API_TYPE = "AWS::Serverless::HttpApi"
DEFAULT_STAGE = "$default"  # the stage SAM gives an HttpApi without StageName
DEFAULT_PAYLOAD_VERSION = "2.0"  # a route without PayloadFormatVersion


@register_source("HttpApi", {"Path", "Method", "ApiId", "PayloadFormatVersion", "Auth"})
class HttpApiSource:
    """One route: Path and Method (both optional: without them the route is `$default`), ApiId,
    PayloadFormatVersion, Auth.Authorizer (a Lambda authorizer of the API)."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec = sources, spec
        props = spec.properties
        path, method = props.get("Path"), str(props.get("Method") or "").upper()
        if path is None and not method:
            path, method = "/", "$DEFAULT"
        elif not path or not str(path).startswith("/"):
            raise spec.error(f"Path must start with '/', got {path!r}")
        elif method in ("ANY", "X-AMAZON-APIGATEWAY-ANY-METHOD") or not method:
            method = "ANY"
        elif method not in METHODS:
            raise spec.error(f"Method {props.get('Method')!r} is not one of {', '.join(sorted(METHODS))}")
        version = str(props.get("PayloadFormatVersion") or DEFAULT_PAYLOAD_VERSION)
        if version not in ("1.0", "2.0"):
            raise spec.error(f"PayloadFormatVersion must be 1.0 or 2.0, got {version!r}")
        self.api = api_of(sources, spec, "ApiId", "ServerlessHttpApi", HTTP_API_TYPE, DEFAULT_STAGE, "http")
        route = Route.make("ANY" if method == "$DEFAULT" else method, str(path), spec.function,
                           authorizers.for_route(sources, spec, self.api))
        if method == "$DEFAULT":
            route = dataclasses.replace(route, method="$DEFAULT", resource="$default")
        self.route = dataclasses.replace(route, payload_version=version)  # per route: the integration's format

    def start(self) -> None:
        """Serve the route."""
        self.api.routes.append(self.route)

    def stop(self) -> None:
        """Routes stop with the gateway."""
