"""`python -m harness diff` and skipped scenarios (real-time budget)."""
import xml.etree.ElementTree as ET

import pytest

from harness.cli import main
from harness.scenario.report.junit import junit_xml

SCENARIO = """
name: {name}
seed: 8
steps:
  - invoke: {{function: PlaceOrder, payload: {{orderId: {order}}}, id: place}}
expect:
  - http: {{step: place, status: 201}}
"""


def test_diff_of_two_virtual_backends_agrees_and_exits_0(write_scenario, capsys):
    path = write_scenario(SCENARIO.format(name="order", order="o1"), name="order.yaml")
    assert main(["diff", str(path), "--backends", "moto,moto-server"]) == 0
    out = capsys.readouterr().out
    assert "AGREE" in out and "differential moto vs moto-server: 1 compared, 1 agree, 0 differ, 0 skipped" in out


def test_diff_needs_exactly_two_backends(write_scenario, capsys):
    path = write_scenario(SCENARIO.format(name="order", order="o1"), name="order.yaml")
    assert main(["diff", str(path), "--backends", "moto"]) == 2
    assert "--backends needs exactly two backends" in capsys.readouterr().out


def test_localstack_not_running_is_one_clear_line_from_the_cli(write_scenario, capsys, monkeypatch):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("LOCALSTACK_HOST", f"127.0.0.1:{port}")
    path = write_scenario(SCENARIO.format(name="order", order="o1"), name="order.yaml")
    assert main(["run", str(path), "--backend", "localstack"]) == 1
    assert "make localstack-up" in capsys.readouterr().out


def test_skipped_scenarios_are_counted_and_marked_skipped_in_junit():
    results = [{"name": "slow", "file": "s.yaml", "status": "skipped", "wall_seconds": 0.1,
                "skip_reason": "skipped on localstack: needs at least 600 s of real time"},
               {"name": "fast", "file": "f.yaml", "status": "passed", "wall_seconds": 0.1}]
    suite = ET.fromstring(junit_xml(results)).find("testsuite")
    assert suite.get("skipped") == "1"
    skipped = suite.find("testcase[@name='slow']/skipped")
    assert skipped is not None and "600 s of real time" in skipped.get("message")


@pytest.mark.localstack
def test_scenario_over_its_real_time_budget_is_skipped_with_the_reason(write_scenario, capsys):
    path = write_scenario(SCENARIO.format(name="slow", order="o1").replace("steps:\n", "max_real_seconds: 5\nsteps:\n  - advance: 10m\n"),
                          name="slow.yaml")
    assert main(["run", str(path), "--backend", "localstack"]) == 1  # nothing ran: never a silent pass
    out = capsys.readouterr().out
    assert "SKIPPED" in out and "over the max_real_seconds budget of 5 s" in out and "1 skipped" in out
