"""The runtime's REPORT line, written as Lambda writes it at the end of every invocation:

    REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 64 MB\t
    Init Duration: 201.50 ms\t(cold starts only)  Status: timeout | Status: error\tError Type: Runtime.OutOfMemory

Billed Duration is the duration rounded up to the millisecond (at least 1 ms). Max Memory Used: the runtime's line
is part of the hashed trace, so it states the documented estimate below (the whole memory size for
Runtime.OutOfMemory); the figure the sandbox measures (harness/sandbox/memory.py) varies between runs, so it stays
out of the trace and the logs (a seed reproduces both exactly): it is `InvocationResult.max_memory_used_mb`.
"""
from __future__ import annotations

import math

from harness.lambda_runtime.usage import ENVIRONMENT_MAXRSS_KIB

ESTIMATED_MAX_MEMORY_USED_MB = ENVIRONMENT_MAXRSS_KIB // 1024  # the peak the harness states for one environment


def estimated_max_memory_used_mb(memory_size_mb: int, error_type: str | None) -> int:
    """The estimate: the whole memory size for Runtime.OutOfMemory, else the stated environment peak (capped)."""
    if error_type == "Runtime.OutOfMemory":
        return memory_size_mb
    return min(memory_size_mb, ESTIMATED_MAX_MEMORY_USED_MB)


def report_line(request_id: str, duration_ms: float, memory_size_mb: int, max_memory_used_mb: int | None,
                init_ms: float | None, status: str, error_type: str | None) -> str:
    """The REPORT line of one invocation (status: success, error, timeout; error_type: the error's type)."""
    used = max_memory_used_mb if max_memory_used_mb is not None else \
        estimated_max_memory_used_mb(memory_size_mb, error_type)
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(round(duration_ms, 2)))} ms\tMemory Size: {memory_size_mb} MB\t"
            f"Max Memory Used: {used} MB\t")
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if status == "timeout":
        line += "Status: timeout\t"
    elif error_type is not None and error_type.startswith("Runtime."):  # the runtime failed, not the handler
        line += f"Status: error\tError Type: {error_type}\t"
    return line
