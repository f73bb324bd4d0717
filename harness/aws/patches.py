"""What a fast path replaced on moto's or botocore's modules and classes, and how it is put back.

Every fast path module in harness/aws has the same three functions (`install`, `uninstall`, `installed`); a
`Patches` holds what they share: the originals the fast path calls (`saved`, by key) and every attribute it
replaced, put back by `undo()` in reverse order. An attribute the owner did not have itself (a class inheriting it)
is deleted again rather than set, so the class inherits it once more, as before the fast path.
"""
from __future__ import annotations

from typing import Any

_ABSENT = object()


class Patches:
    """The attributes a fast path replaced and the originals it keeps (`saved`, emptied by `undo`)."""

    def __init__(self) -> None:
        self.saved: dict[str, Any] = {}
        self._replaced: list[tuple[Any, str, Any]] = []  # (owner, name, its own value before, or _ABSENT)

    def __bool__(self) -> bool:
        """True while installed: something replaced or kept."""
        return bool(self._replaced or self.saved)

    def keep(self, **values: Any) -> None:
        """Keep values the fast path reads later (modules, originals it does not replace)."""
        self.saved.update(values)

    def replace(self, owner: Any, name: str, value: Any, key: str | None = None) -> None:
        """Set `owner.name` to `value`; `undo` puts back what was there. With `key`, `saved[key]` is the attribute
        as it was looked up (what a call to the original uses)."""
        if key is not None:
            self.saved[key] = getattr(owner, name)
        self._replaced.append((owner, name, vars(owner).get(name, _ABSENT)))
        setattr(owner, name, value)

    def undo(self) -> None:
        """Put every replaced attribute back, newest first, and forget what was kept."""
        while self._replaced:
            owner, name, before = self._replaced.pop()
            if before is _ABSENT:
                delattr(owner, name)
            else:
                setattr(owner, name, before)
        self.saved.clear()
