"""`python -m harness requirements`: which scenarios prove which requirement of the register, and whether
every behavioural requirement has a passing scenario."""
from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.scenario.requirements import Register, Requirement

OK, FAILED, BAD_INPUT = 0, 1, 2
PROVEN, FAILING, MISSING, UNIT = "proven", "failing", "missing", "unit"


@dataclass(frozen=True)
class Row:
    """One requirement with the scenarios that declare they prove it and their statuses."""

    requirement: Requirement
    scenarios: tuple[tuple[str, str], ...]  # (file :: name, status)

    @property
    def verdict(self) -> str:
        """proven / failing / missing for behavioural requirements, unit for the others."""
        if not self.requirement.behavioural:
            return UNIT
        if any(status == "passed" for _, status in self.scenarios):
            return PROVEN
        return FAILING if self.scenarios else MISSING


def add_parser(sub: Any) -> None:
    """Register the `requirements` subcommand."""
    p = sub.add_parser("requirements", help="print the requirements matrix (requirement -> scenarios) and fail "
                       "when a behavioural requirement has no passing scenario")
    p.add_argument("paths", nargs="*", metavar="PATH", default=["scenarios"],
                   help="scenario files or folders to run (default: scenarios)")
    p.add_argument("--results", type=Path, help="read a results.json of an earlier run instead of running")
    p.add_argument("--register", type=Path, help="the register folder (default: scenarios/requirements/ at or "
                   "above the paths)")
    p.add_argument("--system", action="append", help="only this system's register (repeatable)")
    p.add_argument("--summary", action="store_true", help="only the counts per system and what is not proven")
    p.add_argument("--seed", type=int, help="override every scenario's seed")
    p.add_argument("--backend", help="override the backend (moto, moto-server, localstack:...)")
    p.add_argument("-n", dest="workers", default="auto", metavar="auto|N",
                   help="worker processes for the runs: auto = every core (the default), 1 = serially")
    p.add_argument("--rerun", action="store_true", help="run the scenarios even when the last run's "
                   "reports/results.json is newer than every scenario, handler and harness file")


def matrix(registers: Iterable[Register], results: list[dict]) -> list[Row]:
    """A row per requirement, in register order, with the results that name it in `proves`."""
    rows = []
    for register in registers:
        for req in register.requirements:
            found = tuple((f"{r.get('file')} :: {r.get('name')}", str(r.get("status")))
                          for r in results if req.id in (r.get("proves") or []))
            rows.append(Row(req, found))
    return rows


def run(args: argparse.Namespace, console: Any) -> int:
    """Exit 0 when every behavioural requirement has a passing scenario, 1 when one has none, 2 for bad input."""
    from harness.errors import InputError
    from harness.scenario.requirements import find_folder, load_registers
    folder = args.register or next((f for f in map(find_folder, map(Path, args.paths)) if f), None)
    if folder is None or not folder.is_dir():
        raise InputError(f"no requirements register found at or above {', '.join(args.paths)} (expected "
                         f"scenarios/requirements/<system>.yaml, or give --register FOLDER)")
    registers = load_registers(folder)
    if not registers:
        raise InputError(f"{folder}: no register files (expected <system>.yaml files)")
    args.console = console
    results = _results(args)
    chosen = _systems(args, folder, registers, results)
    rows = matrix([registers[s] for s in chosen], results)
    _print(console, rows, chosen, args.summary)
    unknown = sorted({i for r in results for i in r.get("proves") or []
                      if not any(i in reg.ids for reg in registers.values())})
    if unknown:
        console.print(f"[yellow]ids proven by results but not in the register:[/] {', '.join(unknown)}")
    load_errors = [r for r in results if r.get("load_error")]
    for r in load_errors:
        console.print(f"[red]bad input[/] {r.get('error')}", markup=True)
    if load_errors:
        return BAD_INPUT
    return OK if all(row.verdict in (PROVEN, UNIT) for row in rows) else FAILED


def _fresh_results(args: argparse.Namespace) -> Path | None:
    """The last full run's results (reports/results.json) when nothing it depends on changed since: every
    scenario, register, handler and harness file is older than it. Default paths and options only."""
    candidate = Path("reports") / "results.json"
    if args.rerun or args.paths != ["scenarios"] or args.seed is not None or args.backend or not candidate.is_file():
        return None
    written = candidate.stat().st_mtime
    import harness
    inputs = [Path("scenarios"), Path("handlers"), Path(harness.__file__).parent]
    newest = max((f.stat().st_mtime for folder in inputs if folder.is_dir() for f in folder.rglob("*")
                  if f.is_file() and "__pycache__" not in f.parts), default=0.0)
    return candidate if newest < written else None


