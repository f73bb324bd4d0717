"""The sandbox's process-wide state: which simulation is sealed in, and whether the process is still usable.

Audit hooks cannot be removed once added, so one hook is installed for the life of the process and asks this
module, at every audited event, whether a simulation is sealed in. With none sealed the check is one global
read."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Seal:
    """What the sandbox enforces while one simulation runs."""

    driver: int  # ident of the thread that drives the simulation (the test or CLI thread)
    refuse: Callable[[str], None]  # records a refusal (the simulation's trace)
    secret_dirs: tuple[str, ...] = ()  # real folders handler code may not read (the outer ~/.aws)
    threads: list = field(default_factory=list)  # OwnedThread records (harness.sandbox.threads)


_seal: Seal | None = None
_poison: str | None = None
_lock = threading.Lock()


def active() -> Seal | None:
    """The seal in force, if a simulation runs."""
    return _seal


def activate(seal: Seal | None) -> None:
    """Seal a simulation in (or none)."""
    global _seal
    _seal = seal


def poison(reason: str) -> None:
    """Mark the process unusable for further simulations (something it started could not be stopped)."""
    global _poison
    with _lock:
        if _poison is None:
            _poison = reason


def poisoned() -> str | None:
    """Why this process refuses further simulations, or None."""
    return _poison


def clear_poison() -> None:
    """Forget the poison (tests that poison on purpose and then clean up after themselves)."""
    global _poison
    _poison = None


def on_driver() -> bool:
    """True on the thread that drives the sealed simulation (or when none is sealed)."""
    seal = _seal
    return seal is None or threading.get_ident() == seal.driver
