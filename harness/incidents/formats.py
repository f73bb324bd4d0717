"""Log file formats, one reader per format in a registry: what `aws logs filter-log-events --output json`,
`aws logs get-query-results` (Logs Insights JSON, also the console's JSON download) and the Logs Insights CSV
export look like. A reader turns a file into LogLines; anything else is a located IncidentInputError."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.incidents.records import IncidentInputError, LogLine


@dataclass(frozen=True)
class FileFormat:
    """A log file format: `sniff(document)` says whether a parsed file is in it, `read` turns it into lines."""

    name: str
    description: str
    parsed: str                                        # "json" or "text": what sniff/read receive
    sniff: Callable[[Any], bool]
    read: Callable[[Any, str], list[LogLine]]


FORMATS: dict[str, FileFormat] = {}


def file_format(name: str, description: str, parsed: str, sniff: Callable[[Any], bool]) -> Callable:
    """Register a reader for a log file format."""
    def register(read: Callable[[Any, str], list[LogLine]]) -> Callable[[Any, str], list[LogLine]]:
        FORMATS[name] = FileFormat(name, description, parsed, sniff, read)
        return read
    return register


def read_log_file(path: Path, function: str | None = None) -> tuple[str, list[LogLine]]:
    """(format name, lines) of a log file; `function` names the log group's function when the file cannot."""
    text = _text(path)
    document, problem = _json(text)
    candidates = [f for f in FORMATS.values() if (f.parsed == "json" and document is not None)
                  or (f.parsed == "text" and document is None)]
    for candidate in candidates:
        if candidate.sniff(document if candidate.parsed == "json" else text):
            lines = candidate.read(document if candidate.parsed == "json" else text, str(path))
            if function:
                lines = [LogLine(ln.time, ln.message, ln.where, ln.function or function, ln.stream) for ln in lines]
            return candidate.name, lines
    if problem and text.lstrip()[:1] in "{[":
        raise IncidentInputError(f"{path}: {problem} - the file looks truncated or is not complete JSON; export "
                                 "it again (aws logs filter-log-events ... --output json > file)")
    known = "; ".join(f"{f.name} ({f.description})" for f in FORMATS.values())
    raise IncidentInputError(f"{path}: unknown log format (first line: {text.strip().splitlines()[0][:80]!r} if any); "
                             f"expected one of: {known}")


def _text(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IncidentInputError(f"{path}: no such file (expected a CloudWatch Logs export)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IncidentInputError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    if not text.strip():
        raise IncidentInputError(f"{path}: the file is empty (expected a CloudWatch Logs export)")
    return text


def _json(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"


def _field(entry: Any, key: str, where: str, kind: type | tuple = str) -> Any:
    if not isinstance(entry, dict) or key not in entry:
        raise IncidentInputError(f"{where}: missing {key!r} (each entry needs {key})")
    value = entry[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise IncidentInputError(f"{where}: {key!r} should be {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def epoch_ms(value: float) -> datetime:
    """A CloudWatch timestamp (milliseconds since the epoch) as an aware UTC datetime."""
    return datetime.fromtimestamp(value / 1000.0, tz=UTC)


def insights_time(text: str, where: str) -> datetime:
    """A Logs Insights `@timestamp` (`2030-03-01 09:00:00.000`, UTC) as an aware datetime."""
    for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise IncidentInputError(f"{where}: @timestamp {text!r} is not a Logs Insights time (2030-03-01 09:00:00.000)")


def log_group_function(log_group: str | None) -> str | None:
    """`name` for `123456789012:/aws/lambda/name` or `/aws/lambda/name`; None for other log groups."""
    if not log_group or "/aws/lambda/" not in log_group:
        return None
    return log_group.split("/aws/lambda/", 1)[1].strip() or None


# ---------------------------------------------------------------------------------------------- formats
@file_format("cloudwatch-json", "aws logs filter-log-events --output json: {\"events\": [...]}", "json",
             lambda doc: isinstance(doc, dict) and "events" in doc)
def read_filter_log_events(doc: dict, path: str) -> list[LogLine]:
    """Every event of a filter-log-events answer (also `get-log-events`, whose events lack logStreamName)."""
    events = doc["events"]
    if not isinstance(events, list):
        raise IncidentInputError(f"{path}: 'events' should be a list of log events")
    lines = []
    for i, entry in enumerate(events):
        where = f"{path}:events[{i}]"
        message = _field(entry, "message", where)
        stamp = _field(entry, "timestamp", where, (int, float))
        lines.append(LogLine(epoch_ms(stamp), message.rstrip("\n"), where, None, entry.get("logStreamName")))
    return lines


def _insights_row(row: dict, where: str) -> LogLine:
    message = row.get("@message")
    if not isinstance(message, str):
        raise IncidentInputError(f"{where}: no @message (the query must return @timestamp, @message, @log; "
                                 "e.g. fields @timestamp, @message, @logStream, @log | sort @timestamp asc)")
    stamp = row.get("@timestamp")
    if not isinstance(stamp, str):
        raise IncidentInputError(f"{where}: no @timestamp (add it to the query's fields)")
    return LogLine(insights_time(stamp, where), message.rstrip("\n"), where, log_group_function(row.get("@log")),
                   row.get("@logStream"))


@file_format("insights-json", "aws logs get-query-results (or the console's JSON download) with @timestamp and "
             "@message", "json",
             lambda doc: (isinstance(doc, dict) and "results" in doc) or
             (isinstance(doc, list) and bool(doc) and isinstance(doc[0], dict) and "@message" in doc[0]))
def read_insights_json(doc: Any, path: str) -> list[LogLine]:
    """Rows of a Logs Insights result: `{"results": [[{"field", "value"}, ...]]}` or a list of row objects."""
    rows = doc["results"] if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise IncidentInputError(f"{path}: 'results' should be a list of rows")
    lines = []
    for i, row in enumerate(rows):
        where = f"{path}:results[{i}]"
        if isinstance(row, list):
            try:
                row = {cell["field"]: cell["value"] for cell in row}
            except (TypeError, KeyError):
                raise IncidentInputError(f"{where}: expected a list of {{\"field\": ..., \"value\": ...}} cells")
        lines.append(_insights_row(row, where))
    return sorted(lines, key=lambda ln: ln.time)


@file_format("insights-csv", "Logs Insights CSV export with @timestamp and @message columns", "text",
             lambda text: "@message" in text.split("\n", 1)[0] and "@timestamp" in text.split("\n", 1)[0])
def read_insights_csv(text: str, path: str) -> list[LogLine]:
    """Rows of a Logs Insights CSV export (header row, one log event per record; messages may span lines)."""
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    lines = []
    try:
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row or any(v is None for v in row.values()):
                raise IncidentInputError(f"{where}: the row has {len(row) - (None in row)} columns, the header "
                                         f"{len(reader.fieldnames or [])} - the file looks truncated")
            lines.append(_insights_row(row, where))
    except csv.Error as exc:
        raise IncidentInputError(f"{path}:{reader.line_num}: not valid CSV ({exc}) - the file looks truncated") from None
    if text.count('"') % 2:
        raise IncidentInputError(f"{path}: an unterminated quoted field - the file looks truncated")
    return sorted(lines, key=lambda ln: ln.time)
