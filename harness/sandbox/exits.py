"""Process exits from handler code become Lambda's `Runtime.ExitError`, as AWS reports them.

`sys.exit`, `raise SystemExit/KeyboardInterrupt` are exceptions and are caught where the runtime calls the
handler. `os._exit` and `os.abort` would end the harness itself: while a simulation is sealed, calls from
any thread but the driver raise `HandlerExit` instead (the original functions are kept in `REAL_EXIT`)."""
from __future__ import annotations

import os
import posix
import signal as _signal
from typing import Any

from harness.sandbox import state

REAL_EXIT = os._exit
REAL_ABORT = os.abort
_SIGNAL_NAMES = {_signal.SIGINT: "interrupt", _signal.SIGKILL: "killed", _signal.SIGTERM: "terminated",
                 _signal.SIGABRT: "aborted", _signal.SIGSEGV: "segmentation fault"}


class HandlerExit(BaseException):
    """Handler code tried to end the process (os._exit, os.abort, a signal to itself)."""

    def __init__(self, status: int | None = None, signal_name: str | None = None):
        super().__init__(f"exit status {status}" if signal_name is None else f"signal: {signal_name}")
        self.status, self.signal_name = status, signal_name


def _guarded_exit(status: int) -> None:
    if state.on_driver():
        REAL_EXIT(status)
    raise HandlerExit(int(status))


def _guarded_abort() -> None:
    if state.on_driver():
        REAL_ABORT()
    raise HandlerExit(signal_name="aborted")


def install() -> None:
    """Replace os._exit and os.abort (also posix._exit) with the guarded versions (idempotent)."""
    os._exit = posix._exit = _guarded_exit
    os.abort = posix.abort = _guarded_abort


def on_kill(pid: int, sig: int) -> None:
    """Audit `os.kill`: a signal to the harness's own process from handler code ends only the handler."""
    if not state.on_driver() and pid in (0, -1, os.getpid(), -os.getpgid(0)):
        raise HandlerExit(signal_name=_SIGNAL_NAMES.get(sig, f"signal {int(sig)}"))


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
