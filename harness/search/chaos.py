"""`python -m harness chaos SCENARIO --budget N | --time 60s`: generated fault plans, judged by invariants.

1. A clean run (the scenario's own seed and faults) must pass; its trace gives the call sites it reaches.
2. Rounds of plans are drawn by hypothesis over those sites (`plans.py`; round r is seeded by `--seed` and r,
   so the same `--seed` gives the same search), each plan added to the scenario's own faults, and run in
   parallel. A run fails when an invariant, an `always` expectation, or the run itself breaks.
3. The first failing plan (in draw order) is shrunk with hypothesis (`shrink.py`) and written to
   scenarios/found/ as a scenario that replays it (`found.py`).
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.search import executor
from harness.search.found import DEFAULT_FOLDER, write_found
from harness.search.plans import Plan, draw_plans, plans, seeds_near
from harness.search.shard import Shard, add_shard_argument, parse_shard
from harness.search.sites import Site, learn_sites
from harness.search.verdict import Judge, chaos_judge

OK, FAILED, BAD_INPUT = 0, 1, 2
DEFAULT_BUDGET = 200
ROUND = 32  # plans drawn and run per round


def add_parser(sub: Any) -> None:
    """Register the `chaos` subcommand."""
    p = sub.add_parser("chaos", help="search generated fault plans for a failure; shrink it; write a scenario")
    p.add_argument("paths", nargs="+", metavar="SCENARIO")
    p.add_argument("--budget", type=int, help=f"plans to run per scenario (default {DEFAULT_BUDGET})")
    p.add_argument("--time", help="stop drawing new rounds after this long (e.g. 60s, 5m)")
    p.add_argument("--seed", type=int, default=0, help="search seed: the same seed gives the same search")
    p.add_argument("--max-rules", type=int, default=3, help="rules per generated plan (default 3)")
    p.add_argument("--replace-faults", action="store_true",
                   help="drop the scenario's own faults instead of adding generated rules to them")
    p.add_argument("--found-dir", type=Path, default=DEFAULT_FOLDER, help=f"where found scenarios go "
                   f"(default {DEFAULT_FOLDER})")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p.add_argument("--backend", help="override the backend")
    p.add_argument("--report-dir", type=Path, help="write junit.xml, index.html and results.json here")
    add_shard_argument(p)


def parse_duration(text: str | None) -> float | None:
    """`60s`, `5m`, `90` -> seconds."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*", text)
    if not match:
        raise InputError(f"--time: expected a duration like 60s, 5m or 1h; got {text!r}")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]


@dataclass
class Search:
    """The outcome of searching one scenario."""

    path: Path
    name: str
    sites: list[Site] = field(default_factory=list)
    runs: int = 0
    hashes: set[str] = field(default_factory=set)
    history: list[tuple[str, str]] = field(default_factory=list)  # (plan key, trace hash) of each run, draw order
    failure: Any = None  # the first failing (plan, result) in draw order
    shrunk: Any = None  # Shrunk
    final: Any = None  # the result of the shrunk plan
    found: Path | None = None
    baseline: Any = None
    wall: float = 0.0
    runs_to_find: int | None = None


@dataclass(frozen=True)
class Options:
    """What `chaos` was asked to do."""

    budget: int = DEFAULT_BUDGET
    seconds: float | None = None
    seed: int = 0
    max_rules: int = 3
    replace_faults: bool = False
    found_dir: Path = DEFAULT_FOLDER
    workers: int | None = None
    backend: str | None = None
    shard: Shard = field(default_factory=Shard)
    progress: Any = None  # advance(note) per run


