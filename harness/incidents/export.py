"""`python -m harness logs export`: run a scenario and write its functions' CloudWatch Logs in AWS's formats
(`filter-log-events --output json`, one file per log group; or a Logs Insights CSV), so users see what their
production logs look like under a fault, and so `run -> export -> import -> run` can be tested."""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from harness.template import ACCOUNT_ID

EXPORT_FORMATS = ("cloudwatch-json", "insights-csv")


@dataclass(frozen=True)
class ExportedEvent:
    """One CloudWatch log event of one function."""

    function: str
    timestamp: int            # ms since the epoch
    stream: str
    message: str


def add_parser(sub: Any) -> None:
    """Register `logs export`."""
    logs = sub.add_parser("logs", help="a scenario run's CloudWatch Logs in AWS's export formats")
    actions = logs.add_subparsers(dest="logs_command", required=True, metavar="ACTION")
    p = actions.add_parser("export", help="run a scenario and write its logs as CloudWatch would hold them")
    p.add_argument("scenario", type=Path)
    p.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    p.add_argument("--out", type=Path, help="cloudwatch-json: a folder (one <function>.json per log group); "
                   "insights-csv: a file (default: standard output)")
    p.add_argument("--log-events", action="store_true",
                   help="log each invocation's event first, as Powertools' inject_lambda_context(log_event=True)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")


def stream_name(container: str, day: datetime) -> str:
    """A log stream name as Lambda writes it: `2030/03/01/[$LATEST]<32 hex digits>` (one per container)."""
    digest = hashlib.sha256(container.encode()).hexdigest()[:32]
    return f"{day:%Y/%m/%d}/[$LATEST]{digest}"


def _report(line: str, end: dict) -> str:
    """The runtime's REPORT line, with the memory the invocation's `invoke_end` measured when it did."""
    used = end.get("max_memory_used_mb", (end.get("extra") or {}).get("max_memory_used_mb"))
    if not isinstance(used, int) or isinstance(used, bool):
        return line
    return re.sub(r"Max Memory Used: \d+ MB", f"Max Memory Used: {used} MB", line)


def _runtime_line(message: str) -> str:
    """The harness's `[ERROR] Type: message` for timeouts and crashes, as the Lambda runtime words them."""
    if message.startswith("[ERROR] Sandbox.Timedout: "):
        return message[len("[ERROR] Sandbox.Timedout: "):]
    match = re.match(r"^\[ERROR\] (Runtime\.\w+): (RequestId: \S+ Error: .*)$", message, re.DOTALL)
    if match:
        return f"{match.group(2)}\n{match.group(1)}"
    return message


def _event_line(payload: Any, function: str, request_id: str, when: datetime, cold: bool) -> str:
    """A Powertools `log_event=True` record carrying the invocation's event."""
    stamp = when.strftime("%Y-%m-%d %H:%M:%S,") + f"{when.microsecond // 1000:03d}+0000"
    return json.dumps({"level": "INFO", "location": "decorate:448", "message": payload, "timestamp": stamp,
                       "service": "service_undefined", "cold_start": cold, "function_name": function,
                       "function_request_id": request_id}, separators=(",", ":"))


def exported_events(events: list[dict], start: datetime, payloads: dict | None = None) -> list[ExportedEvent]:
    """The log events of a run's trace, as CloudWatch would hold them (with events logged when `payloads`)."""
    out: list[ExportedEvent] = []
    streams: dict[tuple[str, str], str] = {}
    ends = {(e["request_id"], e.get("attempt")): e for e in events if e["kind"] == "invoke_end"}
    starts: dict[str, dict] = {}
    for e in events:
        if e["kind"] == "invoke_start":
            starts[e["request_id"]] = e
            streams[(e["function"], e["request_id"])] = e["container"]
        if e["kind"] != "log":
            continue
        when = start + timedelta(seconds=e["t"])
        begun = starts.get(e["request_id"], {})
        container = streams.get((e["function"], e["request_id"]), e["function"])
        stream = stream_name(container, start)
        stamp = math.floor(when.timestamp() * 1000)
        message = e["message"]
        if message.startswith("REPORT RequestId: "):
            end = ends.get((e["request_id"], begun.get("attempt")), {"request_id": e["request_id"]})
            message = _report(message, end)
        elif message.startswith("START RequestId: ") and payloads is not None:
            out.append(ExportedEvent(e["function"], stamp, stream, message))
            attempts = payloads.get(e["request_id"]) or []
            index = int(begun.get("attempt") or 1) - 1
            if attempts:
                payload = attempts[min(index, len(attempts) - 1)]
                message = _event_line(payload, e["function"], e["request_id"], when, bool(begun.get("cold")))
            else:
                continue
        else:
            message = _runtime_line(message)
        out.append(ExportedEvent(e["function"], stamp, stream, message))
    return out


