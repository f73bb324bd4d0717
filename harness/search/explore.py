"""`python -m harness explore SCENARIO... --seeds 1..500`: each scenario under many seeds, in parallel.

Prints seeds run, distinct interleavings (trace hashes), failures grouped by what failed with the first
failing seed's replay command, and runs per second. Without `--seeds`, a scenario runs the number of seeds
its `explore: {seeds: N}` key declares (scenarios without the key are skipped when a folder is given), so
`python -m harness explore scenarios` explores what the library marks for it.
"""
from __future__ import annotations

import argparse
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.search import executor
from harness.search.shard import Shard, add_shard_argument, parse_shard
from harness.search.verdict import EVERYTHING

OK, FAILED, BAD_INPUT = 0, 1, 2


def add_parser(sub: Any) -> None:
    """Register the `explore` subcommand."""
    p = sub.add_parser("explore", help="run scenarios under many seeds; group failures; report interleavings")
    p.add_argument("paths", nargs="+", metavar="SCENARIO")
    p.add_argument("--seeds", help="seeds to run: 1..500, 7, 1,5,9 (default: the scenario's explore.seeds, "
                                   "counted from its own seed)")
    p.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    p.add_argument("--backend", help="override the backend")
    p.add_argument("--report-dir", type=Path, help="write junit.xml, index.html and results.json here")
    add_shard_argument(p)


