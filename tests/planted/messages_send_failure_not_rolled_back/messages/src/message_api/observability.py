"""One Powertools Logger and Metrics per function, and a metrics flush that can never fail a request.

Log lines are JSON with ``correlation_id`` on every line (``logger.set_correlation_id`` after
``inject_lambda_context(clear_state=True)``). Never logged: the request event and body, the message
``content``, the ``recipient`` and the ``metadata`` values (see the README's "Sensitive data").
"""
from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Publish the EMF line; a metrics failure is logged as a warning and otherwise ignored."""
    try:
        metrics.flush_metrics()
    except Exception as error:  # noqa: BLE001 - metrics must never change the outcome
        logger.warning("metrics flush failed; continuing without metrics",
                       extra={"errorType": type(error).__name__})
        metrics.clear_metrics()
