"""What a run's failure is: the names of the checks that failed (its signature), under one of two judges.

`explore` judges a run by everything the scenario states (its faults are unchanged). `chaos` replaces the
fault plan, so a scenario's expectations about its own faults no longer apply: it judges by the invariants,
the expectations the scenario marks `always` (`explore: {always: [indexes into expect]}`) and crashes.
"""
from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from harness.errors import InputError


@dataclass(frozen=True)
class Judge:
    """Which checks count: every expectation (None) or only `expect[i]` for i in `always`."""

    always: frozenset[int] | None = None

    def counts(self, where: str) -> bool:
        """True when the outcome at `where` (`expect[2]`, `steps[1].assert[0]`) is judged."""
        if self.always is None:
            return True
        match = re.fullmatch(r"expect\[(\d+)\]", where)
        return bool(match) and int(match.group(1)) in self.always

    def signature(self, result: Any) -> tuple[str, ...]:
        """The failed checks of `result`, sorted: () when the run passed under this judge."""
        if result.status == "skipped":
            return ()
        failed = {f"{o.where} {o.kind}" for o in result.outcomes if not o.passed and self.counts(o.where)}
        failed |= {f"invariant {r.name}" for r in result.invariants if not r.passed}
        if result.status == "error" and result.error:
            failed.add(f"error {_error_type(result.error)}")
        return tuple(sorted(failed))

    def messages(self, result: Any) -> list[str]:
        """One line per judged failure (for summaries)."""
        out = [f"{o.where} {o.kind}: expected {o.expected}; found {o.found}" for o in result.outcomes
               if not o.passed and self.counts(o.where)]
        out += [f"invariant {r.name}: {v.message}" for r in result.invariants for v in r.violations]
        if result.status == "error" and result.error:
            out.append(f"error: {result.error.strip().splitlines()[-1]}")
        return out


def _error_type(error: str) -> str:
    last = error.strip().splitlines()[-1] if error.strip() else "error"
    return last.split(":", 1)[0].strip()[:80]


def chaos_judge(scenario: Any) -> Judge:
    """Invariants plus the scenario's `always` expectations (InputError for an index past `expect`)."""
    settings = getattr(scenario.model, "explore", None)
    always: Collection[int] = settings.always if settings is not None else ()
    for index in always:
        if index >= len(scenario.expect):
            raise InputError(f"{scenario.file}: explore.always: {index} is not an index of `expect` (it has "
                             f"{len(scenario.expect)} entries: 0..{len(scenario.expect) - 1})")
    return Judge(frozenset(always))


EVERYTHING = Judge()
