"""pytest plugin (entry point `lambda_harness`): collects scenario YAML files as test items.

Files under a folder named `scenarios` (or named on the command line) become one test each, with the id
`<file>::<scenario name>`, so `-k`, `-x`, `--lf` and pytest-xdist work as for any test. Options: `--seed`,
`--backend`, `--scenario-report DIR` (JUnit XML, HTML and JSON of the scenarios run). A failure shows the
failing expectations with the trace around them, the seed and the command that replays it.

Fixtures for code-first tests: `sim` (a started Simulation from `@pytest.mark.harness(template=..., seed=...,
faults=[...])` or the ini defaults `harness_template`/`harness_seed`/`harness_backend`) and `faults` (add and
heal fault rules mid-test). `--hypothesis-profile ci|fuzz` selects the harness's hypothesis profiles
(docs/fuzzing.md).

Importing this module stays cheap: the harness is imported when a scenario is collected or run.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

_RESULT_KEY = "lambda_harness_scenario"


def _do_not_rewrite_the_harness() -> None:
    """pytest marks every module of a plugin's distribution for assertion rewriting, i.e. the whole harness
    (about a second per pytest process and per xdist worker); the harness's own asserts need no rewriting,
    tests still get it."""
    import sys
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        if isinstance(marked, set):
            marked.difference_update({n for n in marked if n == "harness" or n.startswith("harness.")})
            getattr(finder, "_marked_for_rewrite_cache", {}).clear()


_do_not_rewrite_the_harness()


def pytest_addoption(parser: Any) -> None:
    """--seed, --backend, --scenario-report; the ini defaults of the `sim` fixture."""
    from harness.fuzz.fixtures import INI
    for name, help_text in INI.items():
        parser.addini(name, help_text, default="")
    group = parser.getgroup("lambda-harness", "Lambda harness scenarios")
    group.addoption("--seed", type=int, default=None, help="run every scenario with this seed")
    group.addoption("--backend", default=None, help="run every scenario on this backend (moto, moto-server, ...)")
    group.addoption("--scenario-report", metavar="DIR", default=None,
                    help="write junit.xml, index.html and results.json of the scenarios run into DIR")


def pytest_collect_file(file_path: Path, parent: Any) -> Any | None:
    """A YAML file under a `scenarios` folder, or given on the command line, is a scenario file."""
    from harness.scenario.discover import is_scenario_file
    if not is_scenario_file(file_path):
        return None
    if "scenarios" in file_path.parts[:-1] or parent.session.isinitpath(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """One scenario file; its single item is named after the scenario."""

    def collect(self) -> Any:
        """Yield the scenario's item (named from the file's `name`, or the file stem when it has none)."""
        import yaml
        name = self.path.stem
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("name"), str) and data["name"].strip():
                name = data["name"].strip()
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            pass  # the item reports the located load error when it runs
        yield ScenarioItem.from_parent(self, name=name)


class ScenarioFailed(Exception):
    """A scenario ran and did not pass."""

    def __init__(self, result: Any):
        super().__init__(result.report())
        self.result = result


_settled = False  # this process's warm heap is left out of the collector's passes (after its first scenario)


def _settle_after_first_run() -> None:
    """After the process's first scenario, leave what exists (imports, models, caches the run warmed) out of later
    garbage collections, as `harness run` does for its batches (harness/runner/heap.py): otherwise every second run
    or so pays a full pass over the whole warm heap (75-115 ms against a run of 30-90 ms). Each later run then
    frees its garbage when it ends, as a batch's runs do (`heap.run_ended`, called by `run_scenario`)."""
    global _settled
    from harness.runner import heap
    if not _settled:
        heap.settle()
        _settled = True


class ScenarioItem(pytest.Item):
    """Loads and runs one scenario."""

    def runtest(self) -> None:
        """Load (bad input fails with the located problems) and run; fail with the scenario's report."""
        from harness.scenario import load_scenario, run_scenario
        config = self.config
        scenario = load_scenario(_shown(self.path, config.invocation_params.dir))
        result = run_scenario(scenario, seed=config.getoption("--seed"), backend=config.getoption("--backend"))
        _settle_after_first_run()
        if config.getoption("--scenario-report"):
            self.user_properties.append((_RESULT_KEY, json.dumps(result.to_dict(), default=str)))
        self.user_properties.append(("trace_hash", result.trace_hash))
        self.user_properties.append(("seed", result.seed))
        if result.status == "skipped":
            pytest.skip(result.skip_reason or "skipped")
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:
        """The scenario's own report instead of a Python traceback."""
        from harness.errors import InputError
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        if isinstance(excinfo.value, InputError):
            return f"bad scenario file:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Any, int, str]:
        """Where the test lives, for pytest's headers."""
        return self.path, 0, f"scenario: {self.name}"


def _shown(path: Path, start: Path) -> Path:
    """The path relative to where pytest was started (short replay commands), when it is below it."""
    try:
        return path.relative_to(start)
    except ValueError:
        return path


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: Any) -> None:
    """Register the `harness` marker and, before hypothesis loads a profile, the `ci` and `fuzz` profiles."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1...: each worker's simulations take their own core
    if worker[2:].isdigit():
        from harness import affinity
        affinity.prefer(int(worker[2:]))
    from harness.fuzz.fixtures import MARKER_HELP
    from harness.fuzz.profiles import PROFILES, register_profiles
    config.addinivalue_line("markers", MARKER_HELP)
    try:
        wanted = config.getoption("--hypothesis-profile")
    except ValueError:  # hypothesis's plugin is not loaded
        wanted = None
    if wanted in PROFILES:
        register_profiles()


@pytest.fixture
def sim(request: Any) -> Any:
    """A started Simulation from the test's `@pytest.mark.harness(template=..., seed=..., faults=[...],
    backend=..., parameters=...)`, else from the ini options `harness_template`, `harness_seed`,
    `harness_backend`; stopped after the test."""
    from harness.fuzz.fixtures import sim_settings
    with sim_settings(request.node, request.config).simulation() as simulation:
        yield simulation


@pytest.fixture
def faults(sim: Any) -> Any:
    """Add and heal fault rules of the running `sim` mid-test: `faults.add({...})`, `faults.heal("id")`,
    `faults.fired("id")`."""
    from harness.fuzz.fixtures import Faults
    return Faults(sim)


def pytest_runtest_logreport(report: Any) -> None:
    """Gather results that items attached to their reports (works across xdist workers)."""
    if report.when != "call":
        return
    for key, value in getattr(report, "user_properties", []):
        if key == _RESULT_KEY:
            _PENDING.append(json.loads(value))


_PENDING: list[dict] = []


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Write the scenario reports (controller only; workers send their results with their reports)."""
    folder = session.config.getoption("--scenario-report")
    if not folder or hasattr(session.config, "workerinput"):
        return
    if not _PENDING:
        return
    from harness.scenario.report import write_reports
    results = sorted(_PENDING, key=lambda r: (r["file"], r["name"]))
    written = write_reports(results, folder, "Scenario run (pytest)")
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"scenario reports: {written['html']}, {written['junit']}")
    _PENDING.clear()
