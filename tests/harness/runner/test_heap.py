"""A batch of runs freezes the warm heap out of garbage collections while it runs, then leaves the collector as
it found it; runs made in the frozen heap report exactly what runs made outside it report. In a settled process a
scenario's run collects its young generation rarely while it runs (still bounded) and frees its own garbage by its
end, inside its measured wall time."""
import gc
import itertools
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
    kept = [object()]  # tracked by the collector; frozen below (the count itself falls as frozen objects die)
    gc.freeze()
    try:
        run_jobs([Job(SCENARIO, seed=seed) for seed in (1, 2)], workers=1)
        assert gc.get_freeze_count() > 0
        assert not any(tracked is kept for tracked in gc.get_objects())  # still frozen: in no generation
    finally:
        gc.unfreeze()
    assert any(tracked is kept for tracked in gc.get_objects())


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


PROBE = Path(__file__).resolve().parent / "fixtures" / "probe" / "template.yaml"
PROBE_RUN = """name: probe_garbage
system: {system}
steps:
  - invoke: {{function: Probe, payload: {{path: "{path}", cycles: {cycles}}}}}
expect:
  - invocations: {{function: Probe, count: 1, outcomes: {{success: 1}}}}
"""


def _probe_scenario(tmp_path: Path, cycles: int = 0) -> tuple[Path, Path]:
    """A scenario invoking the probe once (making `cycles` cyclic garbage lists), and the file its environment's
    finalizers write to."""
    finalized = tmp_path / "finalized.txt"
    scenario = tmp_path / "probe.yaml"
    scenario.write_text(PROBE_RUN.format(system=PROBE, path=finalized, cycles=cycles), encoding="utf-8")
    return scenario, finalized


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def test_each_later_run_of_a_batch_frees_its_environment_before_its_result_and_its_finalizers_see_their_globals(
        tmp_path):
    scenario, finalized = _probe_scenario(tmp_path)
    freed_by_each_result = []
    results = run_jobs([Job(scenario, seed=seed) for seed in range(6)], workers=1,
                       on_result=lambda job, result: freed_by_each_result.append(len(_lines(finalized))))
    assert [result.status for result in results] == ["passed"] * 6
    # The first run settles the heap (its garbage is frozen with what it warmed); each later run's environment is
    # freed by the end of that run, before its result is reported.
    assert freed_by_each_result == [0, 1, 2, 3, 4, 5]
    gc.collect()  # the first run's, unfrozen with the batch's end
    assert _lines(finalized) == ["globals intact"] * 6  # finalizers ran with their module's globals in place


def test_a_batch_with_the_collection_at_run_end_off_reports_what_it_reports_on():
    from harness.runner import heap
    jobs = [Job(SCENARIO, seed=seed) for seed in (1, 2, 3)]
    on = run_jobs(jobs, workers=1)
    heap.COLLECT_AT_RUN_END = False
    try:
        off = run_jobs(jobs, workers=1)
    finally:
        heap.COLLECT_AT_RUN_END = True
    assert [_facts(r) for r in on] == [_facts(r) for r in off]


