"""The draws made from one random generator while a snapshot deploys, so that a process forked from it can give the
generator the state a fresh deploy with another seed would have left: seed it, then make the same calls again.

Only the outermost calls are kept (`get_random_string(length=52)`, not the `getrandbits` calls inside it): how many
words of randomness a call consumes can depend on the values drawn (rejection sampling), the calls themselves do not.
"""
from __future__ import annotations

import copy
import sys
import threading
from dataclasses import dataclass
from typing import Any, Self

_NOT_DRAWS = frozenset({"getstate", "setstate"})
_HELPERS = ("moto.utilities.", "moto.moto_api.")


def _where(frame: Any) -> str:
    return f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}"


@dataclass(frozen=True)
class Draw:
    """One outermost call: the method, its arguments and the function that made it (`module.function`)."""

    method: str
    args: tuple
    kwargs: dict
    caller: str
    origin: str  # the first caller outside shared helpers (moto.utilities): the service that drew


class DrawLog:
    """While entered, records every outermost call made on `rng` after its last `seed()`."""

    def __init__(self, rng: Any) -> None:
        self.rng = rng
        self.draws: list[Draw] = []
        self._depth = threading.local()

    def __enter__(self) -> Self:
        for name in dir(type(self.rng)):
            if name.startswith("_") or name in _NOT_DRAWS or not callable(getattr(self.rng, name)):
                continue
            setattr(self.rng, name, self._recording(name, getattr(self.rng, name)))
        return self

    def __exit__(self, *exc: object) -> None:
        for name in [n for n in vars(self.rng) if not n.startswith("_") and n not in _NOT_DRAWS]:
            if callable(vars(self.rng)[name]):
                delattr(self.rng, name)

    def _recording(self, name: str, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._depth, "value", 0)
            if depth == 0:
                if name == "seed":
                    self.draws.clear()  # what came before the seed does not shape what comes after
                else:
                    frame = sys._getframe(1)
                    caller = origin = _where(frame)
                    while frame is not None and origin.startswith(_HELPERS):
                        frame = frame.f_back
                        origin = _where(frame) if frame is not None else origin
                    self.draws.append(Draw(name, copy.copy(args), dict(kwargs), caller, origin))
            self._depth.value = depth + 1
            try:
                return method(*args, **kwargs)
            finally:
                self._depth.value = depth

        return call

    def callers(self) -> set[str]:
        """Every function that drew (outside `seed`)."""
        return {draw.caller for draw in self.draws}

    def replay(self, rng: Any) -> None:
        """Make the recorded calls on `rng` (freshly seeded) again, in order, discarding their values."""
        for draw in self.draws:
            getattr(rng, draw.method)(*copy.copy(draw.args), **draw.kwargs)
