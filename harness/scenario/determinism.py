"""Process state a scenario run must not inherit: unpinned randomness and library state left by earlier runs.

The simulation seeds its own scheduler, ids and moto; sources it does not reach are the `random` module's
global generator (botocore's retry jitter draws from it), generators handler code creates with `Random()`
(seeded from the OS), and `uuid.uuid4` (handler code's ids, which end up in log lines and so in the trace).
Without pinning them, the same seed gives a different trace in another process. Not covered: `os.urandom`,
`secrets` and `random.SystemRandom` (documented in docs/scenarios.md).

Libraries imported once per process also keep state that, on AWS, each execution environment has fresh:
Powertools keeps a module-level cold-start flag, metrics shared by every Metrics instance (an unflushed metric
of one run would appear in the next run's EMF line) and "preconfigured" named loggers (a second
Logger(service=X) skips adding its duplicate-suppressing filter to the root handler, so every line is logged
twice). Each run therefore starts without the host's Powertools modules and configured loggers, as a new process
would, and puts them back afterwards; within the run each execution environment imports its own copy and keeps
its own loggers (harness/lambda_runtime/libraries.py).
"""
from __future__ import annotations

import contextlib
import logging
import random
import sys
import uuid
import weakref
from collections import Counter
from collections.abc import Iterator
from typing import Any

from harness.lambda_runtime.libraries import PER_ENVIRONMENT_LIBRARIES


class Pins:
    """What `pinned_randomness` derives from the run's seed; `reseed` gives a process forked from a snapshot the
    pins of another seed."""

    def __init__(self, seed: int, random_class: type) -> None:
        self._random_class = random_class
        self.reseed(seed)

    def reseed(self, seed: int, uuid4_drawn: int = 0) -> None:
        """Pin to `seed`, as if the run had started with it and `uuid4_drawn` pinned uuid4s had been drawn."""
        self.seed = seed
        self.ids = self._random_class(f"{seed}:uuid4")
        for _ in range(uuid4_drawn):
            self.ids.getrandbits(128)
        self.created: Counter = Counter()
        self.uuid4_callers: list[str] = []  # `module.function` of each pinned uuid4 drawn since
        self.seeded: list[tuple[weakref.ref, Any]] = []  # generators created with an explicit seed since


@contextlib.contextmanager
def pinned_randomness(seed: int) -> Iterator[Pins]:
    """Seed `random`, new unseeded `Random()` generators and `uuid.uuid4` for the duration of a run."""
    saved_state, saved_uuid4, saved_class = random.getstate(), uuid.uuid4, random.Random
    pins = Pins(seed, saved_class)
    random.seed(f"{seed}:random")

    class PinnedRandom(saved_class):  # type: ignore[misc,valid-type]
        """`Random()` without a seed: seeded from the run's seed, the creating module and a per-module count,
        so what one module creates does not shift another's numbers."""

        def __init__(self, x: Any = None) -> None:
            if x is None:
                creator = str(sys._getframe(1).f_globals.get("__name__", "?"))
                pins.created[creator] += 1
                x = f"{pins.seed}:{creator}:{pins.created[creator]}"
            else:
                pins.seeded.append((weakref.ref(self), x))
            super().__init__(x)

    def uuid4() -> uuid.UUID:
        # moto draws a few uuid4s the first time a backend is built in a process; those must not shift the
        # ids handler code gets (moto's own ids come from its seeded mock_random).
        caller = sys._getframe(1)
        module = str(caller.f_globals.get("__name__", ""))
        if module.startswith("moto."):
            return saved_uuid4()
        pins.uuid4_callers.append(f"{module}.{caller.f_code.co_name}")
        return uuid.UUID(int=pins.ids.getrandbits(128), version=4)

    uuid.uuid4 = uuid4
    random.Random = PinnedRandom  # type: ignore[misc]
    try:
        yield pins
    finally:
        random.Random = saved_class  # type: ignore[misc]
        uuid.uuid4 = saved_uuid4
        random.setstate(saved_state)


FRESH_PER_RUN = PER_ENVIRONMENT_LIBRARIES  # libraries whose module state belongs to one execution environment


def _per_run_modules() -> list[str]:
    """Names in sys.modules of the per-environment libraries and their submodules (one C-level prefix test per
    module of the process, then the exact top-level name for the few that pass it)."""
    return [name for name in sys.modules if name.startswith(FRESH_PER_RUN) and name.split(".")[0] in FRESH_PER_RUN]


@contextlib.contextmanager
def fresh_library_state() -> Iterator[None]:
    """Run with freshly imported per-environment libraries (Powertools) and a fresh logging namespace;
    restore both afterwards."""
    saved_modules = {name: sys.modules[name] for name in _per_run_modules()}
    for name in saved_modules:
        del sys.modules[name]
    manager = logging.Logger.manager
    saved_loggers = dict(manager.loggerDict)
    for name, item in list(saved_loggers.items()):
        if isinstance(item, logging.Logger) and getattr(item, "init", False):
            del manager.loggerDict[name]  # a Powertools logger configured by an earlier run
    try:
        yield
    finally:
        for name in _per_run_modules():
            del sys.modules[name]
        sys.modules.update(saved_modules)
        manager.loggerDict.clear()
        manager.loggerDict.update(saved_loggers)
        manager._clear_cache()
