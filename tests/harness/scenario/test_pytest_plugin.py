"""The pytest plugin: scenario files under scenarios/ are test items (ids from file and name) that work with
-k, -x, --lf and pytest-xdist; --seed, --backend and --scenario-report; failures show the scenario's report."""
import pytest

from tests.harness.scenario.conftest import SHOP

pytest_plugins = ["pytester"]

SCENARIO = """
name: {name}
system: {system}
seed: 8
steps:
  - invoke: {{function: PlaceOrder, payload: {{orderId: o1}}, id: place}}
expect:
  - http: {{step: place, status: {status}}}
"""


@pytest.fixture
def project(pytester):
    """scenarios/ with two passing scenarios, one failing, a defaults file and a test that is not a scenario."""
    folder = pytester.mkdir("scenarios")
    for file, name, status in (("a_bad.yaml", "order that fails", 500), ("b_ok.yaml", "first order", 201),
                               ("c_ok.yaml", "second order", 201)):
        (folder / file).write_text(SCENARIO.format(name=name, system=SHOP, status=status), encoding="utf-8")
    (folder / "_system.yaml").write_text("invariants: {no_message_lost: {}}\n", encoding="utf-8")
    (pytester.path / "elsewhere.yaml").write_text("not: collected\n", encoding="utf-8")
    return pytester


def test_scenario_files_are_collected_with_ids_from_file_and_name(project):
    result = project.runpytest("--collect-only", "-q", "scenarios", "elsewhere.yaml")
    result.stdout.fnmatch_lines(["scenarios/a_bad.yaml::order that fails", "scenarios/b_ok.yaml::first order",
                                 "scenarios/c_ok.yaml::second order"])
    assert "_system" not in result.stdout.str()


def test_a_run_reports_the_failing_expectation_trace_seed_and_replay_and_writes_reports(project):
    result = project.runpytest_subprocess("scenarios", "-n", "2", "--seed", "77", "--scenario-report", "out")
    result.assert_outcomes(passed=2, failed=1)
    text = result.stdout.str()
    assert "expect[0] (line 8) http" in text and "expected: step 'place': status 500" in text
    assert "found:    status 201 - status 201" in text or "found:    status 201" in text
    assert "seed: 77" in text and "replay: python -m harness replay scenarios/a_bad.yaml --seed 77" in text
    assert "trace:" in text
    assert (project.path / "out" / "junit.xml").is_file() and (project.path / "out" / "index.html").is_file()
    assert "order that fails" in (project.path / "out" / "index.html").read_text()


def test_last_failed_reruns_only_the_failing_scenario(project):
    project.runpytest("scenarios").assert_outcomes(passed=2, failed=1)
    again = project.runpytest("scenarios", "--lf")
    again.assert_outcomes(failed=1)
    assert "rerun previous 1 failure" in again.stdout.str()


def test_k_selects_by_scenario_name_and_x_stops_at_the_first_failure(project):
    project.runpytest("scenarios", "-k", "second").assert_outcomes(passed=1, deselected=2)
    project.runpytest("scenarios", "-x").assert_outcomes(failed=1)


def test_a_scenario_that_does_not_load_fails_with_its_located_problems(project):
    (project.path / "scenarios" / "d_broken.yaml").write_text(
        f"name: broken\nsystem: {SHOP}\nsteps:\n  - invok: {{function: PlaceOrder}}\n", encoding="utf-8")
    result = project.runpytest("scenarios/d_broken.yaml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*d_broken.yaml:4:5: steps[[]0[]].invok: unknown step 'invok'*"])


def test_importing_the_plugin_does_not_load_boto3_or_moto():
    import subprocess
    import sys
    code = "import sys, harness.pytest_plugin; print(sorted(m for m in ('boto3', 'moto') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=False).stdout
    assert out.strip() == "[]"
