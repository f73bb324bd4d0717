"""How one thread hands the scheduler's baton to another: a binary semaphore per thread that waits for it.

A pipe, not a lock, where the process has file descriptors to spare. Releasing a lock wakes the waiting thread while
the giver still holds the GIL, so the woken thread sleeps again on the GIL until the giver blocks: two wake-ups
per hand-off, and on a loaded machine the giver is often preempted in between (measured: a lock ping-pong 13-33 us
per round trip under load, a pipe 3.3-3.8 us; a warm 3-call invocation's last hand-off waited 1.1 ms). A pipe's
`write` and `read` release the GIL around the system call, so the thread given the baton runs at once.
"""
from __future__ import annotations

import _thread
import functools
import os
import select


class PipeBaton:
    """A binary semaphore on a pipe, taken (empty) when made: `give()` puts the token in, `take()` waits for it.

    `give` and `take` are the C functions themselves (bound with functools.partial), not Python methods: the
    watchdog stops a runaway task with an asynchronous exception, raised between two bytecodes, and one landing
    inside a Python `give` before its write would lose the baton (a lock's `release` is one C call too)."""

    __slots__ = ("_poll", "_read", "_write", "give", "take")

    def __init__(self) -> None:
        self._read, self._write = os.pipe()  # not inherited by subprocesses (PEP 446)
        self._poll = select.poll()  # poll, not select: descriptors may be above FD_SETSIZE
        self._poll.register(self._read, select.POLLIN)
        self.give = functools.partial(os.write, self._write, b"\0")
        self.take = functools.partial(os.read, self._read, 1)

    def take_within(self, seconds: float) -> bool:
        """Wait up to `seconds` for the baton; False when it did not come."""
        if not self._poll.poll(max(0, int(seconds * 1000))):
            return False
        os.read(self._read, 1)
        return True

    def try_take(self) -> bool:
        """Take the baton if it is there, without waiting."""
        return self.take_within(0)

    def close(self) -> None:
        """Close the pipe (only once no thread can give or take any more)."""
        for fd in (self._read, self._write):
            os.close(fd)


class LockBaton:
    """The same on a lock (when the process is out of file descriptors): `give` and `take` are the lock's own
    `release` and `acquire`."""

    __slots__ = ("_lock", "give", "take")

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._lock.acquire()
        self.give, self.take = self._lock.release, self._lock.acquire

    def take_within(self, seconds: float) -> bool:
        """Wait up to `seconds` for the baton; False when it did not come."""
        return self._lock.acquire(timeout=seconds)

    def try_take(self) -> bool:
        """Take the baton if it is there, without waiting."""
        return self._lock.acquire(blocking=False)

    def close(self) -> None:
        """Nothing to close."""


PIPES = True  # False: every baton is a lock (tests compare the two: the same trace either way)


def new_baton() -> PipeBaton | LockBaton:
    """A baton, taken: on a pipe, or on a lock when pipes are off or the process has no descriptors left."""
    if PIPES:
        try:
            return PipeBaton()
        except OSError:  # EMFILE / ENFILE: thousands of tasks at once
            pass
    return LockBaton()
