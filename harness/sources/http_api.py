"""`Type: HttpApi` events: routes of an HTTP API (an AWS::Serverless::HttpApi, or SAM's implicit
ServerlessHttpApi), on the `$default` stage unless the API names another, with payload format 2.0 (or 1.0 when
`PayloadFormatVersion: "1.0"`) and HTTP API's error mapping (500 for function errors, 503 on timeout)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from harness.sources.api import METHODS, api_of
from harness.sources.base import EventSpec, register_source
from harness.sources.gateway import Route

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

HTTP_API_TYPE = "AWS::Serverless::HttpApi"


@register_source("HttpApi", {"Path", "Method", "ApiId", "PayloadFormatVersion"})
class HttpApiSource:
    """One route: Path and Method (both optional: without them the route is `$default`), ApiId,
    PayloadFormatVersion."""

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
        version = str(props.get("PayloadFormatVersion") or "2.0")
        if version not in ("1.0", "2.0"):
            raise spec.error(f"PayloadFormatVersion must be 1.0 or 2.0, got {version!r}")
        self.api = api_of(sources, spec, "ApiId", "ServerlessHttpApi", HTTP_API_TYPE, "$default", "http")
        self.api.payload_version = version
        self.route = Route.make("ANY" if method == "$DEFAULT" else method, str(path), spec.function)
        if method == "$DEFAULT":
            self.route = Route("$DEFAULT", "$default", spec.function, self.route.pattern)

    def start(self) -> None:
        """Serve the route."""
        self.api.routes.append(self.route)

    def stop(self) -> None:
        """Routes stop with the gateway."""
