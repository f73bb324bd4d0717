"""After its timeout (or its out-of-memory kill) an invocation's environment is frozen and discarded, as Lambda
freezes it: whatever its code still runs (`finally` blocks unwinding, an `except BaseException` that swallows the
stop) can never reach the world. Every AWS or HTTP request it makes is refused before it leaves, and the refusal
is in the trace."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


def ended(task: Any) -> str | None:
    """Why the invocation running in `task` was ended ('timeout', 'out of memory'), or None while it may run."""
    if task is None:
        return None
    if task.kill_reason:
        return str(task.kill_reason)
    return "out of memory" if task.meta.get("out_of_memory") else None


def refuse_if_ended(task: Any, what: str, record: Callable[..., Any]) -> None:
    """Refuse `what` (e.g. 'sqs.SendMessage') from an ended invocation: record it and stop the code making it."""
    reason = ended(task)
    if reason is None:
        return
    function = task.meta.get("function") or task.name
    record("refused", function=function, request_id=task.meta.get("request_id"), request=what,
           message=f"{what} from {function} after its {reason}: Lambda froze and discarded the environment, "
                   f"the request never left")
    if reason == "out of memory":
        from harness.sandbox.memory import OutOfMemory
        raise OutOfMemory(reason)
    from harness.scheduler import TaskKilled
    raise TaskKilled(reason)
