"""`python -m harness fuzz SYSTEM FUNCTION`: generated and mutated events through the harness, a shrunk
finding written as a scenario with its replay command. Exit codes as `run`: 0 no finding, 1 a finding,
2 bad input."""
from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("reports/fuzz")


def add_parser(sub: Any) -> None:
    """Register the `fuzz` subcommand."""
    p = sub.add_parser("fuzz", help="send generated and mutated events to a function; shrink a contract break "
                                    "to a minimal event and write it as a scenario")
    p.add_argument("system", help="a template path or a system name (handlers/<name>/template.yaml)")
    p.add_argument("function", help="the function's logical id (or FunctionName)")
    p.add_argument("--source", help="event shape: api, url, sqs, eventbridge, schedule, async (default: from the "
                                    "function's Events)")
    p.add_argument("--sample", type=Path, help="a JSON event to vary instead of the source's own events")
    p.add_argument("--examples", type=int, default=200, help="budget: generated events (default 200)")
    p.add_argument("--time", type=float, dest="seconds", help="budget: wall seconds (instead of --examples)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator and the simulation (default 0)")
    p.add_argument("--no-mutate", action="store_true", help="only well-formed events (no payload mutators)")
    p.add_argument("--allow-errors", action="store_true", help="raising is the function's contract (a queue or "
                                                               "async consumer that relies on retries)")
    p.add_argument("--statuses", default="100-499", help="documented HTTP statuses for api/url sources "
                                                         "(default 100-499: a client's input never earns a 5xx)")
    p.add_argument("--faults", type=Path, help="a YAML file with a list of fault rules to run under")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="template parameter")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where findings go (default {DEFAULT_OUT})")


def run(args: argparse.Namespace, console: Any) -> int:
    """Fuzz, then write and confirm the reproducing scenario of a finding."""
    from harness.cli import FAILED, OK
    from harness.fuzz.engine import Budget, fuzz
    target = _target(args)
    budget = Budget(examples=max(1, args.examples), seconds=args.seconds)
    what = f"{budget.seconds:g} s" if budget.seconds else f"{budget.examples} examples"
    console.print(f"fuzzing {target.function} ({target.source} events{', mutated' if target.mutate else ''}) "
                  f"of {target.template} for {what}, seed {args.seed}")
    outcome = _with_progress(console, lambda progress: fuzz(target, budget, args.seed, progress))
    console.print(f"{outcome.examples} examples in {outcome.seconds:.1f} s ({outcome.rate:.0f}/s)")
    for note in outcome.notes:
        console.print(f"note: {note}")
    if outcome.finding is None:
        console.print("[green]no contract break found[/green]", markup=True)
        return OK
    command = "python -m harness fuzz " + " ".join(shlex.quote(a) for a in _replay_args(args))
    path = _write(target, outcome.finding, args, command)
    console.print("[red]contract broken:[/red] " + "; ".join(outcome.finding.problems), markup=True)
    console.print(f"minimal event: {_short(outcome.finding.event)}")
    console.print(f"scenario: {path} ({_confirm(path)})")
    console.print(f"replay: python -m harness replay {path}")
    return FAILED


def _target(args: argparse.Namespace) -> Any:
    import yaml

    from harness.errors import InputError
    from harness.fuzz.properties import status_ranges
    from harness.fuzz.target import resolve
    try:
        statuses = status_ranges(args.statuses)
    except ValueError as exc:
        raise InputError(f"--statuses {args.statuses!r}: {exc}; expected e.g. 100-499,503") from None
    faults: list = []
    if args.faults is not None:
        try:
            faults = yaml.safe_load(args.faults.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as exc:
            raise InputError(f"--faults {args.faults}: {exc}") from None
        if isinstance(faults, dict):
            faults = faults.get("faults") or []
        from harness.faults import FaultPlan
        FaultPlan.from_dicts(faults, source=str(args.faults))  # located errors now, not mid-run
    params = {}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--param {item!r}: expected NAME=VALUE")
        params[name] = value
    return resolve(args.system, args.function, source=args.source, sample=args.sample, mutate=not args.no_mutate,
                   errors=args.allow_errors, statuses=statuses, faults=faults, parameters=params)


def _with_progress(console: Any, work: Any) -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task("0 examples", total=None)
        return work(lambda n: progress.update(task, description=f"{n} examples") if n % 10 == 0 else None)


def _write(target: Any, finding: Any, args: argparse.Namespace, command: str) -> Path:
    from harness.fuzz.writer import write_scenario
    return write_scenario(target, finding, args.seed, args.out, command)


def _confirm(path: Path) -> str:
    """Run the written scenario on a fresh simulation: does it fail the way the fuzz run did?"""
    from harness.scenario import ScenarioError, load_scenario, run_scenario
    try:
        result = run_scenario(load_scenario(path))
    except ScenarioError as exc:
        return f"does not load: {exc}"
    if result.status == "failed":
        return "reproduces the failure on a fresh simulation"
    return f"did NOT reproduce on a fresh simulation (status {result.status}): the failure needs earlier events"


def _replay_args(args: argparse.Namespace) -> list[str]:
    """The arguments that repeat this run."""
    out = [args.system, args.function, "--seed", str(args.seed)]
    out += ["--time", f"{args.seconds:g}"] if args.seconds else ["--examples", str(args.examples)]
    for flag, value in (("--source", args.source), ("--sample", args.sample), ("--faults", args.faults),
                        ("--statuses", args.statuses if args.statuses != "100-499" else None)):
        if value is not None:
            out += [flag, str(value)]
    out += ["--no-mutate"] * args.no_mutate + ["--allow-errors"] * args.allow_errors
    for item in args.param:
        out += ["--param", item]
    return out


def _short(event: Any, limit: int = 300) -> str:
    import json
    text = json.dumps(event, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."
