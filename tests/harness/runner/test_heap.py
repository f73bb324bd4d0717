"""A batch of runs freezes the warm heap out of garbage collections while it runs, then leaves the collector as
it found it; runs made in the frozen heap report exactly what runs made outside it report."""
import gc
from pathlib import Path

from harness.runner import Job, run_jobs
from harness.runner.job import execute

SCENARIO = Path(__file__).resolve().parents[3] / "scenarios" / "messages" / "send_fails_rolls_back.yaml"


def _facts(result):
    return result.status, result.trace_hash, result.report()


def test_serial_runs_in_a_frozen_heap_report_what_unfrozen_runs_report():
    assert gc.get_freeze_count() == 0
    unfrozen = [execute(Job(SCENARIO, seed=seed)) for seed in (3, 4, 5)]
    batch = run_jobs([Job(SCENARIO, seed=seed) for seed in (3, 4, 5)], workers=1)
    assert [_facts(r) for r in batch] == [_facts(r) for r in unfrozen]
    assert gc.get_freeze_count() == 0  # the batch unfroze what it froze


def test_a_batch_inside_a_frozen_heap_keeps_the_enclosing_freeze():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        run_jobs([Job(SCENARIO, seed=seed) for seed in (1, 2)], workers=1)
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()


def test_a_settled_batch_collects_its_young_generation_less_often_and_gives_the_thresholds_back():
    from harness.runner import heap
    before = gc.get_threshold()
    seen = []
    run_jobs([Job(SCENARIO, seed=seed) for seed in (1, 2)], workers=1,
             on_result=lambda job, result: seen.append(gc.get_threshold()[0]))
    assert seen == [before[0], heap.YOUNG]  # settled after its first run
    assert gc.get_threshold() == before


def test_settling_keeps_a_collector_that_is_off_or_already_rarer():
    from harness.runner import heap
    before = gc.get_threshold()
    try:
        for young in (0, heap.YOUNG * 2):
            gc.set_threshold(young, *before[1:])
            with heap.long_lived():
                heap.settle()
                assert gc.get_threshold()[0] == young
    finally:
        gc.set_threshold(*before)
