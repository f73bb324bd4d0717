"""Detectors, one per kind of failure text in a registry: what a log line says about failed AWS calls and
outbound HTTP requests. They read the line's text and, for structured lines, its fields; each returns
`aws_error` / `http_error` Facts (records.py) with what the text tells: service, operation, code, attempts;
status, URL, host, connection error."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions

from harness.incidents import services
from harness.incidents.records import Fact, fact

Detector = Callable[[str, dict, "str | None"], "list[Fact]"]
DETECTORS: dict[str, Detector] = {}


def detector(name: str) -> Callable[[Detector], Detector]:
    """Register a failure detector."""
    def register(fn: Detector) -> Detector:
        DETECTORS[name] = fn
        return fn
    return register


def detect(text: str, fields: dict, request_id: str | None) -> list[Fact]:
    """Every failure the registered detectors find in one line, without repeats (the same botocore message in
    `message`, `error` and `exception` is one failure)."""
    found: list[Fact] = []
    seen: set[tuple] = set()
    for fn in DETECTORS.values():
        for f in fn(text, fields, request_id):
            key = (f.kind, f.get("operation"), f.get("code"), f.get("status"), f.get("error"))
            covered = any(k[0] == f.kind and k[2] == f.get("code") and k[1] is not None and f.get("operation") is None
                          for k in seen) if f.kind == "aws_error" else False
            if key not in seen and not covered:
                seen.add(key)
                found.append(f)
    return found


def _texts(text: str, fields: dict) -> str:
    """The line's text plus every string found in its fields (tracebacks in `exception`, `error`, ...)."""
    parts = [text]
    for value in fields.values():
        parts.append(value if isinstance(value, str) else json.dumps(value, default=str))
    return "\n".join(parts)


_BOTOCORE = re.compile(r"An error occurred \((?P<code>[^)]+)\) when calling the (?P<op>\w+) operation"
                       r"(?: \(reached max retries: (?P<retries>\d+)\))?(?:: (?P<message>[^\n\"]*))?")
_ENDPOINT = re.compile(r"(?P<kind>Could not connect to the endpoint URL|Connect timeout on endpoint URL|"
                       r"Read timeout on endpoint URL|Connection was closed before we received a valid response "
                       r"from endpoint URL):? \\?\"(?P<url>[^\"\\]+)")
_NETWORK = {"Could not connect to the endpoint URL": "EndpointConnectionError",
            "Connect timeout on endpoint URL": "ConnectTimeoutError", "Read timeout on endpoint URL": "ReadTimeoutError"}


@detector("botocore")
def botocore_errors(text: str, fields: dict, request_id: str | None) -> list[Fact]:
    """`An error occurred (Code) when calling the Op operation (reached max retries: N): message` (N + 1
    attempts failed), and botocore's connection errors (`Could not connect to the endpoint URL: "..."`)."""
    found = []
    body = _texts(text, fields)
    for m in _BOTOCORE.finditer(body):
        hints = services.mentioned(text)
        attempts = int(m["retries"]) + 1 if m["retries"] else 1
        found.append(fact("aws_error", request_id, service=services.service_of_operation(m["op"], hints),
                          operation=m["op"], code=m["code"], attempts=attempts, message=(m["message"] or "").strip()))
    for m in _ENDPOINT.finditer(body):
        service = services.service_of_host(urlsplit(m["url"]).hostname or "")
        _, operation = services.operation_in(text, [service] if service else [])
        retries = next((fields[k] for k in _RETRY_FIELDS if isinstance(fields.get(k), int)), None)
        found.append(fact("aws_error", request_id, service=service, operation=operation, code=None,
                          network=_NETWORK.get(m["kind"], "ConnectionClosedError"),
                          attempts=retries + 1 if retries is not None else None,  # None: botocore's retries unsaid
                          message=m.group()))
    return found


