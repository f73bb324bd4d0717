"""`python -m harness incident import`: CloudWatch Logs exports (+ a DLQ dump, + events) of an incident -> a
scenario that replays it. Prints what it mapped and, line by line, what it could not map and why."""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import yaml

from harness.incidents import writer
from harness.incidents.dumps import dlq_inputs, read_dlq, read_events
from harness.incidents.formats import insights_time, read_log_file
from harness.incidents.inputs import Input, logged_inputs
from harness.incidents.records import IncidentInputError, LogLine
from harness.incidents.system import SystemMap, load_system
from harness.incidents.timeline import Timeline, Unmapped, build_timeline


def add_parser(sub: Any) -> None:
    """Register `incident import`."""
    incident = sub.add_parser("incident", help="reproduce a production incident from its CloudWatch logs")
    actions = incident.add_subparsers(dest="incident_command", required=True, metavar="ACTION")
    p = actions.add_parser("import", help="CloudWatch Logs exports (+ DLQ dump, events) -> a scenario YAML")
    p.add_argument("--template", type=Path, required=True, help="the system's SAM template")
    p.add_argument("--logs", nargs="+", required=True, metavar="[FUNCTION=]FILE",
                   help="filter-log-events JSON, Logs Insights JSON or CSV; FUNCTION= names a file's log group")
    p.add_argument("--dlq", action="append", default=[], metavar="[QUEUE=]FILE",
                   help="aws sqs receive-message --attribute-names All --message-attribute-names All output")
    p.add_argument("--events", type=Path, action="append", default=[], help="the incident's events (JSON)")
    p.add_argument("--setup", type=Path, help="YAML with what logs cannot tell: setup, http_mocks, parameters")
    p.add_argument("--out", type=Path, required=True, help="the scenario to write (scenarios/incidents/NAME.yaml)")
    p.add_argument("--name", help="the scenario's name (default: from the file name)")
    p.add_argument("--seed", type=int, default=0, help="the scenario's seed (default 0)")
    p.add_argument("--start", help="incident window start, ISO-8601 (default: the first log line's second)")


@dataclass
class Imported:
    """The result of an import: the scenario text and the report lines."""

    text: str
    report: list[str]
    unmapped: list[Unmapped]


