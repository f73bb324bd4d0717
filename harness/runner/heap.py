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
passes before a full one freed them."""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG = 5_000  # container allocations between young collections once settled (CPython's default: 700)


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Leave what exists now out of garbage collections until the block ends (an enclosing freeze is kept), and
    give the collector back its thresholds at the end."""
    enclosed = gc.get_freeze_count() > 0
    thresholds = gc.get_threshold()
    gc.freeze()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
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
