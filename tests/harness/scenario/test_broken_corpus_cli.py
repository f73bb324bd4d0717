"""Every broken scenario file (tests/harness/scenario/broken/) makes `harness run` exit 2 with one located
`file:line:col` problem line and no traceback, within 200 MB of Python allocations.

The whole corpus runs in one child process whose address space is capped (RLIMIT_AS) and which has a
generous timeout, so a YAML bomb that escaped the loader's limits would fail the run instead of taking the
machine; per-file CPU time and peak allocations are measured there (tracemalloc), not asserted on wall time."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.scenario.test_loader_errors import CORPUS, expected_problem

ROOT = Path(__file__).parents[3]
ADDRESS_SPACE = 3 * 1024 ** 3  # far below what a billion-laughs expansion takes (8 GB before the limits)
PEAK_BYTES = 200 * 1024 ** 2
WORKER = r"""
import contextlib, io, json, resource, sys, time, tracemalloc
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from harness.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["run", sys.argv[2]])  # warm up: imports are not any one file's cost
for file in sys.argv[2:]:
    out = io.StringIO()
    tracemalloc.start()
    cpu = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(["run", file])
        except BaseException as exc:  # reported, never hidden
            code = f"{type(exc).__name__}: {exc}"
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(json.dumps({"file": file, "code": code, "out": out.getvalue(), "cpu": cpu, "peak": peak}), flush=True)
"""


@pytest.fixture(scope="module")
def outcomes() -> dict[str, dict]:
    done = subprocess.run([sys.executable, "-c", WORKER, str(ADDRESS_SPACE), *map(str, CORPUS)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return {row["file"]: row for row in map(json.loads, done.stdout.splitlines())}


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_broken_file_exits_2_with_one_located_line_and_bounded_memory(outcomes, path):
    row = outcomes[str(path)]
    line, column, _, _ = expected_problem(path)
    assert row["code"] == 2, row["out"]
    assert "Traceback" not in row["out"]
    located = [x for x in row["out"].splitlines() if re.match(rf"\s*{re.escape(str(path))}:\d+:\d+: ", x)]
    assert len(located) == 1, row["out"]
    assert located[0].strip().startswith(f"{path}:{line}:{column}: ")
    assert row["peak"] < PEAK_BYTES, f"{row['peak'] / 2 ** 20:.0f} MB of allocations"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, capsys):
    from harness.cli import main
    big = tmp_path / "big.yaml"
    big.write_text("name: big\n# " + "x" * 2_000_000 + "\n", encoding="utf-8")
    assert main(["run", str(big)]) == 2
    assert f"{big}:1:1: the file is 2,000,013 bytes, over the limit of 1,000,000" in capsys.readouterr().out
    assert main(["list", str(big), "--max-file-bytes", "3000000"]) == 2  # raised: now it loads, and fails later
    assert "over the limit" not in capsys.readouterr().out


def test_a_system_template_outside_the_scenario_folder_and_project_is_refused(tmp_path, capsys):
    from harness.cli import main
    shop = ROOT / "tests" / "harness" / "scenario" / "fixtures" / "shop"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "template.yaml").write_text((shop / "template.yaml").read_text())
    (outside / "src").symlink_to(shop / "src")
    scenarios = tmp_path / "deep" / "down" / "scenarios"
    scenarios.mkdir(parents=True)
    path = scenarios / "s.yaml"
    path.write_text("name: s\nsystem: ../../../elsewhere/template.yaml\nsteps:\n  - advance: 1s\n", encoding="utf-8")
    assert main(["list", str(path)]) == 2
    assert f"{path}:2:9: system: ../../../elsewhere/template.yaml is outside the folders a system may come from" \
        in capsys.readouterr().out
    assert main(["list", str(path), "--allow-path", str(outside)]) == 0
