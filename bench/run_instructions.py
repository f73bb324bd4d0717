"""Machine instructions per library scenario run, counted by valgrind's callgrind in a warm batch (`run_jobs`, as
`harness run` runs the library: the warm heap frozen, garbage collected as it comes): a figure the machine's load
does not move, for comparing two trees where CPU time moves 20-30 % from run to run.

    python bench/run_instructions.py --baseline main                        # the default scenarios
    python bench/run_instructions.py --baseline main -n 10 scenarios/messages/send_fails_rolls_back.yaml

Each tree runs the scenario twice uncounted (imports, templates, first cold starts), then N runs (seeds 1..N)
counted. Needs valgrind; exit 2 without it. Trees run one after the other (valgrind is single-threaded: two at
once share the machine's two cores with everything else).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_SCENARIOS = [
    "scenarios/messages/send_fails_rolls_back.yaml",
    "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml",
    "scenarios/replies/email_message_queued_json_success.yaml",
    "scenarios/earnings/event_marks_record_processed_with_one_audit_entry.yaml",
]

# Runs inside valgrind: warm up, signal "ready" through a file, wait for it to go, run N seeds, signal "done".
_LOOP = """
import os, sys, warnings
warnings.simplefilter("ignore")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from pathlib import Path
from harness.clock import real_sleep
from harness.runner import Job, run_jobs
scenario, n, flag = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
run_jobs([Job(scenario, seed=0), Job(scenario, seed=0)], workers=1)
if os.environ.get("RUN_INSTRUCTIONS_NO_GC"):
    import gc
    gc.disable()
flag.write_text("ready")
while flag.exists():
    real_sleep(0.1)
results = run_jobs([Job(scenario, seed=seed) for seed in range(1, n + 1)], workers=1)
flag.with_suffix(".done").write_text(",".join(result.status for result in results))
real_sleep(2)
"""


def instructions_per_run(tree: Path, scenario: str, n: int, work: Path) -> float:
    """Instructions per run of `scenario` in a warm batch of `tree`'s harness."""
    from instructions import count
    flag, out = work / f"flag-{tree.name}", work / f"callgrind-{tree.name}"
    script = work / "loop.py"
    script.write_text(_LOOP)
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", sys.executable,
         str(script), scenario, str(n), str(flag)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree), "HARNESS_PIN_CORE": "0"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    figure = count(process, flag, out, n)
    statuses = flag.with_suffix(".done").read_text()
    if set(statuses.split(",")) != {"passed"}:
        raise SystemExit(f"{tree}: {scenario} did not pass every run: {statuses}")
    for dump in work.glob(f"callgrind-{tree.name}*"):
        dump.unlink()
    flag.with_suffix(".done").unlink()
    return figure


def main(argv: list[str] | None = None) -> int:
    """Print instructions per run for each scenario, this tree (and --baseline REF)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", default=DEFAULT_SCENARIOS, help="scenario files (default: four)")
    parser.add_argument("--baseline", metavar="REF", help="also count the harness at this git ref")
    parser.add_argument("-n", type=int, default=8, help="runs counted per scenario (default 8)")
    parser.add_argument("--no-gc", action="store_true", help="count with the garbage collector off (the work alone)")
    args = parser.parse_args(argv)
    if args.no_gc:
        os.environ["RUN_INSTRUCTIONS_NO_GC"] = "1"
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind (callgrind) is not installed", file=sys.stderr)
        return 2
    from run import checkout
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {args.baseline: checkout(args.baseline), **trees}
    print(f"{'instructions per run (M)':70}" + "".join(f"{label:>12}" for label in trees))
    with tempfile.TemporaryDirectory(prefix="run-instructions-") as folder:
        for scenario in args.scenarios:
            figures = [instructions_per_run(tree, scenario, args.n, Path(folder)) / 1e6 for tree in trees.values()]
            ratio = f"  {figures[-1] / figures[0]:.3f}x" if len(figures) > 1 else ""
            print(f"{scenario:70}" + "".join(f"{figure:12.1f}" for figure in figures) + ratio, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
