"""`make bench`: performance measured side by side in one run, printed as ratios (never asserted in tests)."""
from __future__ import annotations

import importlib.util
import os
import statistics
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness import Simulation
from harness.clock import real_perf_counter

ROOT = Path(__file__).resolve().parent.parent
BASIC = ROOT / "tests" / "harness" / "fixtures" / "basic" / "template.yaml"


def _median_wall(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = real_perf_counter()
        fn()
        samples.append(real_perf_counter() - start)
    return statistics.median(samples)


def invoke_overhead(n: int = 200) -> tuple[float, float]:
    """Median wall seconds of a direct call vs. a warm harness invoke of the same trivial handler."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")  # the direct import builds boto3 clients
    spec = importlib.util.spec_from_file_location("bench_app", BASIC.parent / "src" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    direct = _median_wall(lambda: module.stamp({}, None), n)
    with Simulation(BASIC, seed=1) as sim:
        sim.invoke("Stamp")  # cold start outside the measurement
        harness = _median_wall(lambda: sim.invoke("Stamp"), n)
    return direct, harness


def simulation_start(n: int = 10) -> float:
    """Median wall seconds to start and stop a simulation of the basic template (deploys 4 resources)."""
    def cycle():
        with Simulation(BASIC, seed=1):
            pass
    cycle()
    return _median_wall(cycle, n)


def retry_heavy(events: int = 30) -> tuple[float, float]:
    """(virtual seconds, wall seconds) for `events` async invokes that fail, retry twice and go to the DLQ."""
    with Simulation(BASIC, seed=1) as sim:
        start = real_perf_counter()
        for i in range(events):
            sim.invoke("AlwaysFails", {"n": i}, type="Event")
            sim.advance(7)
        sim.run_until_idle()
        wall = real_perf_counter() - start
        return sim.now, wall


def main() -> int:
    console = Console(width=130)
    table = Table(title="lambda-harness benchmarks (wall time measured on this machine, one run)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("ratio", justify="right")
    direct, harness = invoke_overhead()
    table.add_row("direct call of a trivial handler", f"{direct * 1e6:.1f} µs", "1x")
    table.add_row("warm harness invoke of the same handler", f"{harness * 1e3:.2f} ms",
                  f"{harness / direct:.0f}x the direct call")
    start = simulation_start()
    table.add_row("simulation start + stop (basic template)", f"{start * 1e3:.1f} ms", "")
    virtual, wall = retry_heavy()
    table.add_row("retry-heavy run: 30 failing async events, 90 attempts, 30 DLQ sends",
                  f"{virtual:.0f} virtual s in {wall:.2f} wall s", f"{virtual / wall:.0f} simulated s per wall s")
    for extra in _extra_rows():
        table.add_row(*extra)
    console.print(table)
    __import__("fuzz_bench").fuzz_section(console)  # examples per second of the parsers and `harness fuzz`
    return 0


def _extra_rows() -> list[tuple[str, str, str]]:
    """Rows contributed by optional benchmark modules (bench/extra_*.py) such as the LocalStack comparison."""
    rows = []
    for path in sorted(Path(__file__).parent.glob("extra_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rows.extend(module.rows())
    return rows


if __name__ == "__main__":
    sys.exit(main())
