"""`make bench`: every performance figure side by side in one run, as ratios, with its goal (never asserted in
tests). `python bench/run.py --baseline REF` also measures the harness as it was at git REF, alternating the two
trees figure by figure, so "before" and "after" share the machine's conditions. Figures go to reports/bench.json.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
FIGURES = Path(__file__).resolve().parent / "figures.py"
TIME_HEAVY_MINUTES = 10  # figures.TIME_HEAVY_SECONDS, which run.py does not import (it runs figures.py apart)


def measure(tree: Path, name: str, *args: object) -> dict | None:
    """Run one figure of bench/figures.py in a fresh interpreter against `tree`; None when it cannot run."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, str(FIGURES), name, *map(str, args)], capture_output=True, text=True,
                          cwd=tree, env=env, check=False, timeout=1800)
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def checkout(ref: str) -> Path:
    """The repository at `ref`, unpacked into a temporary folder."""
    folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    archive = subprocess.run(["git", "archive", "--format=tar", ref], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=__import__("io").BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="tar")  # the repository is trusted; fixtures hold absolute links
    return folder


def collect(baseline: Path | None, quick: bool, only: set[str] | None = None) -> dict:
    """Every figure (or those whose key starts with one in `only`) for the current tree and, when given, the
    baseline (alternating, figure by figure)."""
    plan: list[tuple[str, tuple, bool]] = [  # (figure, arguments, also for the baseline?)
        ("invoke", (), True), ("imports", (), True), ("start_stop", (), True),
        ("depth", (10,), True), ("depth", (1000,), True), ("depth", (10000,), not quick),
        *[(figure, (system,), True) for system in ("messages", "twin", "replies")
          for figure in ("runs", "runs_parallel", "runs_forked")],
        ("runs_search", ("messages",), True),
        ("compression", (), True), ("time_heavy", (), True),
        ("library", ("1",), False), ("library", ("auto",), False),
    ]
    out: dict = {"after": {}, "before": {}}
    for name, args, for_baseline in plan:
        key = name + "".join(f"_{a}" for a in args)
        if only and not any(key.startswith(prefix) for prefix in only):
            continue
        if baseline is not None and for_baseline:
            out["before"][key] = measure(baseline, name, *args)
        out["after"][key] = measure(ROOT, name, *args)
    return out


def _get(data: dict, key: str, field: str) -> float | None:
    value = (data.get(key) or {}).get(field)
    return value if isinstance(value, (int, float)) else None


