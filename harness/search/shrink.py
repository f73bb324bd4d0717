"""Shrinking a failing plan with hypothesis: `find` the simplest sub-plan (fewest rules, fewest firings, the
earliest call, the scenario's own seed) that still fails the same way.

The strategy spans the failing plan's neighbourhood: each rule kept or dropped, its `times` and `nth` either
as found or 1, the seed either the scenario's own or the failing one, every choice listed simplest first, so
hypothesis's shrinker walks toward the minimum. When hypothesis's random phase does not meet a failing
example within its budget, a greedy pass (drop each rule, then lower each count) does the same walk.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from harness.search.plans import Plan


@dataclass(frozen=True)
class Shrunk:
    """The smallest failing plan found, how many runs shrinking took, and how it got there."""

    plan: Plan
    runs: int
    method: str  # hypothesis | greedy


def _variants(rule: dict) -> st.SearchStrategy[dict | None]:
    times = sorted({1, rule.get("times") or 1})
    nth = sorted({1, rule["match"].get("nth") or 1})

    def build(keep: bool, t: int, n: int) -> dict | None:
        if not keep:
            return None
        match = dict(rule["match"], nth=n) if "nth" in rule["match"] else dict(rule["match"])
        return {**rule, "match": match, "times": t}

    return st.builds(build, st.booleans(), st.sampled_from(times), st.sampled_from(nth))


def neighbourhood(plan: Plan, own_seed: int) -> st.SearchStrategy[Plan]:
    """Sub-plans of `plan`, simplest first."""
    seeds = sorted({own_seed, plan.seed}, key=lambda s: s != own_seed)
    return st.builds(lambda rules, seed: Plan(tuple(r for r in rules if r is not None), seed),
                     st.tuples(*[_variants(r) for r in plan.rules]), st.sampled_from(seeds))


def shrink(plan: Plan, own_seed: int, fails: Callable[[Plan], bool], seed: str, budget: int = 150) -> Shrunk:
    """The simplest plan near `plan` for which `fails` holds (`plan` itself fails)."""
    from hypothesis import HealthCheck, Phase
    from hypothesis.errors import NoSuchExample

    from harness.search.seeded import seeded_find
    runs = [0]
    cache: dict[str, bool] = {plan.key: True}

    def check(candidate: Plan) -> bool:
        if candidate.key not in cache:
            runs[0] += 1
            cache[candidate.key] = fails(candidate)
        return cache[candidate.key]

    try:
        best = seeded_find(neighbourhood(plan, own_seed), check, seed, max_examples=budget,
                           phases=[Phase.generate, Phase.shrink], database=None, deadline=None,
                           suppress_health_check=list(HealthCheck))
        method = "hypothesis"
    except NoSuchExample:
        best, method = plan, "greedy"
    best = _greedy(best, own_seed, check)
    return Shrunk(best, runs[0], method)


def _greedy(plan: Plan, own_seed: int, check: Callable[[Plan], bool]) -> Plan:
    """Drop rules, lower counts and use the own seed while the plan still fails."""
    changed = True
    while changed:
        changed = False
        candidates = [Plan(plan.rules[:i] + plan.rules[i + 1:], plan.seed) for i in range(len(plan.rules))]
        candidates += [Plan(plan.rules[:i] + ({**r, "times": 1},) + plan.rules[i + 1:], plan.seed)
                       for i, r in enumerate(plan.rules) if (r.get("times") or 1) > 1]
        if plan.seed != own_seed:
            candidates.append(Plan(plan.rules, own_seed))
        for candidate in candidates:
            if check(candidate):
                plan, changed = candidate, True
                break
    return plan
