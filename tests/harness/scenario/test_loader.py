"""What the loader accepts: system names and paths, shorthand step forms, system defaults, and the guarantee
that a scenario that loads names only resources the system deploys."""
from pathlib import Path

import pytest

from harness.scenario import ScenarioError, load_scenario
from harness.scenario.discover import discover
from harness.scenario.system import resolve_template

REPO = Path(__file__).resolve().parents[3]


def test_a_system_name_means_handlers_name_template_yaml_found_from_the_scenario_upwards():
    assert resolve_template("messages", REPO / "scenarios" / "messages" / "x.yaml") == \
        REPO / "handlers" / "messages" / "template.yaml"


def test_every_scenario_in_the_library_loads():
    files = discover([REPO / "scenarios"])
    assert len(files) >= 4
    systems = {load_scenario(p).model.system for p in files}
    assert systems >= {"messages", "earnings", "replies", "twin"}


def test_every_library_scenario_injects_at_least_one_fault_or_is_tagged_happy_path():
    for path in discover([REPO / "scenarios"]):
        scenario = load_scenario(path)
        assert scenario.fault_rules or {"happy-path", "bad-input"} & set(scenario.model.tags), \
            (f"{path} injects no fault (tag it `happy-path` if it proves the fault-free behaviour, `bad-input` if "
             f"what goes wrong is its own input, configuration or user code)")


def test_shorthand_forms_load(write_scenario):
    scenario = load_scenario(write_scenario("""
        name: shorthands
        steps:
          - advance: 1m30s
          - run_until_idle
          - run_until_idle: 2h
        """))
    assert [s.kind for s in scenario.steps] == ["advance", "run_until_idle", "run_until_idle"]
    assert scenario.steps[0].seconds == 90 and scenario.steps[2].max == 7200


def test_setup_messages_may_be_bare_bodies(write_scenario):
    scenario = load_scenario(write_scenario("""
        name: bodies
        setup:
          messages:
            Outbox: ['{"a": 1}', {orderId: o2}, {body: x, delay_seconds: 5}]
        steps: [{advance: 1}]
        """))
    bodies = [m.body for m in scenario.model.setup.messages["Outbox"]]
    assert bodies == ['{"a": 1}', {"orderId": "o2"}, "x"]


def test_resources_whose_condition_is_false_are_not_accepted(write_scenario):
    """The twin deploys its connector only when layer 2 runs on another cloud."""
    template = REPO / "handlers" / "twin" / "template.yaml"
    single = write_scenario(f"name: one cloud\nsystem: {template}\nsteps:\n  - invoke: {{function: ConnectorFunction}}\n")
    with pytest.raises(ScenarioError, match="unknown function 'ConnectorFunction'"):
        load_scenario(single)
    multi = write_scenario(f"name: two clouds\nsystem: {template}\nparameters: {{Layer2Provider: azure}}\n"
                           f"steps:\n  - invoke: {{function: ConnectorFunction}}\n", name="multi.yaml")
    assert load_scenario(multi).steps[0].function == "ConnectorFunction"


def test_a_system_defaults_file_with_a_typo_is_reported_in_that_file(write_scenario, tmp_path):
    (tmp_path / "_system.yaml").write_text("invariants:\n  no_message_lost: {}\ninvariant: {}\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"_system.yaml:3:1: invariant: unknown key 'invariant' "
                                            r"\(did you mean 'invariants'\?\)"):
        load_scenario(write_scenario("name: x\nsteps: [{advance: 1}]\n"))


def test_loading_a_system_defaults_file_as_a_scenario_says_what_it_is():
    with pytest.raises(ScenarioError, match="holds a system's default invariant settings, not a scenario"):
        load_scenario(REPO / "scenarios" / "messages" / "_system.yaml")


def test_http_mocks_need_exactly_one_url(write_scenario):
    with pytest.raises(ScenarioError, match=r"http_mocks\[0\]: give exactly one of url or url_regex"):
        load_scenario(write_scenario("name: m\nhttp_mocks: [{method: POST}]\nsteps: [{advance: 1}]\n"))