def _results(args: argparse.Namespace) -> list[dict]:
    from harness.errors import InputError
    fresh = _fresh_results(args)
    if fresh is not None and args.results is None:
        args.console.print(f"using the last run's results ({fresh}, newer than every scenario, handler and harness "
                           f"file); --rerun runs the scenarios again", markup=False)
        args.results = fresh
    if args.results is not None:
        from harness.scenario.report import read_results
        try:
            return read_results(args.results)[1]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{args.results}: not a results.json written by `harness run --report-dir` "
                             f"({exc})") from None
    from harness.runner import Job, run_jobs
    from harness.runner.job import load
    from harness.scenario import ScenarioError
    from harness.scenario.discover import discover
    results: dict[Path, dict] = {}
    runnable = []
    for path in discover(args.paths):
        loaded = load(path)
        if isinstance(loaded, ScenarioError):
            results[path] = {"name": path.stem, "file": str(path), "status": "error", "load_error": True,
                             "error": str(loaded), "proves": []}
        else:
            runnable.append(path)
    jobs = [Job(path, seed=args.seed, backend=args.backend) for path in runnable]
    for path, result in zip(runnable, run_jobs(jobs, workers=_workers(args.workers))):
        results[path] = {"name": result.name, "file": result.file, "status": result.status,
                         "system": result.system, "proves": result.proves}
    return [results[path] for path in sorted(results)]


def _workers(text: str) -> int | None:
    from harness.errors import InputError
    if text == "auto":
        return None
    if not text.isdigit() or int(text) < 1:
        raise InputError(f"-n: expected 'auto' or a number of processes >= 1; got {text!r}")
    return int(text)


def _systems(args: argparse.Namespace, folder: Path, registers: dict[str, Register], results: list[dict]) -> list[str]:
    """--system, else every register when a path is the library root (or results were given), else the
    systems of the scenarios that ran."""
    from harness.errors import InputError
    from harness.scenario.errors import one_of, suggest
    if args.system:
        for name in args.system:
            if name not in registers:
                raise InputError(f"--system {name!r}: no register{suggest(name, registers)}; registers: "
                                 f"{one_of(registers)}")
        return list(args.system)
    whole = args.results is not None or any(Path(p).resolve() == folder.resolve().parent for p in args.paths)
    ran = {r.get("system") for r in results}
    return [s for s in registers if whole or s in ran]


def _print(console: Any, rows: list[Row], systems: list[str], summary: bool = False) -> None:
    from rich.markup import escape
    from rich.table import Table
    colour = {PROVEN: "green", FAILING: "red", MISSING: "red", UNIT: "cyan"}
    status_colour = {"passed": "green", "failed": "red", "error": "yellow", "skipped": "cyan"}
    for system in [] if summary else systems:
        table = Table(title=f"Requirements: {system}", show_lines=False)
        for column in ("requirement", "section", "proof", "scenarios", "verdict"):
            table.add_column(column, overflow="fold")
        for row in (r for r in rows if r.requirement.system == system):
            req = row.requirement
            proof = ", ".join(req.tests) if not req.behavioural else f"{len(row.scenarios)} scenario(s)"
            scenarios = "\n".join(f"[{status_colour.get(s, 'white')}]{s}[/] {escape(label)}" for label, s in row.scenarios)
            table.add_row(req.id, escape(req.section), escape(proof), scenarios or "-",
                          f"[{colour[row.verdict]}]{row.verdict.upper()}[/]")
        console.print(table)
    counts = Table(title="Requirements per system")
    for column in ("system", "requirements", "behavioural", "proven", "failing", "missing", "unit", "scenarios"):
        counts.add_column(column, justify="right" if column != "system" else "left")
    for system in systems:
        mine = [r for r in rows if r.requirement.system == system]
        n = {v: sum(1 for r in mine if r.verdict == v) for v in (PROVEN, FAILING, MISSING, UNIT)}
        scenarios = {label for r in mine for label, _ in r.scenarios}
        counts.add_row(system, str(len(mine)), str(len(mine) - n[UNIT]), str(n[PROVEN]), str(n[FAILING]),
                       str(n[MISSING]), str(n[UNIT]), str(len(scenarios)))
    console.print(counts)
    bad = [r for r in rows if r.verdict in (FAILING, MISSING)]
    for row in bad:
        console.print(f"[red]{row.verdict.upper()}[/] {row.requirement.id}: {escape(row.requirement.text)} "
                      f"({row.requirement.file}:{row.requirement.line})")
    total = len(rows)
    console.print(f"{total} requirement(s): {sum(r.verdict == PROVEN for r in rows)} proven by a passing "
                  f"scenario, {sum(r.verdict == UNIT for r in rows)} by unit tests, {len(bad)} without a passing "
                  f"scenario", markup=False)
