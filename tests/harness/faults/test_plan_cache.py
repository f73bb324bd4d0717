"""Rules built from equal dicts are built once: the same rules as building each afresh, and never shared state."""
from pathlib import Path

import pytest
import yaml

from harness.faults import FaultPlan, FaultPlanError
from harness.faults.effects import EFFECTS
from harness.faults.plan import built_rule
from harness.faults.rules import rule_from_dict

ROOT = Path(__file__).resolve().parents[3]


def _library_rules():
    for path in sorted((ROOT / "scenarios").rglob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError:  # a template beside the scenarios (CloudFormation tags)
            continue
        for index, rule in enumerate(data.get("faults") or [] if isinstance(data, dict) else []):
            yield path.name, index, rule


LIBRARY_RULES = list(_library_rules())


def test_the_library_has_fault_rules_to_compare():
    assert len(LIBRARY_RULES) > 100


def test_every_library_rule_built_again_is_the_rule_built_afresh():
    for name, index, data in LIBRARY_RULES:
        fresh = rule_from_dict(data, index, name)
        first, again = built_rule(data, index, name), built_rule(data, index, name)
        assert first == again == fresh, name
        assert type(again.effect) is type(fresh.effect) and repr(again) == repr(fresh), name


def test_a_rule_holding_a_dict_is_never_shared_between_callers():
    def data():  # a new dict each time: a built effect may hold the very dict it was given
        return {"id": "boom", "match": {"service": "sqs"},
                "effect": {"type": "aws_error", "code": "InternalError", "extra": {"Reason": "r"}}}
    first = built_rule(data(), 0, "<test>")
    first.effect.extra["Reason"] = "changed by a simulation"
    first.effect.extra["Added"] = True
    second, third = built_rule(data(), 0, "<test>"), built_rule(data(), 0, "<test>")
    assert second.effect.extra == third.effect.extra == {"Reason": "r"}
    assert second.effect.extra is not third.effect.extra
    second.effect.extra.clear()
    assert built_rule(data(), 0, "<test>").effect.extra == {"Reason": "r"}


def test_the_index_and_source_a_rule_is_built_with_are_its_own():
    data = {"match": {"service": "sqs"}, "effect": {"type": "aws_error", "code": "InternalError"}}
    assert built_rule(data, 0, "a.yaml").id == "rule-0"
    again, elsewhere = built_rule(data, 3, "a.yaml"), built_rule(data, 3, "b.yaml")
    assert (again.id, again.index, again.source) == ("rule-3", 3, "a.yaml")
    assert (elsewhere.index, elsewhere.source) == (3, "b.yaml")


def test_a_value_of_another_type_is_checked_again_not_served_from_the_cache():
    valid = {"match": {"service": "sqs"}, "effect": {"type": "aws_error", "code": "InternalError"}, "times": 1}
    assert built_rule(valid, 0, "<test>").times == 1
    with pytest.raises(FaultPlanError, match="times"):
        built_rule({**valid, "times": True}, 0, "<test>")  # True == 1, but a rule refuses it
    with pytest.raises(FaultPlanError, match="times"):
        built_rule({**valid, "times": 1.0}, 0, "<test>")


def test_an_effect_registered_again_under_its_name_gives_rules_of_the_new_class(monkeypatch):
    data = {"match": {"service": "sqs"}, "effect": {"type": "aws_error", "code": "InternalError"}}
    before = built_rule(data, 0, "<test>")

    class Other(EFFECTS["aws_error"]):
        pass
    monkeypatch.setitem(EFFECTS, "aws_error", Other)
    assert type(built_rule(data, 0, "<test>").effect) is Other
    assert type(before.effect) is not Other


def test_plans_built_from_the_same_dicts_count_on_their_own(basic_template):
    from harness import Simulation
    rules = [{"id": "fail", "match": {"service": "sqs", "operation": "SendMessage"},
              "effect": {"type": "aws_error", "code": "InternalError"}, "times": 1}]
    first, second = FaultPlan.from_dicts(rules), FaultPlan.from_dicts(rules)
    with Simulation(basic_template, faults=first) as sim:
        sim.faults.heal("fail")
    assert second.rules == first.rules
    with Simulation(basic_template, faults=second) as sim:
        assert not sim.faults._state["fail"].healed
