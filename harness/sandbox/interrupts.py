"""SIGINT and SIGTERM in the CLI: an `Interrupted` exception in the driving thread, never inside cleanup.

While a `shielded()` block runs (a simulation releasing the process, a report being written) the signal is
held and raised when the block ends, so an interrupt can never leave the process half torn down."""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
_pending: int | None = None
_depth = 0


class Interrupted(BaseException):
    """The run was interrupted by a signal (a BaseException: no `except Exception` swallows it)."""

    def __init__(self, signum: int):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """130 for SIGINT, 143 for SIGTERM (128 + the signal number)."""
        return EXIT_CODES.get(self.signum, 128 + self.signum)


def _handler(signum: int, frame: object) -> None:
    global _pending
    if _depth:
        _pending = signum
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def handling() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into `Interrupted` while the block runs (main thread only; restored after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {sig: signal.signal(sig, _handler) for sig in EXIT_CODES}
    try:
        yield
    finally:
        for sig, previous in saved.items():
            signal.signal(sig, previous)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends (then raise `Interrupted`)."""
    global _depth, _pending
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0 and _pending is not None:
            signum, _pending = _pending, None
            raise Interrupted(signum)
