"""An incident's timeline per function: invocations (request id, attempt, start, duration, outcome) with the
AWS and HTTP failures each one logged, the events they were given, and every line that could not be tied to
one, with the reason."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from harness.incidents.detectors import detect
from harness.incidents.lines import fields_of, parse_line
from harness.incidents.records import Fact, LogLine

# Outcomes, worst last; `error` covers handler exceptions, crashes and out-of-memory (see error_type).
OUTCOMES = ("success", "error", "timeout", "throttled")


@dataclass(frozen=True)
class Failure:
    """A failed AWS call or HTTP request one invocation logged: between `since` and `at` (seconds into the
    incident), `attempts` attempts failed (None: the line does not say, botocore may have retried)."""

    kind: str                 # aws_error | http_error
    function: str
    request_id: str | None
    since: float
    at: float
    attempts: int | None
    data: dict
    where: str

    def key(self) -> tuple:
        """What makes two failures the same kind of failure on the same call."""
        d = self.data
        return (self.kind, self.function, d.get("service"), d.get("operation"), d.get("code"), d.get("network"),
                d.get("status"), d.get("error"), d.get("host"), d.get("url"))


@dataclass
class Invocation:
    """One attempt of one request id of one function."""

    function: str
    request_id: str
    attempt: int
    start: float
    end: float | None = None
    duration_ms: float | None = None
    init_ms: float | None = None
    status: str | None = None           # from REPORT / platform.report: timeout, error
    error_type: str | None = None
    timed_out: bool = False
    failures: list[Failure] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    app_lines: int = 0
    last_line: float = 0.0
    before_last: float = 0.0  # the time of the last line logged before `last_line`'s millisecond
    error_lines: list[str] = field(default_factory=list)
    stream: str | None = None
    own_http: list[dict] = field(default_factory=list)  # failures answered by the system's own endpoints

    @property
    def outcome(self) -> str:
        """success, error or timeout (crashes and out-of-memory are errors with their error_type)."""
        if self.timed_out or self.status == "timeout":
            return "timeout"
        if self.error_type or self.status == "error":
            return "error"
        return "success"

    @property
    def cold(self) -> bool:
        """An Init Duration was reported."""
        return self.init_ms is not None


@dataclass(frozen=True)
class Unmapped:
    """A line the importer could not use, and why."""

    where: str
    reason: str
    text: str


@dataclass
class Timeline:
    """Everything the logs say, by function; times are seconds since `start`."""

    start: datetime
    invocations: list[Invocation] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    context_lines: int = 0
    init_failures: list[tuple[str, float, str]] = field(default_factory=list)

    def functions(self) -> list[str]:
        """Functions with at least one invocation, in order of first appearance."""
        return list(dict.fromkeys(i.function for i in self.invocations))

    def of(self, function: str) -> list[Invocation]:
        """The function's invocations in start order."""
        return [i for i in self.invocations if i.function == function]

    def failures(self) -> list[Failure]:
        """Every failure, in time order."""
        return sorted((f for i in self.invocations for f in i.failures), key=lambda f: (f.at, f.function))

    def end(self) -> float:
        """Seconds from the start to the last thing logged."""
        return max((i.end if i.end is not None else i.last_line for i in self.invocations), default=0.0)


