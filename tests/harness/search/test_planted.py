"""Proof on planted bugs (tests/planted/): each broken copy of a shipped handler passes its scenario on the
default seed and fault plan; chaos finds the bug within a small budget, shrinks it to at most 3 rules and
writes a scenario that replays it, from its YAML alone, with the same trace hash."""
import pytest
import yaml

from harness.scenario import load_scenario, run_scenario
from harness.search.chaos import Options, search
from harness.search.shard import Shard

from .conftest import PLANTED

# A small budget per bug (runs of generated plans), enough for the search seed used here.
# Measured with search seed 0 (in any process): found after 43, 9, 25 and 31 runs.
BUDGET = {"messages_send_failure_not_rolled_back": 48, "earnings_access_denied_retried": 12,
          "twin_connector_retries_client_errors": 28, "replies_twilio_client_errors_retried": 36}
# What each bug breaks: the invariant chaos must catch it with.
CAUGHT_BY = {"messages_send_failure_not_rolled_back": "invariant no_orphaned_queued",
             "earnings_access_denied_retried": "invariant client_errors_not_retried",
             "twin_connector_retries_client_errors": "invariant client_errors_not_retried",
             "replies_twilio_client_errors_retried": "invariant client_errors_not_retried"}


def test_there_are_at_least_four_planted_bugs():
    assert sorted(p.parent.name for p in PLANTED.glob("*/bug.yaml")) == sorted(BUDGET)


@pytest.mark.parametrize("bug", sorted(BUDGET))
def test_chaos_finds_each_planted_bug_and_shrinks_it_to_a_replayable_scenario(bug, tmp_path, planted):
    # In this process, after whatever other tests of the worker ran: a search sees what it sees in a fresh
    # interpreter (each execution environment has its own modules and library state; plans are drawn from the
    # search seed alone: tests/harness/search/test_seeded.py).
    found = search(planted(bug), Options(budget=BUDGET[bug], seed=0, workers=1, found_dir=tmp_path / "found"))
    assert found.failure is not None and found.found is not None, f"not found within {BUDGET[bug]} runs"
    assert found.found.name.startswith(f"{bug}-")
    text = found.found.read_text()
    assert f"# fails: {CAUGHT_BY[bug]}" in text and "replay: python -m harness replay" in text
    generated = [rule for rule in yaml.safe_load(text)["faults"] if rule["id"].startswith("chaos-")]
    assert 1 <= len(generated) <= 3
    replays = [run_scenario(load_scenario(found.found)) for _ in range(2)]  # the found file alone replays it
    assert [r.status for r in replays] == ["failed", "failed"], replays[0].report()
    assert replays[0].trace_hash == replays[1].trace_hash
    print(f"{bug}: found after {found.runs_to_find} run(s)")


def test_the_same_search_seed_gives_the_same_search(tmp_path, planted):
    path = planted("earnings_access_denied_retried")
    first = search(path, Options(budget=16, found_dir=tmp_path / "a", workers=1))
    again = search(path, Options(budget=16, found_dir=tmp_path / "b", workers=1))
    assert first.runs_to_find == again.runs_to_find and first.failure[0].key == again.failure[0].key
    assert first.found.read_text() == again.found.read_text().replace(str(tmp_path / "b"), str(tmp_path / "a"))


def test_a_shard_searches_its_own_part_of_the_budget(tmp_path, planted):
    path = planted("twin_connector_retries_client_errors")
    part = search(path, Options(budget=3, shard=Shard(2, 3), found_dir=tmp_path, seed=1, workers=1))
    assert part.runs <= 1

