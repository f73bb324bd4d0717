"""Per-invocation log capture: stdout, stderr and the logging module, as CloudWatch Logs would get them."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from harness.scheduler import current_task


class LogSink:
    """Collects the lines one invocation writes; calls `on_line` for each complete line."""

    def __init__(self, on_line: Callable[[str], None]):
        self.lines: list[str] = []
        self._partial = ""
        self._on_line = on_line

    def write(self, text: str) -> None:
        """Append text; complete lines are emitted."""
        self._partial += text
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            self._emit(line)

    def line(self, text: str) -> None:
        """Write `text` and end the line, as `write(text + "\n")` would: the runtime's own START/END/REPORT lines
        skip the splitting unless handler output left a partial line pending."""
        if self._partial or "\n" in text:
            self.write(text + "\n")
        else:
            self._emit(text)

    def flush(self) -> None:
        """Emit a trailing partial line."""
        if self._partial:
            line, self._partial = self._partial, ""
            self._emit(line)

    def _emit(self, line: str) -> None:
        line = line.rstrip("\r")
        if line.strip():
            self.lines.append(line)
            self._on_line(line)


def _sink() -> LogSink | None:
    task = current_task()
    return task.meta.get("log") if task is not None else None


class _TaskStream:
    """Stands in for sys.stdout/sys.stderr: writes from an invocation go to its log, others pass through."""

    def __init__(self, original: Any):
        self._original = original

    def write(self, text: str) -> int:
        sink = _sink()
        if sink is None:
            return self._original.write(text)
        sink.write(text)
        return len(text)

    def flush(self) -> None:
        if _sink() is None:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _LambdaLogHandler(logging.Handler):
    """The handler AWS's Python runtime puts on the root logger: `[LEVEL]\\ttime\\trequest id\\tmessage`."""

    def emit(self, record: logging.LogRecord) -> None:
        sink = _sink()
        if sink is None:
            return
        task = current_task()
        stamp = self.formatter.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z"
        request_id = task.meta.get("request_id", "") if task else ""
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not break the invocation
            message = str(record.msg)
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
        sink.write(f"[{record.levelname}]\t{stamp}\t{request_id}\t{message}\n")


class LogCapture:
    """Installed for the lifetime of a simulation."""

    def __init__(self) -> None:
        self._handler = _LambdaLogHandler()
        self._handler.formatter = logging.Formatter()
        import time as _time
        self._handler.formatter.converter = _time.gmtime

    def install(self) -> None:
        """Route handler output to per-invocation sinks."""
        self.ensure()
        logging.getLogger().addHandler(self._handler)

    def ensure(self, *_: Any) -> None:
        """Re-wrap sys.stdout/sys.stderr if someone replaced them (pytest swaps them between test phases)."""
        if not isinstance(sys.stdout, _TaskStream):
            sys.stdout = _TaskStream(sys.stdout)
        if not isinstance(sys.stderr, _TaskStream):
            sys.stderr = _TaskStream(sys.stderr)

    def uninstall(self) -> None:
        """Restore the streams and the root logger."""
        logging.getLogger().removeHandler(self._handler)
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if isinstance(stream, _TaskStream):
                setattr(sys, name, stream._original)
