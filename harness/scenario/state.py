"""Read-only views of the backend's state at the end of (or during) a run: queues, tables, objects, secrets.

Queue contents are read from moto's own models when the backend is moto (in-process or server, both live in
this process), so looking never changes receive counts or visibility. Other backends are read through the
API with a zero visibility timeout, which counts as a receive there (documented in docs/scenarios.md).

Judging a finished run (`State.settled()`: the `expect` list and the invariants) reads each table and the
secrets once, however many checks look at them, and on moto reads them from moto's models: the values are the
ones the API gives (tests/harness/scenario/test_state.py compares both ways). Reads during a run (`assert`
steps) go through the API as before: a request draws ids from generators the run's later ids come from (the
internal client answers GetItem and Scan from moto's handler, drawing what the API way draws: harness/aws/direct.py).
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.aws import router
from harness.aws.moto_sqs import request_time
from harness.scenario.match import copied, plain
from harness.template import ACCOUNT_ID


@dataclass(frozen=True)
class QueuedView:
    """A message still in a queue: visible, in flight (received, not yet deleted) or delayed."""

    message_id: str
    body: str
    attributes: dict
    receive_count: int
    state: str  # visible | in_flight | delayed
    deduplication_id: str | None = None  # FIFO queues

    def json(self) -> Any:
        """Body parsed as JSON, or the text itself."""
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body


class State:
    """Looks at a running simulation's backend without disturbing it."""

    def __init__(self, sim: Any):
        self.sim = sim
        self._memo: dict[tuple, Any] | None = None  # reads of the judging phase (settled())
        self._backends: dict[str, Any] = {}  # moto backends found while judging (settled())

    @contextlib.contextmanager
    def settled(self) -> Iterator[None]:
        """Judging a run that is over: each table and the secrets are read once (from moto's models on moto);
        every caller gets its own copy."""
        saved, self._memo = self._memo, {}
        try:
            yield
        finally:
            self._memo = saved
            self._backends = {}

    def _once(self, key: tuple, read: Callable[[], Any]) -> Any:
        if self._memo is None:
            return read()
        if key not in self._memo:
            self._memo[key] = read()
        return copied(self._memo[key])

    def _moto(self, backends: str) -> Any:
        """moto's backend of a service (`dynamodb_backends`) while judging on moto, else None."""
        if self._memo is None:
            return None
        if backends not in self._backends:  # the run is over: the backend does not change while it is judged
            self._backends[backends] = self._moto_backend(backends)
        return self._backends[backends]

    def _on_moto(self) -> bool:
        return "moto" in type(self.sim.backend).__name__.lower()

    def _moto_backend(self, backends: str) -> Any:
        """moto's backend of a service (`sqs_backends`) when the simulation's backend is moto, else None."""
        if not self._on_moto():
            return None
        accounts, region = _backend_dict(backends), self.sim.region
        # moto's own lookups (a lock, a scan of every BackendDict) only when they have something to make.
        made = dict.get(dict.get(accounts, ACCOUNT_ID) or {}, region) if region != "global" else None
        return made if made is not None else accounts[ACCOUNT_ID][region]

    def _moto_untouched(self, backends: str) -> bool:
        """While judging on moto: no request of this run reached the service (moto makes a service's regional
        backend on its first request, and the reset at every run's start drops them), so it holds nothing. Looking
        does not make one (moto's own lookup would, for every region of the service)."""
        if self._memo is None or not self._on_moto():
            return False
        accounts = _backend_dict(backends)
        account = dict.get(accounts, ACCOUNT_ID)  # dict's own lookup: moto's __getitem__ would make it
        return account is None or self.sim.region not in dict.keys(account)

    # ---------------------------------------------------------------- SQS
    def queue_names(self) -> list[str]:
        """Every queue that exists in the backend."""
        moto_queues = self._moto_queues()
        if moto_queues is not None:
            return sorted(moto_queues)
        with router.internal():
            urls = self.sim.client("sqs").list_queues().get("QueueUrls", [])
        return sorted(u.rsplit("/", 1)[-1] for u in urls)

    def messages(self, queue: str) -> list[QueuedView]:
        """Messages in `queue` (a physical name), oldest first."""
        moto_queues = self._moto_queues()
        if moto_queues is not None:
            if queue not in moto_queues:
                return []
            out = []
            with request_time():  # one clock reading for the whole queue
                for m in list(moto_queues[queue]._messages):
                    state = "delayed" if m.delayed else ("visible" if m.visible else "in_flight")
                    attributes = {k: _moto_value(v)
                                  for k, v in (m.message_attributes or {}).items()}
                    out.append(QueuedView(m.id, m.body, attributes, int(m.approximate_receive_count), state,
                                          getattr(m, "deduplication_id", None)))
            return out
        return self._peek(queue)

    def _moto_queues(self) -> dict | None:
        if self._moto_untouched("sqs_backends"):
            return {}  # no queue was ever made in this run
        backend = self._moto("sqs_backends") if self._memo is not None else self._moto_backend("sqs_backends")
        return None if backend is None else backend.queues

    def _peek(self, queue: str) -> list[QueuedView]:
        sqs = self.sim.client("sqs")
        with router.internal():
            url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                      MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
        return [QueuedView(m["MessageId"], m["Body"], {k: v.get("StringValue") for k, v in
                                                       (m.get("MessageAttributes") or {}).items()},
                           int(m["Attributes"].get("ApproximateReceiveCount", 0)), "visible",
                           m["Attributes"].get("MessageDeduplicationId")) for m in got]

    # ---------------------------------------------------------------- DynamoDB
    def items(self, table: str) -> list[dict]:
        """Every item of `table` (physical name) as plain JSON values."""
        return self._once(("items", table), lambda: self._read_items(table))

    def _read_items(self, table: str) -> list[dict]:
        moto = self._moto("dynamodb_backends")
        if moto is not None and table in moto.tables:  # what a Scan answers: every item, in moto's order
            return [_plain_item(item) for item in moto.tables[table].all_items()]
        from boto3.dynamodb.types import TypeDeserializer
        deserializer = TypeDeserializer()
        ddb = self.sim.client("dynamodb")
        out, start = [], None
        while True:
            kwargs = {"TableName": table, **({"ExclusiveStartKey": start} if start else {})}
            page = ddb.scan(**kwargs)
            out += [plain({k: deserializer.deserialize(v) for k, v in item.items()}) for item in page["Items"]]
            start = page.get("LastEvaluatedKey")
            if not start:
                return out

    def key_names(self, table: str) -> list[str]:
        """The table's key attribute names (hash, then range)."""
        schema = self.sim.client("dynamodb").describe_table(TableName=table)["Table"]["KeySchema"]
        return [k["AttributeName"] for k in sorted(schema, key=lambda k: k["KeyType"] != "HASH")]

    def item(self, table: str, key: dict) -> dict | None:
        """One item by its key (plain JSON values), or None."""
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
        serializer, deserializer = TypeSerializer(), TypeDeserializer()
        typed = {k: serializer.serialize(to_dynamo(v)) for k, v in key.items()}
        moto = self._moto("dynamodb_backends")
        found = _moto_item(moto, table, typed) if moto is not None else _ASK
        if found is not _ASK:
            return None if found is None else _plain_item(found)
        got = self.sim.client("dynamodb").get_item(TableName=table, Key=typed, ConsistentRead=True).get("Item")
        return None if got is None else plain({k: deserializer.deserialize(v) for k, v in got.items()})

    # ---------------------------------------------------------------- S3 and secrets
    def object(self, bucket: str, key: str) -> bytes | None:
        """An object's body, or None when it does not exist."""
        s3 = self.sim.client("s3")
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as exc:
            if "NoSuch" in type(exc).__name__ or "NoSuch" in str(exc) or "404" in str(exc):
                return None
            raise

    def object_storage_class(self, bucket: str, key: str) -> str | None:
        """An object's storage class (HeadObject, which also works for archived objects), None when absent."""
        s3 = self.sim.client("s3")
        try:
            return s3.head_object(Bucket=bucket, Key=key).get("StorageClass", "STANDARD")
        except Exception as exc:
            if "NoSuch" in type(exc).__name__ or "404" in str(exc) or "Not Found" in str(exc):
                return None
            raise

    def secret_values(self) -> list[str]:
        """Every secret string stored in Secrets Manager (and each string value inside JSON secrets)."""
        return self._once(("secrets",), self._read_secret_values)

    def _read_secret_values(self) -> list[str]:
        if self._moto_untouched("secretsmanager_backends"):
            return []  # what ListSecrets answers on a fresh backend, without making one for every region
        moto = self._moto("secretsmanager_backends")
        sm = self.sim.client("secretsmanager") if moto is None else _MotoSecrets(moto)
        values: list[str] = []
        try:
            listed = sm.list_secrets().get("SecretList", [])
        except Exception:  # noqa: BLE001 - a backend without Secrets Manager has no secrets
            return values
        for entry in listed:
            text = _secret_string(sm, entry["ARN"])
            values.append(text)
            try:
                decoded = json.loads(text)
            except ValueError:
                continue
            if isinstance(decoded, dict):
                values += [str(v) for v in decoded.values() if isinstance(v, (str, int)) and not isinstance(v, bool)]
        return values


