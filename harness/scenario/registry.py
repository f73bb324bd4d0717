"""A tiny name -> class registry, used for steps, expectations and invariants."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from harness.scenario.errors import one_of, suggest

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind; `register` is a class decorator, lookups explain misses."""

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: add an entry under `name` (replacing an earlier one of the same name)."""

        def decorate(entry: T) -> T:
            self._entries[name] = entry
            return entry

        return decorate

    def get(self, name: str) -> T:
        """The entry, or KeyError whose message lists the valid names and the closest one."""
        if name not in self._entries:
            raise KeyError(f"unknown {self.what} {name!r}{suggest(name, self._entries)}; "
                           f"expected one of {one_of(self._entries)}")
        return self._entries[name]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """(name, entry) pairs, sorted by name."""
        return sorted(self._entries.items())
