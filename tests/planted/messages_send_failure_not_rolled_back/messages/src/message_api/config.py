"""Configuration read from environment variables once, at cold start.

A missing or malformed variable raises ``ConfigError`` while the module is imported, so a bad
deployment fails loudly at init instead of answering requests with a half-configured function.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from botocore.config import Config


class ConfigError(RuntimeError):
    """An environment variable is missing or out of range."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} must be set")
    return value


def _int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ConfigError(f"environment variable {name} must be between {minimum} and {maximum}, got {value}")
    return value


def aws_client_config(max_attempts_variable: str) -> Config:
    """botocore configuration set explicitly, never left to the SDK defaults.

    Standard retry mode retries throttling, 5xx and connection errors with jittered exponential
    backoff; ``total_max_attempts`` counts the first attempt too (``max_attempts`` would count
    retries only). Short timeouts keep the worst case inside the API Gateway 29 s limit.
    """
    return Config(
        retries={"mode": "standard", "total_max_attempts": _int(max_attempts_variable, 3, 1, 10)},
        connect_timeout=_int("AWS_CONNECT_TIMEOUT_SECONDS", 2, 1, 10),
        read_timeout=_int("AWS_READ_TIMEOUT_SECONDS", 5, 1, 30),
    )


@dataclass(frozen=True)
class ApiSettings:
    table_name: str
    queue_url: str
    max_content_bytes: int

    @property
    def fifo_queue(self) -> bool:
        return self.queue_url.endswith(".fifo")

    @classmethod
    def from_env(cls) -> ApiSettings:
        return cls(
            table_name=_required("MESSAGES_TABLE_NAME"),
            queue_url=_required("OUTBOUND_QUEUE_URL"),
            max_content_bytes=_int("MAX_CONTENT_BYTES", 65536, 1, 200_000),
        )


@dataclass(frozen=True)
class ReconcilerSettings:
    table_name: str
    stuck_threshold_seconds: int
    safety_margin_ms: int
    page_size: int

    @classmethod
    def from_env(cls) -> ReconcilerSettings:
        return cls(
            table_name=_required("MESSAGES_TABLE_NAME"),
            # Must exceed the POST function's timeout so an in-flight send is never rolled back.
            stuck_threshold_seconds=_int("STUCK_THRESHOLD_SECONDS", 300, 60, 86_400),
            safety_margin_ms=_int("RECONCILER_SAFETY_MARGIN_MS", 5000, 1000, 60_000),
            page_size=_int("RECONCILER_PAGE_SIZE", 100, 1, 1000),
        )
