"""Threads for the gateway's connections, reused: a thread per connection as `ThreadingHTTPServer` gives, taken
from parked threads instead of started anew for each (starting one is a thread creation and a hand-off to
wait for it to run; every `sim.http`/`sim.webhook` exchange is one connection).

A parked thread waits on its own baton (harness.baton); `run` hands it the connection's work, and it parks again
when the work is done. The threads are daemons, named after the server they serve while they serve it, and
listed by `harness.scheduler.pooled_threads` so a simulation keeps them on its core with its other threads."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable

from harness.baton import new_baton
from harness.scheduler import add_thread_pool

_IDLE: list[_ConnectionThread] = []
_ALL: list[_ConnectionThread] = []


class _ConnectionThread:
    """One reusable daemon thread; `go` is its baton."""

    def __init__(self) -> None:
        self.go = new_baton()
        self.work: Callable[[], None] | None = None
        self.done: Callable[[], None] | None = None
        self.thread = threading.Thread(target=self._loop, name="gateway-connection-idle", daemon=True)
        _ALL.append(self)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            self.go.take()
            work, done, self.work, self.done = self.work, self.done, None, None
            try:
                work()  # type: ignore[misc]
            except BaseException:
                _ALL.remove(self)  # the thread ends with it: never parked again
                done()  # type: ignore[misc]
                raise
            self.thread.name = "gateway-connection-idle"
            work = None  # parked, this frame keeps no server (nor its simulation) alive
            _IDLE.append(self)  # parked before `done`: whoever waits for it finds the thread reusable
            done()  # type: ignore[misc]
            done = None


def run(work: Callable[[], None], name: str, done: Callable[[], None]) -> None:
    """Run `work` on a parked thread (a new one when none is parked), then `done` once the thread is parked again;
    `work` handles its own errors."""
    worker = _IDLE.pop() if _IDLE else _ConnectionThread()
    worker.thread.name = name
    worker.work, worker.done = work, done
    worker.go.give()


def threads() -> list[threading.Thread]:
    """Every connection thread of this process (parked or serving)."""
    return [worker.thread for worker in _ALL]


def _after_fork_in_child() -> None:  # pragma: no cover - runs in a forked child
    for worker in _ALL:
        worker.go.close()
    _IDLE.clear()  # their threads exist only in the parent
    _ALL.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

add_thread_pool(threads)
