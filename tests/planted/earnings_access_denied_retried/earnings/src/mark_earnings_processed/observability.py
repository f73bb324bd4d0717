"""Metrics that can never break processing, and the memory figure behind the memory alarm.

Metrics are CloudWatch EMF lines written by Powertools at the end of an invocation. A metric that cannot
be recorded, or a flush that fails, is logged as a warning (category ``metrics``) and processing goes on;
a failed flush is retried once, then the metric set is dropped so it cannot leak into the next invocation.
"""
from __future__ import annotations

import resource
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from mark_earnings_processed.errors import ERROR_METRIC, Category

FLUSH_ATTEMPTS = 2


class MetricsRecorder:
    """Failure-tolerant front of a Powertools ``Metrics`` object for one invocation."""

    def __init__(self, metrics: Metrics, logger: Logger, correlation_id: str):
        self._metrics = metrics
        self._logger = logger
        self.failures = 0
        self._guard("metadata:correlation_id", metrics.add_metadata, key="correlation_id", value=correlation_id)

    def count(self, name: str, value: float = 1) -> None:
        self.add(name, MetricUnit.Count, value)

    def add(self, name: str, unit: MetricUnit, value: float) -> None:
        self._guard(name, self._metrics.add_metric, name=name, unit=unit, value=value)

    def flush(self) -> bool:
        """Write the EMF line; retry once on failure. False when the metrics of this invocation are lost."""
        if self.failures:
            self._guard(ERROR_METRIC[Category.METRICS], self._metrics.add_metric,
                        name=ERROR_METRIC[Category.METRICS], unit=MetricUnit.Count, value=self.failures)
        for attempt in range(1, FLUSH_ATTEMPTS + 1):
            try:
                self._metrics.flush_metrics()
                return True
            except Exception as exc:  # noqa: BLE001 - metrics must never fail the invocation
                self._logger.warning(
                    "Metrics flush failed",
                    extra={"error_category": Category.METRICS.value, "error_type": type(exc).__name__,
                           "attempt": attempt, "max_attempts": FLUSH_ATTEMPTS},
                )
        try:
            self._metrics.clear_metrics()
        except Exception:  # noqa: BLE001,S110 - nothing more can be done; the warning above is logged
            pass
        return False

    def _guard(self, label: str, method: Any, **kwargs: Any) -> None:
        try:
            method(**kwargs)
        except Exception as exc:  # noqa: BLE001 - metrics must never fail the invocation
            self.failures += 1
            self._logger.warning(
                "Metric could not be recorded; processing continues",
                extra={"error_category": Category.METRICS.value, "metric": label, "error_type": type(exc).__name__},
            )


def memory_used_percent(memory_limit_mb: int | str) -> float:
    """Peak resident memory of this execution environment as a percentage of the function's memory."""
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    # The Python runtime's context gives memory_limit_in_mb as a string (read from an environment variable).
    return round(peak_kib / 1024 / int(memory_limit_mb) * 100, 1)