def cloudwatch_json(events: list[ExportedEvent]) -> dict[str, str]:
    """function -> the text of `aws logs filter-log-events --log-group-name /aws/lambda/<function> --output json`."""
    by_function: dict[str, list[dict]] = {}
    for n, e in enumerate(events):
        event_id = str(int(hashlib.sha256(f"{e.function}{n}{e.timestamp}".encode()).hexdigest(), 16))[:56]
        by_function.setdefault(e.function, []).append({
            "logStreamName": e.stream, "timestamp": e.timestamp, "message": e.message + "\n",
            "ingestionTime": e.timestamp + 412, "eventId": event_id.rjust(56, "3")})
    return {fn: json.dumps({"events": items, "searchedLogStreams": []}, indent=4) + "\n"
            for fn, items in by_function.items()}


def insights_csv(events: list[ExportedEvent]) -> str:
    """A Logs Insights CSV export (`fields @timestamp, @message, @logStream, @log | sort @timestamp asc`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["@timestamp", "@message", "@logStream", "@log"])
    for e in sorted(events, key=lambda x: x.timestamp):
        stamp = datetime.fromtimestamp(e.timestamp / 1000, tz=UTC)
        writer.writerow([stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 1000:03d}",
                         e.message + "\n", e.stream, f"{ACCOUNT_ID}:/aws/lambda/{e.function}"])
    return buffer.getvalue()


def run_and_export(scenario_path: Path, seed: int | None = None, log_events: bool = False) -> tuple[Any, list[ExportedEvent]]:
    """(scenario result, exported log events) of one run."""
    from harness.scenario import load_scenario, run_scenario

    def payloads(sim: Any) -> dict:
        ledger = next((h for h in sim.runtime.hooks if hasattr(h, "payloads")), None)
        return {k: list(v) for k, v in (ledger.payloads if ledger else {}).items()}

    scenario = load_scenario(scenario_path)
    result = run_scenario(scenario, seed=seed, observe=payloads if log_events else None)
    start = scenario.model.start
    if isinstance(start, str):  # a quoted time in the YAML
        start = datetime.fromisoformat(start)
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    return result, exported_events(result.events, start, result.observation if log_events else None)


def write_export(events: list[ExportedEvent], fmt: str, out: Path | None) -> list[Path]:
    """Write the export; returns the files written ([] when printed)."""
    if fmt == "insights-csv":
        text = insights_csv(events)
        if out is None:
            import sys
            sys.stdout.write(text)
            return []
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        return [out]
    from harness.errors import InputError
    if out is None:
        raise InputError("--format cloudwatch-json writes one file per log group: give --out FOLDER")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for function, text in cloudwatch_json(events).items():
        path = out / f"{function}.json"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def run(args: argparse.Namespace, console: Any) -> int:
    """Run the scenario and write its logs; exit 0 when written (the scenario's own verdict is printed)."""
    from harness.errors import InputError
    from harness.scenario import ScenarioError
    try:
        result, events = run_and_export(args.scenario, args.seed, args.log_events)
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    written = write_export(events, args.format, args.out)
    if result.status == "error":
        console.print(f"error: the run crashed; logs up to the crash were exported\n{result.error}", markup=False)
    functions = len({e.function for e in events})
    if written:
        console.print(f"{len(events)} log events of {functions} function(s) from {args.scenario} "
                      f"(seed {result.seed}, {result.status}) -> {', '.join(map(str, written))}", markup=False)
    return 0 if result.status != "error" else 1
