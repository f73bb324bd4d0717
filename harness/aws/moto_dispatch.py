"""moto's request dispatch without its per-request rediscovery (moto 5.2.5; installed by the in-process backend).

Every request handler code sends goes through moto's `BotocoreStubber.process_request`, which works out again for
each request what never changes between two requests to the same URL: it matches the URL against every service's
URL patterns (about 200 regular expressions before SQS), then against each URL of the chosen backend; the response
class lists its own methods with `inspect.getmembers` to find the action; and moto's response serializer asks six
alias providers, built afresh for every member of every value, which keys to try (for a DynamoDB item: once per
attribute and per AttributeValue member, 11 members, each time). Together about half of what moto spends on a
`SendMessage`, `GetItem` or `UpdateItem`. This module remembers those answers and changes none of moto's:

- the route (which service, which handler) of a URL is looked up once and then taken from a table; moto's own
  checks (passthrough URLs and services, the service whitelist) still run on every request, and a URL moto does
  not route goes to moto's own `process_request`; the handler then runs as moto runs it (the same normalized
  request, the same recorder call, the same handling of HTTPException);
- the method names of a response class are listed once per class (listed again if a class in its MRO gains or
  loses an attribute);
- the keys the serializer tries for a member of a plain `dict` value are worked out once for each (member, shape,
  parent shape): they depend on nothing else (the alias providers look at the shape, its parent and the value's
  class, and a dict has no `Meta`); the member's value is then the first of those keys the dict holds, taken
  without building the picker's context (unless the response has transformers, which need its key path); other
  values are asked as moto asks;
- a request with a body to a service's one URL (a plain host, path `/`, no query) becomes moto's werkzeug request
  from the WSGI environ werkzeug's EnvironBuilder would build, built directly (`normalized`), holding already what
  werkzeug works out on first use and moto asks for on every request (host, root URL, a JSON body with the empty
  form, files and query arguments werkzeug then gives it); any other request is normalized by moto;
- the request id moto writes into an XML body's `<RequestId>` is still drawn for every answer, but a body without
  that element (every JSON answer) is not searched for it with a regular expression;
- the action's method name (`camelcase_to_underscores` of the action, character by character) is worked out once
  per action name (a pure function of the text, at most 1,024 kept);
- the access key of a request's Authorization header (`get_access_key`, asked twice per request: moto's regular
  expression `AWS.*(?P<access_key>...[A-Z0-9]{20}...)[:/]` backtracks over the whole header, about 9 us when the
  key is not 20 characters, as the harness's dummy `testing` is not) is looked for once per text up to the header's
  last `:` or `/`: the match must end at one of those, so the rest of the header (the signature, which changes with
  every request) cannot change it (at most 256 texts kept, per regular expression);
- the `Date` header's text (`http_date(utcnow())`, 9 us) is kept for the last time formatted: consecutive requests
  at the same simulated time (most of them) get the same text, formatted once.

tests/harness/aws/test_moto_dispatch.py checks with hypothesis that moto with and without these give the same
status, headers and body, byte for byte, for DynamoDB, SQS, Secrets Manager and S3 requests, errors included, and
that the environ is werkzeug's, key by key and in order.
"""
from __future__ import annotations

import functools
import io
import re
import sys
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from harness.aws.patches import Patches
from harness.memo import remember

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_ROUTES: dict[str, tuple[str, Any]] = {}  # clean URL -> (moto service name, the handler moto calls)
_METHOD_NAMES: dict[type, tuple[tuple[int, ...], list[str]]] = {}
# (member, id(shape), id(parent shape)) -> (shape, parent, the keys moto's picker tries for a dict value); the shapes
# are kept so their ids stay theirs. moto's service models are built once per process (`get_service_model` is
# cached), so the same shapes come back on every request.
_KEYS: dict[tuple[str, int, int], tuple[Any, Any, tuple[str, ...]]] = {}
_KEYS_LIMIT = 100_000


def installed() -> bool:
    """True while the fast dispatch is in place."""
    return bool(_patches)


