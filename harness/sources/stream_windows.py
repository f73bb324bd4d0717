"""Tumbling windows of a stream mapping (`TumblingWindowInSeconds`), as Lambda documents them:

- each record belongs to the window its arrival time falls in; windows are aligned to multiples of their length
  (a 120 s window opens at 07:04:00 and ends at 07:06:00) and a batch never mixes windows;
- every invocation gets the window, the `state` the previous invocation of that window returned (`{}` at first),
  `shardId`, `eventSourceARN`, `isFinalInvokeForWindow` and `isWindowTerminatedEarly`; the response must hold a
  `state`, else the invocation counts as failed (and is retried under the mapping's retry policy);
- once the window's end has passed on the virtual clock and its records are done, a final invocation (no records,
  `isFinalInvokeForWindow: true`) gets the aggregate; the state is dropped when it succeeds, and the shard waits
  while it fails;
- a state larger than 1 MB terminates the window early: the next invocation is a final one with
  `isWindowTerminatedEarly: true`, and the window then continues with a fresh state.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

MAX_STATE_BYTES = 1024 * 1024


@dataclass
class OpenWindow:
    """A window of one shard that has records processed and its final invocation still to come."""

    start: float
    end: float
    state: dict = field(default_factory=dict)
    terminated_early: bool = False    # the state outgrew 1 MB: a final invoke is due now


@dataclass(frozen=True)
class TumblingWindows:
    """The window arithmetic and event fields of one mapping's tumbling windows."""

    seconds: float

    def bounds(self, arrival: float) -> tuple[float, float]:
        """(start, end) of the window an arrival time falls in."""
        start = (arrival // self.seconds) * self.seconds
        return start, start + self.seconds

    def same_window(self, records: list[Any]) -> list[Any]:
        """The leading records that share the first one's window (a batch never spans two)."""
        if not records:
            return records
        end = self.bounds(records[0].arrival)[1]
        return [r for r in records if r.arrival < end]

    def final_due(self, window: OpenWindow | None, pending: list[Any], now: float) -> bool:
        """The open window's final invocation is due: its state outgrew the limit, or its end has passed and none
        of the pending records belongs to it."""
        if window is None:
            return False
        if window.terminated_early:
            return True
        return now >= window.end and not (pending and pending[0].arrival < window.end)

    def fields(self, window: OpenWindow, shard_id: str, stream_arn: str, final: bool) -> dict:
        """The tumbling-window keys of an invocation's event (besides `Records`)."""
        return {"window": {"start": _iso(window.start), "end": _iso(window.end)}, "state": window.state,
                "shardId": shard_id, "eventSourceARN": stream_arn, "isFinalInvokeForWindow": final,
                "isWindowTerminatedEarly": final and window.terminated_early}

    @staticmethod
    def new_state(payload: Any) -> dict | None:
        """The `state` of a response, or None when it has none (a failed invocation)."""
        state = payload.get("state") if isinstance(payload, dict) else None
        return state if isinstance(state, dict) else None

    @staticmethod
    def too_large(state: dict) -> bool:
        """A state above 1 MB ends the window early."""
        return len(json.dumps(state, default=str).encode()) > MAX_STATE_BYTES


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