class _Builder:
    def __init__(self, start: datetime):
        self.timeline = Timeline(start)
        self.current: dict[tuple, Invocation] = {}        # (function, stream) -> invocation in progress
        self.by_id: dict[tuple[str, str], Invocation] = {}  # (function, request id) -> latest attempt

    def seconds(self, line: LogLine) -> float:
        return round((line.time - self.timeline.start).total_seconds(), 3)

    def invocation(self, line: LogLine, rid: str | None, t: float, new: bool = False) -> Invocation | None:
        fn = line.function or ""
        if rid is None:
            return self.current.get((fn, line.stream))
        known = self.by_id.get((fn, rid))
        if known is not None and not new:
            return known
        attempt = known.attempt + 1 if known is not None else 1
        inv = Invocation(fn, rid, attempt, t, last_line=t, before_last=t, stream=line.stream)
        self.by_id[(fn, rid)] = inv
        self.timeline.invocations.append(inv)
        return inv

    def add(self, line: LogLine) -> None:
        t = self.seconds(line)
        name, facts = parse_line(line)
        self.timeline.formats[name] += 1
        if line.function is None:
            self.timeline.unmapped.append(Unmapped(line.where, "no function: the file does not say which log group "
                                                   "it came from (use --logs FUNCTION=FILE)", line.message[:120]))
            return
        rid = next((f.request_id for f in facts if f.request_id), None)
        starts = any(f.kind == "start" for f in facts)
        platform = any(f.kind in ("start", "end", "report", "timed_out") for f in facts)
        running = self.current.get((line.function, line.stream)) if line.stream else None
        if running is not None and not platform:
            inv = running  # one environment (log stream) runs one invocation at a time: the stream decides
        else:
            inv = self.invocation(line, rid, t, new=starts and (line.function, rid) in self.by_id
                                  and self.by_id[(line.function, rid)].end is not None)
        if starts and inv is not None:
            self.current[(line.function, line.stream)] = inv
        for f in facts:
            self.apply(line, inv, f, t)
        self.detect(line, inv, facts, t, name)

    def apply(self, line: LogLine, inv: Invocation | None, f: Fact, t: float) -> None:
        if f.kind == "init_report":
            self.timeline.init_failures.append((line.function or "", t, f.get("error_type") or "Runtime.Unknown"))
            return
        if inv is None:
            return
        if f.kind == "report":
            inv.end, inv.duration_ms, inv.init_ms = t, f.get("duration_ms"), f.get("init_ms")
            inv.status = {"timeout": "timeout", "error": "error"}.get(str(f.get("status", "")).lower())
            inv.error_type = f.get("error_type") or inv.error_type
            self.current.pop((line.function, line.stream), None)
        elif f.kind == "end" and f.get("status"):
            inv.status = f.get("status")
            inv.error_type = f.get("error_type") or inv.error_type
        elif f.kind == "timed_out":
            inv.timed_out = True
        elif f.kind == "runtime_error":
            inv.error_type = inv.error_type or f.get("error_type")
        elif f.kind == "event":
            inv.events.append(f.get("event"))

    def detect(self, line: LogLine, inv: Invocation | None, facts: list[Fact], t: float, name: str) -> None:
        app = next((f for f in facts if f.kind in ("app_log", "runtime_error")), None)
        if name in ("lambda-platform", "lambda-timeout", "embedded-metrics") or \
                any(f.kind == "event" for f in facts):
            return
        text = app.get("message", "") if app is not None else line.message
        if app is not None and app.kind == "runtime_error":
            text = f"{app.get('error_type')}: {text}"
        found = detect(text, fields_of(facts), inv.request_id if inv else None)
        level = (app.get("level") if app is not None and app.kind == "app_log" else
                 "ERROR" if app is not None else None)
        if inv is None:
            if found or level in ("ERROR", "CRITICAL", "WARNING"):
                self.timeline.unmapped.append(Unmapped(line.where, "outside any invocation: no request id and no "
                                                       "START before it in this log stream", line.message[:120]))
            else:
                self.timeline.context_lines += 1
            return
        if app is None or app.kind == "app_log":
            inv.app_lines += 1  # the runtime's own error line is not the handler's work
        if level in ("ERROR", "CRITICAL") and app is not None and app.kind == "app_log":
            inv.error_lines.append(str(app.get("message", "")))
        for f in found:
            if f.kind == "http_error" and (_own_endpoint(f.get("host")) or _same_answer(f.data, inv.own_http)):
                inv.own_http.append(dict(f.data))
                host = f.get("host") or "the same endpoint"
                self.timeline.unmapped.append(Unmapped(line.where, f"HTTP failure from {host}, an endpoint of the "
                                                       "system's own functions: its logs explain it", ""))
                continue
            since = inv.last_line if inv.last_line < t else inv.before_last  # not a line of the same moment
            inv.failures.append(Failure(f.kind, inv.function, inv.request_id, since, t,
                                        f.get("attempts"), dict(f.data), line.where))
        if t > inv.last_line:
            inv.before_last, inv.last_line = inv.last_line, t
        if not found and level in ("ERROR", "CRITICAL") and not (app is not None and app.kind == "runtime_error"):
            self.timeline.unmapped.append(Unmapped(line.where, f"{level} line names no AWS error code, HTTP status "
                                                   "or Lambda outcome: kept as an observed symptom (logs expectation)",
                                                   str(text)[:120]))
        elif not found:
            self.timeline.context_lines += 1


def _own_endpoint(host: str | None) -> bool:
    """Loopback, API Gateway and Function URL hosts: calls into the system itself, not a third party."""
    host = (host or "").lower()
    return host in ("127.0.0.1", "localhost", "loopback") or bool(
        re.fullmatch(r"[a-z0-9]+\.(?:execute-api\.[a-z0-9-]+\.amazonaws\.com|lambda-url\.[a-z0-9-]+\.on\.aws)", host))


def _same_answer(failure: dict, own: list[dict]) -> bool:
    """A failure naming no host with the status or error an own endpoint just answered: the same answer,
    logged again by the handler ("Client Error (403)" after requests' "403 ... for url: ...")."""
    return not failure.get("host") and any(failure.get("status") == o.get("status") and
                                           failure.get("error") == o.get("error") for o in own)


def build_timeline(lines: list[LogLine], start: datetime | None = None) -> Timeline:
    """The timeline of `lines` (any order, any functions); `start` defaults to the first line's second."""
    ordered = sorted(lines, key=lambda ln: ln.time)
    if not ordered:
        from harness.incidents.records import IncidentInputError
        raise IncidentInputError("no log events in the given files")
    first = ordered[0].time.replace(microsecond=0)
    builder = _Builder(start or first)
    for line in ordered:
        builder.add(line)
    for inv in builder.timeline.invocations:
        inv.failures = [f for f in _merge(inv.failures) if not (f.kind == "http_error" and _same_answer(f.data, inv.own_http))]
    return builder.timeline


def _merge(failures: list[Failure]) -> list[Failure]:
    """One failure per call and moment: the same error logged twice in the same millisecond (a WARNING and the
    ERROR that follows it, the runtime's `[ERROR]` line after Powertools' record, a "rolled back" line repeating
    the send's code) counts once, with the operation a line names rather than one guessed from a verb."""
    kept: list[Failure] = []
    for f in failures:
        same = next((k for k in kept if k.at == f.at and k.kind == f.kind and _compatible(k.data, f.data)), None)
        if same is None:
            kept.append(f)
        elif _named(f.data) > _named(same.data):
            kept[kept.index(same)] = f
    return kept


def _named(data: dict) -> int:
    """2: the line names the operation; 1: a verb suggests it; 0: unknown."""
    return 0 if not data.get("operation") else 1 if data.get("guessed") else 2


def _compatible(a: dict, b: dict) -> bool:
    for key in ("code", "status", "error", "network"):
        if a.get(key) != b.get(key):
            return False
    named = a.get("operation") and b.get("operation") and not a.get("guessed") and not b.get("guessed")
    return not (named and a["operation"] != b["operation"])
