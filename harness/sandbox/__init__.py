"""What contains handler code: process exits, handler threads, the audit-hook network seal, credential
scrubbing, budgets and limits (see docs/safety.md).

    seal = sandbox.seal(on_refuse, outer_environ)   # Simulation.start
    ...                                            # handler code runs sealed in
    sandbox.release(seal)                          # Simulation.stop: stops handler threads, lifts the seal
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from harness.errors import SimulationError
from harness.sandbox import audit, credentials, payloads, state, threads
from harness.sandbox.exits import HandlerExit, exit_document, is_exit, out_of_memory_document
from harness.sandbox.interrupts import Interrupted
from harness.sandbox.network import RefusedConnection, RefusedProcess, is_loopback_host
from harness.sandbox.state import Seal, poisoned
from harness.sandbox.threads import ThreadStopped


def refuse_if_poisoned() -> None:
    """Raise SimulationError when an earlier simulation left something running that could not be stopped."""
    reason = state.poisoned()
    if reason:
        raise SimulationError(f"this process cannot run another simulation: {reason}; start a new process "
                              f"(the CLI exits; pytest needs a restart)")


def seal(refuse: Callable[[str], None], outer_env: Mapping[str, str]) -> Seal:
    """Seal a simulation in: only loopback, no child processes, no outer credentials, guarded exits."""
    audit.install()
    refuse_if_poisoned()
    import threading
    sealed = Seal(threading.get_ident(), refuse, credentials.secret_paths(outer_env))
    state.activate(sealed)
    return sealed


def release(sealed: Seal, grace: float = threads.STOP_GRACE) -> list[str]:
    """Stop the threads handler code started and lift the seal; returns the threads that would not stop (then
    the seal stays in force and the process is poisoned)."""
    survivors = threads.stop_all(sealed.threads, grace)
    if survivors:
        state.poison(f"handler thread(s) {', '.join(survivors)} could not be stopped")
        return survivors
    if state.active() is sealed:
        state.activate(None)
    return []


def after_fork() -> None:
    """In a process forked from a poisoned one: the threads that could not be stopped do not exist here."""
    state.clear_poison()
    state.activate(None)


__all__ = [
    "HandlerExit",
    "Interrupted",
    "RefusedConnection",
    "RefusedProcess",
    "Seal",
    "ThreadStopped",
    "after_fork",
    "exit_document",
    "is_exit",
    "is_loopback_host",
    "out_of_memory_document",
    "payloads",
    "poisoned",
    "refuse_if_poisoned",
    "release",
    "seal",
]
