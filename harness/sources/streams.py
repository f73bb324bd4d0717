"""DynamoDB Streams and Kinesis event source mappings (`Type: DynamoDB`, `Type: Kinesis`).

As AWS documents for stream sources: each shard is read in order, one batch in flight per shard (up to
`ParallelizationFactor` batches, each partition key staying in order in one of them); a failed batch
is retried (the shard waits) until it succeeds, `MaximumRetryAttempts` is exhausted or its oldest record is older
than `MaximumRecordAgeInSeconds`; `BisectBatchOnFunctionError` splits a failing batch in two; with
`ReportBatchItemFailures` the shard resumes from the first failed sequence number; a discarded batch's
description goes to `DestinationConfig.OnFailure` (SQS or SNS); `FilterCriteria` drops records that match no
filter; `TumblingWindowInSeconds` passes state between the invocations of a window (harness.sources.stream_windows).
Records are read from moto's model (a put wakes the mapping), so these sources need the moto backends.

Approximation: AWS does not document the delay between retries of a stream batch; the harness waits 1 s,
doubling up to 60 s (virtual time).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.lambda_runtime.runtime import InvokeRequest
from harness.sources.base import EventSpec, as_bool, as_number, register_source
from harness.sources.polling import PollSchedule
from harness.sources.stream_readers import DynamoDbReader, KinesisReader, StreamRecord, lane_of
from harness.sources.stream_windows import OpenWindow, TumblingWindows

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

COMMON = {"Stream", "StartingPosition", "BatchSize", "MaximumBatchingWindowInSeconds", "MaximumRetryAttempts",
          "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "DestinationConfig", "FunctionResponseTypes",
          "FilterCriteria", "Enabled", "ParallelizationFactor", "TumblingWindowInSeconds"}
RETRY_FIRST, RETRY_MAX = 1.0, 60.0


@dataclass
class _Lane:
    """One of a shard's concurrent batchers (ParallelizationFactor; one per shard by default): its records are
    those whose partition key hashes to it, read in order."""

    checkpoint: int = -1        # last sequence number done with
    busy: bool = False
    attempts: int = 0           # failed attempts of the batch (or final window invocation) at the checkpoint
    retry_at: float = 0.0
    limit: int | None = None    # bisected: the batch is only this many records
    window: OpenWindow | None = None  # TumblingWindowInSeconds: the window whose final invocation is to come


class StreamMapping:
    """One `Type: DynamoDB` or `Type: Kinesis` event."""

    def __init__(self, sources: EventSources, spec: EventSpec):
        self.sources, self.spec, self.sim = sources, spec, sources.sim
        props = spec.properties
        if not props.get("Stream"):
            raise spec.error("Stream is required (the stream ARN, e.g. !GetAtt Table.StreamArn)")
        position = str(props.get("StartingPosition") or "")
        if position not in ("TRIM_HORIZON", "LATEST"):
            raise spec.error(f"StartingPosition must be TRIM_HORIZON or LATEST, got {position or None!r}")
        self.reader = (DynamoDbReader if spec.type == "DynamoDB" else KinesisReader)(sources, str(props["Stream"]))
        self.latest = position == "LATEST"
        self.batch_size = int(as_number(spec, "BatchSize", props.get("BatchSize"), 1, 10000, 100))
        self.window = as_number(spec, "MaximumBatchingWindowInSeconds", props.get("MaximumBatchingWindowInSeconds"),
                                0, 300, 0)
        self.max_retries = int(as_number(spec, "MaximumRetryAttempts", props.get("MaximumRetryAttempts"),
                                         -1, 10000, -1))
        self.max_age = as_number(spec, "MaximumRecordAgeInSeconds", props.get("MaximumRecordAgeInSeconds"),
                                 -1, 604800, -1)
        if 0 <= self.max_age < 60:
            raise spec.error(f"MaximumRecordAgeInSeconds must be -1 or 60-604800, got {self.max_age:g}")
        self.bisect = as_bool(props.get("BisectBatchOnFunctionError"), False)
        types = props.get("FunctionResponseTypes") or []
        if [t for t in types if t != "ReportBatchItemFailures"]:
            raise spec.error(f"FunctionResponseTypes {types} not understood (the only value is ReportBatchItemFailures)")
        self.report_failures = "ReportBatchItemFailures" in types
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        self.on_failure = str(on_failure) if on_failure else None
        self.filters = sources.load_filters(spec, props.get("FilterCriteria"))
        self.enabled = as_bool(props.get("Enabled"))
        self.parallel = int(as_number(spec, "ParallelizationFactor", props.get("ParallelizationFactor"), 1, 10, 1))
        tumbling = as_number(spec, "TumblingWindowInSeconds", props.get("TumblingWindowInSeconds"), 0, 900, 0)
        self.tumbling = TumblingWindows(tumbling) if tumbling else None
        if self.tumbling and self.parallel > 1:
            raise spec.error("TumblingWindowInSeconds with a ParallelizationFactor above 1 is not emulated (window "
                             "state is per shard); use one or the other")
        self.function = spec.function
        self.lanes: dict[tuple[str, int], _Lane] = {}
        self.schedule = PollSchedule(self.sim, f"stream-poll:{spec.label}", self._poll, enabled=self.enabled)
        self.poke = self.schedule.poke  # a put was seen, a batch ended or a retry is due

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Begin reading: LATEST skips what the stream holds now; TRIM_HORIZON starts at its oldest record."""
        for shard_id, records in self.reader.shards().items():
            for lane in range(self.parallel):
                self.lanes[shard_id, lane] = _Lane(checkpoint=records[-1].sequence if self.latest and records else -1)
        self.schedule.start()

    def stop(self) -> None:
        """Stop reading."""
        self.schedule.stop()

    # ------------------------------------------------------------------ polling (daemon task)
    def _poll(self) -> None:
        now = self.sim.clock.now()
        for shard_id, records in self.reader.shards().items():
            for lane_no in range(self.parallel):
                lane = self.lanes.setdefault((shard_id, lane_no), _Lane())
                pending = [r for r in records if r.sequence > lane.checkpoint
                           and lane_of(self.reader.partition_key(r.record), self.parallel) == lane_no]
                if not lane.busy:
                    self._poll_lane(shard_id, lane_no, lane, pending, now)

    def _poll_lane(self, shard_id: str, lane_no: int, lane: _Lane, pending: list[StreamRecord], now: float) -> None:
        """Start the lane's next batch (or final window invocation) when one is due, else poll again when it is."""
        if lane.retry_at > now:
            self.poke(lane.retry_at)
            return
        if self.tumbling and self.tumbling.final_due(lane.window, pending, now):
            lane.busy = True
            self.sim.scheduler.spawn(lambda: self._run_final(shard_id, lane), name=f"stream-window:{self.spec.label}")
            return
        if lane.window is not None and not (pending and pending[0].arrival < lane.window.end):
            self.poke(lane.window.end)  # nothing more for the open window: its final invocation at its end
            return
        if not pending:
            return
        if self.window and len(pending) < self.batch_size and pending[0].arrival + self.window > now:
            self.poke(pending[0].arrival + self.window)
            return
        batch = pending[:min(self.batch_size, lane.limit or self.batch_size)]
        if self.tumbling:
            batch = self.tumbling.same_window(batch)
        lane.busy = True
        self.sim.scheduler.spawn(lambda: self._run_batch(shard_id, lane_no, lane, batch),
                                 name=f"stream-batch:{self.spec.label}")

    # ------------------------------------------------------------------ one batch (non-daemon task)
    def _run_batch(self, shard_id: str, lane_no: int, lane: _Lane, batch: list[StreamRecord]) -> None:
        try:
            kept = [r for r in batch if not self.filters or self.sources.matches_filters(
                self.filters, self.reader.filter_candidate(r.record))]
            window = None
            if self.tumbling:
                start, end = self.tumbling.bounds(batch[0].arrival)
                window = lane.window or OpenWindow(start, end)
            failed_from = self._invoke(kept, shard_id, window) if kept else None
            extra = {"lane": lane_no} if self.parallel > 1 else {}
            self.sim.trace.record("stream_batch", source=self.spec.label, shard=shard_id, size=len(batch),
                                  invoked=len(kept), failed=failed_from is not None, **extra)
            if failed_from is None:
                self._advance(lane, batch[-1].sequence)
                lane.window = window
            else:
                self._failed(shard_id, lane, batch, failed_from)
        finally:
            lane.busy = False
            self.poke()

    def _run_final(self, shard_id: str, lane: _Lane) -> None:
        """The open window's final invocation: its state is dropped on success; the lane waits while it fails."""
        window = lane.window
        try:
            failed = self._invoke([], shard_id, window, final=True) is not None
            self.sim.trace.record("stream_window", source=self.spec.label, shard=shard_id, failed=failed,
                                  early=window.terminated_early)
            if not failed:
                lane.attempts, lane.retry_at = 0, 0.0
                # early termination: the same window goes on with a fresh state
                lane.window = OpenWindow(window.start, window.end) if window.terminated_early else None
                return
            lane.attempts += 1
            if self.max_retries >= 0 and lane.attempts > self.max_retries:
                self.sim.trace.record("stream_window_dropped", source=self.spec.label, shard=shard_id)
                lane.window, lane.attempts = None, 0
                return
            lane.retry_at = self.sim.clock.now() + min(RETRY_MAX, RETRY_FIRST * 2 ** (lane.attempts - 1))
        finally:
            lane.busy = False
            self.poke()

    def _invoke(self, records: list[StreamRecord], shard_id: str, window: OpenWindow | None,
                final: bool = False) -> int | None:
        """Run the function on the batch; None on success, else the first sequence number to retry from (-1 for a
        failed final window invocation)."""
        runtime, config = self.sim.runtime, self.function
        failed_all = records[0].sequence if records else -1
        event: dict = {"Records": [r.record for r in records]}
        if window is not None:
            event.update(self.tumbling.fields(window, shard_id, self.reader.arn, final))
        request = InvokeRequest(config.name, event, "RequestResponse", runtime.new_request_id())
        if runtime.throttled(config):
            runtime.throttle_result(config, request)
            return failed_all
        runtime.reserve(config)
        result = runtime.execute(config, request)
        if not result.ok:
            return failed_all
        if window is not None:
            state = self.tumbling.new_state(result.payload)
            if state is None:
                return failed_all  # a tumbling-window response must carry `state` (AWS)
            if not final:  # the final invocation's state is dropped with its window
                window.state, window.terminated_early = state, self.tumbling.too_large(state)
        failures = (result.payload or {}).get("batchItemFailures") if self.report_failures and \
            isinstance(result.payload, dict) else None
        if not failures or final:
            return None
        by_id = {self.reader.identifier(r.record): r.sequence for r in records}
        sequences = [by_id.get(str(f.get("itemIdentifier"))) if isinstance(f, dict) else None for f in failures]
        if any(s is None for s in sequences):
            return records[0].sequence  # an unknown or empty identifier fails the whole batch (as AWS does)
        return min(sequences)

    def _advance(self, lane: _Lane, sequence: int) -> None:
        lane.checkpoint, lane.attempts, lane.retry_at = sequence, 0, 0.0
        if lane.limit is not None:
            lane.limit = None

    def _failed(self, shard_id: str, state: _Lane, batch: list[StreamRecord], failed_from: int) -> None:
        retry = [r for r in batch if r.sequence >= failed_from]
        done = [r for r in batch if r.sequence < failed_from]
        if done:
            state.checkpoint = done[-1].sequence
        now = self.sim.clock.now()
        if self.bisect and len(retry) > 1:
            state.limit = (len(retry) + 1) // 2  # halves don't count as retries (AWS)
            return
        state.attempts += 1
        expired = self.max_age >= 0 and now - retry[0].arrival > self.max_age
        if expired or (self.max_retries >= 0 and state.attempts > self.max_retries):
            self._discard(shard_id, state, retry, "RecordAgeExceeded" if expired else "RetryAttemptsExhausted")
            return
        state.retry_at = now + min(RETRY_MAX, RETRY_FIRST * 2 ** (state.attempts - 1))

    def _discard(self, shard_id: str, state: _Lane, records: list[StreamRecord], condition: str) -> None:
        """Skip the batch and send its description to the on-failure destination."""
        attempts = state.attempts
        self._advance(state, records[-1].sequence)
        self.sim.trace.record("stream_discard", source=self.spec.label, shard=shard_id, size=len(records),
                              condition=condition)
        if self.on_failure is None:
            return
        stamp = self.sim.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        document = {
            "requestContext": {"requestId": self.sim.runtime.new_request_id(), "functionArn": self.function.arn,
                               "condition": condition, "approximateInvokeCount": attempts},
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0", "timestamp": stamp,
            self.reader.batch_key: {
                "shardId": shard_id, "startSequenceNumber": str(records[0].sequence),
                "endSequenceNumber": str(records[-1].sequence),
                "approximateArrivalOfFirstRecord": _iso(records[0].arrival),
                "approximateArrivalOfLastRecord": _iso(records[-1].arrival),
                "batchSize": len(records), "streamArn": self.reader.arn}}
        self.sources.send_to_target(self.on_failure, document)


def _iso(epoch: float) -> str:
    import datetime as _dt
    return _dt.datetime.fromtimestamp(epoch, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


register_source("DynamoDB", COMMON)(StreamMapping)
register_source("Kinesis", COMMON | {"StartingPositionTimestamp"})(StreamMapping)
