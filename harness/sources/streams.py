"""DynamoDB Streams and Kinesis event source mappings (`Type: DynamoDB`, `Type: Kinesis`).

As AWS documents for stream sources: each shard is read in order, one batch in flight per shard; a failed batch
is retried (the shard waits) until it succeeds, `MaximumRetryAttempts` is exhausted or its oldest record is older
than `MaximumRecordAgeInSeconds`; `BisectBatchOnFunctionError` splits a failing batch in two; with
`ReportBatchItemFailures` the shard resumes from the first failed sequence number; a discarded batch's
description goes to `DestinationConfig.OnFailure` (SQS or SNS); `FilterCriteria` drops records that match no
filter. Records are read from moto's model (a put wakes the mapping), so these sources need the moto backends.

Approximation: AWS does not document the delay between retries of a stream batch; the harness waits 1 s,
doubling up to 60 s (virtual time).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.lambda_runtime.runtime import InvokeRequest
from harness.sources.base import EventSpec, as_bool, as_number, register_source
from harness.sources.polling import PollSchedule
from harness.template import ACCOUNT_ID

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources

COMMON = {"Stream", "StartingPosition", "BatchSize", "MaximumBatchingWindowInSeconds", "MaximumRetryAttempts",
          "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "DestinationConfig", "FunctionResponseTypes",
          "FilterCriteria", "Enabled", "ParallelizationFactor"}
RETRY_FIRST, RETRY_MAX = 1.0, 60.0


@dataclass(frozen=True)
class StreamRecord:
    """One record of a shard: its sequence number, arrival (epoch seconds) and the Lambda record."""

    sequence: int
    arrival: float
    record: dict


class DynamoDbReader:
    """A table's stream, read from moto's model: one shard."""

    kind, batch_key = "dynamodb", "DDBStreamBatchInfo"

    def __init__(self, sources: EventSources, arn: str):
        self.sources, self.arn = sources, arn
        self.table_name = arn.split(":table/", 1)[-1].split("/stream/", 1)[0]

    def shards(self) -> dict[str, list[StreamRecord]]:
        """Shard id -> its records in order."""
        from moto.dynamodb.models import dynamodb_backends
        table = dynamodb_backends[ACCOUNT_ID][self.sources.sim.region].tables.get(self.table_name)
        shard = getattr(table, "stream_shard", None)
        if shard is None:
            return {}
        return {shard.id: [self._record(item) for item in shard.items]}

    def _record(self, item: Any) -> StreamRecord:
        data = json.loads(json.dumps(item.to_json(), default=str))
        created = item.record["dynamodb"]["ApproximateCreationDateTime"]
        arrival = created.timestamp() if hasattr(created, "timestamp") else float(created)
        data["dynamodb"]["ApproximateCreationDateTime"] = float(int(arrival))
        data["awsRegion"] = self.sources.sim.region
        data["eventSourceARN"] = self.arn
        return StreamRecord(int(data["dynamodb"]["SequenceNumber"]), arrival, data)

    @staticmethod
    def identifier(record: dict) -> str:
        """What ReportBatchItemFailures names a record by."""
        return record["dynamodb"]["SequenceNumber"]

    @staticmethod
    def filter_candidate(record: dict) -> dict:
        """The record as filter patterns see it."""
        return record


class KinesisReader:
    """A Kinesis stream, read from moto's model: every shard."""

    kind, batch_key = "kinesis", "KinesisBatchInfo"

    def __init__(self, sources: EventSources, arn: str):
        self.sources, self.arn = sources, arn
        self.name = arn.rsplit("/", 1)[-1]

    def shards(self) -> dict[str, list[StreamRecord]]:
        """Shard id -> its records in order."""
        from moto.kinesis.models import kinesis_backends
        stream = kinesis_backends[ACCOUNT_ID][self.sources.sim.region].streams.get(self.name)
        if stream is None:
            return {}
        return {shard.shard_id: [self._record(shard.shard_id, r) for r in shard.records.values()]
                for shard in stream.shards.values()}

    def _record(self, shard_id: str, record: Any) -> StreamRecord:
        sequence = str(record.sequence_number)
        return StreamRecord(int(record.sequence_number), float(record.created_at), {
            "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": record.partition_key,
                        "sequenceNumber": sequence, "data": record.data,
                        "approximateArrivalTimestamp": round(float(record.created_at), 3)},
            "eventSource": "aws:kinesis", "eventVersion": "1.0", "eventID": f"{shard_id}:{sequence}",
            "eventName": "aws:kinesis:record", "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT_ID}:"
                                                                    f"role/lambda-role",
            "awsRegion": self.sources.sim.region, "eventSourceARN": self.arn})

    @staticmethod
    def identifier(record: dict) -> str:
        """What ReportBatchItemFailures names a record by."""
        return record["kinesis"]["sequenceNumber"]

    @staticmethod
    def filter_candidate(record: dict) -> dict:
        """The record as filter patterns see it (`data` decoded when it is JSON, as Lambda does)."""
        candidate = json.loads(json.dumps(record))
        try:
            candidate["data"] = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            pass
        return candidate


