"""One Powertools Logger and Metrics pair for the system, plus masking of personal data.

Masking policy (see README): message bodies are never logged; phone numbers and e-mail addresses are
logged only through :func:`mask_address`; Twilio error messages (which can quote phone numbers) are not
logged, only their numeric codes and HTTP status.
"""
from __future__ import annotations

import os
import re

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "replies-engine")
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "RepliesEngine")

logger = Logger(service=SERVICE_NAME)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE_NAME)

_DIGITS = re.compile(r"\d")


def mask_address(value: object) -> str | None:
    """Mask a phone number or e-mail address for logs.

    ``whatsapp:+14155238886`` -> ``whatsapp:+*******8886`` (channel prefix and last 4 digits kept);
    ``jane.doe@example.com`` -> ``j***@example.com``; anything else keeps at most its last 4 characters.
    """
    if value is None:
        return None
    text = str(value)
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return f"{local[:1]}***@{domain}"
    prefix, sep, number = text.rpartition(":")
    digits = _DIGITS.findall(number)
    if digits:
        keep = 4 if len(digits) > 4 else 0
        masked_digits = iter(["*"] * (len(digits) - keep) + digits[len(digits) - keep :])
        number = _DIGITS.sub(lambda _m: next(masked_digits), number)
    else:
        number = "***"
    return f"{prefix}{sep}{number}"


def count(name: str, value: float = 1) -> None:
    """Add a Count metric to the invocation's EMF blob (flushed by ``@metrics.log_metrics``)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
