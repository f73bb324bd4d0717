"""Send a message through the Twilio REST API, retrying only what can succeed on retry.

Retried (with ``time.sleep`` backoff): HTTP 5xx, 429 (rate limit: Twilio asks clients to back off and
retry) and connections that were never established (refused, connect timeout, DNS). Not retried: every other
4xx (invalid number, unsubscribed recipient, bad credentials...), which would fail the same way again, and a
request whose answer was lost after it was sent (read timeout, connection dropped): Twilio may have created
the message, and its Messages API has no idempotency key, so a retry could text the customer twice.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError as Urllib3ConnectTimeout
from urllib3.exceptions import MaxRetryError, NewConnectionError

from replies_engine.shared.config import env_float, env_int
from replies_engine.shared.observability import logger
from replies_engine.shared.secrets import TwilioCredentials

_clients: dict[tuple[str, str], Client] = {}  # per container, keyed by credentials (rotation-safe)


@dataclass(frozen=True)
class SendResult:
    ok: bool
    message_sid: str | None = None
    error_code: str | None = None  # e.g. TWILIO_21211, TWILIO_HTTP_503, TWILIO_TIMEOUT
    attempts: int = 0


def _client(credentials: TwilioCredentials) -> Client:
    key = (credentials.account_sid, credentials.auth_token)
    if key not in _clients:
        timeout = env_float("TWILIO_TIMEOUT_SECONDS", 10.0, minimum=1.0)
        _clients.clear()
        _clients[key] = Client(
            credentials.account_sid, credentials.auth_token, http_client=TwilioHttpClient(timeout=timeout)
        )
    return _clients[key]


def _classify(exc: Exception) -> tuple[str, bool]:
    """(error code for logs/records, retryable?)"""
    if isinstance(exc, TwilioRestException):
        status = int(exc.status or 0)
        # The client reports the HTTP status as the code when the body has no Twilio error code.
        code = f"TWILIO_{exc.code}" if exc.code and exc.code != status else f"TWILIO_HTTP_{status}"
        return code, status >= 500 or status == 429
    if _never_sent(exc):
        return "TWILIO_CONNECTION_ERROR", True
    if isinstance(exc, requests.exceptions.Timeout):
        return "TWILIO_TIMEOUT", False  # sent, answer lost: the message may exist
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "TWILIO_CONNECTION_LOST", False  # dropped after sending: the message may exist
    return "TWILIO_REQUEST_ERROR", False  # malformed request, bad URL...: retrying cannot help


def _never_sent(exc: Exception) -> bool:
    """True when the connection was never established, so Twilio cannot have received the request."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    cause = exc.args[0] if exc.args else None
    reason = cause.reason if isinstance(cause, MaxRetryError) else cause
    return isinstance(reason, (NewConnectionError, Urllib3ConnectTimeout))


def send_message(credentials: TwilioCredentials, to: str, from_: str, body: str) -> SendResult:
    """Create the message; up to ``TWILIO_MAX_ATTEMPTS`` (3) attempts, backoff base 1 s doubling."""
    max_attempts = env_int("TWILIO_MAX_ATTEMPTS", 3, minimum=1, maximum=10)
    base_delay = env_float("TWILIO_RETRY_BASE_DELAY_SECONDS", 1.0)
    client = _client(credentials)
    code = "TWILIO_UNKNOWN"
    for attempt in range(1, max_attempts + 1):
        try:
            message = client.messages.create(to=to, from_=from_, body=body)
            return SendResult(ok=True, message_sid=message.sid, attempts=attempt)
        except json.JSONDecodeError:
            # The client parses the body only of a 2xx answer: Twilio created the message. Sending again would
            # text the customer twice, so it counts as sent (without its SID).
            logger.warning("Twilio accepted the message but its answer could not be read", extra={"attempt": attempt})
            return SendResult(ok=True, message_sid=None, attempts=attempt)
        except (TwilioRestException, requests.exceptions.RequestException) as exc:
            code, retryable = _classify(exc)
            status = getattr(exc, "status", None)
            if not retryable:
                logger.error(
                    "Twilio rejected the message; not retrying",
                    extra={"twilio_error": code, "http_status": status, "attempt": attempt},
                )
                return SendResult(ok=False, error_code=code, attempts=attempt)
            if attempt < max_attempts:
                delay = base_delay * 2 ** (attempt - 1)
                logger.warning(
                    "Transient Twilio error; retrying",
                    extra={"twilio_error": code, "http_status": status, "attempt": attempt, "delay_seconds": delay},
                )
                time.sleep(delay)
    logger.error("Twilio send failed after retries", extra={"twilio_error": code, "attempts": max_attempts})
    return SendResult(ok=False, error_code=code, attempts=max_attempts)
