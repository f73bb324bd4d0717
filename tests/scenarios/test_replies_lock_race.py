"""The conversation lock under many interleavings: the three-channel race scenario passes for every seed
(never two holders at once, every message stored once), and the seeds do explore different interleavings.

The seeds run in this process, after whatever other tests of the worker did (the replies handler tests import
the same modules and configure the same Powertools logger outside any simulation): each execution environment
has its own modules and Powertools state, so nothing the host process holds changes what a run sees. Only
virtual time is involved: no wall-clock limit.
"""
from pathlib import Path

from harness.scenario import load_scenario, run_scenario

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "replies" / \
    "three_channels_race_for_one_lock_exactly_one_holder.yaml"
SEEDS = [3, 4, 5, 6, 10]  # seed 10 runs the three batches one after the other, the others contend


def _contended(sim) -> bool:
    return any("Conversation lock held by another batch" in e.data.get("message", "") for e in sim.trace.of("log"))


def test_exactly_one_lock_holder_under_every_seed_and_some_seeds_contend():
    scenario = load_scenario(SCENARIO)
    results = [run_scenario(scenario, seed=seed, observe=_contended) for seed in SEEDS]
    failed = [(r.seed, r.status, r.report()) for r in results if r.status != "passed"]
    assert not failed, f"seeds that broke the lock: {failed}"
    assert len({r.trace_hash for r in results}) == len(SEEDS)
    assert any(r.observation for r in results), "no seed made two batches contend for the lock"
    assert not all(r.observation for r in results), "every seed contended: the seeds explore one ordering only"
