"""SigV4 signing keys derived once per day, region, service and secret.

Every SigV4-signed request (`SigV4Auth.signature`) derives its signing key afresh through a chain of four HMACs:
the secret with the request's date, then the region, the service and `aws4_request`; a fifth HMAC signs the
request's string to sign with it. The key is a pure function of the secret key, the date (the first eight
characters of the request's timestamp), the region and the service name, so `signature` remembers it for those
four texts (a bounded number of keys; the harness's credentials are dummy ones) and only signs. The signature is
the same hex text botocore makes. A signer whose class has its own `_sign`, or a value that is not text, goes to
botocore's own code.
"""
from __future__ import annotations

import hmac
import threading
from hashlib import sha256
from typing import Any

from botocore.auth import SigV4Auth

MAX_KEYS = 256  # distinct (secret, date, region, service) keys kept; past it the memory starts again

_signature = SigV4Auth.signature
_sign = SigV4Auth._sign
_keys: dict[tuple[str, str, str, str], bytes] = {}
_lock = threading.Lock()


def signing_key(secret_key: str, datestamp: str, region: str, service: str) -> bytes:
    """The SigV4 signing key of this secret for this date (YYYYMMDD), region and service."""
    names = (secret_key, datestamp, region, service)
    key = _keys.get(names)
    if key is None:
        key = f"AWS4{secret_key}".encode()
        for text in (datestamp, region, service, "aws4_request"):
            key = hmac.new(key, text.encode("utf-8"), sha256).digest()
        with _lock:
            if len(_keys) >= MAX_KEYS:
                _keys.clear()
            _keys[names] = key
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


def install() -> None:
    """Sign SigV4 requests with remembered signing keys (idempotent)."""
    SigV4Auth.signature = signature


def uninstall() -> None:
    """botocore derives every signing key again."""
    SigV4Auth.signature = _signature


def installed() -> bool:
    """True while SigV4 signing keys are remembered."""
    return SigV4Auth.signature is signature