def install() -> None:
    """Patch moto's method listing and serializer member lookup (idempotent); `answer` routes from the table."""
    if _patches:
        return
    from moto.core import responses, serialize
    picker = serialize.XFormedAttributePicker
    _patches.keep(picker=picker, providers=serialize.DEFAULT_ALIAS_PROVIDERS,
                  enrich=responses.BaseResponse.__dict__["_enrich_response"])
    _patches.replace(responses, "method_names_from_class", _method_names, key="method_names")
    _patches.replace(picker, "get_possible_keys", _possible_keys, key="keys")
    _patches.replace(serialize.ResponseSerializer, "get_value", _get_value, key="get_value")
    _patches.replace(responses.BaseResponse, "_enrich_response", staticmethod(_enrich_response))
    _patches.replace(responses, "camelcase_to_underscores",
                     functools.lru_cache(maxsize=1024)(responses.camelcase_to_underscores))
    _patches.replace(responses.BaseResponse, "get_access_key", _get_access_key, key="get_access_key")
    _patches.replace(responses, "http_date", _http_date, key="http_date")


def uninstall() -> None:
    """Put moto's own code back (tests compare both)."""
    _patches.undo()
    _ACCESS_KEYS.clear()
    _LAST_DATE[:] = [None, None]


def answer(request: Any) -> Any:
    """`request` answered as moto's `botocore_stubber` answers it: an AWSResponse, or None when moto would not
    answer (botocore then sends it)."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse
    from moto.core.models import botocore_stubber
    if not botocore_stubber.enabled:
        return None
    response = process_request(request)
    if response is None:
        return None
    status, headers, body = response
    return AWSResponse(request.url, status, headers, MockRawResponse(body))


def process_request(request: Any) -> Any:
    """moto's `BotocoreStubber.process_request` with the route of a URL taken from a table once known."""
    from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
    from moto.core.models import botocore_stubber
    from moto.core.utils import get_equivalent_url_in_aws_domain
    if not _saved:
        return botocore_stubber.process_request(request)
    parsed_url, _ = get_equivalent_url_in_aws_domain(request.url)
    clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
    route = _ROUTES.get(clean_url) or _route(clean_url, parsed_url.path)
    if route is None or passthrough_url(clean_url) or passthrough_service(route[0]) \
            or not service_whitelisted(route[0]):
        return botocore_stubber.process_request(request)  # moto's own code decides (and raises what it raises)
    from moto.core.exceptions import HTTPException
    from moto.moto_api import recorder
    normalized_request = normalized(request)
    try:
        recorder._record_request(normalized_request)
        status, headers, body = route[1](normalized_request, normalized_request.raw_url, normalized_request.headers)
    except HTTPException as e:
        status = e.code
        headers = e.get_headers()
        body = e.get_body()
    return status, headers, body


_PLAIN_HOST = re.compile(r"[a-z0-9][a-z0-9.-]*")
_split = functools.lru_cache(maxsize=256)(urlsplit)  # a URL's parts (an immutable tuple), once per URL
_HEADERS: dict[str, tuple[str, str, bool, str]] = {}  # header name -> _header_facts(name)


def _header_facts(name: str) -> tuple[str, str, bool, str]:
    """What a header's name gives the environ: its lower case, EnvironBuilder's HTTP_* key, whether moto preserves
    the name as sent, and moto's `environ_key_for_header` (worked out once per name, at most 1,000 kept)."""
    from moto.core.request import environ_key_for_header, should_preserve_original_header_name
    if len(_HEADERS) >= 1000:
        _HEADERS.clear()
    facts = _HEADERS[name] = (name.lower(), f"HTTP_{name.upper().replace('-', '_')}",
                              should_preserve_original_header_name(name), environ_key_for_header(name))
    return facts


def _header_items(headers: Any) -> Any:
    """`headers.items()`; for botocore's own HeadersDict, read from its dict (the same names and values, in order)."""
    from botocore.awsrequest import HeadersDict, _HeaderKey
    if type(headers) is HeadersDict and all(type(key) is _HeaderKey for key in headers._dict):
        return [(key._key, value) for key, value in headers._dict.items()]
    return headers.items()


