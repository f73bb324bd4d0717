"""Environment-variable configuration with explicit defaults and bounds.

Values are read at call time (cheap), so one warm container follows the environment it was started with
and tests can set variables per case.
"""
from __future__ import annotations

import os

from botocore.config import Config

# Lambda-friendly retry policy for every boto3 client: 3 attempts in total with standard backoff and short
# timeouts, so an API Gateway request (29 s limit) or a batch never hangs in botocore's legacy 10-attempt
# DynamoDB schedule (25.6 s of sleeps).
BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=3,
    read_timeout=5,
)


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable, or ``default`` when it is unset or blank."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    return value.strip()


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return the variable as an int clamped to [minimum, maximum]; ``default`` when unset or invalid."""
    raw = env_str(name)
    try:
        value = int(raw) if raw is not None else default
    except ValueError:
        value = default
    if minimum is not None:
        value = max(minimum, value)
    if maximum is not None:
        value = min(maximum, value)
    return value


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    """Return the variable as a float no smaller than ``minimum``; ``default`` when unset or invalid."""
    raw = env_str(name)
    try:
        value = float(raw) if raw is not None else default
    except ValueError:
        value = default
    return max(minimum, value)
