"""One core for a running simulation's threads.

A simulation runs one thread at a time (the scheduler hands a baton from the driver to a task's thread and back),
so its threads gain nothing from several cores and lose much: each hand-off to a thread last run on the other core
wakes that core and warms its caches again. Measured on the 2-core bench machine, idle: a warm no-op invoke added
206-225 µs with the threads free to move and 101-102 µs with them on one core; a handler making 3 SQS calls went
from 1.05-1.08x its direct cost under plain `mock_aws` to 0.94-0.99x (docs/performance.md).

While a simulation runs, its driver thread and the pooled task threads are kept on the core the driver was on
when it started (threads they start inherit it); at stop each gets back the cores it had. A process running
several simulations side by side (`harness.runner`'s forked workers) gives each worker its own core with `prefer`.
Linux only (elsewhere nothing changes); HARNESS_PIN_CORE=0 turns it off. Only where threads run changes, never
which step runs: traces are the same either way (tests/harness/test_affinity.py)."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterable

_SUPPORTED = hasattr(os, "sched_setaffinity") and hasattr(os, "sched_getaffinity")
_preferred: int | None = None  # the core this process's simulations use (a runner worker's own), when set


def enabled() -> bool:
    """True when simulations keep their threads on one core here."""
    return _SUPPORTED and os.environ.get("HARNESS_PIN_CORE", "1") != "0"


def prefer(index: int) -> None:
    """This process's simulations use the `index`-th of the cores it may run on (modulo their number): runner
    workers running side by side each take their own instead of wherever their driver happened to be."""
    global _preferred
    if enabled():
        cores = sorted(os.sched_getaffinity(0))
        _preferred = cores[index % len(cores)]


def _current_core() -> int | None:
    """The core the calling thread is running on (field 39 of /proc/thread-self/stat)."""
    try:
        with open("/proc/thread-self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return int(fields[36])  # fields after "(comm)" start at field 3
    except (OSError, IndexError, ValueError):
        return None


class CorePin:
    """Keeps the calling thread and the given threads on one core until `release`."""

    def __init__(self) -> None:
        self._saved: dict[int, set[int]] = {}  # thread id (0: the caller) -> the cores it had
        self._pid = 0  # the process that pinned them (set by hold)

    def hold(self, threads: Iterable[threading.Thread]) -> None:
        """Move the caller and `threads` to one core (the preferred one, else the caller's current one)."""
        if not enabled() or self._saved:
            return
        allowed = os.sched_getaffinity(0)
        core = _preferred if _preferred in allowed else _current_core()
        if len(allowed) < 2 or core not in allowed:
            return
        self._pid = os.getpid()
        ids = [0, *(t.native_id for t in threads if t.native_id is not None and t.is_alive())]
        for tid in ids:
            try:
                self._saved[tid] = os.sched_getaffinity(tid)
                os.sched_setaffinity(tid, {core})
            except OSError:  # the thread ended meanwhile
                self._saved.pop(tid, None)

    def release(self, threads: Iterable[threading.Thread] = ()) -> None:
        """Give every pinned thread back the cores it had; `threads` started since `hold` get the caller's."""
        if not self._saved:
            return
        caller = self._saved.get(0, os.sched_getaffinity(0))
        if os.getpid() != self._pid:  # a forked child: the other thread ids are its parent's threads
            pinned = {0: caller}
        else:
            later = {t.native_id: caller for t in threads
                     if t.native_id is not None and t.native_id not in self._saved}
            pinned = {**later, **self._saved}
        for tid, cores in pinned.items():
            try:
                os.sched_setaffinity(tid, cores)
            except OSError:  # the thread ended meanwhile
                pass
        self._saved = {}
