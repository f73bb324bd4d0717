"""Same trace hashes before and after a change: run the whole scenario library (or the given paths) with this tree
and with the harness at git REF (or against hashes saved earlier), and list every scenario whose status or trace
hash differs. An optimisation must leave every trace as it was.

    python bench/trace_hashes.py --baseline main            # both trees, now
    python bench/trace_hashes.py --out /tmp/main.json       # this tree's hashes, saved
    python bench/trace_hashes.py --against /tmp/main.json   # this tree against saved hashes
    python bench/trace_hashes.py --baseline main --baseline-out /tmp/main.json  # both, keeping main's

Exit 0 when every scenario agrees, 1 when one differs (each printed), 2 on bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def results(tree: Path, paths: list[str], workers: str) -> list[dict]:
    """The rows of results.json from one `harness run` of `tree`."""
    with tempfile.TemporaryDirectory(prefix="trace-hashes-") as reports:
        command = [sys.executable, "-m", "harness", "run", *paths, "--report-dir", reports, "-n", workers]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
        written = Path(reports) / "results.json"
        if not written.is_file():
            raise SystemExit(f"{tree}: `harness run` wrote no results.json")
        return json.loads(written.read_text(encoding="utf-8"))["results"]


def hashes(tree: Path, paths: list[str], workers: str) -> dict[str, list]:
    """{scenario file (relative to the tree): [status, trace hash]} from one `harness run` of `tree`."""
    return {f"{row['file']}@{row['seed']}": [row["status"], row["trace_hash"]] for row in results(tree, paths, workers)}


def compare(before: dict[str, list], after: dict[str, list]) -> list[str]:
    """One line per scenario whose status or trace hash differs (or that only one side ran)."""
    lines = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b != a:
            lines.append(f"{key}: before {b or 'not run'}, after {a or 'not run'}")
    return lines


def comparison_parser(doc: str | None, what: str) -> argparse.ArgumentParser:
    """The arguments every before/after comparison of the library takes (paths, --baseline or --against, --out,
    -n); `what` names what it compares."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["scenarios"], help="scenario files or folders (default: all)")
    parser.add_argument("--baseline", metavar="REF", help="run the library at this git ref too and compare")
    parser.add_argument("--against", type=Path, metavar="FILE", help=f"compare with {what} saved by --out")
    parser.add_argument("--out", type=Path, metavar="FILE", help=f"save this tree's {what} here")
    parser.add_argument("-n", dest="workers", default="auto", help="worker processes for each run (default auto)")
    return parser


def saved(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict | None:
    """What --against names (None without it); bad input exits 2 with the reason."""
    if args.baseline and args.against:
        parser.error("give --baseline or --against, not both")
    if not args.against:
        return None
    if not args.against.is_file():
        print(f"{args.against}: no such file (write it with --out)", file=sys.stderr)
        raise SystemExit(2)
    return json.loads(args.against.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = comparison_parser(__doc__, "hashes")
    parser.add_argument("--baseline-out", type=Path, metavar="FILE", help="save the baseline's hashes here")
    args = parser.parse_args(argv)
    before = saved(parser, args)
    if before is None and args.baseline:
        sys.path.insert(0, str(Path(__file__).parent))
        before = hashes(__import__("run").checkout(args.baseline), args.paths, args.workers)
        if args.baseline_out:
            args.baseline_out.write_text(json.dumps(before, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    after = hashes(ROOT, args.paths, args.workers)
    return conclude(args, before, after, "hashed", lambda: (lines := compare(before, after), len(lines)))


def conclude(args: argparse.Namespace, before: dict | None, after: dict, done: str,
             differences: Callable[[], tuple[list[str], int]]) -> int:
    """Save this tree's side (--out); with another side, print `differences()` (the lines and how many runs
    differ) and the summary. 0 when nothing differs, 1 otherwise."""
    if args.out:
        args.out.write_text(json.dumps(after, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if before is None:
        print(f"{len(after)} scenario run(s) {done}" + (f", written to {args.out}" if args.out else ""))
        return 0
    lines, changed = differences()
    for line in lines:
        print(line)
    print(f"{len(after)} scenario run(s): {changed} differ from {args.baseline or args.against}")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
