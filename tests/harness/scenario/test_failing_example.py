"""The deliberately failing example (examples/failing_example.yaml) proves failures are reported well: each
failed expectation with what was expected, what was found and the trace around it, plus the seed and the
one command that replays the run - in the report text, from the CLI, in JUnit XML and in pytest."""
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.cli import main
from harness.scenario import load_scenario, run_scenario

EXAMPLE = Path(__file__).parent / "examples" / "failing_example.yaml"


def test_failing_example_report_names_expectation_expected_found_trace_seed_and_replay():
    result = run_scenario(load_scenario(EXAMPLE))
    report = result.report()
    assert result.status == "failed"
    assert [o.where for o in result.outcomes if not o.passed] == ["expect[1]", "expect[2]", "expect[3]"]
    assert "expect[2] (line 16) item" in report
    assert 'expected: OrdersTable item {"orderId": "o-404"} containing {"status": "QUEUED"}' in report
    assert 'found:    {"orderId": "o-404", "status": "PENDING"}' in report
    assert "fault            rule=outbox-missing" in report  # the trace slice shows the injected fault
    assert "seed: 1234" in report
    assert f"replay: python -m harness replay {EXAMPLE} --seed 1234" in report


def test_failing_example_exits_1_and_prints_the_report(capsys):
    assert main(["run", str(EXAMPLE)]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "expected: Outbox: depth 1" in out and "found:    depth 0" in out
    assert "1 scenario(s): 0 passed, 1 failed" in out


def test_failing_example_is_a_junit_failure_carrying_the_report(tmp_path):
    assert main(["run", str(EXAMPLE), "--report-dir", str(tmp_path)]) == 1
    case = ET.parse(tmp_path / "junit.xml").getroot().find("./testsuite/testcase")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "ScenarioFailure"
    assert "expect[1]" in failure.get("message")
    assert "replay: python -m harness replay" in failure.text