def _secret_string(sm: Any, arn: str) -> str:
    """A secret's string value; '' when it has none (binary or no version: nothing to leak in logs)."""
    try:
        return sm.get_secret_value(SecretId=arn).get("SecretString") or ""
    except Exception:  # noqa: BLE001 - see the docstring
        return ""


def _backend_dict(backends: str) -> Any:
    """moto's BackendDict of a service by its name (`sqs_backends`)."""
    service = backends.rsplit("_", 1)[0]
    return getattr(importlib.import_module(f"moto.{service}.models"), backends)


_ASK = object()  # the API must answer (moto's model cannot say exactly what it would)


def _plain_item(item: Any) -> dict:
    """A moto Item as plain JSON values, as a Scan or GetItem answer gives it after boto3's deserializer and `plain`
    (read straight from moto's typed values: tests/harness/scenario/test_state.py checks both ways agree)."""
    dynamo = _dynamo()
    return {name: _plain_value(value, dynamo) for name, value in item.attrs.items()}


def _plain_value(value: Any, dynamo: tuple | None = None) -> Any:
    """One moto DynamoType as `plain(TypeDeserializer().deserialize(value.to_regular_json()))` gives it; strings,
    numbers, booleans, nulls, maps and lists directly, other types (binary, sets) that way."""
    dynamo_type, context, deserializer = dynamo or _dynamo()
    kind, raw = value.type, value.value
    if (kind == "S" and type(raw) is str) or (kind == "BOOL" and type(raw) is bool):
        return raw
    if kind == "N" and type(raw) is str:
        return plain(context.create_decimal(raw))
    if kind == "NULL":
        return None
    if kind == "M" and type(raw) is dict and all(type(v) is dynamo_type for v in raw.values()):
        return {k: _plain_value(v, dynamo) for k, v in raw.items()}
    if kind == "L" and type(raw) is list and all(type(v) is dynamo_type for v in raw):
        return [_plain_value(v, dynamo) for v in raw]
    return plain(deserializer.deserialize(value.to_regular_json()))


