"""The `stackTrace` lines of a failed invocation's error document, formatted once per code path.

`traceback.format_list(traceback.extract_tb(tb))` finds each frame's position by walking its code's position table
and, on Python 3.11, parses the failing expression with `ast` for the caret line: 40-60 µs for a two-frame handler
failure. A retried async event fails along the same code path again and again, so the text is remembered.

What decides the text: each frame's code object and instruction (its lines, columns and function name) and the
source lines linecache holds for each file. A remembered text is used only for the same code objects at the same
instructions, after `linecache.checkcache` (as `extract_tb` runs it) left every file's cache entry the very object
it was when the text was made: a file changed on disk drops its entry, so its new lines are read and formatted.
"""
from __future__ import annotations

import linecache
import sys
import traceback
from dataclasses import dataclass
from types import CodeType, TracebackType

from harness.memo import remember

_MAX_ENTRIES = 4096  # code paths (and frames) kept; each cache starts over beyond it (a bound, not a policy)


@dataclass(frozen=True)
class _Remembered:
    codes: tuple[CodeType, ...]              # kept alive: the ids in the key cannot name other code meanwhile
    sources: tuple[tuple[str, object], ...]  # (file name, its linecache entry) when the text was made
    lines: tuple[str, ...]


_BY_PATH: dict[tuple[tuple[int, int], ...], _Remembered] = {}  # ((id(code), instruction), ...) -> its text
_BY_FRAME: dict[tuple, str] = {}  # one frame's location and source line -> its text


def stack_lines(tb: TracebackType | None) -> list[str]:
    """`traceback.format_list(traceback.extract_tb(tb))`: one string per frame (each ends in a newline)."""
    if getattr(sys, "tracebacklimit", None) is not None:
        return traceback.format_list(traceback.extract_tb(tb))  # a limit set by code: Python's own way
    codes, key, files = [], [], {}
    entry = tb
    while entry is not None:
        code = entry.tb_frame.f_code
        codes.append(code)
        key.append((id(code), entry.tb_lasti))
        files.setdefault(code.co_filename, entry.tb_frame.f_globals)
        entry = entry.tb_next
    for filename, f_globals in files.items():  # what extract_tb does before reading lines: the same updates
        linecache.lazycache(filename, f_globals)
        linecache.checkcache(filename)
    remembered = _BY_PATH.get(tuple(key))
    if remembered is not None and _still(remembered, codes):
        return list(remembered.lines)
    lines = _RememberingSummary(traceback.extract_tb(tb)).format()
    sources = tuple((f, linecache.cache.get(f)) for f in files)
    remember(_BY_PATH, tuple(key), _Remembered(tuple(codes), sources, tuple(lines)), _MAX_ENTRIES)
    return lines


def _still(remembered: _Remembered, codes: list[CodeType]) -> bool:
    """The same code objects, and every file's linecache entry the one the text was made from."""
    return all(a is b for a, b in zip(remembered.codes, codes)) and all(
        linecache.cache.get(filename) is entry for filename, entry in remembered.sources)


class _RememberingSummary(traceback.StackSummary):
    """A StackSummary whose frames are formatted once per location (frames with locals never are cached): a code
    path seen for the first time often shares its frames with others (the handler's entry, the runtime's call)."""

    def format_frame_summary(self, frame_summary: traceback.FrameSummary) -> str:
        """The frame's text, as `StackSummary.format_frame_summary` gives it."""
        if frame_summary.locals:
            return super().format_frame_summary(frame_summary)
        key = (frame_summary.filename, frame_summary.lineno, frame_summary.end_lineno, frame_summary.colno,
               frame_summary.end_colno, frame_summary.name, frame_summary._original_line)
        text = _BY_FRAME.get(key)
        if text is None:
            text = super().format_frame_summary(frame_summary)
            remember(_BY_FRAME, key, text, _MAX_ENTRIES)
        return text
