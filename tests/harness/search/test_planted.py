"""Proof on planted bugs (tests/planted/): each broken copy of a shipped handler passes its scenario on the
default seed and fault plan; chaos finds the bug within a small budget, shrinks it to at most 3 rules and
writes a scenario that replays it, from its YAML alone, with the same trace hash."""
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.search.chaos import Options, search
from harness.search.shard import Shard

from .conftest import PLANTED

# A small budget per bug (runs of generated plans), enough for the search seed used here.
# Measured with search seed 0: found after 27, 11, 21 and 37 runs.
BUDGET = {"messages_send_failure_not_rolled_back": 32, "earnings_access_denied_retried": 16,
          "twin_connector_retries_client_errors": 24, "replies_twilio_client_errors_retried": 40}
# What each bug breaks: the invariant chaos must catch it with.
CAUGHT_BY = {"messages_send_failure_not_rolled_back": "invariant no_orphaned_queued",
             "earnings_access_denied_retried": "invariant client_errors_not_retried",
             "twin_connector_retries_client_errors": "invariant client_errors_not_retried",
             "replies_twilio_client_errors_retried": "invariant client_errors_not_retried"}


def test_there_are_at_least_four_planted_bugs():
    assert sorted(p.parent.name for p in PLANTED.glob("*/bug.yaml")) == sorted(BUDGET)


def _harness(*args: str) -> subprocess.CompletedProcess:
    # A fresh interpreter, as a user runs it. In-process, after the other tests of a `make test` worker, the replies
    # search still found its bug later than in a fresh interpreter (not within 40 runs vs after 37): some state
    # left in the process still changes what a search sees (a known defect, noted on issue 14; the per-container
    # Powertools isolation fixed one cause, not all).
    return subprocess.run([sys.executable, "-m", "harness", *args], check=False, capture_output=True, text=True,
                          timeout=900,
                          cwd=Path(__file__).resolve().parents[3])


@pytest.mark.parametrize("bug", sorted(BUDGET))
def test_chaos_finds_each_planted_bug_and_shrinks_it_to_a_replayable_scenario(bug, tmp_path, planted):
    found_dir = tmp_path / "found"
    search_run = _harness("chaos", str(planted(bug)), "--budget", str(BUDGET[bug]), "--seed", "0", "--workers", "1",
                          "--found-dir", str(found_dir))
    assert search_run.returncode == 1 and "FAILURE FOUND" in search_run.stdout, search_run.stdout + search_run.stderr
    assert "shrunk to" in search_run.stdout
    (found,) = found_dir.glob(f"{bug}-*.yaml")
    text = found.read_text()
    assert f"# fails: {CAUGHT_BY[bug]}" in text and "replay: python -m harness replay" in text
    generated = [rule for rule in yaml.safe_load(text)["faults"] if rule["id"].startswith("chaos-")]
    assert 1 <= len(generated) <= 3
    hashes = set()
    for _ in range(2):  # the found file alone replays the failure, with one trace hash
        replay = _harness("replay", str(found))
        assert replay.returncode == 1, replay.stdout + replay.stderr
        hashes |= set(re.findall(r"trace hash: ([0-9a-f]{16})", replay.stdout))
    assert len(hashes) == 1
    print(f"{bug}: {search_run.stdout.splitlines()[1].strip()}")


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