@functools.cache
def _dynamo() -> tuple[type, Any, Any]:
    """moto's DynamoType, boto3's DynamoDB decimal context and a TypeDeserializer (imported when first needed)."""
    from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer
    from moto.dynamodb.models.dynamo_type import DynamoType
    return DynamoType, DYNAMODB_CONTEXT, TypeDeserializer()


def _moto_item(backend: Any, table: str, key: dict) -> Any:
    """The moto Item (or None) GetItem answers for `key` (typed values) when the key is the table's own key, with
    its declared types and no empty value; _ASK otherwise (the API answers with its error)."""
    found = backend.tables.get(table)
    if found is None or any(not next(iter(v.values()), None) for v in key.values()):
        return _ASK
    names = [found.hash_key_attr] + ([found.range_key_attr] if found.range_key_attr else [])
    declared = {a["AttributeName"]: a["AttributeType"] for a in found.attr}
    if sorted(key) != sorted(names) or any(list(key[n]) != [declared.get(n)] for n in names):
        return _ASK
    try:
        return backend.get_item(table, key, None)
    except Exception:  # noqa: BLE001 - whatever moto refuses, the API reports
        return _ASK


class _MotoSecrets:
    """The two Secrets Manager reads `secret_values` makes, answered by moto's model as its API handler does."""

    def __init__(self, backend: Any):
        self.backend = backend

    def list_secrets(self) -> dict:
        """ListSecrets without parameters (the first page)."""
        listed, _ = self.backend.list_secrets(filters=[], max_results=None, next_token=None,
                                              include_planned_deletion=False)
        return {"SecretList": listed}

    def get_secret_value(self, SecretId: str) -> dict:
        """GetSecretValue of the current version."""
        return self.backend.get_secret_value(secret_id=SecretId, version_id=None, version_stage=None)


def to_dynamo(value: Any) -> Any:
    """Plain JSON -> what boto3's TypeSerializer accepts (floats become Decimals)."""
    from decimal import Decimal
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_dynamo(v) for v in value]
    return value


def _moto_value(value: Any) -> Any:
    """moto keeps attributes as {'data_type': ..., 'string_value': ...} (key spelling varies by version)."""
    if not isinstance(value, dict):
        return value
    for key in ("string_value", "StringValue", "binary_value", "BinaryValue"):
        if key in value:
            return value[key]
    return value
