"""The plugin's `sim` and `faults` fixtures and the hypothesis profiles, as a code-first test uses them."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InputError
from harness.fuzz.fixtures import Faults, sim_settings

THROTTLE = {"id": "throttle", "match": {"service": "lambda", "operation": "Invoke"},
            "effect": {"type": "aws_error", "code": "TooManyRequestsException"}}


def test_sim_defaults_to_the_ini_template_and_seed(sim):
    assert sim.template.path.name == "template.yaml" and "basic" in str(sim.template.path)
    assert sim.seed == 1 and sim.now == 0


@pytest.mark.harness(seed=42)
def test_the_marker_overrides_the_seed(sim):
    assert sim.seed == 42


@pytest.mark.harness(template="../sources/fixtures/app/template.yaml", seed=3)
def test_the_marker_template_is_relative_to_the_test_file(sim):
    assert "sources" in str(sim.template.path)


@pytest.mark.harness(faults=[{"id": "fail-stamp", "match": {"function": "Stamp"},
                              "effect": {"type": "lambda_error"}}])
def test_marker_faults_apply_from_the_start(sim, faults):
    result = sim.invoke("Stamp", {})
    assert result.status == "error" and faults.fired("fail-stamp") == 1


def test_faults_are_added_and_healed_mid_test(sim, faults):
    assert sim.invoke("Stamp", {}).status == "success"
    faults.add({"id": "fail-stamp", "match": {"function": "Stamp"}, "effect": {"type": "lambda_error"}})
    assert sim.invoke("Stamp", {}).status == "error"
    faults.heal("fail-stamp")
    assert sim.invoke("Stamp", {}).status == "success"
    assert faults.fired("fail-stamp") == 1


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
def test_given_mixes_with_the_sim_fixture(sim, payload):
    assert sim.invoke("Stamp", payload).status == "success"


def test_ci_profile_is_active_under_make_test():
    current = settings()
    assert current.derandomize and current.deadline is None and current.max_examples == 25


def test_an_unknown_marker_argument_is_a_clear_error(pytestconfig, request):
    request.node.add_marker(pytest.mark.harness(tempate="x.yaml"))
    with pytest.raises(InputError, match="unknown argument 'tempate'"):
        sim_settings(request.node, pytestconfig)


def test_a_missing_template_names_the_fix(pytestconfig, request, monkeypatch):
    real = pytestconfig.getini
    monkeypatch.setattr(pytestconfig, "getini", lambda name: "" if name == "harness_template" else real(name))
    with pytest.raises(InputError, match="needs a template: add @pytest.mark.harness"):
        sim_settings(request.node, pytestconfig)


def test_faults_handle_accepts_one_list(sim):
    handle = Faults(sim)
    [rule] = handle.add([THROTTLE])
    assert rule.id == "throttle" and handle.plan is sim.faults
