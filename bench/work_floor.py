"""How far the library's slowest time-heavy scenarios are from 10,000x when two of the harness's per-run costs that
are not its own overhead are taken away, side by side with the harness as shipped:

    python bench/work_floor.py [--rounds 3] [--runs 30] [SCENARIO ...]

The two costs (docs/architecture.md and docs/performance.md say why they are there):
- "shared-powertools": Powertools imported once per process and shared by every execution environment, instead of
  afresh in each (`PER_ENVIRONMENT_LIBRARIES`). This breaks a fidelity guarantee (two environments then share
  Metrics' class-level dicts, logger keys and the `cold_start` flag); measured only to bound what it would buy.
- "no-collector": the garbage collector off during the measured runs, so nothing a run leaves is ever freed
  (a floor for the run-end collection, which `run_scenario` counts in the run's wall time).
- "both": the two together.

Each variant runs in its own fresh interpreter, the variants alternating round by round (all share the machine's
load): the scenario twice to warm up, the heap settled as a batch settles it, then `--runs` bare `run_scenario`
calls. Printed per scenario and variant: the median over rounds of each round's median wall milliseconds per run
(the result's `wall_seconds`), the compression that gives (virtual seconds per wall second), the verdict and
whether the trace hash is the shipped harness's. Defaults: the two scenarios below 10,000x at the eighth wave.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("shipped", "shared-powertools", "no-collector", "both")
DEFAULT_SCENARIOS = [
    "scenarios/incidents/replies_twilio_unsubscribed_retry_storm/replies_twilio_unsubscribed_retry_storm.yaml",
    "scenarios/replies/sms_emergency_unlock_fails_stalled_reset_releases.yaml",
]
GOAL_X = 10_000


def _share_powertools() -> None:
    """Every environment uses the process's one copy of Powertools (what PER_ENVIRONMENT_LIBRARIES prevents)."""
    from harness.lambda_runtime import container, libraries
    from harness.scenario import determinism
    libraries.PER_ENVIRONMENT_LIBRARIES = container.PER_ENVIRONMENT_LIBRARIES = ()
    determinism.FRESH_PER_RUN = ()
    libraries.library_folders.cache_clear()


def child(variant: str, runs: int, scenarios: list[str]) -> list[dict]:
    """Runs of each scenario in this process under `variant`: median wall ms per run, verdict, trace hash."""
    import gc
    warnings.simplefilter("ignore")
    if variant in ("shared-powertools", "both"):
        _share_powertools()
    from harness.runner import heap
    from harness.scenario import load_scenario, run_scenario
    rows = []
    for path in scenarios:
        scenario = load_scenario(ROOT / path)
        run_scenario(scenario)
        run_scenario(scenario)
        shared = "aws_lambda_powertools" in sys.modules  # a shared copy stays in the process after a run
        if shared != (variant in ("shared-powertools", "both")):
            raise SystemExit(f"{variant}: Powertools {'is' if shared else 'is not'} shared after a run; "
                             "the variant did not take effect on this tree")
        heap.settle(collect=True)
        if variant in ("no-collector", "both"):
            gc.disable()
        walls = []
        for _ in range(runs):
            result = run_scenario(scenario)
            walls.append(result.wall_seconds)
        gc.enable()
        gc.collect()
        rows.append({"file": path, "ms": 1000 * statistics.median(walls), "status": result.status,
                     "virtual_s": result.stats.get("virtual_seconds", 0.0), "trace_hash": result.trace_hash})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=DEFAULT_SCENARIOS)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.runs, args.scenarios)))
        return 0
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
    measured: dict[tuple[str, str], list[dict]] = {}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            done = subprocess.run([sys.executable, __file__, "--child", variant, "--runs", str(args.runs),
                                   *args.scenarios], capture_output=True, text=True, cwd=ROOT, env=env, check=False)
            if done.returncode != 0:
                print(f"variant {variant} failed (exit {done.returncode}):\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
            for row in json.loads(done.stdout.strip().splitlines()[-1]):
                measured.setdefault((row["file"], variant), []).append(row)
    print(f"median over {args.rounds} rounds of each round's median of {args.runs} runs (wall ms per run); "
          f"{GOAL_X:,}x needs virtual seconds / 10 ms")
    for path in args.scenarios:
        shipped_hash = measured[(path, "shipped")][0]["trace_hash"]
        virtual = measured[(path, "shipped")][0]["virtual_s"]
        print(f"\n{path}  ({virtual:.0f} virtual s: {GOAL_X:,}x needs <= {1000 * virtual / GOAL_X:.1f} ms a run)")
        print(f"  {'variant':18s} {'ms/run':>8s} {'x':>8s}  verdict   trace hash")
        for variant in VARIANTS:
            rows = measured[(path, variant)]
            ms = statistics.median(row["ms"] for row in rows)
            same = all(row["trace_hash"] == shipped_hash for row in rows)
            print(f"  {variant:18s} {ms:8.1f} {virtual / ms * 1000:8,.0f}  {rows[0]['status']:8s}  "
                  f"{'as shipped' if same else 'differs'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
