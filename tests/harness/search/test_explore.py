"""`python -m harness explore`: many seeds per scenario, a summary of interleavings and grouped failures."""
import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.search.explore import parse_seeds

ORDER = """
name: {name}
seed: 8
{extra}
steps:
  - invoke: {{function: PlaceOrder, payload: {{orderId: o1}}, id: place}}
expect:
  - http: {{step: place, status: {status}}}
"""


def test_seed_ranges_lists_and_single_seeds():
    assert parse_seeds("1..3,7,2") == [1, 2, 3, 7]


def test_explore_runs_every_seed_in_parallel_workers_and_summarises(shop_scenario, capsys):
    path = shop_scenario(ORDER.format(name="order", extra="", status=201))
    assert main(["explore", str(path), "--seeds", "1..4", "--workers", "2"]) == 0
    out = capsys.readouterr().out
    assert "seeds run: 4; distinct interleavings (trace hashes):" in out and "4 run(s), 0 failing" in out


def test_explore_groups_failures_and_prints_the_first_failing_seeds_replay(shop_scenario, capsys):
    path = shop_scenario(ORDER.format(name="wrong status", extra="", status=418))
    assert main(["explore", str(path), "--seeds", "5..7", "--workers", "1"]) == 1
    out = capsys.readouterr().out
    assert "3 run(s) failed expect[0] http" in out and "seeds: 5, 6, 7" in out
    assert f"replay: python -m harness replay {path} --seed 5" in out


def test_a_folder_explores_the_scenarios_that_declare_explore_seeds(shop_scenario, tmp_path, capsys):
    shop_scenario(ORDER.format(name="declared", extra="explore: {seeds: 3}", status=201), name="a.yaml")
    shop_scenario(ORDER.format(name="plain", extra="", status=201), name="b.yaml")
    assert main(["explore", str(tmp_path), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "declared" in out and "3 run(s)" in out and "skipped 1 scenario(s) without an `explore:` key" in out


def test_shards_split_the_seeds_and_report_merge_joins_their_reports(shop_scenario, tmp_path, capsys):
    path = shop_scenario(ORDER.format(name="wrong status", extra="", status=418))
    for shard in ("1/2", "2/2"):
        main(["explore", str(path), "--seeds", "1..5", "--shard", shard, "--workers", "1", "--report-dir",
              str(tmp_path / shard[0])])
    out = capsys.readouterr().out
    assert "3 run(s), 3 failing (shard 1/2)" in out and "2 run(s), 2 failing (shard 2/2)" in out
    assert main(["report", "merge", str(tmp_path / "1"), str(tmp_path / "2"), "--report-dir",
                 str(tmp_path / "merged")]) == 1
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert [r["seed"] for r in merged["results"]] == [1, 2]  # each shard's first failing seed
    assert 'tests="2"' in (tmp_path / "merged" / "junit.xml").read_text()


@pytest.mark.parametrize("argv", [["--seeds", "x..y"], ["--shard", "3/2"]])
def test_bad_explore_arguments_exit_2(shop_scenario, argv, capsys):
    path = shop_scenario(ORDER.format(name="order", extra="", status=201))
    assert main(["explore", str(path), *argv]) == 2
    assert "error:" in capsys.readouterr().out


def test_report_merge_of_a_folder_without_results_is_bad_input(tmp_path, capsys):
    assert main(["report", "merge", str(tmp_path), "--report-dir", str(tmp_path / "out")]) == 2
    assert "no results.json" in capsys.readouterr().out



def _explored(order: list[int], failing: dict[int, str]) -> list[dict]:
    """The report rows of an exploration whose runs finished in `order` (seed -> failed check for failing ones)."""
    from types import SimpleNamespace

    from harness.search.explore import Exploration, report_entries
    e = Exploration(Path("x.yaml"), "x", seeds=sorted(order))
    for seed in order:
        outcomes = [SimpleNamespace(where=failing[seed], kind="http", passed=False, expected="200", found="503")
                    ] if seed in failing else []
        row = {"seed": seed}
        e.add(SimpleNamespace(seed=seed, trace_hash=f"h{seed}", status="failed" if seed in failing else "passed",
                              outcomes=outcomes, invariants=[], error=None, to_dict=lambda row=row: dict(row)))
    return [(row["seed"], row["name"]) for row in report_entries(e)]


@pytest.mark.parametrize("failing", [{}, {4: "expect[1]", 1: "expect[0]", 5: "expect[0]"}])
def test_an_explorations_report_does_not_depend_on_which_worker_finished_first(failing):
    in_order = _explored(list(range(6)), failing)
    assert _explored([3, 4, 0, 5, 2, 1], failing) == in_order
    assert [seed for seed, _ in in_order] == ([1, 4] if failing else [0])  # each row: its lowest seed
