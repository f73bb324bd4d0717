"""Line formats, one parser per format in a registry: what one CloudWatch log event of a Lambda function says.

Formats: the runtime's text lines (START / END / REPORT / INIT_REPORT, `Task timed out after N seconds`), the
Python runtime's `[LEVEL]\\t<time>\\t<request id>\\t...` lines and unhandled errors, Lambda's JSON log format
(`LoggingConfig.LogFormat: JSON`: `platform.*` records and application records), Powertools' structured JSON,
embedded metrics, and plain `print` output. A parser returns Facts (records.py) or None when the line is
not in its format; the first parser that recognises a line wins."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.incidents.records import Fact, LogLine, fact

LineParser = Callable[[LogLine], "list[Fact] | None"]


@dataclass(frozen=True)
class LineFormat:
    """A registered line format."""

    name: str
    description: str
    parse: LineParser


LINE_FORMATS: list[LineFormat] = []


def line_format(name: str, description: str) -> Callable[[LineParser], LineParser]:
    """Register a line parser (tried in registration order)."""
    def register(parse: LineParser) -> LineParser:
        LINE_FORMATS.append(LineFormat(name, description, parse))
        return parse
    return register


def parse_line(line: LogLine) -> tuple[str, list[Fact]]:
    """(format name, facts) of a line; every line has a format (`text` at worst)."""
    for candidate in LINE_FORMATS:
        facts = candidate.parse(line)
        if facts is not None:
            return candidate.name, facts
    return "text", []


_RID = r"(?P<rid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})"
_START = re.compile(rf"^START RequestId: {_RID}(?: Version: (?P<version>\S+))?")
_END = re.compile(rf"^END RequestId: {_RID}")
_REPORT = re.compile(rf"^REPORT RequestId: {_RID}")
_INIT_REPORT = re.compile(r"^INIT_REPORT ")
_FIELD = re.compile(r"(?P<key>[A-Za-z][A-Za-z ]*?):\s*(?P<value>[^\t]+?)\s*(?=\t|$)")
_TIMEOUT = re.compile(rf"^(?:\S+\s+)?{_RID}\s+Task timed out after (?P<seconds>[\d.]+) seconds")
_RUNTIME_LOG = re.compile(r"^\[(?P<level>[A-Z]+)\]\t(?P<time>\S+)\t(?P<rid>[^\t]*)\t(?P<message>.*)$", re.DOTALL)
_UNHANDLED = re.compile(r"^\[ERROR\] (?P<type>[A-Za-z_][\w.]*): ?(?P<message>.*)$", re.DOTALL)
_EXITED = re.compile(rf"^RequestId: {_RID} Error: (?P<message>Runtime exited.*?)\s*(?:\n(?P<type>Runtime\.\w+))?\s*$",
                     re.DOTALL)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.match(r"[\d.]+", value)
    return float(match.group()) if match else None


def _report_fields(text: str) -> dict[str, str]:
    return {m.group("key").strip(): m.group("value") for m in _FIELD.finditer(text.replace("\n", "\t"))}


@line_format("lambda-platform", "START / END / REPORT / INIT_REPORT lines of the Lambda runtime (text format)")
def platform_text(line: LogLine) -> list[Fact] | None:
    """START, END, REPORT (Duration, Billed Duration, Memory Size, Max Memory Used, Init Duration, Status,
    Error Type) and INIT_REPORT lines."""
    text = line.message
    if match := _START.match(text):
        return [fact("start", match["rid"], version=match["version"])]
    if match := _END.match(text):
        return [fact("end", match["rid"])]
    if match := _REPORT.match(text):
        fields = _report_fields(text[match.end():])
        return [fact("report", match["rid"], duration_ms=_number(fields.get("Duration")),
                     billed_ms=_number(fields.get("Billed Duration")), memory_mb=_number(fields.get("Memory Size")),
                     max_memory_mb=_number(fields.get("Max Memory Used")),
                     init_ms=_number(fields.get("Init Duration")), status=fields.get("Status"),
                     error_type=fields.get("Error Type"))]
    if _INIT_REPORT.match(text):
        fields = _report_fields(text[len("INIT_REPORT "):])
        return [fact("init_report", None, init_ms=_number(fields.get("Init Duration")), status=fields.get("Status"),
                     error_type=fields.get("Error Type"), phase=fields.get("Phase"))]
    if text.startswith(("INIT_START ", "EXTENSION\t", "TELEMETRY\t", "RESTORE_START", "RESTORE_REPORT")):
        return []
    return None


@line_format("lambda-timeout", "`<time> <request id> Task timed out after N seconds`")
def timeout_text(line: LogLine) -> list[Fact] | None:
    """The line the runtime writes when an invocation hits its timeout."""
    match = _TIMEOUT.match(line.message)
    return [fact("timed_out", match["rid"], seconds=float(match["seconds"]))] if match else None


@line_format("python-runtime", "the Python runtime's `[LEVEL]\\t<time>\\t<request id>\\t<message>` lines, "
             "`[ERROR] Type: message` + traceback for unhandled errors, `Runtime exited with error`")
def python_runtime(line: LogLine) -> list[Fact] | None:
    """A logging record in the runtime's default format, an unhandled error, or a process exit."""
    text = line.message
    if match := _RUNTIME_LOG.match(text):
        rid = match["rid"] or None
        return [fact("app_log", rid, level=match["level"], message=match["message"], fields={})]
    if match := _EXITED.match(text):
        error_type = match["type"] or ("Runtime.OutOfMemory" if "out of memory" in text.lower() else "Runtime.ExitError")
        return [fact("runtime_error", match["rid"], error_type=error_type, message=match["message"].strip())]
    if match := _UNHANDLED.match(text):
        message = match["message"]
        rid = re.search(_RID, message)
        first = message.split("\nTraceback", 1)[0].strip()
        return [fact("runtime_error", rid["rid"] if rid and match["type"].startswith("Runtime.") else None,
                     error_type=match["type"], message=first)]
    return None


