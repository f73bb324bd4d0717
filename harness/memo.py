"""Bounded memories of pure answers (a text's parse, a URL's path, a plan made once per model object): the fast paths
keep what a pure function answered for a key in a plain dict, read without a lock, and start again from empty when
the dict holds its limit, so keys that never repeat (request signatures, receipt handles) cannot pile up."""
from __future__ import annotations

import threading
from typing import Any, TypeVar

Value = TypeVar("Value")
_lock = threading.Lock()  # writers only: a handler's own thread may ask while the baton holder does


def remember(memory: dict, key: Any, value: Value, limit: int) -> Value:
    """Keep `value` under `key` in `memory` (emptied first when it holds `limit` entries) and return it."""
    with _lock:
        if len(memory) >= limit:
            memory.clear()
        memory[key] = value
    return value
