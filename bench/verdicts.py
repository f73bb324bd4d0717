"""Same verdicts before and after a change: run the whole scenario library (or the given paths) with this tree and
with the harness at git REF (or against verdicts saved earlier), and list every run whose judgement differs in
anything a user reads: status, trace hash, each outcome (where, kind, description, passed, expected, found, events,
time, line, trace slice), each invariant (config, violations), failures, the report text, error, warnings, stats and
invariant slices. Wall time and the recorded events (whose `extra` ids vary between runs; the hash covers the rest)
are left out; paths of the two trees are written as <tree>.

    python bench/verdicts.py --baseline main            # both trees, now
    python bench/verdicts.py --out /tmp/after.json      # this tree's verdicts, saved
    python bench/verdicts.py --against /tmp/main.json   # this tree against saved verdicts
    python bench/verdicts.py --baseline main --without-faults   # failing verdicts too (each scenario unfaulted)

Exit 0 when every run agrees, 1 when one differs (each difference printed), 2 on bad input.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trace_hashes import (  # bench scripts import each other from their folder
    ROOT,
    comparison_parser,
    conclude,
    results,
    saved,
)

LEFT_OUT = ("wall_seconds", "events")


# Each scenario again without its top-level faults: most of them then fail, so failed outcomes' texts and trace
# slices, violations and reports are compared too (the library itself passes).
UNFAULTED = """
import json, sys
from harness.runner import Job, run_jobs
from harness.scenario.discover import discover
workers = None if sys.argv[1] == "auto" else int(sys.argv[1])
jobs = [Job(path, faults=[]) for path in discover(sys.argv[2:])]
rows = [dict(r.to_dict(), file=r.file + " without faults") for r in run_jobs(jobs, workers=workers)]
print(json.dumps(rows, default=str))
"""


def unfaulted(tree: Path, paths: list[str], workers: str) -> list[dict]:
    """Result rows of every scenario in `paths` run by `tree` with no top-level faults."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", UNFAULTED, workers, *paths], cwd=tree, env=env, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def verdicts(tree: Path, paths: list[str], workers: str, without_faults: bool = False) -> dict[str, dict]:
    """{file@seed: the run's result without LEFT_OUT, paths of `tree` written as <tree>} from one `harness run`
    (and, with `without_faults`, from runs of each scenario without its faults)."""
    out = {}
    rows = results(tree, paths, workers) + (unfaulted(tree, paths, workers) if without_faults else [])
    for row in rows:
        kept = {k: v for k, v in row.items() if k not in LEFT_OUT}
        text = json.dumps(kept, sort_keys=True).replace(str(tree.resolve()), "<tree>").replace(str(tree), "<tree>")
        out[f"{row.get('file')}@{row.get('seed')}"] = json.loads(text)  # a file that did not load has no seed
    return out


def differences(before: dict[str, dict], after: dict[str, dict]) -> list[str]:
    """One line per field of a run that differs (or per run only one side has)."""
    lines = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b is None or a is None:
            lines.append(f"{key}: {'only after' if b is None else 'only before'}")
            continue
        for name in sorted(set(b) | set(a)):
            if b.get(name) != a.get(name):
                lines.append(f"{key} {name}: before {json.dumps(b.get(name))[:300]}, after "
                             f"{json.dumps(a.get(name))[:300]}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = comparison_parser(__doc__, "verdicts")
    parser.add_argument("--without-faults", action="store_true",
                        help="also run each scenario without its top-level faults (failing verdicts compared too)")
    args = parser.parse_args(argv)
    before = saved(parser, args)
    if before is None and args.baseline:
        before = verdicts(__import__("run").checkout(args.baseline), args.paths, args.workers, args.without_faults)
    after = verdicts(ROOT, args.paths, args.workers, args.without_faults)

    def found() -> tuple[list[str], int]:
        lines = differences(before, after)
        return lines, len({line.split(" ", 1)[0].rstrip(":") for line in lines})  # a run may differ in many fields
    return conclude(args, before, after, "judged", found)


if __name__ == "__main__":
    sys.exit(main())
