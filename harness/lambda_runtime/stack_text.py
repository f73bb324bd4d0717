"""The `stackTrace` lines of a failed invocation's error document, formatted once per code location.

Python 3.11 formats each frame of a traceback with its caret line, which parses the failing expression with `ast`
every time (about 0.1 ms a frame). A retried async event fails at the same lines again and again, so each frame's
text is kept by everything that decides it: file, line span, columns, function name and the source line as read.
The text is `traceback.format_list(traceback.extract_tb(tb))`'s, repeat folding included.
"""
from __future__ import annotations

import traceback
from types import TracebackType

_MAX_ENTRIES = 4096  # distinct code locations kept; the cache starts over beyond (a bound, not a policy)
_FORMATTED: dict[tuple, str] = {}  # code location -> its frame's text


class _RememberingSummary(traceback.StackSummary):
    """A StackSummary whose frames are formatted once per location (frames with locals never are cached)."""

    def format_frame_summary(self, frame_summary: traceback.FrameSummary) -> str:
        """The frame's text, as `StackSummary.format_frame_summary` gives it."""
        if frame_summary.locals:
            return super().format_frame_summary(frame_summary)
        key = (frame_summary.filename, frame_summary.lineno, frame_summary.end_lineno, frame_summary.colno,
               frame_summary.end_colno, frame_summary.name, frame_summary._original_line)
        text = _FORMATTED.get(key)
        if text is None:
            text = super().format_frame_summary(frame_summary)
            if len(_FORMATTED) >= _MAX_ENTRIES:
                _FORMATTED.clear()
            _FORMATTED[key] = text
        return text


def stack_lines(tb: TracebackType | None) -> list[str]:
    """`traceback.format_list(traceback.extract_tb(tb))`: one string per frame (each ends in a newline)."""
    return _RememberingSummary(traceback.extract_tb(tb)).format()
