"""Threads that handler code starts belong to its execution environment (container), as in Lambda.

They run while their container holds the baton, are frozen at their yield points (AWS and HTTP requests,
`time.sleep`) while it does not, and are stopped when the simulation ends. A thread that does not stop (it
spins in C, or swallows every exception) poisons the process: further simulations refuse to start, naming it.
Runaway scheduler tasks are stopped the same way, with an asynchronous exception (PyThreadState_SetAsyncExc)."""
from __future__ import annotations

import _thread
import ctypes
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from harness.clock import real_perf_counter
from harness.sandbox import state

_local = threading.local()
# How long a thread gets to stop once asked; asynchronous exceptions are re-sent every POLL seconds.
STOP_GRACE, POLL = 5.0, 0.02


class ThreadStopped(BaseException):
    """Raised inside a handler thread whose container was reclaimed or whose simulation ended."""


@dataclass(eq=False)
class OwnedThread:
    """A thread handler code started, and the container it belongs to."""

    thread: threading.Thread
    container: Any
    stopped: bool = False
    ended: bool = False  # its code has returned or been stopped
    running: threading.Event = field(default_factory=threading.Event)  # set while the container runs

    @property
    def name(self) -> str:
        """The thread's name and its container, for error messages."""
        return f"{self.thread.name!r} (started by {getattr(self.container, 'id', '?')})"


def async_raise(thread: threading.Thread, exc_type: type[BaseException]) -> None:
    """Raise `exc_type` inside `thread` at its next Python instruction (no effect while it blocks in C)."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(exc_type))


def stop_thread(thread: threading.Thread, exc_type: type[BaseException], stopped: Any = None,
                acknowledged: Any = None, grace: float = STOP_GRACE) -> bool:
    """Send `exc_type` into `thread` until it ends (or `stopped()` says so) or `grace` seconds pass. Once
    `acknowledged()` is true the exception has been received and is not sent again (a second one could land
    in the cleanup code that follows)."""
    is_stopped = stopped or (lambda: not thread.is_alive())  # asked once per round: it may take a lock
    until = real_perf_counter() + grace
    while True:
        if is_stopped():
            return True
        if real_perf_counter() >= until:
            return False
        if acknowledged is None or not acknowledged():
            async_raise(thread, exc_type)
        thread.join(POLL)


def runs_python(thread: threading.Thread) -> bool:
    """True when `thread` keeps using CPU (a loop that swallows the exceptions sent to stop it), False when it
    waits (a real sleep, lock or I/O: a pending asynchronous exception ends it as soon as it returns)."""
    try:
        clock = time.pthread_getcpuclockid(thread.ident or 0)
        before = time.clock_gettime(clock)
        thread.join(0.5)
        return thread.is_alive() and time.clock_gettime(clock) - before > 0.005  # a waiting thread uses ~0
    except (OSError, AttributeError):  # the thread ended meanwhile, or no per-thread clocks on this platform
        return thread.is_alive()


_REAL_START = threading.Thread.start
_REAL_RAW_START = _thread.start_new_thread


def _start(thread: threading.Thread) -> None:
    if state.active() is not None:
        adopt(thread)
    _REAL_START(thread)


def _raw_start(function: Any, args: Any, kwargs: Any = None) -> int:
    if state.active() is not None and _current_container() is not None:
        raise RuntimeError("handler code may start threads only through `threading` (the harness must own them "
                           "to freeze and stop them as Lambda does); raw _thread.start_new_thread is refused")
    return _REAL_RAW_START(function, args, *(() if kwargs is None else (kwargs,)))


def install() -> None:
    """Route thread starts through the sandbox (Python 3.11 raises no audit event for them); idempotent."""
    threading.Thread.start = _start  # type: ignore[method-assign]
    _thread.start_new_thread = _raw_start


def adopt(thread: threading.Thread) -> None:
    """A thread started by handler code is adopted by its container (the harness's own threads are not)."""
    if state.on_driver():
        return
    container = _current_container()
    if container is None:
        return
    if str(getattr(getattr(thread, "_target", None), "__module__", "")).startswith("harness."):
        return  # the harness's own helpers (gateway clients) started on a task's behalf
    record = OwnedThread(thread, container)
    record.running.set()
    container.threads.append(record)
    seal = state.active()
    if seal is not None:
        seal.threads.append(record)
    run = thread.run

    def owned_run() -> None:
        _local.owned = record
        try:
            run()
        except ThreadStopped:
            pass
        finally:
            record.ended = True

    thread.run = owned_run  # type: ignore[method-assign]


def _current_container() -> Any:
    owned = getattr(_local, "owned", None)
    if owned is not None:
        return owned.container
    from harness.scheduler import current_task
    task = current_task()
    view = getattr(task, "view", None)
    return view if hasattr(view, "threads") else None


def checkpoint() -> None:
    """A yield point of a non-task thread: an owned thread waits here while its container is frozen, and
    ends here once stopped."""
    record = getattr(_local, "owned", None)
    if record is None:
        return
    while not record.running.wait(0.05) and not record.stopped:
        pass
    if record.stopped:
        raise ThreadStopped(f"the execution environment of thread {record.name} was shut down")


def owned() -> bool:
    """True in a thread handler code started."""
    return getattr(_local, "owned", None) is not None


def sleep(seconds: float) -> None:
    """time.sleep in a handler thread: no virtual time passes for it; it only gives way (and may freeze)."""
    checkpoint()
    record = getattr(_local, "owned", None)
    if record is not None:
        record.running.wait(0.001 if seconds > 0 else 0)
        checkpoint()


def thaw(container: Any) -> None:
    """The container holds the baton: its threads may run."""
    for record in container.threads:
        record.running.set()


def freeze(container: Any) -> None:
    """The container gave the baton back: its threads stop at their next yield point."""
    for record in container.threads:
        record.running.clear()


def stop_all(records: list[OwnedThread], grace: float = STOP_GRACE) -> list[str]:
    """Stop every live thread in `records`; returns the names of those that would not stop."""
    live = [r for r in records if r.thread.is_alive()]
    for record in live:
        record.stopped = True
        record.running.set()  # wake the frozen ones: they raise ThreadStopped at their checkpoint
    for record in live:
        record.thread.join(POLL)
    survivors = []
    for record in live:
        if record.thread.is_alive() and not stop_thread(record.thread, ThreadStopped, grace=grace,
                                                        acknowledged=lambda r=record: r.ended):
            state_ = "runs Python and swallows every exception" if runs_python(record.thread) else \
                "blocks outside Python (a real wait or I/O)"
            survivors.append(f"{record.name}, which {state_}")
    return survivors
