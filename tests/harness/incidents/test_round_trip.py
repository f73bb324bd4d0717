"""The round trip on the scenario library: run, export the logs (filter-log-events JSON, events logged as
Powertools' log_event=True does), import them, run the imported scenario: it fires the same fault kinds on the
same calls (same counts) and ends with the same invocation outcomes per function.

What logs cannot tell is carried over as an on-call engineer would give it (`--setup`): the data before the
incident (setup without queued messages, which the logs do show), the third-party mocks, template parameters,
and the seed. With more than FAST_LIMIT scenarios, `make test` runs a deterministic subset (every n-th file) and
the whole library runs behind `@pytest.mark.slow` (`make fuzz`)."""
from collections import Counter
from pathlib import Path

import pytest
import yaml

from harness.incidents.export import run_and_export, write_export
from harness.incidents.importer import import_incident
from harness.scenario import load_scenario, run_scenario
from harness.scenario.discover import discover

LIBRARY = Path(__file__).resolve().parents[3] / "scenarios"
FAST_LIMIT = 20
SCENARIOS = discover([LIBRARY])
STRIDE = max(1, -(-len(SCENARIOS) // FAST_LIMIT))
FAST = SCENARIOS[::STRIDE]


def _ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(LIBRARY)) for p in paths]


def signature(result) -> tuple[Counter, Counter]:
    """(fault kinds on calls, invocation outcomes per function) of a run."""
    faults = Counter((e["effect"], e.get("service"), e.get("operation"), e.get("function"), e.get("host"))
                     for e in result.events if e["kind"] == "fault")
    outcomes = Counter((e["function"], e["status"]) for e in result.events if e["kind"] == "invoke_end")
    return faults, outcomes


def round_trip(path: Path, tmp_path: Path):
    original, events = run_and_export(path, log_events=True)
    files = write_export(events, "cloudwatch-json", tmp_path / "logs")
    raw = yaml.safe_load(path.read_text())
    known = {k: raw[k] for k in ("setup", "http_mocks", "parameters") if raw.get(k)}
    if isinstance(known.get("setup"), dict):
        known["setup"] = {k: v for k, v in known["setup"].items() if k != "messages"}
    (tmp_path / "setup.yaml").write_text(yaml.safe_dump(known))
    out = tmp_path / "imported.yaml"
    imported = import_incident(Path(load_scenario(path).template), [str(f) for f in files],
                               setup=tmp_path / "setup.yaml", out=out, seed=original.seed)
    out.write_text(imported.text)
    return original, run_scenario(load_scenario(out)), imported


def check(path: Path, tmp_path: Path) -> None:
    original, again, imported = round_trip(path, tmp_path)
    assert original.status != "error", original.error
    faults, outcomes = signature(original)
    faults_again, outcomes_again = signature(again)
    context = f"{path}\n{imported.text}\n{again.report()}"
    assert faults_again == faults, context
    assert outcomes_again == outcomes, context


@pytest.mark.parametrize("path", FAST, ids=_ids(FAST))
def test_round_trip_reproduces_faults_and_outcomes(path, tmp_path):
    check(path, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=_ids(SCENARIOS))
def test_round_trip_on_the_whole_library(path, tmp_path):
    check(path, tmp_path)


def test_the_library_is_not_empty():
    assert len(SCENARIOS) >= 9
