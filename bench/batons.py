"""The scheduler's hand-off, measured alone: a driver gives a task thread the baton and waits for it back (two
hand-offs per round trip, as a warm no-op invocation pays), with the harness's lock and pipe batons, and with a
greenlet switch when greenlet is importable (it is not a dependency: `pip install greenlet` in a scratch venv).

    python bench/batons.py [ROUNDS]

Also shows why greenlets do not keep the harness's guarantees: two invocations interleaved as greenlets on one
thread share its `threading.local` (where botocore, Powertools and the harness keep per-invocation state).
"""
from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from harness.baton import LockBaton, PipeBaton


def threads(kind: type, rounds: int) -> tuple[float, float]:
    """(wall, CPU) microseconds per round trip between two threads on `kind` batons."""
    go, back = kind(), kind()

    def task() -> None:
        for _ in range(rounds):
            go.take()
            back.give()
    thread = threading.Thread(target=task)
    thread.start()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        go.give()
        back.take_within(30)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    thread.join()
    return wall / rounds * 1e6, cpu / rounds * 1e6


def greenlets(rounds: int) -> tuple[float, float]:
    """(wall, CPU) microseconds per round trip between two greenlets."""
    import greenlet
    driver = greenlet.getcurrent()

    def task() -> None:
        while True:
            driver.switch()
    other = greenlet.greenlet(task)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        other.switch()
    return (time.perf_counter() - wall) / rounds * 1e6, (time.process_time() - cpu) / rounds * 1e6


def shared_locals() -> list[tuple[str, str]]:
    """What two interleaved greenlet 'invocations' read back from a threading.local each set."""
    import greenlet
    local, seen, driver = threading.local(), [], greenlet.getcurrent()

    def invocation(name: str) -> None:
        local.request = name
        driver.switch()  # a yield point: the other invocation runs
        seen.append((name, local.request))
    first, second = greenlet.greenlet(lambda: invocation("a")), greenlet.greenlet(lambda: invocation("b"))
    for step in (first, second, first, second):
        step.switch()
    return seen


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    try:
        import greenlet  # noqa: F401
        have_greenlet = True
    except ImportError:
        have_greenlet = False
    for _ in range(3):
        for name, measure in (("lock baton", lambda: threads(LockBaton, rounds)),
                              ("pipe baton", lambda: threads(PipeBaton, rounds)),
                              *([("greenlet", lambda: greenlets(rounds))] if have_greenlet else [])):
            wall, cpu = measure()
            print(f"{name:10}  round trip: wall {wall:6.2f} µs  CPU {cpu:6.2f} µs")
    if have_greenlet:
        print("threading.local read back by interleaved greenlet invocations (name, value):", shared_locals())
    else:
        print("greenlet is not installed: only the thread batons were measured")


if __name__ == "__main__":
    main()
