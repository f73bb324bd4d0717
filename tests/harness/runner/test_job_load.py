"""A scenario loaded for one run is used again by the next run of the same file only while nothing it was read
from changed: the scenario file, its template and snippets, `_system.yaml`, payload files."""
import os
import shutil
from pathlib import Path

import pytest

from harness.runner import Job, run_jobs
from harness.runner.job import load
from harness.scenario import ScenarioError, load_scenario

HERE = Path(__file__).resolve().parent
SHOP = HERE.parent / "scenario" / "fixtures" / "shop"


@pytest.fixture
def shop(tmp_path, write_order):
    """A copy of the shop fixture system (template and code) that a test may edit, and a scenario of it."""
    shutil.copytree(SHOP, tmp_path / "shop")
    return write_order(tmp_path / "order.yaml", "order", tmp_path / "shop" / "template.yaml")


def _rewrite(path: Path, text: str) -> None:
    """Write `text` and put the file's mtime back: only its content (and ctime) says it changed."""
    before = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_an_unchanged_scenario_is_loaded_once(shop):
    assert load(shop) is load(shop)
    assert load(shop).name == "order"


def test_a_scenario_rewritten_with_the_same_size_and_mtime_is_read_again(shop):
    assert load(shop).name == "order"
    _rewrite(shop, shop.read_text().replace("name: order", "name: other"))
    assert load(shop).name == "other"


def test_a_broken_scenario_keeps_its_file_and_line_and_its_fix_is_seen(shop):
    good = shop.read_text()
    _rewrite(shop, good.replace("run_until_idle", "run_until_idel"))
    refused = load(shop)
    assert isinstance(refused, ScenarioError) and f"{shop}:7:5:" in str(refused)
    assert load(shop) is refused
    _rewrite(shop, good)
    assert load(shop).name == "order"
    _rewrite(shop, good.replace("run_until_idle", "run_until_idel"))
    assert f"{shop}:7:5:" in str(load(shop))


def test_an_edited_template_is_seen_by_the_scenario_loaded_from_it(shop):
    shop.write_text(shop.read_text().replace("steps:", "setup:\n  messages:\n    Extra: [x]\nsteps:"))
    assert "Extra" in str(load(shop))  # no such queue yet
    template = shop.parent / "shop" / "template.yaml"
    template.write_text(template.read_text().replace(
        "Resources:\n", "Resources:\n  Extra:\n    Type: AWS::SQS::Queue\n"))
    scenario = load(shop)
    assert not isinstance(scenario, ScenarioError), scenario
    assert "Extra" in scenario.catalog.names["queue"]


def test_a_system_defaults_file_that_appears_or_changes_is_seen(shop):
    assert load(shop).defaults is None
    defaults = shop.parent / "_system.yaml"
    defaults.write_text("invariants:\n  no_duplicates: {}\n", encoding="utf-8")
    assert list(load(shop).defaults.invariants) == ["no_duplicates"]
    _rewrite(defaults, "invariants:\n  no_duplicate: {}\n")  # a typo, refused with its line
    assert f"{defaults}:2:" in str(load(shop))


def test_a_payload_file_that_is_fixed_is_seen(shop):
    payload = shop.parent / "order.json"
    payload.write_text('{"orderId": ', encoding="utf-8")
    shop.write_text(shop.read_text().replace("payload: {orderId: o1}, id: place", "payload_file: order.json"))
    assert "not valid JSON" in str(load(shop))
    payload.write_text('{"orderId": 1}', encoding="utf-8")
    assert not isinstance(load(shop), ScenarioError)


def comparable(result) -> dict:
    data = result.to_dict()
    data.pop("wall_seconds")
    return data


def test_runs_of_a_kept_scenario_are_the_runs_of_a_freshly_loaded_one(shop):
    kept = run_jobs([Job(shop, seed=1), Job(shop, seed=2), Job(shop, seed=1)], workers=1)
    assert comparable(kept[0]) == comparable(kept[2])  # the second run left nothing in the scenario
    from harness.scenario import run_scenario
    fresh = run_scenario(load_scenario(shop), seed=1)
    assert comparable(fresh) == comparable(kept[0])


def test_a_snippet_of_a_template_cached_before_the_scenario_was_loaded_is_still_one_of_its_files(shop):
    from harness.template import load_template
    template = shop.parent / "shop" / "template.yaml"
    snippet = shop.parent / "shop" / "extra.yaml"
    snippet.write_text("Type: AWS::SNS::Topic\n", encoding="utf-8")
    template.write_text(template.read_text().replace("Resources:\n", "Resources:\n  Extra:\n    Fn::Transform: "
                                                     "{Name: AWS::Include, Parameters: {Location: extra.yaml}}\n"))
    load_template(template)  # cached by an earlier simulation: the scenario's load finds it there
    shop.write_text(shop.read_text().replace("steps:", "setup:\n  messages:\n    Extra: [x]\nsteps:"))
    assert "Extra" in str(load(shop))  # a topic, not a queue
    snippet.write_text("Type: AWS::SQS::Queue\n", encoding="utf-8")
    assert not isinstance(load(shop), ScenarioError)


def _parent_runs(monkeypatch) -> list[Path]:
    """The paths `run_jobs` runs in this (the parent) process from now on."""
    from harness import runner
    ran: list[Path] = []
    real = runner.execute

    def execute(job, *args, **kwargs):
        ran.append(job.path)
        return real(job, *args, **kwargs)
    monkeypatch.setattr(runner, "execute", execute)
    return ran


def test_a_batch_of_a_scenario_this_process_already_ran_forks_its_workers_without_running_it_here(shop, monkeypatch):
    run_jobs([Job(shop)], workers=1)
    ran_here = _parent_runs(monkeypatch)
    results = run_jobs([Job(shop, seed=seed) for seed in range(4)], workers=2)
    assert [r.seed for r in results] == [0, 1, 2, 3] and all(r.passed for r in results)
    assert ran_here == []


def test_a_batch_of_a_scenario_changed_since_it_ran_here_runs_it_here_first(shop, monkeypatch):
    run_jobs([Job(shop)], workers=1)
    _rewrite(shop, shop.read_text().replace("name: order", "name: other"))
    ran_here = _parent_runs(monkeypatch)
    results = run_jobs([Job(shop, seed=seed) for seed in range(4)], workers=2)
    assert all(r.passed and r.name == "other" for r in results)
    assert ran_here == [shop]
