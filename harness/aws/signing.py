"""SigV4 signing keys derived once per day, region, service and secret; a request's headers read once.

Every SigV4-signed request (`SigV4Auth.signature`) derives its signing key afresh through a chain of four HMACs:
the secret with the request's date, then the region, the service and `aws4_request`; a fifth HMAC signs the
request's string to sign with it. The key is a pure function of the secret key, the date (the first eight
characters of the request's timestamp), the region and the service name, so `signature` remembers it for those
four texts (a bounded number of keys; the harness's credentials are dummy ones) and only signs. The signature is
the same hex text botocore makes. A signer whose class has its own `_sign`, or a value that is not text, goes to
botocore's own code.

`add_auth` signs a plain `SigV4Auth` request (every DynamoDB, SQS, Secrets Manager... call; S3 and query signers
keep botocore's own) with one pass over its headers. botocore's `add_auth` builds the headers to sign twice (for
the canonical request, then again for the Authorization header), each time as an `email.message` object whose every
read re-checks each value for surrogates, and looks each name's values up by scanning all of them: about a third of
signing. Here the names and values are read once from the request's header list and the canonical headers and
signed-header names are made from them by botocore's rules (lower-cased names outside botocore's blacklist, `host`
from the URL when absent, names sorted, each name's values in order joined by commas with runs of blanks made one,
signed names stripped and sorted); every other step (timestamp, date and token headers, path, query string,
payload hash, string to sign, signature, debug logs) is botocore's own method. A header name or value that is not
ASCII text, headers that are not botocore's `HTTPHeaders`, a signer class other than `SigV4Auth` or a `SigV4Auth`
method replaced go to botocore's own code.

A request URL's Host header value (botocore's `_host_from_url`: parsing, an IPv6 check, default ports) and its
normalized path (`SigV4Auth._normalize_url_path` of its path) are pure functions of the URL's text, which is the same
for every call of a client: each is remembered per URL (sixth wave; a replaced `_host_from_url` or
`_normalize_url_path` goes to botocore's; what raises is not remembered, so it raises again where botocore would).
"""
from __future__ import annotations

import hmac
import operator
from hashlib import sha256
from typing import Any

from botocore import auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, AWSRequestPreparer
from botocore.compat import HTTPHeaders
from botocore.exceptions import NoCredentialsError

from harness.memo import remember

MAX_KEYS = 256  # distinct (secret, date, region, service) keys kept; past it the memory starts again
MAX_URLS = 256  # distinct request URLs whose host and path are kept

_signature = SigV4Auth.signature
_sign = SigV4Auth._sign
_add_auth = SigV4Auth.add_auth
_OWN_METHODS = ("headers_to_sign", "canonical_headers", "signed_headers", "canonical_request", "_header_value",
                "_inject_signature_to_request")
_methods_of = operator.attrgetter(*_OWN_METHODS)  # one C call per signing: the check below is on every request
_own = _methods_of(SigV4Auth)
_own_payload = SigV4Auth.payload
_BLACKLIST = frozenset(auth.SIGNED_HEADERS_BLACKLIST)
_keys: dict[tuple[str, str, str, str], bytes] = {}
_host_from_url = auth._host_from_url
_normalize_url_path = SigV4Auth._normalize_url_path
_hosts: dict[str, Any] = {}  # URL -> its Host header value
_paths: dict[str, Any] = {}  # URL -> its normalized path


def signing_key(secret_key: str, datestamp: str, region: str, service: str) -> bytes:
    """The SigV4 signing key of this secret for this date (YYYYMMDD), region and service."""
    names = (secret_key, datestamp, region, service)
    key = _keys.get(names)
    if key is None:
        key = f"AWS4{secret_key}".encode()
        for text in (datestamp, region, service, "aws4_request"):
            key = hmac.new(key, text.encode("utf-8"), sha256).digest()
        remember(_keys, names, key, MAX_KEYS)
    return key


def signature(self: Any, string_to_sign: str, request: Any) -> str:
    """`SigV4Auth.signature`: the request's hex signature, from the signing key of its date, region and service."""
    secret_key, region, service = self.credentials.secret_key, self._region_name, self._service_name
    timestamp = request.context["timestamp"]
    if (type(self)._sign is not _sign or type(secret_key) is not str or type(timestamp) is not str
            or type(region) is not str or type(service) is not str or type(string_to_sign) is not str):
        return _signature(self, string_to_sign, request)
    key = signing_key(secret_key, timestamp[0:8], region, service)
    return hmac.new(key, string_to_sign.encode("utf-8"), sha256).hexdigest()


def host_of(url: Any) -> Any:
    """botocore's `_host_from_url(url)`: the Host header's value for a request to `url`, remembered per URL."""
    if type(url) is not str or auth._host_from_url is not _host_from_url:
        return auth._host_from_url(url)
    host = _hosts.get(url)
    if host is None:
        host = remember(_hosts, url, _host_from_url(url), MAX_URLS)
    return host


