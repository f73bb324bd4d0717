"""Property tests of the scenario's input parsers: durations, fault rules, whole scenario files and SAM templates.
Any input loads or is refused with the documented, located error (ValueError, FaultPlanError, ScenarioError,
TemplateError); what loads is runnable, and what the fuzz writer writes loads back unchanged."""
from __future__ import annotations

import math
from pathlib import Path

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import strategies as hs
from harness.errors import TemplateError
from harness.faults import FaultPlan, FaultPlanError
from harness.scenario import ScenarioError, load_scenario
from harness.scenario.values import parse_duration
from harness.template import load_template

PLANTED = Path(__file__).parents[1] / "fuzz" / "fixtures" / "planted_app" / "template.yaml"
# tmp_path is reused by every example; loading a file costs ~0.1 s, so the `fuzz` profile stops at 200 of them.
files = settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
                 max_examples=min(settings.default.max_examples, 200))

durations = (st.integers(-10, 10**6) | st.floats() | st.text(max_size=12) | st.booleans() | st.none()
             | st.builds(lambda n, u: f"{n}{u}", st.integers(0, 999), st.sampled_from(["ms", "s", "m", "h", "d", "x"])))


@given(durations)
@example(10**400)   # OverflowError before the fix
@example(float("nan"))  # accepted as a duration before the fix
@example("9" * 400)  # infinite seconds before the fix
@example(float("inf"))
def test_a_duration_is_finite_seconds_or_a_value_error(value):
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        assert "duration" in str(error)
        return
    assert math.isfinite(seconds) and seconds >= 0


@given(st.integers(0, 99), st.integers(0, 59), st.integers(0, 59), st.integers(0, 999))
def test_a_text_duration_adds_its_parts(h, m, s, ms):
    assert math.isclose(parse_duration(f"{h}h{m}m{s}s{ms}ms"), h * 3600 + m * 60 + s + ms / 1000)


RULE = {"id": "throttle", "match": {"service": "dynamodb", "operation": "PutItem", "nth": 1},
        "effect": {"type": "aws_error", "code": "ProvisionedThroughputExceededException"}, "times": 2}


@given(st.lists(hs.from_sample(RULE) | hs.mutated(st.just(RULE)) | hs.json_values(5), max_size=3)
       | hs.json_values(4))
@example([{"id": "x", "match": {"nth": 10**400}, "effect": {"type": "latency", "seconds": "1e999"}}])
def test_fault_rules_load_or_raise_fault_plan_error(rules):
    try:
        plan = FaultPlan.from_dicts(rules, source="faults.yaml")
    except FaultPlanError as error:
        assert "faults.yaml" in str(error) or "faults" in str(error)
        return
    assert len(plan) == len(rules or [])


SCENARIO = {"name": "order accepted", "system": str(PLANTED), "seed": 3, "start": "2030-01-01T00:00:00Z",
            "faults": [{"id": "slow", "match": {"function": "OrderFunction"}, "effect": {"type": "latency",
                                                                                        "seconds": 1}}],
            "steps": [{"invoke": {"id": "order", "function": "OrderFunction",
                                  "payload": {"body": '{"item": "book"}'}}}, {"advance": "5m"}],
            "expect": [{"result": {"step": "order", "status": "success"}}, {"fault": "slow"}],
            "invariants": ["no_secrets_in_logs"]}


@files
@given(hs.from_sample(SCENARIO, keep=0.8) | hs.mutated(st.just(SCENARIO)))
@example({**SCENARIO, "seed": 10**30})
@example({**SCENARIO, "system": "huge-" * 2000})  # OSError (file name too long) before the fix
def test_a_scenario_file_loads_or_lists_its_located_problems(tmp_path, document):
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        assert error.problems and all(str(path) in str(p) for p in error.problems)
        return
    assert scenario.steps and scenario.template.is_file()


@files
@given(st.text(max_size=200) | st.just(yaml.safe_dump(SCENARIO)).map(lambda t: t[: len(t) // 2]))
@example("name: [unclosed")
@example("\x00")
def test_any_text_is_a_scenario_or_a_scenario_error(tmp_path, text):
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_scenario(path)
    except ScenarioError as error:
        assert error.problems


TEMPLATE = yaml.safe_load(PLANTED.read_text())


@files
@given(hs.from_sample(TEMPLATE, keep=0.8) | hs.mutated(st.just(TEMPLATE)))
def test_a_template_loads_or_raises_a_template_error(tmp_path, document):
    (tmp_path / "src").mkdir(exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    try:
        template = load_template(path)
    except TemplateError as error:
        assert str(path) in str(error) or "template" in str(error).lower()
        return
    assert template.path == path
