"""``X-Twilio-Signature`` verification with the twilio library.

Twilio signs the exact URL it called plus every POST parameter. Behind API Gateway the URL is rebuilt as
``<X-Forwarded-Proto>://<Host><requestContext.path>`` (the stage is part of ``requestContext.path`` on
the default execute-api host). With a custom domain or base-path mapping set ``TWILIO_WEBHOOK_BASE_URL``
(e.g. ``https://hooks.example.com/replies``); the URL is then that base plus ``event['path']``.
"""
from __future__ import annotations

from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from replies_engine.shared.config import env_str
from replies_engine.shared.secrets import get_twilio_credentials
from replies_engine.webhook_handler.utils.parsing_utils import decode_body, parse_form_body


class _FormParams(dict):
    """Form parameters with every value of a repeated field (the validator calls ``getlist``)."""

    def getlist(self, name: str) -> list[str]:
        return self[name]


def _headers(event: dict) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items() if v is not None}


def webhook_url(event: dict) -> str:
    """The URL Twilio requested, rebuilt from the proxy event (see module docstring)."""
    base = env_str("TWILIO_WEBHOOK_BASE_URL")
    if base:
        url = base.rstrip("/") + (event.get("path") or "")
    else:
        headers = _headers(event)
        proto = headers.get("x-forwarded-proto", "https").split(",")[0].strip() or "https"
        host = headers.get("host", "")
        path = (event.get("requestContext") or {}).get("path") or event.get("path") or ""
        url = f"{proto}://{host}{path}"
    multi = event.get("multiValueQueryStringParameters")
    single = event.get("queryStringParameters")
    if multi:
        url += "?" + urlencode(multi, doseq=True)
    elif single:
        url += "?" + urlencode(single)
    return url


def is_valid_twilio_request(event: dict) -> bool:
    """True when the signature header matches the body and URL under the account's auth token.

    Raises ``SecretUnavailableError`` when the auth token cannot be loaded.
    """
    signature = _headers(event).get("x-twilio-signature")
    if not signature:
        return False
    body = decode_body(event)
    if body is None:
        return False
    credentials = get_twilio_credentials()
    validator = RequestValidator(credentials.auth_token)
    return validator.validate(webhook_url(event), _FormParams(parse_form_body(body)), signature)
