"""`python -m harness diff`: run each scenario on two backends and compare what a user observes."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.diff import DiffReport, diff, load_known, observe

DEFAULT_KNOWN = Path("scenarios/_known_differences.yaml")


def add_parser(sub: Any) -> None:
    """Register the `diff` subcommand."""
    p = sub.add_parser("diff", help="run scenarios on two backends and list what a user would see differently")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--backends", default="moto,localstack", help="two backends, comma separated")
    p.add_argument("--seed", type=int, help="override every scenario's seed")
    p.add_argument("--known", type=Path, default=None,
                   help=f"declared known differences (default: {DEFAULT_KNOWN} when it exists)")


def run(args: argparse.Namespace, console: Any) -> int:
    """Exit 0 when every scenario agrees (declared differences aside), 1 otherwise, 2 for bad input."""
    from harness.errors import InputError
    from harness.scenario import ScenarioError, load_scenario, run_scenario
    from harness.scenario.discover import discover

    backends = tuple(b.strip() for b in args.backends.split(",") if b.strip())
    if len(backends) != 2:
        raise InputError(f"--backends needs exactly two backends (e.g. moto,localstack), got {args.backends!r}")
    known = load_known(args.known or (DEFAULT_KNOWN if DEFAULT_KNOWN.exists() else None))
    reports: list[DiffReport] = []
    skipped: list[str] = []
    problems = 0
    for path in discover(args.paths):
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            raise InputError(str(exc)) from None
        results = [run_scenario(scenario, seed=args.seed, backend=b, observe=observe) for b in backends]
        label = f"{path} :: {scenario.name}"
        if any(r.status == "skipped" for r in results):
            skipped.append(f"{label}: " + "; ".join(r.skip_reason for r in results if r.skip_reason))
            continue
        broken = [r for r in results if r.observation is None]
        if broken:
            problems += 1
            console.print(f"[yellow]ERROR[/] {label}: no observation on "
                          f"{', '.join(r.backend for r in broken)} ({(broken[0].error or '').strip().splitlines()[-1:]})")
            continue
        reports.append(diff(label, backends, results[0].observation, results[1].observation, known))
    _print(console, reports, skipped, backends)
    return 0 if not problems and all(r.agree for r in reports) else 1


def _print(console: Any, reports: list[DiffReport], skipped: list[str], backends: tuple[str, str]) -> None:
    left, right = backends
    for report in reports:
        verdict = "[green]AGREE[/]" if report.agree else f"[red]{len(report.differences)} DIFFERENCE(S)[/]"
        console.print(f"{verdict} {report.scenario}")
        for d in report.differences:
            console.print(f"    {d.path}\n      {left}: {d.left!r}\n      {right}: {d.right!r}", markup=False)
        for d in report.known:
            console.print(f"    known: {d.path} ({d.reason})\n      {left}: {d.left!r}\n      {right}: {d.right!r}",
                          markup=False)
    for line in skipped:
        console.print(f"[cyan]SKIPPED[/] {line}")
    agree = sum(r.agree for r in reports)
    console.print(f"differential {left} vs {right}: {len(reports)} compared, {agree} agree, "
                  f"{len(reports) - agree} differ, {len(skipped)} skipped", markup=False)
