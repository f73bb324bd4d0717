"""What a fast path makes once per botocore shape (a request writer, a parameter check, an answer walker), kept
by the shape object's identity while the shape lives; past `limit` shapes the memory starts again."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

Made = TypeVar("Made")


class PerShape(Generic[Made]):
    """`per_shape(shape)`: what `make(shape)` made for this shape object, made once."""

    def __init__(self, make: Callable[[Any], Made], limit: int) -> None:
        self._make, self._limit = make, limit
        self._made: dict[int, tuple[Any, Made]] = {}
        self._lock = threading.Lock()

    def __call__(self, shape: Any) -> Made:
        """The thing made for `shape` (made now the first time)."""
        entry = self._made.get(id(shape))
        if entry is not None and entry[0] is shape:  # the entry holds the shape: its id cannot be reused meanwhile
            return entry[1]
        made = self._make(shape)
        with self._lock:
            if len(self._made) >= self._limit:
                self._made.clear()
            self._made[id(shape)] = (shape, made)
        return made