def search(path: Path, options: Options) -> Search:
    """Search one scenario: clean run, rounds of generated plans, shrink the first failure, write it."""
    from harness.clock import real_perf_counter
    scenario = executor.load(path)
    judge = chaos_judge(scenario)
    base = [] if options.replace_faults else [dict(rule) for rule in scenario.top_level_faults]
    started = real_perf_counter()
    result = Search(path, scenario.name)
    baseline = executor.run_here(executor.make_job(path, faults=base, backend=options.backend))
    result.baseline = baseline
    if judge.signature(baseline):
        result.failure, result.runs_to_find = (Plan((), scenario.seed), baseline), 0
        result.wall = real_perf_counter() - started
        return result
    result.sites = learn_sites(baseline)
    strategy = plans(result.sites, seeds_near(scenario.seed), options.max_rules)
    with executor.kept_workers():  # every round on the same warm workers
        _rounds(path, scenario, judge, strategy, base, result, started, options)
    if result.failure is not None:
        _shrink_and_write(result, scenario, judge, base, options)
    result.wall = real_perf_counter() - started
    return result


def _rounds(path: Path, scenario: Any, judge: Judge, strategy: Any, base: list[dict], result: Search,
            started: float, options: Options) -> None:
    """Rounds of drawn plans until the budget or the time is spent or a plan fails (recorded in `result`)."""
    from harness.clock import real_perf_counter
    budget = options.shard.share(options.budget)
    round_no = 0
    while result.runs < budget and result.failure is None:
        if options.seconds is not None and real_perf_counter() - started > options.seconds:
            return
        drawn = draw_plans(strategy, ROUND, f"{options.seed}:{options.shard}:{scenario.name}:{round_no}")
        drawn = drawn[: budget - result.runs]
        round_no += 1
        jobs = [executor.make_job(path, seed=p.seed, faults=p.fault_list(base), backend=options.backend, tag=i)
                for i, p in enumerate(drawn)]
        done = _round(jobs, judge, options)
        for position in sorted(done):
            result.hashes.add(done[position].trace_hash)
        failing = [i for i in sorted(done) if _fails(judge, done[i])]
        decided = range(failing[0] + 1 if failing else len(drawn))  # runs past the first failure: timing's choice
        result.history += [(drawn[i].key, done[i].trace_hash) for i in decided if i in done]
        if failing:
            first = failing[0]
            result.failure, result.runs_to_find = (drawn[first], done[first]), result.runs + first + 1
        result.runs += len(done)
        if not drawn:
            return


def _fails(judge: Judge, run: Any) -> bool:
    """A judged failure of the system (a plan the fault engine refused is the search's own error, not a finding)."""
    return bool(judge.signature(run)) and "FaultPlanError" not in (run.error or "")


class _RoundDecided(Exception):
    """The first failure in draw order is known: the rest of the round need not run."""


def _round(jobs: list[Any], judge: Judge, options: Options) -> dict[int, Any]:
    """Run one round; stop early once the lowest-index failure and every job before it have finished (the same
    failure whatever order parallel workers finish in). Returns results by draw index."""
    done: dict[int, Any] = {}

    def finished(job: Any, run: Any) -> None:
        done[job.tag] = run
        if options.progress is not None:
            options.progress("failure found" if _fails(judge, run) else "")
        failing = [i for i in done if _fails(judge, done[i])]
        if failing and all(i in done for i in range(min(failing))):
            raise _RoundDecided

    try:
        executor.run_jobs(jobs, workers=options.workers, on_result=finished)
    except _RoundDecided:
        pass
    return done


def _shrink_and_write(result: Search, scenario: Any, judge: Judge, base: list[dict], options: Options) -> None:
    from harness.search.shrink import shrink
    plan, run = result.failure
    wanted = set(judge.signature(run))
    last: dict[str, Any] = {plan.key: run}

    def fails(candidate: Plan) -> bool:
        job = executor.make_job(result.path, seed=candidate.seed, faults=candidate.fault_list(base),
                                backend=options.backend)
        outcome = executor.run_here(job)
        last[candidate.key] = outcome
        return bool(wanted & set(judge.signature(outcome)))

    if plan.rules:
        result.shrunk = shrink(plan, scenario.seed, fails, f"{options.seed}:shrink:{scenario.name}")
        final_plan = result.shrunk.plan
    else:
        final_plan = plan
    result.final = last.get(final_plan.key) or run
    faults = final_plan.fault_list(base)
    result.found = write_found(scenario, faults, final_plan.seed, judge.messages(result.final), options.found_dir,
                               judge.always)


