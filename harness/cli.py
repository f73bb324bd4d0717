"""Command line: `python -m harness run|list|replay|trace|report` and the commands in COMMAND_MODULES (diff,
requirements, fuzz, explore, chaos, ...); also installed as `lambda-harness`.

Exit codes: 0 everything passed, 1 a scenario failed, 2 bad input (unloadable scenario, missing path, nothing
to run)."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

OK, FAILED, BAD_INPUT = 0, 1, 2
# Subcommands that live beside their code: each module has add_parser(sub) and run(args, console) -> exit code.
COMMAND_MODULES = ("harness.scenario.differential", "harness.scenario.matrix", "harness.fuzz.command",
                   "harness.search.explore", "harness.search.chaos", "harness.incidents.importer",
                   "harness.incidents.export", "harness.lint")


def _command_modules() -> list[Any]:
    import importlib
    return [importlib.import_module(name) for name in COMMAND_MODULES]


def _parser() -> argparse.ArgumentParser:
    from harness.scenario import limits
    parser = argparse.ArgumentParser(prog="python -m harness", description="Run and inspect fault-injection "
                                     "scenarios of AWS Lambda systems, deterministically, on virtual time.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(p: argparse.ArgumentParser, paths: str = "+") -> None:
        p.add_argument("--seed", type=int, help="override every scenario's seed")
        p.add_argument("--backend", help="override the backend (moto, moto-server, localstack:...)")
        limits.add_arguments(p)

    run = sub.add_parser("run", help="run scenarios (files or folders), print a summary, write reports")
    run.add_argument("paths", nargs="+", metavar="PATH")
    common(run)
    run.add_argument("--report-dir", type=Path, help="write junit.xml, index.html and results.json here")
    run.add_argument("-k", dest="keyword", help="only scenarios whose name or file contains this text")
    run.add_argument("-x", "--exitfirst", action="store_true", help="stop after the first failure")
    run.add_argument("--repeat", type=int, default=1, help="run each scenario N times; differing trace hashes fail")
    run.add_argument("--strict", action="store_true", help="refuse templates that use what the harness does not "
                     "emulate (each load warning becomes an error)")
    run.add_argument("--validate", action="store_true", help="refuse templates AWS's SAM transform refuses "
                     "(aws-sam-translator, as `harness lint` does)")
    run.add_argument("-n", dest="workers", default="1", type=_workers, metavar="auto|N",
                     help="worker processes: auto = every core (default 1: serially, in this process)")
    from harness.search import shard
    shard.add_shard_argument(run)
    lst = sub.add_parser("list", help="list scenarios with their system, seed, steps, faults (and load errors)")
    lst.add_argument("paths", nargs="+", metavar="PATH")
    limits.add_arguments(lst)
    replay = sub.add_parser("replay", help="run one scenario again with a seed and print its full report")
    replay.add_argument("file", type=Path)
    common(replay)
    replay.add_argument("--trace", action="store_true", help="also print the timeline")
    trace = sub.add_parser("trace", help="run one scenario and print its timeline")
    trace.add_argument("file", type=Path)
    common(trace)
    trace.add_argument("--json", action="store_true", help="the trace as JSON")
    trace.add_argument("--kind", action="append", help="only events of this kind (repeatable)")
    for module in _command_modules():
        before = set(sub.choices)
        module.add_parser(sub)
        for name in set(sub.choices) - before:
            sub.choices[name].set_defaults(command_module=module)
    report = sub.add_parser("report", help="write reports: from a results.json, or by running scenario paths; "
                            "`report merge DIR...` merges shards' reports")
    report.add_argument("sources", nargs="+", metavar="RESULTS_JSON_OR_PATH")
    report.add_argument("--report-dir", type=Path, required=True)
    common(report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from rich.console import Console
    console = Console(width=max(100, shutil.get_terminal_size((120, 24)).columns), highlight=False,
                      soft_wrap=True)
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:
        return BAD_INPUT if exc.code not in (0, None) else OK
    from harness.errors import InputError
    from harness.sandbox import interrupts
    from harness.scenario import limits
    try:
        commands = {"run": _run, "list": _list, "replay": _replay, "trace": _trace, "report": _report}
        with interrupts.handling(), limits.applied(args):
            if args.command in commands:
                return commands[args.command](args, console)
            return args.command_module.run(args, console)
    except InputError as exc:
        console.print(f"[red]error:[/red] {exc}", markup=True)
        return BAD_INPUT
    except interrupts.Interrupted as stop:
        console.print(str(stop), markup=False)
        return stop.exit_code


def entry() -> None:
    """The `python -m harness` / `lambda-harness` program: re-executed without the outer AWS credentials, and
    never left hanging by a handler thread that could not be stopped."""
    from harness.sandbox import credentials, exits, poisoned
    credentials.reexec_scrubbed(sys.argv[1:])
    code = main()
    if poisoned():  # a thread that would not stop must not keep the process alive after the reports
        sys.stdout.flush()
        sys.stderr.flush()
        exits.REAL_EXIT(code)
    sys.exit(code)


# ---------------------------------------------------------------------------------------------- run
def _load_all(paths: list[Path], validate: bool = False) -> list[tuple[Path, Any, str | None]]:
    from harness.runner.job import load
    loaded = []
    for path in paths:
        scenario = load(path)  # cached: the runner's workers inherit it
        if validate and not isinstance(scenario, Exception):
            from harness.sam_translate import refusal  # `run --validate`: AWS's SAM transform must accept it
            scenario = refusal(scenario.template, scenario.model.parameters) or scenario
        loaded.append((path, None, str(scenario)) if isinstance(scenario, Exception) else (path, scenario, None))
    return loaded


def _run(args: argparse.Namespace, console: Any) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from harness.clock import real_perf_counter
    from harness.runner import Job, run_jobs
    from harness.sandbox import interrupts
    from harness.scenario.discover import discover
    started = real_perf_counter()
    if args.strict:
        import os
        os.environ["HARNESS_STRICT"] = "1"  # read by every Simulation, in this process and in workers
        try:
            args.strict = False
            return _run(args, console)
        finally:
            os.environ.pop("HARNESS_STRICT", None)
    from harness.search.shard import parse_shard
    loaded = parse_shard(args.shard).take(_load_all(discover(args.paths), validate=args.validate))
    if args.keyword:
        loaded = [item for item in loaded if args.keyword in str(item[0]) or
                  (item[1] is not None and args.keyword in item[1].name)]
    if not loaded:
        console.print(f"[red]error:[/red] no scenarios to run in {', '.join(args.paths)}"
                      + (f" matching -k {args.keyword!r}" if args.keyword else "")
                      + " (expected *.yaml scenario files)")
        return BAD_INPUT
    runnable = [path for path, scenario, _ in loaded if scenario is not None]
    jobs = [Job(path, seed=args.seed, backend=args.backend, tag=(path, n))
            for path in runnable for n in range(max(1, args.repeat))]
    by_tag: dict[tuple, Any] = {}
    from harness.scenario.report.partial import PartialReports
    partial = PartialReports(lambda: _write_reports(args, _collect(loaded, by_tag, args.repeat), partial=True))
    # No refresh thread: worker processes are forked while the bar is up, and must not inherit a held lock.
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True, auto_refresh=False,
                      disable=not console.is_terminal) as progress:
            task = progress.add_task("scenarios", total=len(jobs))

            def done(job: Any, result: Any) -> None:
                by_tag[job.tag] = result
                progress.update(task, description=f"{job.path}", advance=1)
                progress.refresh()
                if args.report_dir:
                    partial.offer()  # a killed run keeps what it had, but writing stays a small part of the run
                if args.exitfirst and result.status != "passed":
                    raise _StopRun

            try:
                run_jobs(jobs, workers=args.workers, on_result=done)
            except _StopRun:
                pass
    except interrupts.Interrupted as stop:
        return _interrupted(console, args, loaded, by_tag, stop)
    results = _collect(loaded, by_tag, args.repeat)
    _summary(console, results, real_perf_counter() - started)
    if args.report_dir:
        written = _write_reports(args, results)
        console.print(f"reports: {written['html']} (HTML), {written['junit']} (JUnit XML), {written['json']}")
    return _exit_code(results)


def _collect(loaded: list, by_tag: dict, repeat: int, interrupted: BaseException | None = None) -> list[dict]:
    """Results in file order: load errors, finished runs, and (after an interrupt) the first unfinished
    scenario marked as the one the interrupt stopped."""
    results: list[dict] = []
    for path, scenario, error in loaded:
        runs = [by_tag[(path, n)] for n in range(max(1, repeat)) if (path, n) in by_tag]
        if scenario is None:
            results.append(_load_error(path, error))
        elif len(runs) == max(1, repeat):
            results.append(_repeated(runs))
        elif interrupted is not None:
            message = f"{interrupted} while this scenario ran"
            results.append({"name": scenario.name, "file": str(path), "seed": scenario.seed, "status": "error",
                            "interrupted": True, "error": message, "failures": [message],
                            "report": f"INTERRUPTED {path} :: {scenario.name}", "wall_seconds": 0.0})
            interrupted = None
    return results


def _interrupted(console: Any, args: argparse.Namespace, loaded: list, by_tag: dict, stop: Any) -> int:
    """Write the reports (the interrupted scenario marked), print one line; 130 (SIGINT) or 143 (SIGTERM)."""
    from harness.sandbox.interrupts import shielded
    with shielded():
        results = _collect(loaded, by_tag, args.repeat, stop)
        written = _write_reports(args, results)
        finished = sum(1 for r in results if not r.get("interrupted"))
        where = f"; reports in {written['json'].parent}" if written else ""
        console.print(f"{stop}: {finished} of {len(loaded)} scenario(s) finished{where}", markup=False)
    return stop.exit_code


def _write_reports(args: argparse.Namespace, results: list[dict], partial: bool = False) -> dict:
    """Write (atomically) the reports of the results so far, when a report folder was asked for (`partial`:
    results.json and junit.xml only, after each scenario; the HTML page at the end)."""
    if not args.report_dir:
        return {}
    from harness.scenario.report import write_reports
    return write_reports(results, args.report_dir, html=not partial)


class _StopRun(Exception):
    """-x: the first failure ends the run."""


def _workers(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number of processes >= 1; got {text!r}")
    return count


def _repeated(runs: list[Any]) -> dict:
    first = runs[0]
    result = first.to_dict()
    for again in runs[1:]:
        if again.trace_hash != first.trace_hash:
            result["status"] = "failed"
            message = (f"not deterministic: seed {first.seed} gave trace {first.trace_hash} and then "
                       f"{again.trace_hash}")
            result["failures"] = result["failures"] + [message]
            result["report"] += f"\n  {message}"
    return result


def _load_error(path: Path, error: str | None) -> dict:
    return {"name": path.stem, "file": str(path), "status": "error", "load_error": True, "error": error,
            "failures": [f"bad input: {error}"], "report": error, "wall_seconds": 0.0}


def _exit_code(results: list[dict]) -> int:
    if any(r.get("load_error") for r in results):
        return BAD_INPUT
    ran = [r for r in results if r["status"] != "skipped"]
    return OK if ran and all(r["status"] == "passed" for r in ran) else FAILED


def _summary(console: Any, results: list[dict], wall: float) -> None:
    from rich.table import Table
    table = Table(title="Scenarios")
    table.add_column("status", no_wrap=True, min_width=9)
    # The other columns need ~90 characters; the scenario column takes what is left (at least 30).
    table.add_column("scenario (file :: name)", overflow="ellipsis", no_wrap=True,
                     width=max(30, console.width - 92))
    for column, width in (("seed", 4), ("trace hash", 16), ("virtual s", 9), ("wall s", 6), ("expect", 6),
                          ("invariants", 10)):
        table.add_column(column, no_wrap=True, min_width=width, justify="left" if column == "trace hash" else "right")
    colour = {"passed": "green", "failed": "red", "error": "yellow", "skipped": "cyan"}
    for r in results:
        outcomes, invariants = r.get("outcomes") or [], r.get("invariants") or []
        status = "BAD INPUT" if r.get("load_error") else r["status"].upper()
        proves = f"\n  proves: {', '.join(r['proves'])}" if r.get("proves") else ""
        table.add_row(f"[{colour[r['status']]}]{status}[/]", f"{r['file']} :: {r['name']}{proves}",
                      str(r.get("seed", "-")),
                      str(r.get("trace_hash") or "-"), str((r.get("stats") or {}).get("virtual_seconds", "-")),
                      f"{float(r.get('wall_seconds') or 0):.2f}",
                      f"{sum(o['passed'] for o in outcomes)}/{len(outcomes)}",
                      f"{sum(i['passed'] for i in invariants)}/{len(invariants)}")
    console.print(table)
    for r in results:
        if r["status"] != "passed":
            console.print(r.get("report") or r.get("error") or "", markup=False, highlight=False)
    warnings = list(dict.fromkeys(w for r in results for w in r.get("warnings") or []))
    if warnings:
        console.print(f"warnings ({len(warnings)}, each once; --strict makes them errors):", markup=False)
        for warning in warnings:
            console.print(f"  {warning}", markup=False, highlight=False)
    counts = {s: sum(1 for r in results if r["status"] == s) for s in ("passed", "failed", "error", "skipped")}
    bad = sum(1 for r in results if r.get("load_error"))
    console.print(f"{len(results)} scenario(s): {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['error'] - bad} error(s), {bad} bad input, {counts['skipped']} skipped - {wall:.2f}s wall",
                  markup=False)


# ---------------------------------------------------------------------------------------------- others
def _list(args: argparse.Namespace, console: Any) -> int:
    from rich.table import Table

    from harness.scenario.discover import discover
    loaded = _load_all(discover(args.paths))
    table = Table(title="Scenarios")
    for column in ("file", "name", "system", "seed", "steps", "faults", "expect", "invariants"):
        table.add_column(column)
    for path, scenario, error in loaded:
        if scenario is None:
            table.add_row(str(path), "[red]cannot load[/]", "-", "-", "-", "-", "-", "-")
            continue
        table.add_row(str(path), scenario.name, scenario.model.system, str(scenario.seed), str(len(scenario.steps)),
                      str(len(scenario.fault_rules)), str(len(scenario.expect)),
                      ", ".join(i.name for i in scenario.invariants) or "-")
    console.print(table)
    for path, _, error in loaded:
        if error:
            console.print(error, markup=False)
    if not loaded:
        console.print(f"no scenarios in {', '.join(args.paths)}")
        return BAD_INPUT
    return BAD_INPUT if any(error for _, _, error in loaded) else OK


def _one(args: argparse.Namespace) -> Any:
    from harness.scenario import load_scenario, run_scenario
    return run_scenario(load_scenario(args.file), seed=args.seed, backend=args.backend)


def _replay(args: argparse.Namespace, console: Any) -> int:
    result = _one(args)
    if args.trace:
        _print_events(console, result.events, None)
    console.print(result.report(), markup=False, highlight=False)
    for outcome in result.outcomes:
        console.print(f"  {'ok  ' if outcome.passed else 'FAIL'} {outcome.where}: {outcome.expected}", markup=False)
    for inv in result.invariants:
        console.print(f"  {'ok  ' if inv.passed else 'FAIL'} invariant {inv.name}", markup=False)
    console.print(f"trace hash: {result.trace_hash}", markup=False)
    return OK if result.passed else FAILED


def _trace(args: argparse.Namespace, console: Any) -> int:
    result = _one(args)
    if args.json:
        events = [e for e in result.events if not args.kind or e["kind"] in args.kind]
        sys.stdout.write(json.dumps({"hash": result.trace_hash, "events": events}, indent=2, default=str) + "\n")
    else:
        _print_events(console, result.events, args.kind)
        console.print(f"trace hash: {result.trace_hash} ({result.status}, seed {result.seed})", markup=False)
    return OK if result.passed else FAILED


def _print_events(console: Any, events: list[dict], kinds: list[str] | None) -> None:
    from harness.scenario.report.html import _line
    for event in events:
        if not kinds or event["kind"] in kinds:
            console.print(_line(event), markup=False, highlight=False)


def _report(args: argparse.Namespace, console: Any) -> int:
    from harness.scenario.report import read_results, write_reports
    if args.sources[0] == "merge":
        from harness.scenario.report.merge import run_merge
        return run_merge(args.sources[1:], args.report_dir, console)
    results: list[dict] = []
    title = "Scenario run"
    paths = []
    for source in args.sources:
        if source.endswith(".json"):
            title, found = read_results(source)
            results += found
        else:
            paths.append(source)
    if paths:
        from harness.scenario import run_scenario
        from harness.scenario.discover import discover
        for path, scenario, error in _load_all(discover(paths)):
            results.append(_load_error(path, error) if scenario is None else
                           run_scenario(scenario, seed=args.seed, backend=args.backend).to_dict())
    if not results:
        console.print("error: no results to report")
        return BAD_INPUT
    written = write_reports(results, args.report_dir, title)
    console.print(f"reports: {written['html']} (HTML), {written['junit']} (JUnit XML)", markup=False)
    return _exit_code(results)
