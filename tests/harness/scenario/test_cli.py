"""The command line: run / list / replay / trace / report, exit codes 0 (passed), 1 (failed), 2 (bad input)."""
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli import main

BROKEN = Path(__file__).parent / "broken"
PASSING = """
name: {name}
seed: 8
steps:
  - invoke: {{function: PlaceOrder, payload: {{orderId: o1}}, id: place}}
expect:
  - http: {{step: place, status: 201}}
"""


@pytest.fixture
def suite(write_scenario, tmp_path):
    """A folder with two passing scenarios, a system defaults file and a non-scenario file."""
    write_scenario(PASSING.format(name="first order"), name="a_first.yaml")
    write_scenario(PASSING.format(name="second order"), name="b_second.yaml")
    (tmp_path / "_system.yaml").write_text("invariants: {no_message_lost: {}}\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a scenario", encoding="utf-8")
    return tmp_path


def test_run_passes_prints_a_summary_with_counts_and_trace_hashes(suite, capsys):
    assert main(["run", str(suite)]) == 0
    out = capsys.readouterr().out
    assert "2 scenario(s): 2 passed, 0 failed, 0 error(s), 0 bad input" in out
    assert out.count("PASSED") == 2
    hashes = [line.split("│")[4].strip() for line in out.splitlines() if "PASSED" in line]
    assert len(hashes) == 2 and all(len(h) == 16 for h in hashes)


def test_the_same_seed_prints_the_same_trace_hash_on_every_run(suite, capsys):
    main(["run", str(suite / "a_first.yaml")])
    first = capsys.readouterr().out
    main(["run", str(suite / "a_first.yaml"), "--repeat", "2"])
    second = capsys.readouterr().out
    hash_of = next(line.split("│")[4].strip() for line in first.splitlines() if "PASSED" in line)
    assert hash_of in second and "not deterministic" not in second


def test_run_writes_junit_html_and_json_reports(suite, tmp_path, capsys):
    reports = tmp_path / "reports"
    assert main(["run", str(suite), "--report-dir", str(reports)]) == 0
    suite_node = ET.parse(reports / "junit.xml").getroot().find("testsuite")
    assert suite_node.get("tests") == "2" and suite_node.get("failures") == "0"
    html = (reports / "index.html").read_text(encoding="utf-8")
    assert "<svg" in html and "first order" in html
    assert len(json.loads((reports / "results.json").read_text())["results"]) == 2


def test_run_fails_with_2_when_no_scenario_ran(tmp_path, capsys):
    assert main(["run", str(tmp_path)]) == 2
    assert "no scenarios to run" in capsys.readouterr().out


def test_run_fails_with_2_for_a_missing_path(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope")]) == 2
    assert "no such file or folder" in capsys.readouterr().out


def test_run_fails_with_2_for_a_scenario_that_does_not_load_and_still_runs_the_others(suite, capsys):
    (suite / "c_broken.yaml").write_text((BROKEN / "unknown_step.yaml").read_text().replace(
        "../fixtures/shop/template.yaml", str(Path(__file__).parent / "fixtures/shop/template.yaml")))
    assert main(["run", str(suite)]) == 2
    out = capsys.readouterr().out
    assert "3 scenario(s): 2 passed, 0 failed, 0 error(s), 1 bad input" in out
    assert "unknown step 'invok' (did you mean 'invoke'?)" in out


def test_run_exits_1_when_a_scenario_fails_and_k_selects_by_name(suite, write_scenario, capsys):
    write_scenario(PASSING.format(name="failing order").replace("201", "500"), name="c_fail.yaml")
    assert main(["run", str(suite)]) == 1
    assert main(["run", str(suite), "-k", "second"]) == 0
    assert "1 scenario(s): 1 passed" in capsys.readouterr().out


def test_exitfirst_stops_after_the_first_failure(suite, write_scenario, capsys):
    write_scenario(PASSING.format(name="failing order").replace("201", "500"), name="a_0_fail.yaml")
    assert main(["run", str(suite), "-x"]) == 1
    assert "1 scenario(s): 0 passed, 1 failed" in capsys.readouterr().out


def test_bad_arguments_exit_2(capsys):
    assert main(["fly"]) == 2
    assert main(["run"]) == 2


def test_list_shows_scenarios_and_load_errors(suite, capsys):
    assert main(["list", str(suite)]) == 0
    out = capsys.readouterr().out
    assert "first order" in out and "second order" in out
    assert main(["list", str(BROKEN / "unknown_function.yaml")]) == 2
    assert "unknown function 'PlaceOrdr'" in capsys.readouterr().out


def test_replay_runs_with_the_given_seed_and_prints_the_trace_hash(suite, capsys):
    assert main(["replay", str(suite / "a_first.yaml"), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "(seed 3, trace " in out and "trace hash: " in out and "ok   expect[0]" in out


def test_trace_prints_the_timeline_or_json(suite, capsys):
    assert main(["trace", str(suite / "a_first.yaml")]) == 0
    assert "invoke_start" in capsys.readouterr().out
    assert main(["trace", str(suite / "a_first.yaml"), "--json", "--kind", "invoke_end"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [e["kind"] for e in document["events"]] == ["invoke_end"] and len(document["hash"]) == 16


def test_report_rebuilds_reports_from_results_json(suite, tmp_path, capsys):
    main(["run", str(suite), "--report-dir", str(tmp_path / "first")])
    assert main(["report", str(tmp_path / "first" / "results.json"), "--report-dir", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "index.html").read_text() == (tmp_path / "first" / "index.html").read_text()


def test_report_can_run_scenario_paths(suite, tmp_path, capsys):
    assert main(["report", str(suite / "a_first.yaml"), "--report-dir", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "junit.xml").is_file()


def test_module_entry_point_runs_the_cli():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "harness", "list", str(BROKEN / "not_a_mapping.yaml")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "expected a mapping of scenario keys" in done.stdout


def test_run_validate_refuses_a_template_sams_transform_refuses_with_its_line(tmp_path, capsys):
    import shutil
    shop = tmp_path / "shop"
    shutil.copytree(Path(__file__).parent / "fixtures" / "shop", shop)
    template = shop / "template.yaml"
    text = template.read_text(encoding="utf-8").replace("    Timeout: 10\n", "    Timeout: 10\n    Bogus: 1\n", 1)
    template.write_text(text, encoding="utf-8")
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(f"system: {template}\n" + PASSING.format(name="validated"), encoding="utf-8")
    assert main(["run", str(scenario)]) == 0  # the harness alone only warns about the unknown property
    capsys.readouterr()
    assert main(["run", "--validate", str(scenario)]) == 2
    out = capsys.readouterr().out
    line = text.splitlines().index("    Bogus: 1") + 1
    assert f"{template}:{line}: SAM transform:" in out and "Bogus" in out