def normalized(request: Any) -> Any:
    """moto's `normalize_request(request)`: the same werkzeug request, made from the same WSGI environ, built here
    for a request with a body to a service's one URL (a plain host, path `/`, no query) instead of through werkzeug's
    EnvironBuilder; any other request goes through moto's own function."""
    from moto.core.request import PRESERVED_HEADER_NAMES_ENVIRON_KEY, Request, normalize_request
    body = request.body.encode() if isinstance(request.body, str) else request.body
    parsed = _split(request.url)
    if type(body) is not bytes or not body or parsed.path != "/" or parsed.query or parsed.fragment \
            or parsed.scheme not in ("http", "https") or not _PLAIN_HOST.fullmatch(parsed.netloc):
        return normalize_request(request)
    items = []  # (name, value, what the name gives: see _header_facts)
    for key, value in _header_items(request.headers):
        value = value.decode("utf-8") if isinstance(value, bytes) else value
        if type(key) is not str or type(value) is not str or "\r" in value or "\n" in value:
            return normalize_request(request)  # werkzeug refuses a value with a line break, with its own error
        facts = _HEADERS.get(key) or _header_facts(key)
        if facts[0] == "host":
            return normalize_request(request)
        if facts[0] != "transfer-encoding":
            items.append((key, value, facts))
    # What EnvironBuilder(method, base_url, path="/", query_string="", data=body, headers=items).get_environ() holds,
    # in its order: the request line, then Content-Type (its first value), Content-Length (the body's), then every
    # other header as HTTP_*, repeated names joined with ", ".
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method, "SCRIPT_NAME": "", "PATH_INFO": "/", "QUERY_STRING": "",
        "REQUEST_URI": "/", "RAW_URI": "/", "SERVER_NAME": parsed.netloc,
        "SERVER_PORT": "443" if parsed.scheme == "https" else "80", "HTTP_HOST": parsed.netloc,
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0), "wsgi.url_scheme": parsed.scheme,
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": False,
        "wsgi.multiprocess": False, "wsgi.run_once": False}
    content_type = next((value for _, value, facts in items if facts[0] == "content-type"), None)
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    environ["CONTENT_LENGTH"] = str(len(body))
    combined: dict[str, list[str]] = {}
    for _, value, facts in items:
        if facts[0] not in ("content-type", "content-length"):
            combined.setdefault(facts[1], []).append(value)
    for key, values in combined.items():
        environ[key] = ", ".join(values)
    made = Request(environ)
    made.environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = {facts[3]: key for key, _, facts in items if facts[2]}
    _seed(made, parsed.scheme, parsed.netloc, body, content_type, environ)
    return made


def _seed(made: Any, scheme: str, host: str, body: bytes, content_type: str | None, environ: dict) -> None:
    """Put in `made`'s werkzeug cache what werkzeug would work out for it on first use (moto asks for each on every
    request): for a plain host at path `/` its host and root URL, and for a JSON body (never form data, never
    compressed) the body, which is what werkzeug reads and keeps when moto asks for `data`, with what werkzeug's
    form loading then sets for a content type that is not a form's (`_load_form_data`: a new stream over the kept
    body, no form, no files) and the empty query string's `args`."""
    root = f"{scheme}://{host}/"
    made.__dict__.update(host=host, root_url=root, url_root=root)
    if content_type is not None and content_type.startswith("application/x-amz-json-") \
            and "HTTP_CONTENT_ENCODING" not in environ:
        made._cached_data = body
        storage = made.parameter_storage_class
        made.__dict__.update(stream=io.BytesIO(body), form=storage(), files=storage(), args=storage())


def _route(clean_url: str, path: str) -> tuple[str, Any] | None:
    """The (service, handler) moto's `process_request` picks for `clean_url`, remembered; None when it picks none.
    Only URLs whose path is `/` are remembered (the JSON and query protocols: one URL per service and region);
    S3 object and REST paths are routed by moto each time."""
    from moto import backend_index, backends
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.core.base_backend import BackendDict
    for service, pattern in backend_index.backend_url_patterns:
        if pattern.match(clean_url):
            backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
            if isinstance(backend_dict, BackendDict):
                if "us-east-1" in backend_dict[DEFAULT_ACCOUNT_ID]:
                    backend = backend_dict[DEFAULT_ACCOUNT_ID]["us-east-1"]
                else:
                    backend = backend_dict[DEFAULT_ACCOUNT_ID]["aws"]
            else:
                backend = backend_dict["global"]
            for url, method_to_execute in backend.urls.items():
                if re.compile(url).match(clean_url):
                    route = (service, method_to_execute)
                    if path in ("", "/"):
                        _ROUTES[clean_url] = route
                    return route
            return None  # moto would answer 404 or None: its own code does
    return None


def _method_names(clazz: type) -> list[str]:
    """moto's `method_names_from_class`, listed once per class (again when a class of its MRO changes)."""
    stamp = tuple(len(vars(c)) for c in getattr(clazz, "__mro__", ()))
    hit = _METHOD_NAMES.get(clazz)
    if hit is None or hit[0] != stamp:
        hit = _METHOD_NAMES[clazz] = (stamp, _saved["method_names"](clazz))
    return list(hit[1])


