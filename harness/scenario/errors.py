"""Scenario errors: every problem names the file, line, column, field path and what was expected."""
from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import InputError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located as precisely as the YAML allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(InputError):
    """A scenario that cannot be loaded; `problems` lists everything found, in file order."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.column, p.path))
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in scenario"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


def suggest(name: object, options: Iterable[str]) -> str:
    """' (did you mean X?)' when `name` looks like a typo of one of `options`, else ''."""
    if not isinstance(name, str):
        return ""
    choices = sorted(set(options))
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in choices}
        match = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" (did you mean {match[0]!r}?)" if match else ""


def one_of(options: Iterable[str], limit: int = 12) -> str:
    """'a, b or c' for an error message (shortened when long)."""
    items = sorted(set(options))
    if not items:
        return "(none defined)"
    if len(items) > limit:
        return ", ".join(items[:limit]) + f", ... ({len(items) - limit} more)"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def format_path(path: tuple) -> str:
    """('steps', 2, 'invoke', 'function') -> 'steps[2].invoke.function'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