_THROTTLE = re.compile(r"\b(?P<code>TooManyRequestsException|ThrottlingException|ThrottledException|"
                       r"RequestLimitExceeded|Rate [Ee]xceeded)\b")


@detector("throttle")
def throttles(text: str, fields: dict, request_id: str | None) -> list[Fact]:
    """Throttling named without botocore's sentence: `TooManyRequestsException`, `Rate Exceeded`, ... (a
    Lambda invoke refused for concurrency is `TooManyRequestsException` with Reason
    `ReservedFunctionConcurrentInvocationLimitExceeded`)."""
    body = _texts(text, fields)
    if _BOTOCORE.search(body):
        return []
    match = _THROTTLE.search(body)
    if not match:
        return []
    code = match["code"] if not match["code"].lower().startswith("rate") else "ThrottlingException"
    service, operation = services.operation_in(text, services.mentioned(text))
    if "ConcurrentInvocationLimitExceeded" in body or (code == "TooManyRequestsException" and service is None):
        service, operation = "lambda", operation or "Invoke"
    return [fact("aws_error", request_id, service=service, operation=operation, code=code, attempts=1,
                 message=text.strip()[:200])]


_CODE_FIELDS = ("aws_error_code", "errorCode", "error_code", "ErrorCode", "awsErrorCode", "aws_error", "error_type")
_OP_FIELDS = ("operation", "aws_operation", "operation_name", "api", "action")
_RETRY_FIELDS = ("retryAttempts", "retry_attempts", "RetryAttempts")
_ATTEMPT_FIELDS = ("attempt", "attempt_number", "attemptNumber")


@detector("structured-aws")
def structured_aws(text: str, fields: dict, request_id: str | None) -> list[Fact]:
    """A structured record naming an AWS error code (`errorCode`, `aws_error_code`, `dlq_error_code`, ...) and,
    in a field or its message, the operation (`operation: PutItem`, "SQS SendMessage failed", else the verb:
    "querying conversations" is a Query); `retryAttempts` counts botocore's retries."""
    if _BOTOCORE.search(_texts(text, fields)):
        return []
    hints = services.mentioned(text)
    operation = next((fields[k] for k in _OP_FIELDS if isinstance(fields.get(k), str)), None)
    service = services.service_of_operation(operation, hints) if operation else None
    if operation is None:
        service, operation = services.operation_in(text, hints)
    code = _code_field(fields, named=operation is not None)
    if not code:
        return []
    if service is None:
        by_code = services.services_of_code(code)
        preferred = [s for s in hints if s in by_code] or hints or by_code
        service = preferred[0] if preferred else None
    guessed = None
    if operation is None and service is not None:
        operation = services.operation_by_verb(text, service)
        guessed = True if operation else None
    retries = next((fields[k] for k in _RETRY_FIELDS if isinstance(fields.get(k), int)), None)
    attempts = (retries + 1) if retries is not None else 1 if _handler_counts_attempts(fields) else None
    return [fact("aws_error", request_id, service=service, operation=operation, code=code, guessed=guessed,
                 attempts=attempts, message=text.strip()[:200])]


def _handler_counts_attempts(fields: dict) -> bool:
    """A record numbering its attempt (`attempt: 2`): the handler retries itself and logs each attempt once."""
    return any(isinstance(fields.get(k), int) and not isinstance(fields.get(k), bool) for k in _ATTEMPT_FIELDS)


def _code_field(fields: dict, named: bool) -> str | None:
    """The AWS error code a record carries: in a known field, or any `..._error_code` / `...ErrorCode` field
    (`dlq_error_code`). A code no service model knows counts only when the record names its operation."""
    keys = [*_CODE_FIELDS, *(k for k in fields if k not in _CODE_FIELDS and
                             k.lower().replace("_", "").endswith("errorcode"))]
    for key in keys:
        code = fields.get(key)
        if isinstance(code, str) and (services.looks_like_aws_code(code) or
                                      (named and re.fullmatch(r"[A-Z][A-Za-z0-9]+", code) and
                                       not hasattr(botocore.exceptions, code))):  # ReadTimeoutError: not AWS's
            return code
    return None