def _possible_keys(picker: Any, context: Any) -> Any:
    """The keys moto's XFormedAttributePicker tries for `context`, worked out once per (member, shape, parent) for
    a plain dict value."""
    if type(context.obj) is not dict or type(picker) is not _saved["picker"] \
            or picker.alias_providers is not _saved["providers"]:
        return _saved["keys"](picker, context)
    shape = context.shape
    parent = getattr(shape, "parent", None)
    key = (context.key, id(shape), id(parent))
    hit = _KEYS.get(key)
    if hit is None or hit[0] is not shape or hit[1] is not parent:
        try:
            keys = tuple(_saved["keys"](picker, context))
        except Exception:  # noqa: BLE001 - moto asks lazily and may never reach the provider that raised
            return _saved["keys"](picker, context)
        # shapes made per request (moto's error models) must not pile up
        hit = remember(_KEYS, key, (shape, parent, keys), _KEYS_LIMIT)
    return iter(hit[2])


_MISSING = object()


def _get_value(serializer: Any, value: Any, key: str, shape: Any) -> Any:
    """moto's `ResponseSerializer.get_value`: for a plain dict, moto's picker (default aliases, no response
    transformers) and keys already worked out, the first of those keys the dict has, without building the picker's
    context for every member; anything else is asked as moto asks."""
    picker = serializer._value_picker
    if type(value) is dict and type(picker) is _saved["picker"] and picker.alias_providers is _saved["providers"] \
            and not picker.response_transformers:
        parent = getattr(shape, "parent", None)
        hit = _KEYS.get((key, id(shape), id(parent)))
        if hit is not None and hit[0] is shape and hit[1] is parent \
                and not any("." in possible for possible in hit[2]):  # a dotted key is a path to moto's get_value
            for possible in hit[2]:
                found = value.get(possible, _MISSING)
                if found is not _MISSING:
                    return found
            return None
    return _saved["get_value"](serializer, value, key, shape)


def _enrich_response(headers: dict, body: Any) -> tuple[dict, Any]:
    """moto's `BaseResponse._enrich_response`: the status as text and a request id drawn; the id written into an
    XML body's `<RequestId>` element, and a text body without one (JSON) kept as it is instead of searched by the
    regular expression (which can only match after `<RequestId>`)."""
    from moto.core import responses
    if type(body) is str and "<RequestId>" not in body:
        if "status" in headers:
            headers["status"] = str(headers["status"])
        responses.gen_amzn_requestid_long(headers)
        return headers, body
    return _saved["enrich"].__func__(headers, body)


_ACCESS_KEYS: dict[tuple[Any, str], str | None] = {}  # (moto's regular expression, header up to its last : or /) ->
_LAST_DATE: list = [None, None]  # the last naive datetime http_date formatted, and its text


def _get_access_key(response: Any) -> str:
    """moto's `BaseResponse.get_access_key`: the Authorization header's key looked for once per text up to the
    header's last `:` or `/` (see the module's docstring), then moto's own lines."""
    if "Authorization" in response.headers:
        found = _access_key(response.access_key_regex, response.headers["Authorization"])
        if found is not None:
            return found
    if response.querystring.get("AWSAccessKeyId"):
        return response.querystring["AWSAccessKeyId"][0]
    return "AKIAEXAMPLE"


def _access_key(pattern: Any, header: Any) -> str | None:
    """`pattern.search(header)`'s access key group, or None."""
    if type(header) is not str or type(pattern) is not re.Pattern:
        match = pattern.search(header)
        return match.group(1) if match else None
    text = header[:max(header.rfind(":"), header.rfind("/")) + 1]
    key = (pattern, text)
    if key in _ACCESS_KEYS:
        return _ACCESS_KEYS[key]
    match = pattern.search(text)
    return remember(_ACCESS_KEYS, key, match.group(1) if match else None, 256)


def _http_date(timestamp: Any = None) -> str:
    """werkzeug's `http_date`, the text of the last naive datetime kept (see the module's docstring)."""
    last, text = _LAST_DATE
    if isinstance(timestamp, datetime) and timestamp.tzinfo is None:
        if last is not None and type(last) is type(timestamp) and last == timestamp:
            return text
        text = _saved["http_date"](timestamp)
        _LAST_DATE[:] = [timestamp, text]
        return text
    return _saved["http_date"](timestamp)
