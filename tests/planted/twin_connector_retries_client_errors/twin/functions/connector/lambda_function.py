"""L1 -> remote L2 Connector: forwards a device event to another cloud's ingestion endpoint.

The event is wrapped as ``{"source": "aws", "payload": event}`` and POSTed with ``urllib`` to
``REMOTE_INGESTION_URL`` with the ``X-Inter-Cloud-Token`` header.

* 400, 401, 403 and 404 fail fast: logged as ``Client Error (<code>)`` and raised without a retry.
* 500, 502, 503, 504, connection errors and timeouts are retried with bounded exponential backoff
  (``min(base * 2 ** (attempt - 1), max)`` seconds, no jitter so runs are reproducible).
* Any other status is not retried (the plan retries only the listed server errors).

The token is never logged; the URL is logged without its query string (Azure function keys live
there). The function raises on failure; its EventInvokeConfig sets MaximumRetryAttempts to 0 so the
in-function retries are the only ones and a failed event goes straight to the on-failure queue.
"""

import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from aws_lambda_powertools import Logger

logger = Logger(service="twin-connector")

FAIL_FAST_STATUSES: frozenset[int] = frozenset()  # PLANTED BUG: 4xx are retried like 5xx
RETRYABLE_STATUSES = frozenset({400, 401, 403, 404, 500, 502, 503, 504})


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


class ConnectorError(RuntimeError):
    """Delivery to the remote ingestion endpoint failed."""


class ClientRequestError(ConnectorError):
    """The remote endpoint rejected the request (4xx); retrying cannot help."""

    def __init__(self, status: int):
        super().__init__(f"Client Error ({status})")
        self.status = status


class RemoteUnavailableError(ConnectorError):
    """Every attempt failed with a retryable error."""


def _int_env(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigurationError(f"{name} must be >= {minimum}, got {value}")
    return value


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc
    if value <= 0:
        raise ConfigurationError(f"{name} must be > 0, got {value}")
    return value


def _settings() -> dict:
    url = os.environ.get("REMOTE_INGESTION_URL", "").strip()
    token = os.environ.get("INTER_CLOUD_TOKEN", "").strip()
    if not url:
        raise ConfigurationError("REMOTE_INGESTION_URL is not set")
    if not token:
        raise ConfigurationError("INTER_CLOUD_TOKEN is not set")
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise ConfigurationError("REMOTE_INGESTION_URL must be an http(s) URL")
    return {
        "url": url,
        "token": token,
        "max_attempts": _int_env("CONNECTOR_MAX_ATTEMPTS", 3, 1),
        "backoff_base": _float_env("CONNECTOR_BACKOFF_BASE_SECONDS", 1.0),
        "backoff_max": _float_env("CONNECTOR_BACKOFF_MAX_SECONDS", 8.0),
        "timeout": _float_env("CONNECTOR_TIMEOUT_SECONDS", 5.0),
    }


def loggable_url(url: str) -> str:
    """The URL without credentials, query string or fragment, which may carry keys."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Delay after failed attempt ``attempt`` (1-based): base, 2*base, 4*base ... capped."""
    return min(base * (2 ** (attempt - 1)), cap)


def _post(url: str, token: str, body: bytes, timeout: float) -> int:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Inter-Cloud-Token": token},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    try:
        settings = _settings()
    except ConfigurationError as exc:
        logger.error(f"Connector misconfigured: {exc}")
        raise

    body = json.dumps({"source": "aws", "payload": event}).encode("utf-8")
    url = loggable_url(settings["url"])
    max_attempts = settings["max_attempts"]

    for attempt in range(1, max_attempts + 1):
        logger.info(
            "Posting event to remote ingestion",
            extra={"url": url, "attempt": attempt, "max_attempts": max_attempts},
        )
        try:
            status = _post(settings["url"], settings["token"], body, settings["timeout"])
        except urllib.error.HTTPError as exc:
            status = exc.code
            exc.close()
            if status in FAIL_FAST_STATUSES:
                logger.error(f"Client Error ({status})", extra={"url": url, "attempt": attempt})
                raise ClientRequestError(status) from None
            if status not in RETRYABLE_STATUSES:
                logger.error(f"Unexpected HTTP status ({status})", extra={"url": url, "attempt": attempt})
                raise ConnectorError(f"Unexpected HTTP status ({status})") from None
            logger.warning(f"Server Error ({status})", extra={"url": url, "attempt": attempt})
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            logger.warning(
                "Connection Error",
                extra={"url": url, "attempt": attempt, "error": f"{type(exc).__name__}: {reason}"},
            )
        else:
            logger.info(
                "Remote ingestion accepted event", extra={"url": url, "attempt": attempt, "status": status}
            )
            return {"statusCode": status, "attempts": attempt}

        if attempt < max_attempts:
            delay = backoff_delay(attempt, settings["backoff_base"], settings["backoff_max"])
            logger.info("Retrying after backoff", extra={"attempt": attempt, "delay_seconds": delay})
            time.sleep(delay)

    logger.error("Remote ingestion unavailable", extra={"url": url, "attempts": max_attempts})
    raise RemoteUnavailableError(f"Remote ingestion unavailable after {max_attempts} attempts")
