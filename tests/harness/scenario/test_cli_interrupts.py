"""Interrupted and hostile runs lose nothing: exits inside handlers never end the CLI, SIGINT/SIGTERM exit
130/143 with one line and leave valid reports (finished scenarios plus the interrupted one marked)."""
import json
import os
import signal
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


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_exits_with_one_line_and_leaves_valid_reports(tmp_path, signum, code):
    ready, hold = tmp_path / "ready", tmp_path / "hold"
    os.mkfifo(ready)
    os.mkfifo(hold)
    scenario(tmp_path, "a.yaml", "finished", "ExitZero")
    scenario(tmp_path, "b.yaml", "interrupted", "Hold", f"{{ready: {ready}, hold: {hold}}}")
    scenario(tmp_path, "c.yaml", "never started", "ExitZero")
    reports = tmp_path / "reports"
    cli = subprocess.Popen([sys.executable, "-m", "harness", "run", str(tmp_path), "--report-dir", str(reports)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(ready) as running:  # returns once scenario b's handler runs (no sleeping, no polling)
        assert running.read() == "running"
    cli.send_signal(signum)
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == code, out + err
    name = signal.Signals(signum).name
    assert out.strip().splitlines() == [f"interrupted by {name}: 1 of 3 scenario(s) finished; reports in {reports}"]
    assert "Traceback" not in err
    results = json.loads((reports / "results.json").read_text())["results"]
    assert [(r["name"], r["status"], r.get("interrupted", False)) for r in results] == [
        ("finished", "passed", False), ("interrupted", "error", True)]
    cases = ET.parse(reports / "junit.xml").getroot().iter("testcase")
    assert [c.get("name") for c in cases] == ["finished", "interrupted"]
    assert not list(reports.glob(".*.tmp"))  # no half-written temporary files left behind


def test_reports_are_replaced_atomically_never_written_in_place(tmp_path):
    from harness.scenario.report import write_reports
    write_reports([], tmp_path)
    before = (tmp_path / "results.json").stat().st_ino
    write_reports([], tmp_path)
    assert (tmp_path / "results.json").stat().st_ino != before  # a new file renamed over the old one


def test_an_interrupted_simulation_always_releases_a_long_lived_process(tmp_path):
    code = f"""
import os, signal, threading
from harness import Simulation
# Ctrl-C as an interactive process gets it: a process started in the background (a CI job run with `&`, nohup)
# inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler.
signal.signal(signal.SIGINT, signal.default_int_handler)
for i in range(6):
    ready, hold = f"{tmp_path}/ready{{i}}", f"{tmp_path}/hold{{i}}"
    os.mkfifo(ready)
    os.mkfifo(hold)
    def interrupt():  # the user's Ctrl-C, once the handler runs
        with open(ready) as running:
            running.read()
        os.kill(os.getpid(), signal.SIGINT)
    threading.Thread(target=interrupt).start()
    sim = Simulation({str(HOSTILE)!r}, seed=i)
    try:
        with sim:
            sim.invoke("Hold", {{"ready": ready, "hold": hold}})
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
