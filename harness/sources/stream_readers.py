"""Reading DynamoDB Streams and Kinesis shards from moto's model (a put wakes the mappings through
harness.sources.moto_hooks), as the records Lambda delivers."""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.template import ACCOUNT_ID

if TYPE_CHECKING:  # pragma: no cover
    from harness.sources.extension import EventSources


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
    def partition_key(record: dict) -> str:
        """The item's key: records of one item stay in order under ParallelizationFactor."""
        return json.dumps(record["dynamodb"].get("Keys") or {}, sort_keys=True)

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
    def partition_key(record: dict) -> str:
        """The record's partition key: records of one key stay in order under ParallelizationFactor."""
        return record["kinesis"]["partitionKey"]

    @staticmethod
    def filter_candidate(record: dict) -> dict:
        """The record as filter patterns see it (`data` decoded when it is JSON, as Lambda does)."""
        candidate = json.loads(json.dumps(record))
        try:
            candidate["data"] = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            pass
        return candidate


def lane_of(partition_key: str, lanes: int) -> int:
    """Which of a shard's `lanes` concurrent batchers a partition key goes to (stable across runs: MD5, the hash
    Kinesis itself puts partition keys through)."""
    if lanes == 1:
        return 0
    return int(hashlib.md5(partition_key.encode()).hexdigest(), 16) % lanes
