"""FaultPlan: an ordered list of rules and the engine that decides, deterministically, which ones fire.

At each point (an AWS request, an outbound HTTP request, an invocation, a delivery) the seams ask
`plan.run(point, target, apply)`. Rules are consulted in order: every rule whose match holds counts the call
(that is what `nth` counts: requests, so botocore's retries count too); a counted rule fires when its `nth` is
reached, its `times` is not used up and its `probability` draw (from the rule's own RNG, seeded from the
simulation seed and the rule id) succeeds. Each firing is recorded in the trace *before* its effect runs, so a
report shows cause then effect. Once an effect has answered the request, later rules still count it but do not
fire.
"""
from __future__ import annotations

import copy
import dataclasses
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from harness.faults.effects import EFFECTS, FaultContext, FaultPlanError
from harness.faults.rules import Rule, Target, rule_from_dict
from harness.memo import remember
from harness.template import closest


@dataclass
class RuleState:
    """How often one rule matched and fired in the current simulation."""

    rng: random.Random
    seen: int = 0
    fired: int = 0
    resources: frozenset[str] = frozenset()
    functions: frozenset[str] = frozenset()
    healed: bool = False


class FaultPlan:
    """Ordered fault rules (frozen values) plus the per-simulation counters that make them fire."""

    def __init__(self, rules: Iterable[Any] = (), source: str = "<python>"):
        self.source = source
        self.rules: list[Rule] = []
        self._sim: Any = None
        self._state: dict[str, RuleState] = {}
        self.add(rules)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_dicts(cls, rules: Any, source: str = "<python>") -> FaultPlan:
        """A plan from a list of rule dicts (the scenario YAML `faults:` list); errors name `source`."""
        if rules is None:
            rules = []
        if not isinstance(rules, (list, tuple)):
            raise FaultPlanError(f"{source}: faults must be a list of rules, got {type(rules).__name__}")
        return cls(rules, source)

    @classmethod
    def coerce(cls, value: Any) -> FaultPlan:
        """A fresh plan from None, a FaultPlan (its rules, new counters) or a list of rule dicts."""
        if value is None:
            return cls()
        if isinstance(value, FaultPlan):
            return cls(value.rules, value.source)
        return cls.from_dicts(value)

    def add(self, rules: Any) -> list[Rule]:
        """Append rules (dicts or Rules); in a running simulation they take effect at once."""
        if isinstance(rules, (dict, Rule)):
            rules = [rules]
        if not isinstance(rules, (list, tuple)):
            raise FaultPlanError(f"{self.source}: faults must be a list of rules, got {type(rules).__name__}")
        start = len(self.rules)
        built: list[Rule] = []
        ids = {r.id: r.index for r in self.rules}
        for offset, data in enumerate(rules):
            rule = built_rule(data, start + offset, self.source)
            if isinstance(data, Rule):
                rule = Rule(rule.id, start + offset, rule.match, rule.effect, rule.times, rule.point, rule.source)
            if rule.id in ids:
                raise FaultPlanError(f"{self.source}: rule {rule.index} ({rule.id!r}).id: already used by rule "
                                     f"{ids[rule.id]}; rule ids must be unique")
            ids[rule.id] = rule.index
            built.append(rule)
        if self._sim is not None:
            for rule in built:
                self._state[rule.id] = self._new_state(rule)
        self.rules.extend(built)
        return built

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def rule(self, rule_id: str) -> Rule:
        """A rule by id."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(f"no fault rule {rule_id!r}{closest(rule_id, [r.id for r in self.rules])}")

    # ------------------------------------------------------------------ simulation binding
    def bind(self, sim: Any) -> None:
        """Start counting for `sim` (fresh counters and RNGs) and check names against its functions."""
        self._sim = sim
        self._state = {}
        for rule in self.rules:
            self._state[rule.id] = self._new_state(rule)

    def unbind(self) -> None:
        """Stop answering (the simulation stopped)."""
        self._sim = None

    @property
    def bound(self) -> bool:
        """True while attached to a running simulation."""
        return self._sim is not None

    def _new_state(self, rule: Rule) -> RuleState:
        sim = self._sim
        return RuleState(random.Random(f"{sim.seed}:fault:{rule.id}"), resources=self._resources(rule),
                         functions=self._functions(rule))

    def _functions(self, rule: Rule) -> frozenset[str]:
        name = rule.match.function
        runtime = self._sim.runtime
        if not name or any(c in name for c in "*?[") or not runtime.functions:
            return frozenset()
        config = runtime.function(name)
        if config is None:
            known = sorted(set(runtime.functions) | {c.logical_id for c in runtime.functions.values()})
            raise FaultPlanError(f"{rule.source}: rule {rule.index} ({rule.id!r}).match.function: {name!r} is not "
                                 f"a function of this simulation{closest(name, known)}; known: {', '.join(known)}")
        return frozenset({config.name, config.logical_id})

    def _resources(self, rule: Rule) -> frozenset[str]:
        name = rule.match.resource
        deployer = getattr(self._sim, "deployer", None)
        if not name or deployer is None or name not in deployer.attrs:
            return frozenset()
        names = set()
        for value in deployer.attrs[name].values():
            if isinstance(value, str) and value:
                names.add(value.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
        return frozenset(names)

    # ------------------------------------------------------------------ the engine
    def run(self, point: str, target: Target, apply: Callable[[Rule, FaultContext], bool], *,
            raw: Any = None, call: Any = None) -> list[Rule]:
        """Fire the rules at `point` that match `target`, in order; `apply(rule, ctx)` runs the effect and
        returns True when it answered the request (later rules then only count it). Returns the fired rules."""
        if self._sim is None:
            return []
        fired: list[Rule] = []
        answered = False
        for rule in list(self.rules):
            if rule.point != point:
                continue
            state = self._state[rule.id]
            if state.healed:
                continue
            ok, _ = rule.match.matches(target, state.resources, state.functions)
            if not ok:
                continue
            state.seen += 1
            if answered or not self._fires(rule, state):
                continue
            state.fired += 1
            fired.append(rule)
            ctx = FaultContext(self._sim, rule, state.rng, target, raw, call)
            self._record(rule, state, target)
            answered = bool(apply(rule, ctx))
        return fired

    @staticmethod
    def _fires(rule: Rule, state: RuleState) -> bool:
        match = rule.match
        if match.nth is not None and state.seen < match.nth:
            return False
        if rule.times is not None and state.fired >= rule.times:
            return False
        return match.probability is None or state.rng.random() < match.probability

    def _record(self, rule: Rule, state: RuleState, target: Target) -> None:
        self._sim.trace.record("fault", rule=rule.id, effect=rule.effect.name, point=rule.point,
                               n=state.seen, **target.describe(), settings=_settings(rule.effect))

    def heal(self, rule_id: str | None = None) -> None:
        """Stop one rule (or every rule) from firing for the rest of the simulation (recorded in the trace)."""
        rules = [self.rule(rule_id)] if rule_id is not None else list(self.rules)
        for rule in rules:
            if rule.id in self._state:
                self._state[rule.id].healed = True
        if self._sim is not None:
            self._sim.trace.record("fault_healed", rules=[r.id for r in rules])

    def explain(self, point: str, target: Target) -> list[str]:
        """Why each rule at `point` would or would not match `target` (for debugging a rule that never fires)."""
        lines = []
        for rule in self.rules:
            if rule.point != point:
                lines.append(f"{rule.id}: applies at {rule.point}, not {point}")
                continue
            state = self._state.get(rule.id)
            ok, reason = rule.match.matches(target, *(state.resources, state.functions) if state else ())
            lines.append(f"{rule.id}: {'matches' if ok else reason}")
        return lines

    # ------------------------------------------------------------------ reporting
    def counts(self) -> dict[str, dict[str, int]]:
        """Per rule id: how many calls it matched (`seen`) and how often it fired."""
        return {rid: {"seen": s.seen, "fired": s.fired} for rid, s in self._state.items()}

    def fired(self, rule_id: str) -> int:
        """How often a rule fired in the current simulation."""
        self.rule(rule_id)
        state = self._state.get(rule_id)
        return state.fired if state else 0

    def on_delivery(self, source: str, records: list, *, function: str | None = None,
                    resource: str | None = None) -> Any:
        """Event sources call this before handing `records` to a function; returns a Delivery (records to
        deliver now, in order, and records to deliver again later)."""
        from harness.faults.delivery import apply_delivery

        return apply_delivery(self, source, records, function=function, resource=resource)

    def __repr__(self) -> str:
        return f"FaultPlan({len(self.rules)} rules from {self.source})"


def _settings(effect: Any) -> dict:
    describe = getattr(effect, "describe", None)
    if describe is not None:
        return describe()
    from dataclasses import asdict
    return asdict(effect)


# Rules built from dicts, for the next equal dict: a search runs one scenario's fault list hundreds of times and a
# rule costs 0.1-0.2 ms to build (its effect's type hints evaluated, its match checked against botocore's
# catalog). A rule made entirely of immutable values (text, numbers, tuples, frozen dataclasses of them) is
# shared; any other (an effect's `extra: dict`) is kept unseen and each caller gets its own deep copy of it, so
# what one simulation does with its rules never reaches another. Errors are never kept.
_BUILT: dict[tuple, tuple[Rule, bool]] = {}  # key -> (the rule, whether it is handed out itself)
_BUILT_MAX = 256


class _NoKey(Exception):
    """A rule dict holding something other than plain YAML values: built afresh each time."""


def built_rule(data: Any, index: int, source: str) -> Rule:
    """`rule_from_dict(data, index, source)`: the Rule an equal dict (same values of the same types, in the same
    order, the same effect class registered for its type) gave before, or a deep copy of it."""
    try:
        key = (index, source, _effect_class(data), _frozen(data))
    except _NoKey:
        return rule_from_dict(data, index, source)
    kept = _BUILT.get(key)
    if kept is not None:
        rule, shared = kept
        return rule if shared else copy.deepcopy(rule)
    rule = rule_from_dict(data, index, source)
    shared = _immutable(rule)
    try:
        kept = (rule, True) if shared else (copy.deepcopy(rule), False)
    except Exception:  # noqa: BLE001 - an effect holding what cannot be copied: built afresh each time
        return rule
    remember(_BUILT, key, kept, _BUILT_MAX)
    return rule


def _effect_class(data: Any) -> type | None:
    """The class registered for the rule's effect type (a new registration under the name gives new rules)."""
    effect = data.get("effect") if isinstance(data, dict) else None
    kind = effect.get("type") if isinstance(effect, dict) else effect
    return EFFECTS.get(kind) if isinstance(kind, str) else None


def _frozen(value: Any) -> tuple:
    """`value` as a key that tells apart what the rule builder tells apart (types included: 1, 1.0, True)."""
    cls = value.__class__
    if cls is str or cls is int or cls is bool or value is None:
        return (cls, value)
    if cls is float:
        return (cls, repr(value))  # -0.0 and 0.0 are equal as keys; NaN is not equal to itself
    if cls is dict:
        return (cls, tuple((_frozen(key), _frozen(item)) for key, item in value.items()))
    if cls is list:
        return (cls, tuple(_frozen(item) for item in value))
    raise _NoKey


def _immutable(value: Any) -> bool:
    """True for text, numbers, None, tuples and frozensets of them and frozen dataclasses holding only them."""
    if value is None or value.__class__ in (str, int, float, bool):
        return True
    if value.__class__ in (tuple, frozenset):
        return all(_immutable(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type) and value.__dataclass_params__.frozen:
        held = vars(value).values() if hasattr(value, "__dict__") else \
            [getattr(value, f.name) for f in dataclasses.fields(value)]
        return all(_immutable(item) for item in held)
    return False
