"""Lambda proxy payloads: API Gateway REST (format 1.0) and Function URLs (format 2.0), and how each turns the
function's answer into an HTTP response (AWS_BEHAVIOUR "API Gateway and Function URLs")."""
from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from harness.sources.httpmodel import HttpRequest, HttpResponse
from harness.template import ACCOUNT_ID

INTERNAL_ERROR = {"message": "Internal server error"}   # REST API: function error or malformed proxy response
URL_ERROR = {"Message": "Internal Server Error"}         # Function URL: function error or timeout
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
              "application/x-www-form-urlencoded", "+json", "+xml")


def _request_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def _body_text(body: bytes, base64_unless_text: bool, content_type: str) -> tuple[str | None, bool]:
    if not body:
        return None, False
    textual = any(marker in content_type.lower() for marker in TEXT_TYPES)
    if not (base64_unless_text and not textual):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


def rest_event(request: HttpRequest, *, api_id: str, stage: str, resource: str, path: str,
               path_parameters: dict, request_id: str, epoch: float, host: str) -> dict:
    """The REST API proxy event (payload format 1.0)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for key, value in request.headers:
        headers[key] = value
        multi_headers.setdefault(key, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in request.query_pairs():
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    body, encoded = _body_text(request.body, False, request.header("Content-Type") or "")
    return {
        "resource": resource, "path": path, "httpMethod": request.method,
        "headers": headers or None, "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None, "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None, "stageVariables": None,
        "requestContext": {
            "resourceId": "harness", "resourcePath": resource, "httpMethod": request.method,
            "extendedRequestId": request_id[:16], "requestTime": _request_time(epoch),
            "path": f"/{stage}{path}", "accountId": ACCOUNT_ID, "protocol": "HTTP/1.1", "stage": stage,
            "domainPrefix": api_id, "requestTimeEpoch": int(epoch * 1000), "requestId": request_id,
            "identity": {"cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
                         "caller": None, "sourceIp": request.source_ip, "principalOrgId": None,
                         "accessKey": None, "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                         "userArn": None, "userAgent": request.header("User-Agent"), "user": None},
            "domainName": host, "apiId": api_id,
        },
        "body": body, "isBase64Encoded": encoded,
    }


def url_event(request: HttpRequest, *, url_id: str, request_id: str, epoch: float, host: str,
              auth_type: str) -> dict:
    """The Function URL event (payload format 2.0): lower-case headers, repeated values joined by commas."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in request.headers:
        name = key.lower()
        if name == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    query: dict[str, str] = {}
    for key, value in request.query_pairs():
        query[key] = f"{query[key]},{value}" if key in query else value
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": request.path, "rawQueryString": request.query,
        "headers": headers,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": ACCOUNT_ID if auth_type == "AWS_IAM" else "anonymous", "apiId": url_id,
        "domainName": host, "domainPrefix": url_id,
        "http": {"method": request.method, "path": request.path, "protocol": "HTTP/1.1",
                 "sourceIp": request.source_ip, "userAgent": request.header("User-Agent") or ""},
        "requestId": request_id, "routeKey": "$default", "stage": "$default",
        "time": _request_time(epoch), "timeEpoch": int(epoch * 1000), "authentication": None,
    }
    body, encoded = _body_text(request.body, True, request.header("Content-Type") or "")
    if body is not None:
        event["body"] = body
    # AWS's documented Function URL payload carries these API Gateway keys as null
    event.update(pathParameters=None, isBase64Encoded=encoded, stageVariables=None)
    return event


def http_api_event(request: HttpRequest, *, api_id: str, stage: str, route_key: str, path_parameters: dict,
                   request_id: str, epoch: float, host: str) -> dict:
    """An HTTP API event (payload format 2.0): the Function URL shape with the route, stage and API ids."""
    event = url_event(request, url_id=api_id, request_id=request_id, epoch=epoch, host=host, auth_type="AWS_IAM")
    event["routeKey"] = route_key
    for absent in ("pathParameters", "stageVariables"):  # an HTTP API sends these only when they have values
        del event[absent]
    context = event["requestContext"]
    del context["authentication"]  # present only with mutual TLS
    context.update(routeKey=route_key, stage=stage, domainPrefix=api_id)
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if stage != "$default":
        event["rawPath"] = f"/{stage}{request.path}"
        context["http"]["path"] = event["rawPath"]
    return event


def rest_response(payload: Any) -> HttpResponse | None:
    """The HTTP response a REST API builds from a proxy answer, or None when the answer is malformed (502)."""
    if not isinstance(payload, dict) or set(payload) - {"statusCode", "headers", "multiValueHeaders", "body",
                                                        "isBase64Encoded", "cookies"}:
        return None
    status = payload.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    body = payload.get("body")
    if body is not None and not isinstance(body, str):
        return None
    headers = payload.get("headers") or {}
    multi = payload.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        return None
    out = {str(k): str(v) for k, v in headers.items()}
    for key, values in multi.items():
        if isinstance(values, list):
            out[str(key)] = ", ".join(str(v) for v in values)
    raw = _decode(body or "", payload.get("isBase64Encoded"))
    if raw is None:
        return None
    out.setdefault("Content-Type", "application/json")
    return HttpResponse(status, out, raw.decode("utf-8", "replace"), raw)


def url_response(payload: Any) -> HttpResponse | None:
    """Function URL response: a dict with statusCode is used as is; anything else is JSON with status 200."""
    if isinstance(payload, dict) and "statusCode" in payload:
        status = payload.get("statusCode")
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            return None
        headers = {str(k): str(v) for k, v in (payload.get("headers") or {}).items()}
        body = payload.get("body")
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
        raw = _decode(body or "", payload.get("isBase64Encoded"))
        if raw is None:
            return None
        cookies = payload.get("cookies") or []
        if cookies:
            headers["Set-Cookie"] = ", ".join(str(c) for c in cookies)
        headers.setdefault("Content-Type", "application/json")
        return HttpResponse(status, headers, raw.decode("utf-8", "replace"), raw)
    if payload is None:
        return HttpResponse.of(200, b"")
    return HttpResponse.of(200, json.dumps(payload), content_type="application/json")


def _decode(body: str, is_base64: Any) -> bytes | None:
    if not is_base64:
        return body.encode()
    try:
        return base64.b64decode(body, validate=True)
    except ValueError:
        return None
