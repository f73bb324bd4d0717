"""The garbage collector during a batch of runs. A warm process holds a large heap that lives as long as it does
(the harness, botocore's and moto's models, loaded scenarios, compiled handler code), and the collector's full
passes traverse all of it: about a third of a short run's CPU. Freezing it (gc.freeze) leaves it out of every
pass, and a forked process then leaves its parent's pages shared instead of writing into them while collecting.
What is frozen is never freed while frozen, so a batch freezes only what exists before its runs and after its
first one (the imports and caches a run warms), and unfreezes when it ends; garbage made by later runs is
collected as usual.

A settled heap also collects its youngest generation less often (`YOUNG`, docs/performance.md "The run loop"):
what a run leaves behind is mostly its execution environments' module namespaces and client classes (cyclic:
freed only by the collector), which at CPython's default of 700 were traversed by several young and middle
passes before a full one freed them.

And a settled batch frees each run's garbage when the run ends (`run_ended`): the simulation has stopped, so its
execution environments (module namespaces, classes, functions, clients) are garbage, and still young. One
collection of the young generations then traverses them once and frees them, instead of a middle collection
every ~20 runs traversing the garbage of all of them (after young ones traversed it while it was alive) and
promoting what a run still held to the old generation, where only a full collection frees it. What a run's end
could not free (a registry holding the last run's objects until the next run replaces them) is freed by a full
collection every `FULL_EVERY` runs, or every quarter of the runs made so far when that is more (the old
generation holds what the batch keeps: a serial batch's results), but at least every `FULL_AT_MOST` runs (a kept
worker serves batch after batch).

Seventh wave: the run-end collection is part of the run (`harness.scenario.run_scenario` calls `run_ended` once
the simulation stopped and the run's library state is restored, and counts it in the run's `wall_seconds`), so
every warm path does the same: `run_jobs`'s serial batches, forked and kept workers, the pytest plugin and a bare
`run_scenario` in a settled process (the bench's warm figures). While a scenario runs in a settled process
(`during_run`) the young generation is collected every `RUN_YOUNG` allocations: a time-heavy replies run makes
13,000-16,000 net container allocations, mostly its execution environments, which the young passes at `YOUNG`
traversed while alive and the run-end pass traversed again; a run that allocates more is still collected during
it, every `RUN_YOUNG` allocations, and its middle generation after no more allocations than between runs
(docs/performance.md, "The collector during a run, seventh wave")."""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG = 5_000  # container allocations between young collections once settled (CPython's default: 700)
RUN_YOUNG = 20_000  # the same while a scenario runs in a settled process (its run-end collection follows)
FULL_EVERY, FULL_AT_MOST = 20, 200  # runs ended between two full collections of a settled process: bounds
COLLECT_AT_RUN_END = True  # False: `run_ended` and `during_run` do nothing (bench/gc_costs.py compares policies)


class _Batch:
    """Runs ended since the heap was settled, and since the last full collection."""

    settled = False
    runs = 0
    since_full = 0


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Leave what exists now out of garbage collections until the block ends (an enclosing freeze is kept), and
    give the collector back its thresholds (and the process its settled state) at the end."""
    enclosed = gc.get_freeze_count() > 0
    thresholds, settled = gc.get_threshold(), _Batch.settled
    gc.freeze()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        _Batch.settled = settled
        if not enclosed:
            gc.unfreeze()


def settle(collect: bool = False) -> None:
    """What exists now is long-lived (a first run's imports, models and caches): leave it out of later passes, and
    collect the young generation every `YOUNG` allocations (unless collection is off or already rarer).
    `collect` frees this moment's garbage first (before a fork, so no process inherits it)."""
    if collect:
        gc.collect()
    gc.freeze()
    young, *older = gc.get_threshold()
    if 0 < young < YOUNG:
        gc.set_threshold(YOUNG, *older)
    _Batch.settled, _Batch.runs, _Batch.since_full = True, 0, 0


@contextlib.contextmanager
def during_run() -> Iterator[None]:
    """A scenario runs in the block: in a settled, collecting process its young generation is collected every
    `RUN_YOUNG` allocations and its middle one after no more allocations than between runs (a long run's garbage
    stays bounded as before); the thresholds are given back at the end (unless the block changed them)."""
    thresholds = gc.get_threshold()
    young, middle, old = thresholds
    raised = (_Batch.settled and COLLECT_AT_RUN_END and gc.isenabled() and 0 < young < RUN_YOUNG)
    if raised:
        gc.set_threshold(RUN_YOUNG, max(1, young * middle // RUN_YOUNG), old)
    try:
        yield
    finally:
        if raised and gc.get_threshold()[0] == RUN_YOUNG:
            gc.set_threshold(*thresholds)


def run_ended() -> None:
    """A run in a settled process ended (its simulation stopped, its library state restored, its result made): free
    its garbage while it is young, and now and then what earlier runs' ends left to the old generation. Nothing
    unless settled and collecting. Called by `run_scenario`, which counts it in the run's wall time."""
    if not (_Batch.settled and COLLECT_AT_RUN_END and gc.isenabled()):
        return
    _Batch.runs += 1
    _Batch.since_full += 1
    if _Batch.since_full >= max(FULL_EVERY, min(_Batch.runs // 4, FULL_AT_MOST)):
        _Batch.since_full = 0
        gc.collect()
    else:
        gc.collect(1)
