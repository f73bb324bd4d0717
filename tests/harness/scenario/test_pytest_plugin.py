"""The pytest plugin: scenario files under scenarios/ are test items (ids from file and name) that work with
-k, -x, --lf and pytest-xdist; --seed, --backend and --scenario-report; failures show the scenario's report."""
from pathlib import Path

import pytest

from tests.harness.scenario.conftest import SHOP

pytest_plugins = ["pytester"]
# Every run in its own process: pytester undoes an in-process run's imports afterwards, which left the next
# in-process run with half of the harness's expectation kinds (this file failed when run on its own).

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


def test_a_run_reports_the_failing_expectation_trace_seed_and_replay_and_last_failed_reruns_it(project):
    result = project.runpytest_subprocess("scenarios", "-n", "2", "--seed", "77", "--scenario-report", "out")
    result.assert_outcomes(passed=2, failed=1)
    text = result.stdout.str()
    assert "expect[0] (line 8) http" in text and "expected: step 'place': status 500" in text
    assert "found:    status 201" in text and "trace:" in text
    assert "seed: 77" in text and "replay: python -m harness replay scenarios/a_bad.yaml --seed 77" in text
    assert (project.path / "out" / "junit.xml").is_file() and (project.path / "out" / "index.html").is_file()
    assert "order that fails" in (project.path / "out" / "index.html").read_text()
    again = project.runpytest_subprocess("scenarios", "--lf")
    again.assert_outcomes(failed=1)
    assert "rerun previous 1 failure" in again.stdout.str()


def test_ids_come_from_file_and_name_and_k_selects_by_them(project):
    (project.path / "scenarios" / "d_broken.yaml").write_text(
        f"name: broken\nsystem: {SHOP}\nsteps:\n  - invok: {{function: PlaceOrder}}\n", encoding="utf-8")
    result = project.runpytest_subprocess(".", "-v", "-k", "second or broken")  # elsewhere.yaml: not under scenarios/
    result.assert_outcomes(passed=1, failed=1, deselected=2)
    result.stdout.fnmatch_lines(["scenarios/c_ok.yaml::second order PASSED*",
                                 "*d_broken.yaml:4:5: steps[[]0[]].invok: unknown step 'invok'*"])
    assert "_system" not in result.stdout.str() and "elsewhere" not in result.stdout.str()


def test_x_stops_at_the_first_failure(project):
    project.runpytest_subprocess("scenarios", "-x").assert_outcomes(failed=1)


def test_importing_the_plugin_does_not_load_boto3_or_moto():
    import subprocess
    import sys
    code = "import sys, harness.pytest_plugin; print(sorted(m for m in ('boto3', 'moto') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         check=False).stdout
    assert out.strip() == "[]"


def test_pytest_does_not_assertion_rewrite_the_harness_only_the_tests(tmp_path):
    import subprocess
    import sys
    (tmp_path / "test_loaders.py").write_text(
        "import harness.simulation\n\n\ndef test_loaders():\n"
        "    loader = type(harness.simulation.__spec__.loader).__name__\n"
        "    assert loader != 'AssertionRewritingHook', loader\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[3]  # from the repository, where `harness` is importable by path
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, check=False, cwd=root)
    assert "1 passed" in out.stdout, out.stdout[-2000:]


def test_a_session_leaves_the_heap_its_first_scenario_warmed_out_of_later_collections(project):
    (project.path / "conftest.py").write_text(
        "import gc\n\ndef pytest_sessionfinish(session):\n"
        "    print(f'\\nfrozen after the session: {gc.get_freeze_count() > 0}')\n", encoding="utf-8")
    result = project.runpytest_subprocess("scenarios", "-s", "-k", "ok")
    result.assert_outcomes(passed=2)
    assert "frozen after the session: True" in result.stdout.str()
