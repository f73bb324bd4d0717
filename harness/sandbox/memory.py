"""MemorySize: how much memory an invocation used, and `Runtime.OutOfMemory` when it used more than its function's
MemorySize, as Lambda reports it (the environment is discarded).

Every container shares the harness's process, so an invocation's memory is measured as the growth of the
process's resident set while the invocation's code runs: the kernel's high-water mark is reset
(`/proc/self/clear_refs`, 5) when an invocation's step begins and read (getrusage's `ru_maxrss`, or `VmHWM`) when
it gives the baton back (a yield point, or the end of the invocation); the AWS backend's own work (moto answering a request) is left out. Used memory is
`RUNTIME_MB` (the Python runtime's own footprint, stated rather than measured) plus the highest growth of any of
the invocation's steps. Like Lambda's cgroup, only memory really touched counts (an untouched `bytearray(2 GB)`
does not); unlike it, memory the process already holds and reuses (freed earlier) does not show as growth, and
the figure varies between runs, so it is kept out of the trace and the logs (the REPORT line states the
documented estimate, harness/lambda_runtime/report.py): it is `InvocationResult.max_memory_used_mb`.
Where /proc/self/clear_refs is missing (not Linux) nothing is measured (docs/safety.md)."""
from __future__ import annotations

import math
import os
import resource

_GETRUSAGE = resource.getrusage  # the real one (handler code sees a fixed figure)
# The calling thread's usage carries the same ru_maxrss as the process's (Linux's getrusage gives both the larger of
# the mm's high-water mark and the peak exited threads left behind), without summing the CPU times of every thread
# of the process: with a few dozen parked task and gateway threads RUSAGE_SELF costs several times as much.
_SELF = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)

RUNTIME_MB = 40  # what Lambda reports for a trivial Python handler, before its own allocations
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4
_M_MMAP_THRESHOLD = -3
_pinned = False


def _pin_mmap_threshold() -> None:
    """glibc raises its mmap threshold once a large block is freed, after which large blocks come from (and return
    to) the heap, whose pages stay resident: a second run of the same allocation would no longer grow the resident
    set. Pinning the threshold at its default keeps every block over 128 KB mmapped, so freed is given back."""
    global _pinned
    if _pinned:
        return
    _pinned = True
    try:
        import ctypes
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):  # not glibc: measured as it comes
        pass


class OutOfMemory(BaseException):
    """Raised at an invocation's yield point once it used more than its MemorySize (a BaseException: handler code
    cannot catch its way past the kernel's OOM killer)."""


class Gauge:
    """Peak resident-set growth per task step, from the kernel's high-water mark."""

    def __init__(self) -> None:
        try:
            self._clear = os.open("/proc/self/clear_refs", os.O_WRONLY)
            self._status = os.open("/proc/self/status", os.O_RDONLY)
            self._statm = os.open("/proc/self/statm", os.O_RDONLY)
            os.pwrite(self._clear, b"5", 0)
            self.available = True
            self._starts, self._stale = 0, False
            _pin_mmap_threshold()
        except OSError:
            self.available, self._starts, self._stale = False, 0, False

    def start(self, meta: dict) -> None:
        """An invocation's step begins: reset the high-water mark and note where it starts."""
        os.pwrite(self._clear, b"5", 0)
        self._starts += 1
        if not self._stale and self._starts & 31 == 1:
            # getrusage's ru_maxrss is the reset mark, unless a thread that exited earlier left a higher process
            # peak behind (the kernel keeps that apart for good): checked against the resident set now and then;
            # once stale, every step reads the resident set and VmHWM itself (15 us instead of 4).
            self._stale = _maxrss() > self._rss() + 256
        meta["rss_kb"] = self._rss() if self._stale else _maxrss()

    def settle(self, meta: dict) -> None:
        """The invocation's step ends (a yield point, a pause for the backend, the handler's return): fold its peak
        growth into the invocation's; OutOfMemory once that is over the invocation's limit."""
        limit = meta.get("memory_limit_kb")
        if limit is None or "rss_kb" not in meta:
            return
        grown = (self._hwm() if self._stale else _maxrss()) - meta["rss_kb"]
        if grown > meta.get("memory_peak_kb", 0):
            meta["memory_peak_kb"] = grown
        if meta["memory_peak_kb"] > limit:  # again at every later yield point: swallowing it does not help
            meta["out_of_memory"] = True
            raise OutOfMemory(f"used {used_mb(meta)} MB")

    def _rss(self) -> int:
        return int(os.pread(self._statm, 64, 0).split()[1]) * _PAGE_KB

    def _hwm(self) -> int:
        data = os.pread(self._status, 4096, 0)
        at = data.index(b"VmHWM:")
        return int(data[at + 6:data.index(b"kB", at)])

    def close(self) -> None:
        """Close the /proc files."""
        if self.available:
            for fd in (self._clear, self._status, self._statm):
                os.close(fd)
            self.available = False


def _maxrss() -> int:
    return _GETRUSAGE(_SELF).ru_maxrss


def begin(meta: dict, memory_mb: int, gauge: Gauge | None) -> None:
    """An invocation starts in this task: track its peak against `memory_mb` from here on."""
    meta["memory_limit_kb"] = (memory_mb - RUNTIME_MB) * 1024
    meta["memory_peak_kb"] = 0
    meta.pop("out_of_memory", None)
    if gauge is not None:
        gauge.start(meta)


def end(meta: dict) -> int:
    """The invocation ended: its Max Memory Used in MB (and the task stops being tracked)."""
    used = used_mb(meta)
    for key in ("memory_limit_kb", "out_of_memory"):  # the task may go on (an event source's poller)
        meta.pop(key, None)
    return used


def used_mb(meta: dict) -> int:
    """RUNTIME_MB plus the peak growth so far, in whole MB (as the REPORT line prints it)."""
    return RUNTIME_MB + math.ceil(max(0, meta.get("memory_peak_kb", 0)) / 1024)


def paused(gauge: Gauge | None, meta: dict) -> Paused:
    """Leave the work inside the block (the backend answering a handler's request) out of the task's memory."""
    return Paused(gauge, meta)


class Paused:
    """The block `paused` returns (a plain class, not a generator: entered on every AWS request of every
    invocation)."""

    __slots__ = ("_gauge", "_meta")

    def __init__(self, gauge: Gauge | None, meta: dict):
        self._gauge = gauge if gauge is not None and "memory_limit_kb" in meta else None
        self._meta = meta

    def __enter__(self) -> None:
        if self._gauge is not None:
            self._gauge.settle(self._meta)

    def __exit__(self, *exc: object) -> None:
        if self._gauge is not None:
            self._gauge.start(self._meta)