def parse_seeds(text: str) -> list[int]:
    """`1..500`, `7`, `1,5,9`, `1..3,10` -> the seeds, in order, without repeats."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        span = re.fullmatch(r"(\d+)\s*\.\.\s*(\d+)", part)
        if span and int(span.group(1)) <= int(span.group(2)):
            seeds += range(int(span.group(1)), int(span.group(2)) + 1)
        elif part.isdigit():
            seeds.append(int(part))
        else:
            raise InputError(f"--seeds: expected seeds like 1..500, 7 or 1,5,9; got {part!r} in {text!r}")
    return list(dict.fromkeys(seeds))


@dataclass
class Exploration:
    """What the seeds of one scenario did."""

    path: Path
    name: str
    seeds: list[int]
    hashes: set[str] = field(default_factory=set)
    groups: dict[tuple[str, ...], list[Any]] = field(default_factory=lambda: defaultdict(list))
    first: Any = None
    runs: int = 0

    def add(self, result: Any) -> None:
        """Count one run."""
        self.runs += 1
        if self.first is None or result.seed < self.first.seed:  # the lowest seed, whichever worker finished first
            self.first = result
        if result.trace_hash:
            self.hashes.add(result.trace_hash)
        signature = EVERYTHING.signature(result)
        if signature:
            self.groups[signature].append(result)

    @property
    def failures(self) -> int:
        """Failing runs."""
        return sum(len(v) for v in self.groups.values())


def plan_jobs(paths: list[str], seeds_text: str | None, backend: str | None,
              shard: Shard) -> tuple[list[Any], dict[Path, Exploration], list[str]]:
    """The jobs (scenario x seed, this shard's part), the explorations they fill, and skipped notes."""
    from harness.scenario import ScenarioError
    from harness.scenario.discover import discover
    explicit = parse_seeds(seeds_text) if seeds_text else None
    files = discover(paths)
    single_files = {Path(p) for p in paths if Path(p).is_file()}
    jobs, explorations, skipped = [], {}, []
    for path in files:
        try:
            scenario = executor.load(path)
        except ScenarioError as exc:
            if path in single_files:
                raise InputError(str(exc)) from None
            skipped.append(f"{path} (does not load: `python -m harness run {path}` says why)")
            continue
        settings = scenario.model.explore
        if explicit is None and settings is None and path not in single_files:
            skipped.append(str(path))
            continue
        count = settings.seeds if settings is not None else 20
        seeds = explicit or list(range(scenario.seed, scenario.seed + count))
        explorations[path] = Exploration(path, scenario.name, seeds)
        jobs += [executor.make_job(path, seed=seed, backend=backend, tag=path) for seed in seeds]
    return shard.take(jobs), explorations, skipped


def run(args: argparse.Namespace, console: Any) -> int:
    """Exit 0 when every run passed, 1 when any failed, 2 for bad input."""
    from harness.clock import real_perf_counter
    from harness.search.progress import progress_bar, rate
    shard = parse_shard(args.shard)
    jobs, explorations, skipped = plan_jobs(args.paths, args.seeds, args.backend, shard)
    if not jobs and (skipped or shard.count > 1):
        console.print(f"nothing to explore: {len(skipped)} scenario(s) declare no `explore: {{seeds: N}}` "
                      f"(give --seeds to explore them)" + (f"; shard {shard} is empty" if shard.count > 1 else ""),
                      markup=False)
        return OK
    if not jobs:
        raise InputError(f"nothing to explore in {', '.join(args.paths)}: give --seeds, or mark scenarios with "
                         f"`explore: {{seeds: N}}`" + (f" (shard {shard} is empty)" if shard.count > 1 else ""))
    started = real_perf_counter()
    with progress_bar(console, f"explore ({executor.executor_name()})", len(jobs)) as advance:
        def done(job: Any, result: Any) -> None:
            explorations[Path(job.path)].add(result)
            advance(f"{sum(e.failures for e in explorations.values())} failing")
        executor.run_jobs(jobs, workers=args.workers, on_result=done)
    wall = real_perf_counter() - started
    ran = [e for e in explorations.values() if e.runs]
    for exploration in ran:
        _print(console, exploration)
    unmarked = [path for path in skipped if not path.endswith(")")]
    for path in skipped:
        if path.endswith(")"):  # a scenario that does not load, with the reason
            console.print(f"skipped {path}", markup=False)
    if unmarked:
        console.print(f"skipped {len(unmarked)} scenario(s) without an `explore:` key (give --seeds to explore them)",
                      markup=False)
    total = sum(e.runs for e in ran)
    failing = sum(e.failures for e in ran)
    console.print(f"explored {len(ran)} scenario(s), {total} run(s), {failing} failing"
                  f"{f' (shard {shard})' if shard.count > 1 else ''} - {wall:.1f}s wall, {rate(total, wall)}, "
                  f"executor {executor.executor_name()}", markup=False)
    if args.report_dir:
        from harness.scenario.report import write_reports
        written = write_reports([d for e in ran for d in report_entries(e)], args.report_dir, "Exploration")
        console.print(f"reports: {written['html']} (HTML), {written['junit']} (JUnit XML), {written['json']}",
                      markup=False)
    return FAILED if failing else OK


def _print(console: Any, e: Exploration) -> None:
    status = "[red]FAILED[/]" if e.groups else "[green]PASSED[/]"
    console.print(f"{status} {e.path} :: {e.name}")
    console.print(f"  seeds run: {e.runs}; distinct interleavings (trace hashes): {len(e.hashes)}; "
                  f"failing: {e.failures}", markup=False)
    for signature, results in sorted(e.groups.items(), key=lambda item: -len(item[1])):
        first = min(results, key=lambda r: r.seed)
        seeds = sorted(r.seed for r in results)
        console.print(f"  {len(results)} run(s) failed {', '.join(signature)}", markup=False)
        console.print(f"    seeds: {', '.join(map(str, seeds[:12]))}{' ...' if len(seeds) > 12 else ''}",
                      markup=False)
        for line in EVERYTHING.messages(first)[:3]:
            console.print(f"    {line[:240]}", markup=False)
        console.print(f"    replay: {first.replay}", markup=False)


def report_entries(e: Exploration) -> list[dict]:
    """Report rows: one per failure group (its first failing run, with its trace) or one passing row."""
    if not e.groups:
        row = e.first.to_dict()
        row.update(name=f"{e.name} [explore {e.runs} seeds]", events=[], status="passed",
                   report=f"{e.runs} seeds, {len(e.hashes)} distinct interleavings, no failure")
        return [row]
    rows = []
    for signature, results in sorted(e.groups.items(), key=lambda item: min(r.seed for r in item[1])):
        first = min(results, key=lambda r: r.seed)
        row = first.to_dict()
        row["name"] = f"{e.name} [explore: {len(results)}/{e.runs} seeds failed {', '.join(signature)}]"
        rows.append(row)
    return rows