def _path_of(self: Any, url: Any) -> Any:
    """`self._normalize_url_path(urlsplit(url).path)`, remembered per URL for SigV4Auth's own normalization."""
    if type(url) is not str or SigV4Auth._normalize_url_path is not _normalize_url_path:
        return self._normalize_url_path(auth.urlsplit(url).path)
    path = _paths.get(url)
    if path is None:
        path = remember(_paths, url, self._normalize_url_path(auth.urlsplit(url).path), MAX_URLS)
    return path


def signed_headers(request: Any) -> tuple[str, str] | None:
    """The canonical headers block and the signed header names botocore makes of `request`'s headers (its
    `canonical_headers(headers_to_sign(request))` and `signed_headers(...)`), or None for headers it does not read
    this way."""
    headers = request.headers
    pairs = getattr(headers, "_headers", None)
    if type(headers) is not HTTPHeaders or type(pairs) is not list:
        return None
    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, value = pair
        if type(name) is not str or type(value) is not str or not (name.isascii() and value.isascii()):
            return None  # email.message hands back text with surrogates as Header objects
        name = name.lower()
        if name not in _BLACKLIST:
            values.setdefault(name, []).append(value)
    if "host" not in values:
        host = host_of(request.url)
        if type(host) is not str or not host.isascii():
            return None
        values["host"] = [host]
    canonical = "\n".join(f"{name}:{','.join(' '.join(v.split()) for v in values[name])}" for name in sorted(values))
    return canonical, ";".join(sorted(name.strip() for name in values))


def add_auth(self: Any, request: Any) -> None:
    """`SigV4Auth.add_auth`: the request signed, its X-Amz-Date, token and Authorization headers set."""
    if type(self) is not SigV4Auth or _methods_of(SigV4Auth) != _own:
        return _add_auth(self, request)
    if self.credentials is None:
        raise NoCredentialsError()
    request.context["timestamp"] = auth.get_current_datetime().strftime(auth.SIGV4_TIMESTAMP)
    self._modify_request_before_signing(request)  # a retry's old Authorization goes; date and token headers
    signed = signed_headers(request)
    if signed is None:
        canonical_request = self.canonical_request(request)
    else:
        canonical_request = _canonical_request(self, request, *signed)
    auth.logger.debug("Calculating signature using v4 auth.")
    auth.logger.debug("CanonicalRequest:\n%s", canonical_request)
    string_to_sign = self.string_to_sign(request, canonical_request)
    auth.logger.debug("StringToSign:\n%s", string_to_sign)
    signature = self.signature(string_to_sign, request)
    auth.logger.debug("Signature:\n%s", signature)
    if signed is None:
        self._inject_signature_to_request(request, signature)
    else:
        request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={self.scope(request)}, "
                                            f"SignedHeaders={signed[1]}, Signature={signature}")


def _canonical_request(self: Any, request: Any, canonical_headers: str, names: str) -> str:
    """`SigV4Auth.canonical_request` with the headers part already made."""
    if "X-Amz-Content-SHA256" in request.headers:
        body_checksum = request.headers["X-Amz-Content-SHA256"]
    else:
        body_checksum = _payload(self, request)
    return "\n".join((request.method.upper(), _path_of(self, request.url),
                      self.canonical_query_string(request), canonical_headers + "\n", names, body_checksum))


def _payload(self: Any, request: Any) -> str:
    """`SigV4Auth.payload`: the body's SHA-256 (or what stands for it). botocore reads `request.body`, which prepares
    the whole request (URL, a copy of the headers, the body) to take its body; a plain request's prepared body is
    its bytes (None when empty), so they are hashed directly."""
    if (type(request) is not AWSRequest or type(request._request_preparer) is not AWSRequestPreparer
            or request.params or type(request.data) is not bytes or SigV4Auth.payload is not _own_payload):
        return self.payload(request)
    if self._is_streaming_checksum_payload(request):
        return auth.STREAMING_UNSIGNED_PAYLOAD_TRAILER
    if not self._should_sha256_sign_payload(request):
        return auth.UNSIGNED_PAYLOAD
    return sha256(request.data).hexdigest() if request.data else auth.EMPTY_SHA256_HASH


def install() -> None:
    """Sign SigV4 requests with remembered signing keys, reading their headers once (idempotent)."""
    SigV4Auth.signature = signature
    SigV4Auth.add_auth = add_auth


def uninstall() -> None:
    """botocore derives every signing key again and reads the headers its own way."""
    SigV4Auth.signature = _signature
    SigV4Auth.add_auth = _add_auth


def installed() -> bool:
    """True while SigV4 signing keys are remembered and headers read once."""
    return SigV4Auth.signature is signature and SigV4Auth.add_auth is add_auth