def run(args: argparse.Namespace, console: Any) -> int:
    """Exit 0 when no failure was found, 1 when one was (and written), 2 for bad input."""
    from harness.clock import real_perf_counter
    from harness.scenario import ScenarioError
    from harness.scenario.discover import discover
    from harness.search.progress import progress_bar, rate
    if args.budget is not None and args.budget < 1:
        raise InputError(f"--budget: expected a number of runs >= 1, got {args.budget}")
    shard = parse_shard(args.shard)
    seconds = parse_duration(args.time)
    budget = args.budget or (10**9 if seconds is not None else DEFAULT_BUDGET)
    files = discover(args.paths)
    try:
        for path in files:
            executor.load(path)
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    searches = []
    started = real_perf_counter()
    for path in files:
        with progress_bar(console, f"chaos {path.name}", None if seconds else shard.share(budget)) as advance:
            options = Options(budget, seconds, args.seed, args.max_rules, args.replace_faults, args.found_dir,
                              args.workers, args.backend, shard, advance)
            searches.append(search(path, options))
        _print(console, searches[-1], args)
    wall = real_perf_counter() - started
    runs = sum(s.runs + 1 + (s.shrunk.runs if s.shrunk else 0) for s in searches)
    console.print(f"chaos: {len(searches)} scenario(s), {runs} run(s) (search, clean and shrink runs), "
                  f"{sum(1 for s in searches if s.failure)} failure(s) found - {wall:.1f}s wall, {rate(runs, wall)}, "
                  f"executor {executor.executor_name()}", markup=False)
    if args.report_dir:
        from harness.scenario.report import write_reports
        written = write_reports([report_entry(s) for s in searches], args.report_dir, "Chaos search")
        console.print(f"reports: {written['html']} (HTML), {written['junit']} (JUnit XML), {written['json']}",
                      markup=False)
    return FAILED if any(s.failure for s in searches) else OK


def _print(console: Any, s: Search, args: argparse.Namespace) -> None:
    seed_note = f"--seed {args.seed}" + (f" --shard {args.shard}" if args.shard else "")
    if s.failure is None:
        console.print(f"[green]NO FAILURE[/] {s.path} :: {s.name}")
        console.print(f"  {s.runs} plan(s) over {len(s.sites)} site(s), {len(s.hashes)} distinct trace(s) "
                      f"({seed_note}) in {s.wall:.1f}s", markup=False)
        return
    console.print(f"[red]FAILURE FOUND[/] {s.path} :: {s.name}")
    if s.runs_to_find == 0:
        console.print("  the clean run already fails (no generated fault needed):", markup=False)
    else:
        plan = s.shrunk.plan if s.shrunk else s.failure[0]
        console.print(f"  found after {s.runs_to_find} run(s) ({seed_note}); shrunk to {len(plan.rules)} rule(s), "
                      f"seed {plan.seed}, in {s.shrunk.runs if s.shrunk else 0} run(s) ({s.shrunk.method if s.shrunk else '-'})",
                      markup=False)
        for rule in plan.rules:
            console.print(f"    {rule}", markup=False)
    judge_lines = chaos_judge(executor.load(s.path)).messages(s.final or s.failure[1])
    for line in judge_lines[:4]:
        console.print(f"  {line[:240]}", markup=False)
    if s.found is not None:
        console.print(f"  written: {s.found}\n  replay: python -m harness replay {s.found}", markup=False)


def report_entry(s: Search) -> dict:
    """One report row per scenario: the shrunk failing run, or a passing summary."""
    if s.failure is None:
        row = s.baseline.to_dict()
        row.update(name=f"{s.name} [chaos: {s.runs} plans, no failure]", events=[], status="passed",
                   report=f"{s.runs} generated plans over {len(s.sites)} sites, no failure")
        return row
    row = (s.final or s.failure[1]).to_dict()
    row.update(name=f"{s.name} [chaos: failure found]", status="failed",
               replay=f"python -m harness replay {s.found}" if s.found else row.get("replay"))
    return row
