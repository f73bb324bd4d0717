"""The trace: every step of a simulation with its virtual time, hashable and exportable."""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any


class TraceEvent:
    """One step: `t` is virtual seconds since the simulation started; `kind` says what happened.

    A plain slotted class, not a frozen dataclass: a warm invocation records five of them, and a frozen dataclass's
    `__init__` sets each field through `object.__setattr__`. Treat it as a value: nothing changes one once recorded.
    """

    __slots__ = ("data", "extra", "kind", "seq", "t")

    def __init__(self, seq: int, t: float, kind: str, data: dict | None = None, extra: dict | None = None):
        self.seq, self.t, self.kind = seq, t, kind
        self.data = {} if data is None else data
        # Fields that vary between runs of the same seed (backend-generated ids); kept out of the hash and of `==`.
        self.extra = {} if extra is None else extra

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not TraceEvent:
            return NotImplemented
        return (self.seq, self.t, self.kind, self.data) == (other.seq, other.t, other.kind, other.data)

    __hash__ = None  # type: ignore[assignment] - its data is a dict (as the dataclass was unhashable)

    def __repr__(self) -> str:
        return (f"TraceEvent(seq={self.seq!r}, t={self.t!r}, kind={self.kind!r}, data={self.data!r}, "
                f"extra={self.extra!r})")

    def to_dict(self) -> dict:
        """JSON-ready form."""
        out = {"seq": self.seq, "t": round(self.t, 6), "kind": self.kind, **self.data}
        if self.extra:
            out["extra"] = self.extra
        return out

    def describe(self) -> str:
        """One human-readable line."""
        fields = " ".join(f"{k}={v}" for k, v in self.data.items() if v is not None and k != "message")
        message = self.data.get("message")
        tail = f" | {message}" if message else ""
        return f"t={self.t:10.3f}s  {self.kind:<16} {fields}{tail}"


class Trace:
    """Append-only list of TraceEvents with a stable hash (same seed ⇒ same hash)."""

    def __init__(self, clock=None):
        self._clock = clock
        self.events: list[TraceEvent] = []
        self._stable: list[tuple[str, str]] = []  # (text that differs between runs, what the trace says instead)
        self._index: _KindIndex | None = None  # Trace.of's events by kind

    def stable_name(self, volatile: str, name: str) -> None:
        """From now on, write `name` wherever a recorded text contains `volatile` (e.g. an ephemeral loopback
        port that handler code logs), so the same seed still gives the same trace."""
        self._stable.append((volatile, name))

    def record(self, kind: str, extra: dict | None = None, **data: Any) -> TraceEvent:
        """Append an event at the current virtual time."""
        t = self._clock.elapsed() if self._clock is not None else 0.0
        if self._stable:
            data = self._steadied(data)
            if extra:
                extra = self._steadied(extra)
        event = TraceEvent(len(self.events), t, kind, data, extra or {})
        self.events.append(event)
        return event

    def _steadied(self, fields: dict) -> dict:
        """`fields` with every stable name written in; the same dict when no text in it holds a volatile one (the
        usual case, checked value by value without building anything)."""
        for value in fields.values():
            if isinstance(value, str):
                for volatile, _ in self._stable:
                    if volatile in value:
                        return {k: self._steady(v) if isinstance(v, str) else v for k, v in fields.items()}
        return fields

    def _steady(self, text: str) -> str:
        for volatile, name in self._stable:
            if volatile in text:
                text = text.replace(volatile, name)
        return text

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def of(self, *kinds: str, **where: Any) -> list[TraceEvent]:
        """Events of the given kinds whose data match every `where` item, in trace order."""
        if len(kinds) == 1:
            found = self._kind_index().get(kinds[0], [])
        else:
            found = [e for e in self.events if not kinds or e.kind in kinds]
        if not where:
            return list(found)
        if len(where) == 1:  # the usual question (function=, rule=, id=), without a generator per event
            [(key, value)] = where.items()
            return [e for e in found if e.data.get(key) == value]
        return [e for e in found if all(e.data.get(k) == v for k, v in where.items())]

    def _kind_index(self) -> dict[str, list[TraceEvent]]:
        """kind -> its events in order, brought up to date with the list (judging a run asks for events by kind
        dozens of times; the list only grows, or loses its tail when a check's inspection is undone)."""
        index = getattr(self, "_index", None)  # absent on a Trace made without __init__
        if index is None or not index.covers(self.events):
            index = self._index = _KindIndex(self.events)
        index.catch_up()
        return index.by_kind

    def hash(self) -> str:
        """SHA-256 over kinds, virtual times and data (not `extra`): equal for equal runs, wherever the project
        and its virtual environment are checked out (file paths in tracebacks are made relative). Loopback
        ports the run was given are already named where they were recorded (`stable_name`)."""
        digest = hashlib.sha256()
        roots = _roots()
        encode = _hash_text
        for event in self.events:
            text = encode([round(event.t, 6), event.kind, event.data])
            if "/" in text:
                for root, name in roots:
                    text = text.replace(root, name)
                if "harness/" in text:
                    text = _HARNESS_FRAME_LINE.sub(r"\1?", text)
            digest.update(text.encode())
        return digest.hexdigest()[:16]

    def to_json(self, indent: int | None = 2) -> str:
        """The whole trace as JSON (hash included)."""
        return json.dumps({"hash": self.hash(), "events": [e.to_dict() for e in self.events]},
                          indent=indent, default=str)

    def slice(self, around: Iterable[int] = (), width: int = 5, last: int = 20) -> list[TraceEvent]:
        """Events near the given sequence numbers, or the last `last` events."""
        seqs = sorted(set(around))
        if not seqs:
            return self.events[-last:]
        keep = {i for s in seqs for i in range(max(0, s - width), min(len(self.events), s + width + 1))}
        return [self.events[i] for i in sorted(keep)]

    def format(self, events: Iterable[TraceEvent] | None = None) -> str:
        """Timeline text, one event per line."""
        return "\n".join(e.describe() for e in (self.events if events is None else events))


