"""The exploration workflow spreads explore and chaos over a matrix with `--shard i/N` and merges the reports."""
import re
from pathlib import Path

import yaml

WORKFLOW = Path(__file__).parents[1] / ".github" / "workflows" / "exploration.yml"


def test_every_shard_of_the_matrix_runs_explore_and_chaos_and_one_job_merges_them():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    shards = shard["strategy"]["matrix"]["shard"]
    runs = " ".join(step.get("run", "") for step in shard["steps"])
    for command in ("explore", "chaos"):
        found = re.search(rf"-m harness {command} .*?--shard \$\{{\{{ matrix.shard \}}\}}/(\d+)", runs, re.DOTALL)
        assert found and int(found.group(1)) == len(shards) and shards == list(range(1, len(shards) + 1))
    assert merge["needs"] == "shard" and merge["if"] == "always()"
    assert "-m harness report merge" in " ".join(step.get("run", "") for step in merge["steps"])
