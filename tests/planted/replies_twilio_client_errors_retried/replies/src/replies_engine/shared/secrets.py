"""Twilio credentials from Secrets Manager, cached per container.

The secret (``/replies-engine/<env>/twilio`` unless ``TWILIO_SECRET_NAME`` says otherwise) is a JSON
object with ``twilio_account_sid`` and ``twilio_auth_token``. A value is cached for
``SECRET_CACHE_TTL_SECONDS`` (default 300 s) so a rotated token is picked up without a redeploy.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import boto3

from replies_engine.shared.aws_errors import error_code, is_aws_error, is_transient
from replies_engine.shared.config import BOTO_CONFIG, env_int, env_str

secretsmanager = boto3.client("secretsmanager", config=BOTO_CONFIG)

_cache: dict[str, tuple[float, TwilioCredentials]] = {}


@dataclass(frozen=True)
class TwilioCredentials:
    account_sid: str
    auth_token: str


class SecretUnavailableError(Exception):
    """The credentials could not be loaded; ``transient`` says whether a later retry may succeed."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def twilio_secret_name() -> str:
    environment = env_str("ENVIRONMENT_NAME", "dev")
    return env_str("TWILIO_SECRET_NAME", f"/replies-engine/{environment}/twilio")


def get_twilio_credentials() -> TwilioCredentials:
    """Return the cached credentials, fetching them when absent or older than the TTL."""
    name = twilio_secret_name()
    ttl = env_int("SECRET_CACHE_TTL_SECONDS", 300, minimum=0)
    cached = _cache.get(name)
    if cached is not None and time.time() - cached[0] < ttl:
        return cached[1]
    try:
        response = secretsmanager.get_secret_value(SecretId=name)
    except Exception as exc:
        if not is_aws_error(exc):
            raise
        raise SecretUnavailableError(
            f"Could not read secret {name}: {error_code(exc)}", transient=is_transient(exc)
        ) from exc
    try:
        payload = json.loads(response.get("SecretString") or "")
        credentials = TwilioCredentials(
            account_sid=str(payload["twilio_account_sid"]).strip(),
            auth_token=str(payload["twilio_auth_token"]).strip(),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise SecretUnavailableError(
            f"Secret {name} must be JSON with twilio_account_sid and twilio_auth_token", transient=False
        ) from exc
    if not credentials.account_sid or not credentials.auth_token:
        raise SecretUnavailableError(f"Secret {name} has an empty Twilio credential", transient=False)
    _cache[name] = (time.time(), credentials)
    return credentials
