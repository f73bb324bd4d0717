"""Process exits from handler code become Lambda's `Runtime.ExitError`, as AWS reports them.

`sys.exit`, `raise SystemExit/KeyboardInterrupt` are exceptions and are caught where the runtime calls the
handler. `os._exit` and `os.abort` would end the harness itself: while a simulation is sealed, calls from
handler code (a task, or a thread it started) raise `HandlerExit` instead (the original functions are kept in `REAL_EXIT`)."""
from __future__ import annotations

import os
import posix
import signal as _signal
from typing import Any

from harness.sandbox import state

REAL_EXIT = os._exit
REAL_ABORT = os.abort
REAL_RAISE_SIGNAL = _signal.raise_signal
_SIGNAL_NAMES = {_signal.SIGINT: "interrupt", _signal.SIGKILL: "killed", _signal.SIGTERM: "terminated",
                 _signal.SIGABRT: "aborted", _signal.SIGSEGV: "segmentation fault"}


class HandlerExit(BaseException):
    """Handler code tried to end the process (os._exit, os.abort, a signal to itself)."""

    def __init__(self, status: int | None = None, signal_name: str | None = None):
        super().__init__(f"exit status {status}" if signal_name is None else f"signal: {signal_name}")
        self.status, self.signal_name = status, signal_name


def in_handler_code() -> bool:
    """True in a thread running handler code of a sealed simulation (a task, or a thread handler code started);
    the driver and the harness's own helper threads are not."""
    if state.active() is None:
        return False
    from harness.sandbox import threads
    from harness.scheduler import current_task
    return current_task() is not None or threads.owned()


def _guarded_exit(status: int) -> None:
    if not in_handler_code():
        REAL_EXIT(status)
    raise HandlerExit(int(status))


def _guarded_abort() -> None:
    if not in_handler_code():
        REAL_ABORT()
    raise HandlerExit(signal_name="aborted")


def _guarded_raise_signal(signum: int) -> None:
    if in_handler_code():
        _to_self(signum)
    REAL_RAISE_SIGNAL(signum)


def install() -> None:
    """Replace os._exit, os.abort (also posix's) and signal.raise_signal (Python raises no audit event for
    them) with the guarded versions (idempotent)."""
    os._exit = posix._exit = _guarded_exit
    os.abort = posix.abort = _guarded_abort
    _signal.raise_signal = _guarded_raise_signal


def _to_self(sig: int) -> None:
    if int(sig) != 0:  # signal 0 only checks that the target exists
        raise HandlerExit(signal_name=_SIGNAL_NAMES.get(sig, f"signal {int(sig)}"))


def on_kill(pid: int, sig: int) -> None:
    """Audit `os.kill`: a signal to the harness's own process from handler code ends only the handler."""
    if in_handler_code() and pid in (0, -1, os.getpid(), -os.getpgid(0)):
        _to_self(sig)


def on_killpg(pgid: int, sig: int) -> None:
    """Audit `os.killpg`: the harness's own process group."""
    if in_handler_code() and pgid in (0, os.getpgid(0)):
        _to_self(sig)


def on_pthread_kill(thread_id: int, sig: int) -> None:
    """Audit `signal.pthread_kill`: any of the harness's threads (a fatal signal ends the whole process)."""
    if in_handler_code():
        _to_self(sig)


def is_exit(exc: BaseException) -> bool:
    """True for the exceptions that end a real Lambda runtime process instead of failing one invocation."""
    from harness.sandbox.threads import ThreadStopped
    from harness.scheduler import TaskKilled
    if isinstance(exc, (TaskKilled, ThreadStopped)):
        return False
    return not isinstance(exc, Exception)


def exit_reason(exc: BaseException) -> str:
    """What AWS writes after 'Runtime exited ...' for this exit."""
    if isinstance(exc, HandlerExit):
        return f"with error: {exc}"
    if isinstance(exc, KeyboardInterrupt):
        return "with error: signal: interrupt"
    if isinstance(exc, SystemExit):
        code: Any = exc.code
        if code is None or code == 0:
            return "without providing a reason"
        return f"with error: exit status {code if isinstance(code, int) else 1}"
    return "with error: exit status 1"


def exit_document(exc: BaseException, request_id: str) -> dict:
    """The error document of an invocation whose handler ended the runtime process."""
    return {"errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited {exit_reason(exc)}",
            "requestId": request_id}


def out_of_memory_document(request_id: str, detail: str = "") -> dict:
    """The error document of an invocation that went over its MemorySize."""
    return {"errorType": "Runtime.OutOfMemory",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
                            + (f" ({detail})" if detail else ""),
            "requestId": request_id}
