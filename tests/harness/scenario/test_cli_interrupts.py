"""Interrupted and hostile runs lose nothing: exits inside handlers never end the CLI, SIGINT/SIGTERM exit
130/143 with one line and leave valid reports (finished scenarios plus the interrupted one marked)."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.cli import main

ROOT = Path(__file__).parents[3]
HOSTILE = ROOT / "tests" / "hostile" / "app" / "template.yaml"


def scenario(folder: Path, file: str, name: str, function: str, payload: str = "{}") -> Path:
    path = folder / file
    path.write_text(f"name: {name}\nsystem: {HOSTILE}\nseed: 1\nsteps:\n"
                    f"  - invoke: {{function: {function}, payload: {payload}}}\n", encoding="utf-8")
    return path


def test_handler_exits_never_end_the_cli_every_scenario_runs_and_reports_are_written(tmp_path, capsys):
    for i, function in enumerate(("ExitZero", "OsExit", "Keyboard", "ExitOne")):
        scenario(tmp_path, f"{i}_{function}.yaml", function, function)
    reports = tmp_path / "reports"
    assert main(["run", str(tmp_path), "--report-dir", str(reports)]) == 0
    out = capsys.readouterr().out
    assert "4 scenario(s): 4 passed" in out
    results = json.loads((reports / "results.json").read_text())["results"]
    assert [r["name"] for r in results] == ["ExitZero", "OsExit", "Keyboard", "ExitOne"]
    assert (reports / "index.html").is_file() and ET.parse(reports / "junit.xml").getroot() is not None


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=180,
                          cwd=ROOT, check=False)


@pytest.mark.parametrize(("signal_name", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_exits_with_one_line_and_leaves_valid_reports(tmp_path, signal_name, code):
    scenario(tmp_path, "a.yaml", "finished", "ExitZero")
    scenario(tmp_path, "b.yaml", "signalled", "SignalHarness", f"{{signal: {signal_name}}}")
    scenario(tmp_path, "c.yaml", "never started", "ExitZero")
    reports = tmp_path / "reports"
    done = run_cli("run", str(tmp_path), "--report-dir", str(reports))
    assert done.returncode == code, done.stdout + done.stderr
    assert done.stdout.strip().splitlines() == [
        f"interrupted by {signal_name}: 1 of 3 scenario(s) finished; reports in {reports}"]
    assert "Traceback" not in done.stderr
    results = json.loads((reports / "results.json").read_text())["results"]
    assert [(r["name"], r["status"], r.get("interrupted", False)) for r in results] == [
        ("finished", "passed", False), ("signalled", "error", True)]
    cases = ET.parse(reports / "junit.xml").getroot().iter("testcase")
    assert [c.get("name") for c in cases] == ["finished", "signalled"]
    assert not list(reports.glob(".*.tmp"))  # no half-written temporary files left behind


def test_reports_are_replaced_atomically_never_written_in_place(tmp_path):
    from harness.scenario.report import write_reports
    write_reports([], tmp_path)
    before = (tmp_path / "results.json").stat().st_ino
    write_reports([], tmp_path)
    assert (tmp_path / "results.json").stat().st_ino != before  # a new file renamed over the old one


def test_an_interrupted_simulation_always_releases_a_long_lived_process():
    code = f"""
import signal
from harness import Simulation
for i in range(8):
    sim = Simulation({str(HOSTILE)!r}, seed=i)
    try:
        with sim:
            sim.invoke("SignalHarness", {{"signal": "SIGINT"}})
    except KeyboardInterrupt:
        pass
    assert not sim.scheduler._live, "a task outlived its simulation"
with Simulation({str(HOSTILE)!r}, seed=1) as sim:
    print("clean run:", sim.invoke("ExitZero").error["errorType"])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=ROOT,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean run: Runtime.ExitError"
