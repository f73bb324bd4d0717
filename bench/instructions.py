"""Machine instructions per warm no-op invoke, counted by valgrind's callgrind: a figure the machine's load does not
move (wall and CPU time move 20-30 % between runs on a shared machine), for comparing two trees.

    python bench/instructions.py                     # this tree
    python bench/instructions.py --baseline main     # and the harness at git REF, run at the same time

Each tree's simulation is started and warmed without counting; counting is switched on (`callgrind_control -i on`)
for N invokes of the basic template's `Stamp` function, then dumped. Needs valgrind; exit 2 without it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

# Runs inside valgrind: warm up, signal "ready" through a file, wait for it to go, invoke N times, signal "done".
_LOOP = """
import gc, os, sys, warnings
warnings.simplefilter("ignore")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from pathlib import Path
from harness import Simulation
from harness.clock import real_sleep
n, flag = int(sys.argv[1]), Path(sys.argv[2])
template = Path.cwd() / "tests" / "harness" / "fixtures" / "basic" / "template.yaml"
with Simulation(template, seed=1, budgets={"invocations": n + 100, "wall_seconds": 36000}) as sim:
    for _ in range(20):
        sim.invoke("Stamp")
    gc.disable()
    flag.write_text("ready")
    while flag.exists():
        real_sleep(0.1)
    for _ in range(n):
        sim.invoke("Stamp")
    flag.with_suffix(".done").write_text("done")
    real_sleep(2)
"""


def _wait_for(path: Path, process: subprocess.Popen) -> None:
    while not path.exists():
        if process.poll() is not None:
            raise SystemExit(f"the counted run ended early (exit {process.returncode})")
        time.sleep(0.2)


def start(tree: Path, n: int, work: Path) -> tuple[subprocess.Popen, Path, Path]:
    """Start one counted run of `tree` (uncounted until `count` switches it on)."""
    flag, out = work / f"flag-{tree.name}", work / f"callgrind-{tree.name}"
    script = work / "loop.py"
    script.write_text(_LOOP)
    process = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", sys.executable,
         str(script), str(n), str(flag)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return process, flag, out


def count(process: subprocess.Popen, flag: Path, out: Path, n: int) -> float:
    """Switch counting on once the run is warm, dump it after N invokes: instructions per invoke."""
    _wait_for(flag, process)
    subprocess.run(["callgrind_control", "-i", "on", str(process.pid)], check=True, capture_output=True)
    flag.unlink()
    _wait_for(flag.with_suffix(".done"), process)
    subprocess.run(["callgrind_control", "-d", str(process.pid)], check=True, capture_output=True)
    process.wait()
    dump = Path(f"{out}.1")
    totals = [line for line in dump.read_text().splitlines() if line.startswith(("summary:", "totals:"))]
    return int(totals[-1].split()[1]) / n


def main(argv: list[str] | None = None) -> int:
    """Print instructions per warm no-op invoke for this tree (and --baseline REF)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", metavar="REF", help="also count the harness at this git ref")
    parser.add_argument("-n", type=int, default=300, help="invokes counted (default 300)")
    args = parser.parse_args(argv)
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        print("valgrind (callgrind) is not installed", file=sys.stderr)
        return 2
    from run import checkout
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {args.baseline: checkout(args.baseline), **trees}
    with tempfile.TemporaryDirectory(prefix="instructions-") as folder:
        work = Path(folder)
        runs = {label: start(tree, args.n, work) for label, tree in trees.items()}  # one core each
        figures = {label: count(*run, args.n) for label, run in runs.items()}
    for label, figure in figures.items():
        print(f"{label}: {figure:,.0f} instructions per warm no-op invoke")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
