"""Resource usage as a handler sees it: one execution environment, not the harness's whole process.

In Lambda each environment is its own process, so `resource.getrusage(RUSAGE_SELF).ru_maxrss` is that
environment's peak memory. Here every container shares the harness's process, whose peak memory depends on
the machine and on everything run before; a handler that reports it would make runs irreproducible. Inside a
task the harness answers with a fixed, documented figure instead.
"""
from __future__ import annotations

import resource
from typing import Any

from harness.scheduler import current_task

ENVIRONMENT_MAXRSS_KIB = 64 * 1024  # a small Python function's peak, stated rather than measured


class UsagePatch:
    """Replaces resource.getrusage while a simulation runs."""

    def __init__(self) -> None:
        self._real = None

    def install(self) -> None:
        """Patch."""
        self._real = real = resource.getrusage

        def getrusage(who: int) -> Any:
            usage = real(who)
            if current_task() is None:
                return usage
            values = list(usage)
            values[2] = ENVIRONMENT_MAXRSS_KIB  # ru_maxrss
            return resource.struct_rusage(values)

        resource.getrusage = getrusage

    def uninstall(self) -> None:
        """Restore."""
        if self._real is not None:
            resource.getrusage = self._real
            self._real = None
