"""Functions the harness cannot run (other runtimes) are warned about by name and can be mocked, so a
mixed-runtime application still runs its Python parts."""
import warnings

import pytest

from harness import InputError, Simulation, TemplateError, TemplateWarning
from harness.scenario import load_scenario, run_scenario
from harness.scenario.errors import ScenarioError

from .test_patterns import PATTERNS

MIXED = PATTERNS / "mixed_runtimes" / "template.yaml"


def test_non_python_runtime_is_warned_by_name_with_the_fix():
    with pytest.warns(TemplateWarning, match=r"template.yaml:\d+: function 'PricingFunction' is runtime "
                                             r"nodejs20.x: the harness runs Python handlers only; mock it"):
        sim = Simulation(MIXED, seed=1)
    assert any("PricingFunction" in w for w in sim.warnings)


def test_unmocked_non_python_function_fails_each_invoke_saying_how_to_mock_it():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateWarning)
        with Simulation(MIXED, seed=1) as sim:
            result = sim.invoke("PricingFunction", {"quantity": 2})
            assert result.status == "error"
            assert result.error["errorType"] == "UnsupportedRuntime"
            assert "functions: {PricingFunction: {mock:" in result.error["errorMessage"]
            assert sim.http("POST", "/orders", body={"quantity": 2}).json() == {"error": "UnsupportedRuntime"}


def test_fixed_response_mock_lets_the_python_parts_run():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateWarning)
        sim = Simulation(MIXED, seed=1, functions={"PricingFunction": {"mock": {"response": {"price": 42}}}})
    with sim:
        assert sim.http("POST", "/orders", body={"quantity": 2}).json() == {"price": 42}


def test_python_stand_in_and_error_mocks():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateWarning)
        stand_in = Simulation(MIXED, seed=1, functions={"PricingFunction": {"mock": {"handler":
                                                                                     "stubs/pricing.handler"}}})
        failing = Simulation(MIXED, seed=1, functions={"PricingFunction": {"mock": {"error": {
            "type": "PriceUnavailable", "message": "no price"}}}})
    with stand_in:
        assert stand_in.http("POST", "/orders", body={"quantity": 3}).json() == {"price": 21}
    with failing:
        assert failing.http("POST", "/orders", body={}).json() == {"error": "PriceUnavailable"}


@pytest.mark.parametrize("mock, message", [
    ({"response": 1, "error": {"type": "X"}}, "exactly one of response"),
    ({"error": {"message": "no type"}}, "mock error needs a type"),
    ({"handler": "no_function_part"}, "mock handler is path/to/file.function"),
])
def test_bad_mock_is_refused_with_the_expected_shape(mock, message):
    with pytest.raises(InputError, match=message), warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateWarning)
        Simulation(MIXED, seed=1, functions={"PricingFunction": {"mock": mock}})


def test_mock_for_an_unknown_function_names_the_closest():
    with pytest.raises(InputError, match="'PricingFn' is not a function of .*did you mean 'PricingFunction'"), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", TemplateWarning)
        Simulation(MIXED, seed=1, functions={"PricingFn": {"mock": {"response": {}}}})


def test_strict_mode_refuses_a_template_with_warnings(monkeypatch):
    with pytest.raises(TemplateError, match="(?s)strict mode: .*PricingFunction"):
        Simulation(MIXED, seed=1, strict=True)
    monkeypatch.setenv("HARNESS_STRICT", "1")
    with pytest.raises(TemplateError, match="strict mode"):
        Simulation(MIXED, seed=1)


def test_inline_code_runs_from_the_template(tmp_path):
    (tmp_path / "template.yaml").write_text("""
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"hello": event["name"]}
""")
    with Simulation(tmp_path / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert sim.invoke("Hello", {"name": "ada"}).payload == {"hello": "ada"}


def test_scenario_functions_key_mocks_a_function(tmp_path):
    scenario = tmp_path / "order_priced.yaml"
    scenario.write_text(f"""
name: order priced by the mocked Node.js function
system: {MIXED}
functions:
  PricingFunction:
    mock: {{response: {{price: 5}}}}
steps:
  - http: {{id: order, method: POST, path: /orders, body: {{quantity: 1}}}}
expect:
  - http: {{step: order, status: 200, json: {{price: 5}}}}
invariants: []
""")
    result = run_scenario(load_scenario(scenario))
    assert result.passed, result.report()


def test_scenario_mock_with_a_bad_shape_is_a_located_load_error(tmp_path):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(f"""
name: bad mock
system: {MIXED}
functions:
  PricingFunction:
    mock: {{respond: 1}}
steps:
  - invoke: {{function: OrderFunction, payload: {{}}}}
""")
    with pytest.raises(ScenarioError, match=r"bad.yaml:6:\d+.*exactly one of response"):
        load_scenario(scenario)


def test_strict_mode_accepts_a_template_whose_only_gap_is_mocked():
    sim = Simulation(MIXED, seed=1, strict=True, functions={"PricingFunction": {"mock": {"response": {}}}})
    assert sim.warnings == []


def _scenario(tmp_path, mocked):
    functions = "functions:\n  PricingFunction:\n    mock: {response: {price: 5}}\n" if mocked else ""
    path = tmp_path / "order.yaml"
    path.write_text(f"name: order\nsystem: {MIXED}\n{functions}steps:\n"
                    f"  - http: {{id: order, method: POST, path: /orders, body: {{}}}}\ninvariants: []\n")
    return path


def test_cli_prints_each_load_warning_once_in_the_summary(tmp_path, capsys):
    from harness.cli import main
    path = _scenario(tmp_path, mocked=False)
    assert main(["run", str(path), str(path)]) == 0
    out = capsys.readouterr().out
    assert "warnings (1, each once; --strict makes them errors):" in out
    assert out.count("function 'PricingFunction' is runtime nodejs20.x") == 1


def test_cli_strict_turns_warnings_into_a_failed_run(tmp_path, capsys, monkeypatch):
    from harness.cli import main
    monkeypatch.delenv("HARNESS_STRICT", raising=False)
    assert main(["run", "--strict", str(_scenario(tmp_path, mocked=False))]) != 0
    assert "strict mode" in capsys.readouterr().out
    assert "HARNESS_STRICT" not in __import__("os").environ  # the run's setting does not leak


def test_cli_does_not_warn_about_a_mocked_function(tmp_path, capsys):
    from harness.cli import main
    assert main(["run", str(_scenario(tmp_path, mocked=True))]) == 0
    assert "PricingFunction" not in capsys.readouterr().out
