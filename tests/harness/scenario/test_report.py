"""Reports: JUnit XML for CI and a self-contained HTML page (no CDN, no scripts) with a sequence diagram per
scenario in which faults stand out."""
import re
import xml.etree.ElementTree as ET

import pytest

from harness.scenario import load_scenario, run_scenario
from harness.scenario.report import html_report, junit_xml, read_results, write_reports
from harness.scenario.report.diagram import rows_of, svg


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from tests.harness.scenario.conftest import SHOP
    folder = tmp_path_factory.mktemp("report")
    text = f"""
system: {SHOP}
name: "order <with> & markup"
seed: 4
faults:
  - {{id: throttle, match: {{service: dynamodb, operation: PutItem}}, effect: {{type: aws_error, code: ThrottlingException}}, times: 1}}
steps:
  - invoke: {{function: PlaceOrder, payload: {{orderId: o1}}, id: place}}
  - invoke: {{function: Worker, payload: {{orderId: o1, fail: true}}, type: Event}}
expect:
  - http: {{step: place, status: 201}}
  - invocations: {{function: Worker, count: 99}}
"""
    path = folder / "order.yaml"
    path.write_text(text, encoding="utf-8")
    passed = run_scenario(load_scenario(path)).to_dict()
    load_error = {"name": "broken", "file": "broken.yaml", "status": "error", "load_error": True,
                  "error": "broken.yaml:1:1: expected a mapping", "failures": ["bad input"], "wall_seconds": 0}
    return [passed, load_error]


def test_junit_has_a_testcase_per_scenario_with_failures_and_errors(results):
    root = ET.fromstring(junit_xml(results))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "1")
    failing, broken = suite.findall("testcase")
    assert failing.get("name") == "order <with> & markup"
    assert "expect[1]" in failing.find("failure").get("message")
    assert broken.find("error").get("type") == "ScenarioError"
    assert {p.get("name") for p in failing.find("properties")} == {"seed", "backend", "trace_hash"}


def test_html_is_self_contained_and_escapes_names(results):
    page = html_report(results)
    assert "<script" not in page and "<link" not in page
    assert not re.search(r"""(src|href)=["']?https?:""", page)
    assert "order &lt;with&gt; &amp; markup" in page and "order <with>" not in page


def test_html_shows_expectations_invariants_diagram_and_timeline(results):
    page = html_report(results)
    assert page.count("<svg") == 1  # one diagram: the scenario that ran (the load error has none)
    assert "Expectations" in page and "Timeline (" in page and "replay: <code>python -m harness replay" in page


def test_sequence_diagram_has_lanes_for_functions_tables_and_queues_and_highlights_faults(results):
    result = results[0]
    drawn = svg(result["events"], result["lanes"], result["lane_kinds"])
    ET.fromstring(drawn)  # well-formed XML
    for lane in ("scenario", "PlaceOrder", "OrdersTable", "Outbox", "Worker", "WorkerDLQ"):
        assert f">{lane}<" in drawn, lane
    assert 'class="row fault"' in drawn and "FAULT throttle" in drawn
    assert 'class="lane lane-function"' in drawn and 'class="lane lane-table"' in drawn


def test_diagram_leaves_out_deployment_and_log_lines(results):
    rows = rows_of(results[0]["events"], results[0]["lanes"])
    assert rows[0].kind == "step"
    assert not any(r.kind == "log" for r in rows)


def test_diagram_of_a_long_run_is_truncated_with_a_note():
    events = [{"seq": i, "t": float(i), "kind": "step", "label": f"s{i}"} for i in range(450)]
    assert "diagram truncated at 400 rows" in svg(events, {})


def test_reports_round_trip_through_results_json(results, tmp_path):
    written = write_reports(results, tmp_path, "My run")
    title, again = read_results(written["json"])
    assert title == "My run" and [r["name"] for r in again] == ["order <with> & markup", "broken"]