@dataclass
class _Shard:
    checkpoint: int = -1        # last sequence number done with
    busy: bool = False
    attempts: int = 0           # failed attempts of the batch at the checkpoint
    retry_at: float = 0.0
    limit: int | None = None    # bisected: the batch is only this many records


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
        self.function = spec.function
        self.shards: dict[str, _Shard] = {}
        self.schedule = PollSchedule(self.sim, f"stream-poll:{spec.label}", self._poll, enabled=self.enabled)
        self.poke = self.schedule.poke  # a put was seen, a batch ended or a retry is due

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Begin reading: LATEST skips what the stream holds now; TRIM_HORIZON starts at its oldest record."""
        for shard_id, records in self.reader.shards().items():
            self.shards[shard_id] = _Shard(checkpoint=records[-1].sequence if self.latest and records else -1)
        self.schedule.start()

    def stop(self) -> None:
        """Stop reading."""
        self.schedule.stop()

    # ------------------------------------------------------------------ polling (daemon task)
    def _poll(self) -> None:
        now = self.sim.clock.now()
        for shard_id, records in self.reader.shards().items():
            state = self.shards.setdefault(shard_id, _Shard())
            pending = [r for r in records if r.sequence > state.checkpoint]
            if state.busy or not pending:
                continue
            if state.retry_at > now:
                self.poke(state.retry_at)
                continue
            if self.window and len(pending) < self.batch_size and pending[0].arrival + self.window > now:
                self.poke(pending[0].arrival + self.window)
                continue
            batch = pending[:min(self.batch_size, state.limit or self.batch_size)]
            state.busy = True
            self.sim.scheduler.spawn(lambda s=shard_id, b=batch: self._run_batch(s, b),
                                     name=f"stream-batch:{self.spec.label}")

    # ------------------------------------------------------------------ one batch (non-daemon task)
    def _run_batch(self, shard_id: str, batch: list[StreamRecord]) -> None:
        state = self.shards[shard_id]
        try:
            kept = [r for r in batch if not self.filters or self.sources.matches_filters(
                self.filters, self.reader.filter_candidate(r.record))]
            failed_from = self._invoke(kept) if kept else None
            self.sim.trace.record("stream_batch", source=self.spec.label, shard=shard_id, size=len(batch),
                                  invoked=len(kept), failed=failed_from is not None)
            if failed_from is None:
                self._advance(state, batch[-1].sequence)
            else:
                self._failed(shard_id, state, batch, failed_from)
        finally:
            state.busy = False
            self.poke()

    def _invoke(self, records: list[StreamRecord]) -> int | None:
        """Run the function on the batch; None on success, else the first sequence number to retry from."""
        runtime, config = self.sim.runtime, self.function
        request = InvokeRequest(config.name, {"Records": [r.record for r in records]}, "RequestResponse",
                                runtime.new_request_id())
        if runtime.throttled(config):
            runtime.throttle_result(config, request)
            return records[0].sequence
        runtime.reserve(config)
        result = runtime.execute(config, request)
        if not result.ok:
            return records[0].sequence
        failures = (result.payload or {}).get("batchItemFailures") if self.report_failures and \
            isinstance(result.payload, dict) else None
        if not failures:
            return None
        by_id = {self.reader.identifier(r.record): r.sequence for r in records}
        sequences = [by_id.get(str(f.get("itemIdentifier"))) if isinstance(f, dict) else None for f in failures]
        if any(s is None for s in sequences):
            return records[0].sequence  # an unknown or empty identifier fails the whole batch (as AWS does)
        return min(sequences)

    def _advance(self, state: _Shard, sequence: int) -> None:
        state.checkpoint, state.attempts, state.retry_at = sequence, 0, 0.0
        if state.limit is not None:
            state.limit = None

    def _failed(self, shard_id: str, state: _Shard, batch: list[StreamRecord], failed_from: int) -> None:
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

    def _discard(self, shard_id: str, state: _Shard, records: list[StreamRecord], condition: str) -> None:
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