def test_a_full_collection_comes_every_full_every_runs_then_every_quarter_of_the_runs_made_at_most_full_at_most(monkeypatch):
    from harness.runner import heap
    full = []
    monkeypatch.setattr(heap.gc, "collect", lambda generation=2: full.append(generation == 2))
    with heap.long_lived():
        heap.settle()
        for _ in range(2_000):
            heap.run_ended()
    at = [index + 1 for index, was_full in enumerate(full) if was_full]
    assert at[:4] == [20, 40, 60, 80]  # FULL_EVERY until a quarter of the runs is more
    gaps = [later - earlier for earlier, later in itertools.pairwise(at)]
    assert all(gap == max(heap.FULL_EVERY, min(later // 4, heap.FULL_AT_MOST))
               for gap, later in zip(gaps, at[1:], strict=True))
    assert max(gaps) == heap.FULL_AT_MOST  # a long-lived worker still collects its old generation now and then
    assert len(full) == 2_000  # every other run end collects the young generations


def test_run_ended_and_during_run_do_nothing_outside_a_settled_process_or_with_the_collector_off(monkeypatch):
    from harness.runner import heap
    calls = []
    monkeypatch.setattr(heap._Batch, "settled", False)  # as in a process that never settled (no scenario ran yet)
    monkeypatch.setattr(heap.gc, "collect", lambda generation=2: calls.append(generation))
    heap.run_ended()  # no batch
    with heap.long_lived():
        heap.run_ended()  # not settled yet
        heap.settle()
        gc.disable()
        try:
            heap.run_ended()
        finally:
            gc.enable()
    heap.run_ended()  # the batch is over
    assert calls == []
    with heap.long_lived():
        thresholds = gc.get_threshold()
        with heap.during_run():  # not settled yet
            assert gc.get_threshold() == thresholds
        heap.settle()
        gc.disable()
        try:
            with heap.during_run():
                assert gc.get_threshold()[0] == heap.YOUNG
        finally:
            gc.enable()


class _Passes:
    """Counts the collector's passes."""

    def __init__(self):
        self.count = 0

    def __call__(self, phase, info):
        if phase == "start":
            self.count += 1


def _run_settled(scenario: Path, observe=lambda sim: None):
    """One run of `scenario` in a settled process (as a batch's later runs, a kept worker's or the pytest plugin's
    run): its result, the collector's passes during it (before its end), and `observe(sim)` at its end (before the run-end
    collection)."""
    from harness.runner import heap
    from harness.scenario import load_scenario, run_scenario
    loaded = load_scenario(scenario)
    passes = _Passes()
    with heap.long_lived():
        run_scenario(loaded)  # warm
        heap.settle(collect=True)
        gc.callbacks.append(passes)
        try:
            result = run_scenario(loaded, observe=lambda sim: (passes.count, observe(sim)))
        finally:
            gc.callbacks.remove(passes)
        assert gc.get_threshold()[0] == heap.YOUNG  # given back when the run ended
    assert result.status == "passed", result.report()
    return (result, *result.observation)


def test_a_settled_run_collects_its_young_generation_every_run_young_allocations_and_gives_the_threshold_back(
        tmp_path):
    from harness.runner import heap
    scenario, _ = _probe_scenario(tmp_path)
    _, passes, (young, middle, old) = _run_settled(scenario, observe=lambda sim: gc.get_threshold())
    settled = (heap.YOUNG, *gc.get_threshold()[1:])
    assert young == heap.RUN_YOUNG
    assert passes == 0  # a run allocating less than that leaves its garbage to its end
    # Its middle generation is collected after no more allocations than between runs: a long run stays bounded.
    assert young * middle <= settled[0] * settled[1] and old == settled[2]


def test_a_settled_run_allocating_beyond_the_bound_is_still_collected_during_the_run(tmp_path):
    from harness.runner import heap
    scenario, _ = _probe_scenario(tmp_path, cycles=10 * heap.RUN_YOUNG)
    _, passes, _ = _run_settled(scenario)
    assert passes >= 9  # its garbage never waits for the run's end


def test_a_settled_run_frees_its_cyclic_garbage_by_its_end_and_counts_the_collection_in_its_wall_time(
        tmp_path, monkeypatch):
    import harness.scenario.runner as runner_module
    from harness.runner import heap
    shift = [0.0]
    real_clock, real_run_ended = runner_module.real_perf_counter, heap.run_ended
    monkeypatch.setattr(runner_module, "real_perf_counter", lambda: real_clock() + shift[0])

    def run_ended_taking_an_hour():
        real_run_ended()
        shift[0] += 3600.0  # as if the collection took an hour of the run's wall time

    monkeypatch.setattr(heap, "run_ended", run_ended_taking_an_hour)
    scenario, finalized = _probe_scenario(tmp_path)
    result, _, freed_at_its_end = _run_settled(scenario, observe=lambda sim: len(_lines(finalized)))
    assert len(_lines(finalized)) == freed_at_its_end + 1  # its environment, alive at its end, freed by the return
    assert result.wall_seconds >= 3600.0