def import_incident(template: Path, logs: list[str], dlq: list[str] = (), events: list[Path] = (),
                    setup: Path | None = None, out: Path = Path("incident.yaml"), name: str | None = None,
                    seed: int = 0, start: str | None = None) -> Imported:
    """Read everything, rebuild the timeline, and compose the scenario (not written)."""
    extra = _setup(setup)
    system = load_system(template, extra.get("parameters"))
    lines, report = [], []
    for spec in logs:
        fmt, read = _read_logs(spec, system)
        report.append(f"read {spec}: {len(read)} log events ({fmt})")
        lines += read
    begin = insights_time(start, "--start") if start else None
    timeline = build_timeline(lines, begin)
    inputs, skipped = logged_inputs(timeline, system)
    unmapped = list(timeline.unmapped) + skipped
    letters = [letter for spec in dlq for letter in read_dlq(spec, system)]
    more, why = dlq_inputs(letters, timeline, system)
    unmapped += why
    for path in events:
        found, why = read_events(path, timeline, system)
        more += found
        unmapped += why
    known = {i.key for i in inputs}
    inputs = sorted(inputs + [i for i in more if i.key not in known], key=lambda i: i.at)
    mapping = _compose(timeline, system, inputs, letters, unmapped)
    header = {"name": name or out.stem.replace("_", " "),
              "description": f"Imported from CloudWatch Logs of {', '.join(timeline.functions())}: "
                             f"{len(timeline.invocations)} invocations over {timeline.end():.0f} s.",
              "system": _system_ref(template, out), "seed": seed,
              "start": timeline.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"}
    header.update({k: extra[k] for k in ("parameters", "setup", "http_mocks") if extra.get(k)})
    comment = [f"Imported by `python -m harness incident import` from {', '.join(logs + list(dlq) + [str(e) for e in events])}.",
               f"Replay: python -m harness replay {out}"]
    text = writer.scenario_yaml(header, mapping.faults, mapping.steps, mapping.expect, _placeholders(system), comment)
    return Imported(text, report + _report(timeline, inputs, mapping), mapping.unmapped)


def _setup(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IncidentInputError(f"{path}: cannot read the setup file ({exc})") from None
    if not isinstance(data, dict) or set(data) - {"setup", "http_mocks", "parameters"}:
        raise IncidentInputError(f"{path}: expected a mapping with setup, http_mocks and/or parameters")
    return data


def _read_logs(spec: str, system: SystemMap) -> tuple[str, list[LogLine]]:
    function, _, file = spec.rpartition("=") if "=" in spec else ("", "", spec)
    path = Path(file)
    if function and system.function(function) is None:
        known = ", ".join(sorted(system.catalog.logical_ids("function")))
        raise IncidentInputError(f"--logs {spec}: no function {function!r} in the template; expected one of {known}")
    physical = system.physical(system.function(function)) if function else _function_of(path, system)
    fmt, lines = read_log_file(path, physical)
    if any(ln.function is None for ln in lines):
        physical = _function_in(lines, system)
        if physical is None:
            raise IncidentInputError(f"{path}: cannot tell which function's log group this is (the file name is no "
                                     "function name and no line names one); name it: --logs FUNCTION=FILE")
        lines = [LogLine(ln.time, ln.message, ln.where, ln.function or physical, ln.stream) for ln in lines]
    for ln in lines:
        if system.function(ln.function) is None:
            raise IncidentInputError(f"{ln.where}: log group of function {ln.function!r}, which is not in "
                                     f"{system.template.path}; is it the right template (or --setup parameters)?")
    return fmt, [LogLine(ln.time, ln.message, ln.where, system.physical(system.function(ln.function)), ln.stream)
                 for ln in lines]


def _function_of(path: Path, system: SystemMap) -> str | None:
    """A file named after the function (physical name, logical id, or `aws-lambda-<name>`)."""
    stem = path.name.split(".")[0]
    for candidate in (stem, stem.removeprefix("aws-lambda-"), stem.replace("_aws_lambda_", "")):
        logical = system.function(candidate)
        if logical:
            return system.physical(logical)
    return None


def _function_in(lines: list[LogLine], system: SystemMap) -> str | None:
    """The one function the lines' structured records name (`function_name`, `function_arn`)."""
    names = set()
    for ln in lines[:200]:
        if ln.message.startswith("{"):
            try:
                doc = json.loads(ln.message)
            except json.JSONDecodeError:
                continue
            name = doc.get("function_name") if isinstance(doc, dict) else None
            if isinstance(name, str) and system.function(name):
                names.add(name)
    return names.pop() if len(names) == 1 else None


def _system_ref(template: Path, out: Path) -> str:
    """The system's name when it resolves from the scenario's folder to this template, else a relative path."""
    import os

    from harness.errors import InputError
    from harness.scenario.system import resolve_template
    name = template.resolve().parent.name
    try:
        found = resolve_template(name, out.resolve()).resolve()
    except InputError:
        found = None
    return name if found == template.resolve() else os.path.relpath(template.resolve(), out.resolve().parent)


def _compose(timeline: Timeline, system: SystemMap, inputs: list[Input], letters: list, unmapped: list) -> writer.Mapping:
    mapping = writer.Mapping(unmapped=list(unmapped))
    taken: set[str] = set()
    for cluster in writer._clusters(timeline.failures()):
        rule, why = writer.failure_rule(cluster, system, taken)
        if rule is None:
            mapping.unmapped.append(Unmapped(cluster[0].where, why, ""))
            continue
        mapping.faults.append(rule)
        evidence = ", ".join(sorted({f.where for f in cluster})[:3])
        times = f"x{rule['times']}" if "times" in rule else "on every attempt in the window"
        mapping.mapped.append(f"fault {rule['id']}: {rule['effect']} {times} on {rule['match']} "
                              f"<- {evidence}{' ...' if len(cluster) > 3 else ''}")
    rules, notes = writer.outcome_rules(timeline, system, taken)
    rules += writer.container_rules(timeline, system, taken)
    mapping.faults += rules
    mapping.unmapped += notes
    for rule in rules:
        times = f"x{rule['times']}" if "times" in rule else "on every attempt in the window"
        mapping.mapped.append(f"fault {rule['id']}: {rule['effect']} {times} on {rule['match']} "
                              "<- invocation outcomes and log streams")
    for inv in timeline.invocations:
        if inv.outcome == "timeout" and inv.failures:
            mapping.unmapped.append(Unmapped(f"{inv.function} request {inv.request_id}", "timed out after "
                                             f"{len(inv.failures)} logged failure(s): no lambda_timeout fault, the "
                                             "failures (and the handler's waits) should time it out again", ""))
    mapping.steps = writer.steps_from(inputs, timeline.end()) or [{"advance": round(timeline.end() + 1.0, 3)}]
    mapping.expect = writer.observed(timeline, system, mapping.faults)
    for queue in sorted({letter.queue for letter in letters if letter.queue}):
        depth = sum(1 for letter in letters if letter.queue == queue)
        mapping.expect.append({"dlq": {"queue": queue, "depth": depth}})
    recovered = {letter.attribute("RequestID") for letter in letters}
    silent = [i for i in timeline.invocations if i.attempt == 1 and not i.events and i.request_id not in recovered]
    if inputs and silent:
        mapping.unmapped.append(Unmapped("(inputs)", f"{len(silent)} invocation(s) logged no event (first: "
                                         f"{silent[0].function} request {silent[0].request_id}); if they were inputs, "
                                         "give their events with --events", ""))
    if not inputs and any(i.events for i in timeline.invocations):
        mapping.unmapped.append(Unmapped("(inputs)", "no inputs: every logged event came from inside the system "
                                         "(schedules, chained invokes, queues its functions feed); the steps only "
                                         "let time pass", ""))
    elif not inputs:
        mapping.unmapped.append(Unmapped("(inputs)", "no input events: the functions did not log their events; "
                                         "give them with --events or --dlq, or add steps by hand", ""))
        mapping.steps = [{"advance": round(timeline.end() + 1.0, 3)}]
    return mapping


def _placeholders(system: SystemMap) -> list[str]:
    tables = system.catalog.logical_ids("table")
    queues = system.catalog.logical_ids("queue")
    lines = []
    if tables:
        lines.append(f"- item: {{table: {tables[0]}, key: {{...}}, subset: {{...}}}}   # the record ends in the right state")
    if queues:
        lines.append(f"- queue: {{queue: {queues[0]}, depth: 0}}                      # nothing left behind")
    lines.append("- invocations: {function: ..., outcomes: {error: 0}}        # the fix: no failed invocations")
    return lines


def _report(timeline: Timeline, inputs: list[Input], mapping: writer.Mapping) -> list[str]:
    out = ["line formats: " + ", ".join(f"{k} {v}" for k, v in sorted(timeline.formats.items())),
           f"window: {timeline.start.isoformat()} + {timeline.end():.3f} s"]
    for function in timeline.functions():
        invs = timeline.of(function)
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(_count(i.outcome for i in invs).items()))
        out.append(f"function {function}: {len(invs)} invocations ({outcomes})")
    out += [f"input at {i.at:.3f}s: {next(iter(i.step))} <- {i.origin}" for i in inputs]
    out += mapping.mapped
    return out


def _count(values: Any) -> dict:
    from collections import Counter
    return dict(Counter(values))


def run(args: argparse.Namespace, console: Any) -> int:
    """Write the scenario; exit 0 (written), 2 (bad input: the message says which file and what is wrong)."""
    if not args.template.is_file():
        raise IncidentInputError(f"--template {args.template}: no such file (expected the system's SAM template)")
    result = import_incident(args.template, args.logs, args.dlq, args.events, args.setup, args.out, args.name,
                             args.seed, args.start)
    console.print("mapped:", markup=False)
    for line in result.report:
        console.print(f"  {line}", markup=False, highlight=False)
    if result.unmapped:
        console.print(f"not mapped ({len(result.unmapped)}):", markup=False)
        for item in result.unmapped:
            text = f" | {item.text}" if item.text else ""
            console.print(f"  {item.where}: {item.reason}{text}", markup=False, highlight=False)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(result.text, encoding="utf-8")
    console.print(f"wrote {args.out}; replay: python -m harness replay {args.out}", markup=False)
    return 0