def rows(figures: dict) -> list[tuple[str, str, str, str, str]]:
    """(measure, before, after, after/before, goal) for the table."""
    before, after = figures["before"], figures["after"]
    out = []

    def row(label: str, key: str, field: str, fmt: Callable[[float], str], goal: str) -> None:
        b, a = _get(before, key, field), _get(after, key, field)
        ratio = f"{a / b:.2f}x" if a is not None and b else "-"
        out.append((label, fmt(b) if b is not None else "-", fmt(a) if a is not None else "-", ratio, goal))

    us, ms, x = (lambda v: f"{v:.1f} µs"), (lambda v: f"{v:.2f} ms"), (lambda v: f"{v:,.0f}x")
    row("warm no-op invoke: direct call", "invoke", "direct_noop_us", us, "")
    row("warm no-op invoke: harness", "invoke", "harness_noop_us", us, "")
    row("  added per warm no-op invoke", "invoke", "added_noop_us", us, "<= 100 µs")
    row("  added per warm no-op invoke, CPU time", "invoke", "added_noop_cpu_us", us, "<= 100 µs")
    row("handler with 3 SQS calls: direct under mock_aws", "invoke", "direct_3calls_ms", ms, "")
    row("handler with 3 SQS calls: harness", "invoke", "harness_3calls_ms", ms, "")
    row("  harness / direct (3 calls)", "invoke", "ratio_3calls", lambda v: f"{v:.2f}x", "<= 1.15x")
    row("  harness / direct (3 calls), CPU time", "invoke", "ratio_3calls_cpu", lambda v: f"{v:.2f}x", "<= 1.15x")
    row("import for a scenario run (fresh interpreter)", "imports", "import_s", lambda v: f"{v:.2f} s", "")
    row("simulation start + stop (basic template)", "start_stop", "start_stop_ms", ms, "")
    for title, field in (("SQS poll (receive 10 + delete them)", "poll"), ("SQS ApproximateNumberOfMessages", "count"),
                         ("SQS poll, half of the queue in flight ahead", "poll_in_flight")):
        for depth in (10, 1000, 10000):
            row(f"{title} at depth {depth:,}", f"depth_{depth}", f"{field}_ms", ms, "flat: same as depth 10")
            row("  CPU", f"depth_{depth}", f"{field}_cpu_ms", ms, "(steadier)")
    rate, cpu = (lambda v: f"{v:.1f} runs/s"), (lambda v: f"{v:.0f} ms")
    for system in ("messages", "twin", "replies"):
        for figure, how, goal in (("runs", "serial, one process", ""),
                                  ("runs_parallel", "all cores, each run deploys", ""),
                                  ("runs_forked", "all cores, forked from a snapshot", ">= 100 runs/s")):
            row(f"{system} scenario, seeds: {how}", f"{figure}_{system}", "runs_per_s", rate, goal)
            row("  CPU per run (process + children)", f"{figure}_{system}", "cpu_ms_per_run", cpu,
                "<= 20 ms" if goal else "")
            row("  minor page faults per run", f"{figure}_{system}", "minor_faults_per_run",
                lambda v: f"{v:,.0f}", "")
    row("messages scenario, a search's rounds (5 x 32 runs), all cores", "runs_search_messages", "runs_per_s", rate,
        ">= 100 runs/s")
    row("  CPU per run (process + children)", "runs_search_messages", "cpu_ms_per_run", cpu, "<= 20 ms")
    for name in ("sleep_heavy", "retry_heavy", "reply_sender_crashes_stalled_lock_reset"):
        row(f"compression: {name}", "compression", name, x, ">= 10,000x (time-heavy)")
        if name != "sleep_heavy":  # the median of later runs in the same process (as a library run has them)
            row("  warm (median of 3 more runs)", "compression", f"{name}_warm", x, ">= 10,000x (time-heavy)")
            row("  warm, per CPU second of the process", "compression", f"{name}_warm_cpu", x, "(steadier)")
    # 21 virtual seconds: its wall time is deploy and cold starts, so it tracks run cost, not compression.
    row("compression: twilio_503_reply_retried", "compression", "twilio_503_reply_retried", x,
        "none: 21 virtual s, not time-heavy")
    heavy = f"library scenarios >= {TIME_HEAVY_MINUTES} virtual min"
    row(f"compression: {heavy}, lowest", "library_1", "time_heavy_min_x", x, ">= 10,000x")
    row(f"compression: {heavy}, median", "library_1", "time_heavy_median_x", x, ">= 10,000x")
    row("  time-heavy scenarios below 10,000x", "library_1", "time_heavy_below_goal", lambda v: f"{v:.0f}", "0")
    for kind, what in (("wall_x", "wall"), ("cpu_x", "CPU")):
        row(f"compression: {heavy}, warm, per {what} second, lowest", "time_heavy", f"min_{kind}", x, ">= 10,000x")
        row(f"compression: {heavy}, warm, per {what} second, median", "time_heavy", f"median_{kind}", x,
            ">= 10,000x")
        row("  time-heavy scenarios below 10,000x", "time_heavy", f"below_goal_{kind}", lambda v: f"{v:.0f}", "0")
    row("library wall time, serial", "library_1", "wall_s", lambda v: f"{v:.1f} s", "")
    row("library wall time, -n auto", "library_auto", "wall_s", lambda v: f"{v:.1f} s", "<= 60 s")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", metavar="REF", help="also measure the harness at this git ref")
    parser.add_argument("--quick", action="store_true", help="skip the baseline's depth-10,000 figure")
    parser.add_argument("--only", metavar="FIGURES",
                        help="comma-separated figure names or key prefixes to measure (e.g. invoke,compression,runs)")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.json")
    args = parser.parse_args(argv)
    console = Console(width=150)
    baseline = checkout(args.baseline) if args.baseline else None
    figures = collect(baseline, args.quick, set(args.only.split(",")) if args.only else None)
    figures["baseline_ref"] = args.baseline
    table = Table(title=f"lambda-harness benchmarks (this machine, one run; before = {args.baseline or 'not measured'})")
    for column in ("measure", "before", "after", "after / before", "goal"):
        table.add_column(column, justify="left" if column in ("measure", "goal") else "right")
    for line in rows(figures):
        table.add_row(*line)
    console.print(table)
    for key in ("library_1", "library_auto"):
        console.print(f"{key}: {(figures['after'].get(key) or {}).get('summary', '')}", markup=False)
    errors = {f"{side}.{key}": v["error"] for side in ("before", "after") for key, v in figures[side].items()
              if isinstance(v, dict) and "error" in v}
    for where, message in errors.items():
        console.print(f"not measured: {where}: {message}", markup=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    console.print(f"figures written to {args.out}", markup=False)
    if args.only:
        return 0
    for extra in _extra_rows():
        console.print(" | ".join(extra), markup=False)
    sys.path.insert(0, str(Path(__file__).parent))
    __import__("fuzz_bench").fuzz_section(console)  # examples per second of the parsers and `harness fuzz`
    return 0


def _extra_rows() -> list[tuple[str, str, str]]:
    """Rows contributed by optional benchmark modules (bench/extra_*.py) such as the LocalStack comparison."""
    found = []
    for path in sorted(Path(__file__).parent.glob("extra_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.extend(module.rows())
    return found


if __name__ == "__main__":
    sys.exit(main())