# A traceback that handler code logs can pass through the harness's own frames (the fault router raising an
# injected error inside a botocore call). Their line numbers move with any edit to the harness, so the hash leaves
# them out: the file, function and source text still count. (The recorded trace keeps them for the reader.) Both
# forms count: Python's text (`File "...", line N`) and Powertools' structured `stack_trace` frames
# (`"file": "...", "line": N`, JSON inside the JSON log line).
_HARNESS_FRAME_LINE = re.compile(
    r'((?:<project>|site-packages)/harness/[\w/]+\.py\\*"(?:, line |,\s*\\*"line\\*":\s*))\d+')


_HASH_ENCODER = json.JSONEncoder(sort_keys=True, default=str)  # holds no state between calls
# The C encoder `_HASH_ENCODER.encode` makes afresh for every call (with a new circular-reference dict), made once:
# the same text for the same value (tests/harness/test_trace.py compares them). It keeps no circular-reference dict
# (one left behind by a failed call would refuse later values): a value it cannot encode goes to `encode`, which
# raises what it always raised.
_C_HASH_ENCODER = None if json.encoder.c_make_encoder is None else json.encoder.c_make_encoder(
    None, str, json.encoder.encode_basestring_ascii, None, ": ", ", ", True, False, True)


def _hash_text(value: list) -> str:
    """`_HASH_ENCODER.encode(value)` (a list: a trace event's time, kind and data)."""
    if _C_HASH_ENCODER is not None:
        try:
            return "".join(_C_HASH_ENCODER(value, 0))
        except (ValueError, TypeError, RecursionError, OverflowError):
            pass
    return _HASH_ENCODER.encode(value)
_ROOTS: dict[str, tuple[tuple[str, str], ...]] = {}  # working folder -> its _roots()


def _roots() -> tuple[tuple[str, str], ...]:
    """Machine-specific path prefixes (interpreter, virtual environment, project, working folder), longest
    first, with the placeholder each becomes in the hash (worked out once per working folder)."""
    cwd = os.getcwd()
    roots = _ROOTS.get(cwd)
    if roots is None:
        roots = _ROOTS[cwd] = _worked_out_roots(cwd)
    return roots


def _worked_out_roots(cwd: str) -> tuple[tuple[str, str], ...]:
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # Later entries win where two are the same folder (the project is usually the working folder).
    pairs = {cwd: "<cwd>", project: "<project>", sys.base_prefix: "<python>", sys.exec_prefix: "<venv>",
             sys.prefix: "<venv>"}
    return tuple(sorted(((root.rstrip("/") + "/", name + "/") for root, name in pairs.items() if len(root) > 1),
                        key=lambda pair: -len(pair[0])))


class _KindIndex:
    """Trace.of's events by kind for one events list, as far as it has read that list."""

    __slots__ = ("by_kind", "covered", "events", "last")

    def __init__(self, events: list[TraceEvent]):
        self.events, self.covered, self.last = events, 0, None
        self.by_kind: dict[str, list[TraceEvent]] = {}

    def covers(self, events: list[TraceEvent]) -> bool:
        """False once the trace has another list, or lost events this index read (an undone inspection)."""
        covered = self.covered
        return events is self.events and len(events) >= covered and (not covered or events[covered - 1] is self.last)

    def catch_up(self) -> None:
        """Index the events added since the last question."""
        events, length = self.events, len(self.events)
        if length > self.covered:
            for event in events[self.covered:length]:
                self.by_kind.setdefault(event.kind, []).append(event)
            self.covered, self.last = length, events[length - 1]