_REQUESTS = re.compile(r"\b(?P<status>[45]\d\d) (?:Client|Server) Error: [^\n]*? for url: (?P<url>\S+)")
_URLLIB = re.compile(r"HTTP Error (?P<status>[45]\d\d):")
_GENERIC = re.compile(r"\b(?:(?:Server|Client|HTTP) Error|HTTP status) \((?P<status>[45]\d\d)\)")
_CODED = re.compile(r"(?<![A-Za-z0-9])HTTP_(?P<status>[45]\d\d)(?!\d)")  # an error code naming it: TWILIO_HTTP_503
_POOL = re.compile(r"HTTPS?ConnectionPool\(host='(?P<host>[^']+)', port=\d+\): (?P<what>Max retries exceeded|"
                   r"Read timed out)[^\n]*")
_URLOPEN = re.compile(r"<urlopen error (?P<what>[^>]+)>")
_SOCKET = re.compile(r"ConnectionResetError|Connection reset by peer|ConnectionRefusedError|Connection refused|"
                     r"RemoteDisconnected|Remote end closed connection|ConnectTimeout|ReadTimeout|Read timed out|"
                     r"timed out")
_STATUS_FIELDS = ("http_status", "status_code", "statusCode", "httpStatus", "status")
_URL_FIELDS = ("url", "endpoint", "uri")


def _connection_kind(text: str) -> str:
    lower = text.lower()
    if "read timed out" in lower or "readtimeout" in lower:
        return "read_timeout"
    if "timed out" in lower or "connecttimeout" in lower:
        return "connect_timeout"
    if "reset" in lower:
        return "reset"
    if "remotedisconnected" in lower or "closed" in lower:
        return "closed"
    return "refused"


def _url_facts(request_id: str | None, url: str | None, host: str | None, **data: Any) -> Fact:
    host = host or (urlsplit(url).hostname if url else None)
    return fact("http_error", request_id, url=url.split("?")[0] if url else None, host=host, **data)


@detector("http-client")
def http_client(text: str, fields: dict, request_id: str | None) -> list[Fact]:
    """HTTP failures as `requests`/`urllib3`/`urllib` word them (`503 Server Error: ... for url: ...`,
    `HTTPSConnectionPool(host=...): Max retries exceeded ... (Caused by ConnectTimeoutError(...))`,
    `HTTP Error 503: ...`, `<urlopen error timed out>`), a structured record with a URL and a socket error
    (`ConnectionResetError: [Errno 104] Connection reset by peer`), or one with an HTTP status >= 400."""
    body = _texts(text, fields)
    url = next((fields[k] for k in _URL_FIELDS if isinstance(fields.get(k), str)), None)
    host = fields.get("host") if isinstance(fields.get("host"), str) else None
    method = fields.get("method") if isinstance(fields.get("method"), str) else None
    if m := _REQUESTS.search(body):
        return [_url_facts(request_id, m["url"], None, status=int(m["status"]), method=method)]
    if m := _POOL.search(body):
        return [_url_facts(request_id, url, m["host"], error=_connection_kind(m.group()), method=method)]
    if m := _URLOPEN.search(body):
        return [_url_facts(request_id, url, host, error=_connection_kind(m["what"]), method=method)]
    if (url or host) and not _ENDPOINT.search(body) and (m := _SOCKET.search(body)):
        return [_url_facts(request_id, url, host, error=_connection_kind(m.group()), method=method)]
    status = next((fields[k] for k in _STATUS_FIELDS if isinstance(fields.get(k), int) and fields[k] >= 400), None)
    if status is None and (m := (_URLLIB.search(body) or _GENERIC.search(text) or _CODED.search(body))):
        status = int(m["status"])
    if status is not None and 400 <= status <= 599:
        return [_url_facts(request_id, url, host, status=status, method=method)]
    return []
