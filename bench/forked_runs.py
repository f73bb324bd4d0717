"""Where a run forked from a snapshot spends its CPU, against a fresh run in the same warm process (docs/performance.md,
"Fork-fast runs"). Measured in one process, alternating, so both share the machine's load:

    python bench/forked_runs.py [SCENARIO] [RUNS] [ROUNDS]

Prints CPU milliseconds and minor page faults per run (this process and its forked children) for: a fresh run;
a forked run taking its copy-on-write faults one by one; a forked run whose pages are copied up front
(harness/runner/prefault.py); a bare fork and exit of the same process; and what one copy-on-write fault and one
page copied by MADV_POPULATE_WRITE cost on this machine.
"""
from __future__ import annotations

import mmap
import os
import resource
import statistics
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.clock import resident_time
from harness.runner import Job, heap, prefault
from harness.runner.job import execute
from harness.runner.snapshot import Snapshot


def usage() -> tuple[float, int]:
    """CPU seconds and minor faults of this process and its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, own.ru_minflt + children.ru_minflt)


def per_run(work, runs: int) -> tuple[float, float]:
    """(CPU ms, minor faults) per call of `work(i)`, for i in range(runs)."""
    cpu, faults = usage()
    for i in range(runs):
        work(i)
    after = usage()
    return (after[0] - cpu) * 1e3 / runs, (after[1] - faults) / runs


def bare_fork(_: int) -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0)
    os.waitpid(pid, 0)


def page_costs(pages: int = 8000) -> dict[str, float]:
    """µs per page written after a fork: one copy-on-write fault each, or copied up front in one madvise call."""
    import ctypes
    memory = mmap.mmap(-1, pages * mmap.PAGESIZE, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    for page in range(pages):
        memory[page * mmap.PAGESIZE] = 1
    at = ctypes.addressof(ctypes.c_char.from_buffer(memory))
    out = {}
    for name, up_front in (("cow_fault_us", False), ("populate_us", True)):
        def child(_: int, up_front: bool = up_front) -> None:
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child
                if up_front:
                    prefault.copy([(at, at + pages * mmap.PAGESIZE)])
                else:
                    for page in range(pages):
                        memory[page * mmap.PAGESIZE] = 2
                os._exit(0)
            os.waitpid(pid, 0)
        baseline = per_run(bare_fork, 5)[0]
        out[name] = (per_run(child, 5)[0] - baseline) * 1e3 / pages
    return out


def main() -> None:
    path = ROOT / (sys.argv[1] if len(sys.argv) > 1 else "scenarios/messages/send_fails_rolls_back.yaml")
    runs, rounds = (int(sys.argv[2]) if len(sys.argv) > 2 else 10), (int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    warnings.simplefilter("ignore")
    figures: dict[str, list[tuple[float, float]]] = {}
    with heap.long_lived(), resident_time():
        execute(Job(path))
        heap.settle(collect=True)
        for _ in range(rounds):
            figures.setdefault("fresh run", []).append(per_run(lambda i: execute(Job(path, seed=i)), runs))
            snapshot = Snapshot(path)
            try:
                snapshot.run(Job(path, seed=runs))  # learns the pages a run writes
                learnt = snapshot.pages_written
                for name, enabled in (("forked, one fault per page", False), ("forked, pages copied up front", True)):
                    prefault.ENABLED = enabled
                    figures.setdefault(name, []).append(per_run(lambda i, s=snapshot: s.run(Job(path, seed=i)), runs))
                prefault.ENABLED = True
                figures.setdefault("bare fork + exit", []).append(per_run(bare_fork, runs))
            finally:
                snapshot.close()
    print(f"{path.relative_to(ROOT)}: {runs} runs x {rounds} rounds; pages a run writes (learnt): "
          f"{sum(end - start for start, end in learnt or []) // mmap.PAGESIZE:,}")
    for name, samples in figures.items():
        cpu = statistics.median(c for c, _ in samples)
        faults = statistics.median(f for _, f in samples)
        print(f"  {name:32s} {cpu:6.1f} ms CPU  {faults:7,.0f} minor faults   (rounds: "
              f"{', '.join(f'{c:.1f}' for c, _ in samples)} ms)")
    costs = page_costs()
    print(f"  one copy-on-write fault {costs['cow_fault_us']:.2f} µs; one page copied up front "
          f"{costs['populate_us']:.2f} µs")


if __name__ == "__main__":
    main()