def _json_object(text: str) -> dict | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


_PLATFORM_STATUS = {"success": None, "failure": "error", "error": "error", "timeout": "timeout"}


@line_format("lambda-json", "Lambda's JSON log format (LoggingConfig.LogFormat: JSON): platform.* records and "
             "application records with timestamp, level, message, requestId")
def lambda_json(line: LogLine) -> list[Fact] | None:
    """`{"time", "type": "platform.start|runtimeDone|report|initReport", "record"}` and the runtime's JSON
    application records (`level`/`log_level`, `message`, `requestId`, or `errorType` for unhandled errors)."""
    doc = _json_object(line.message)
    if doc is None:
        return None
    kind = doc.get("type")
    if isinstance(kind, str) and kind.startswith("platform.") and isinstance(doc.get("record"), dict):
        return _platform_record(kind, doc["record"])
    if "requestId" in doc and ("level" in doc or "log_level" in doc) and "function_request_id" not in doc:
        rid = doc.get("requestId")
        if "errorType" in doc:
            return [fact("runtime_error", rid, error_type=doc["errorType"], message=str(doc.get("errorMessage", "")))]
        message = doc.get("message")
        if isinstance(message, dict) and "errorType" in message:
            return [fact("runtime_error", rid, error_type=message["errorType"],
                         message=str(message.get("errorMessage", "")))]
        fields = {k: v for k, v in doc.items() if k not in ("timestamp", "level", "log_level", "message", "requestId",
                                                            "logger")}
        return [fact("app_log", rid, level=str(doc.get("level") or doc.get("log_level")).upper(),
                     message=message if isinstance(message, str) else json.dumps(message), fields=fields)]
    return None


def _platform_record(kind: str, record: dict) -> list[Fact]:
    rid = record.get("requestId")
    metrics = record.get("metrics") or {}
    status = record.get("status")
    if kind == "platform.start":
        return [fact("start", rid, version=record.get("version"))]
    if kind == "platform.report":
        return [fact("report", rid, duration_ms=metrics.get("durationMs"), billed_ms=metrics.get("billedDurationMs"),
                     memory_mb=metrics.get("memorySizeMB"), max_memory_mb=metrics.get("maxMemoryUsedMB"),
                     init_ms=metrics.get("initDurationMs"), status=_PLATFORM_STATUS.get(status, status),
                     error_type=record.get("errorType"))]
    if kind == "platform.runtimeDone":
        return [fact("end", rid, status=_PLATFORM_STATUS.get(status, status), error_type=record.get("errorType"))]
    if kind == "platform.initReport" and status not in (None, "success"):
        return [fact("init_report", None, init_ms=metrics.get("durationMs"), status=_PLATFORM_STATUS.get(status, status),
                     error_type=record.get("errorType"), phase=record.get("phase"))]
    return []


_POWERTOOLS_META = ("level", "location", "message", "timestamp", "service", "cold_start", "function_name",
                    "function_memory_size", "function_arn", "function_request_id", "xray_trace_id", "sampling_rate")


@line_format("powertools-json", "Powertools for AWS Lambda structured JSON (level, message, timestamp, "
             "function_request_id, xray_trace_id, exception, exception_name); log_event=True records")
def powertools_json(line: LogLine) -> list[Fact] | None:
    """A Powertools Logger record; a record whose message is a Lambda event (log_event=True) also gives it."""
    doc = _json_object(line.message)
    if doc is None or "level" not in doc or "message" not in doc:
        return None
    rid = doc.get("function_request_id")
    message = doc["message"]
    fields = {k: v for k, v in doc.items() if k not in _POWERTOOLS_META}
    facts = [fact("app_log", rid, level=str(doc["level"]).upper(),
                  message=message if isinstance(message, str) else json.dumps(message, sort_keys=True), fields=fields)]
    if isinstance(message, (dict, list)) or str(doc.get("location", "")).startswith("decorate:"):
        # inject_lambda_context(log_event=True) logs the event from its `decorate` wrapper, whatever its type (a
        # function invoked with a JSON text gets a string)
        facts.append(fact("event", rid, event=message))
    return facts


@line_format("embedded-metrics", "CloudWatch embedded metric format records ({\"_aws\": {\"CloudWatchMetrics\"}})")
def embedded_metrics(line: LogLine) -> list[Fact] | None:
    """EMF records carry metrics, not symptoms the importer maps."""
    doc = _json_object(line.message)
    return [] if doc is not None and isinstance(doc.get("_aws"), dict) else None


def fields_of(facts: list[Fact]) -> dict[str, Any]:
    """Structured fields of a line's app_log fact ({} for text lines)."""
    for f in facts:
        if f.kind == "app_log":
            return f.get("fields") or {}
    return {}
