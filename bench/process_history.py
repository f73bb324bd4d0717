"""A search sees the same runs whatever the process did before: run a chaos search of SCENARIO in a fresh
interpreter, then in this process after other activity (other scenarios, other systems, or a set of pytest tests),
and compare the two run by run (each run's plan and trace hash), and which run first fails and what it shrinks to.

    python bench/process_history.py /tmp/planted/replies_twilio_client_errors_retried/scenario.yaml --budget 40 \\
        --after scenarios/twin scenarios/messages/send_fails_rolls_back.yaml
    python bench/process_history.py SCENARIO --budget 40 --after-tests tests/handlers/replies

To find which earlier activity changes a search, bisect --after / --after-tests. Exit 0 when both agree, 1 when
they differ (the first difference printed), 2 on bad input.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def record(path: Path, budget: int, seed: int) -> dict:
    """What a serial search of `path` sees: each run's (plan key, trace hash), the run that first fails, the
    shrunk plan."""
    from harness.search.chaos import Options, search
    with tempfile.TemporaryDirectory(prefix="process-history-") as found:
        result = search(path, Options(budget=budget, seed=seed, workers=1, found_dir=Path(found)))
    return {"baseline": result.baseline.trace_hash, "history": [list(run) for run in result.history],
            "runs_to_find": result.runs_to_find, "shrunk": result.shrunk.plan.key if result.shrunk else None}


def fresh(path: Path, budget: int, seed: int) -> dict:
    """`record` in a new interpreter."""
    command = [sys.executable, __file__, str(path), "--budget", str(budget), "--seed", str(seed), "--record"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the fresh interpreter failed:\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def other_activity(scenarios: list[str], tests: list[str]) -> None:
    """Run the given scenarios (files or folders) and pytest test paths in this process."""
    from harness.scenario.discover import discover
    from harness.search import executor
    for path in discover(scenarios) if scenarios else []:
        result = executor.run_here(executor.make_job(path))
        print(f"  before: {path} {result.status} {result.trace_hash}", file=sys.stderr)
    if tests:
        import pytest
        pytest.main(["-q", "-p", "no:cacheprovider", *tests])


def differences(first: dict, then: dict) -> list[str]:
    """What differs between two records (run by run first)."""
    lines = []
    for n, (a, b) in enumerate(zip(first["history"], then["history"]), 1):
        if a != b:
            what = "plan" if a[0] != b[0] else "trace hash"
            lines.append(f"run {n}: the {what} differs: fresh {a[0] if what == 'plan' else a[1]}, "
                         f"after {b[0] if what == 'plan' else b[1]}")
    lines += [f"{key}: fresh {first[key]}, after {then[key]}" for key in ("baseline", "runs_to_find", "shrunk")
              if first[key] != then[key]]
    if len(first["history"]) != len(then["history"]):
        lines.append(f"runs: fresh {len(first['history'])}, after {len(then['history'])}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--budget", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0, help="search seed")
    parser.add_argument("--after", nargs="*", default=[], metavar="SCENARIO", help="scenarios to run first")
    parser.add_argument("--after-tests", nargs="*", default=[], metavar="PATH", help="pytest paths to run first")
    parser.add_argument("--record", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.scenario.is_file():
        parser.error(f"{args.scenario}: no such scenario file")
    if args.record:
        print(json.dumps(record(args.scenario, args.budget, args.seed)))
        return 0
    first = fresh(args.scenario, args.budget, args.seed)
    other_activity(args.after, args.after_tests)
    then = record(args.scenario, args.budget, args.seed)
    lines = differences(first, then)
    print(f"fresh interpreter: {len(first['history'])} run(s), first failure at run {first['runs_to_find']}")
    print(f"after other activity: {len(then['history'])} run(s), first failure at run {then['runs_to_find']}")
    for line in lines[:20]:
        print(f"  {line}")
    print("DIFFERENT" if lines else "SAME: every run, the failure and its shrunk plan agree")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
