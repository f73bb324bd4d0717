"""`--shard i/N`: a deterministic partition of the work among N machines (CI matrix jobs)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from harness.errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """Shard `index` (1-based) of `count`."""

    index: int = 1
    count: int = 1

    def take(self, items: Sequence[T]) -> list[T]:
        """The items this shard owns: every count-th one, starting at index-1 (same input, same split)."""
        return [item for position, item in enumerate(items) if position % self.count == self.index - 1]

    def share(self, total: int) -> int:
        """This shard's part of a budget of `total` runs (the parts add up to `total`)."""
        return total // self.count + (1 if self.index - 1 < total % self.count else 0)

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str | None) -> Shard:
    """`3/8` -> Shard(3, 8); InputError naming what was expected."""
    if not text:
        return Shard()
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise InputError(f"--shard: expected i/N with 1 <= i <= N (e.g. 2/4), got {text!r}")
    return Shard(int(match.group(1)), int(match.group(2)))


def add_shard_argument(parser: object) -> None:
    """The `--shard i/N` option, the same on run, explore and chaos."""
    parser.add_argument("--shard", metavar="i/N", help="run only shard i of N (a deterministic partition, for "  # type: ignore[attr-defined]
                        "CI matrix jobs; merge their reports with `python -m harness report merge`)")
