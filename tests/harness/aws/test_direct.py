"""Harness-internal calls answered from moto's models give what the API way gives: the same answer, the same stored
state, the same values drawn from moto's and the run's generators, the same trace events."""
import contextlib
import functools
import uuid

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.moto_api._internal import mock_random
from moto.sqs.models import sqs_backends

from harness import Simulation
from harness.aws import direct
from harness.scenario import ledger
from harness.scenario.determinism import pinned_randomness
from harness.template import ACCOUNT_ID

DLQ_ATTRIBUTES = {"RequestID": {"DataType": "String", "StringValue": "c0ffee"},
                  "ErrorCode": {"DataType": "Number", "StringValue": "200"},
                  "ErrorMessage": {"DataType": "String", "StringValue": "always fails: 1"}}


@contextlib.contextmanager
def direct_calls(on: bool):
    """Direct answers on or off, with a scenario ledger observing the API (as in a scenario run)."""
    saved, direct.enabled = direct.enabled, on
    ledger.install()
    try:
        yield
    finally:
        direct.enabled = saved
        ledger.activate(None)


@contextlib.contextmanager
def api_only():
    saved, direct.enabled = direct.enabled, False
    try:
        yield
    finally:
        direct.enabled = saved


def observed(sim) -> dict:
    """What the scenario ledger saw of the calls."""
    seen = ledger._active
    return {"calls": seen.calls, "sent": seen.sent, "deleted": seen.deleted, "receipts": seen.receipts}


def observing(sim):
    ledger.activate(ledger.Ledger(sim.clock))
    return sim


def send_twice(on: bool, queue: str = "q", fifo: bool = False, **params) -> dict:
    """Create a queue, send two messages through the internal client (direct or not); what a caller could see."""
    with pinned_randomness(5), direct_calls(on), Simulation(seed=5) as sim:
        observing(sim)
        sqs = sim.client("sqs")
        attributes = {"FifoQueue": "true"} if fifo else {}
        url = sqs.create_queue(QueueName=queue, Attributes=attributes)["QueueUrl"]
        answers = []
        for body in ('{"n": 1}', "plain text"):
            try:
                answers.append(sqs.send_message(QueueUrl=url, MessageBody=body, **params))
            except ClientError as exc:
                answers.append(exc.response["Error"])
        stored = [dict(vars(m)) for m in sqs_backends[ACCOUNT_ID]["us-east-1"].queues[queue]._messages]
        return {"answers": answers, "stored": stored, "moto_draws": mock_random.getstate(),
                "next_uuid4": uuid.uuid4(), "trace": [(e.kind, e.data) for e in sim.trace.events],
                "hash": sim.trace.hash(), "observed": observed(sim)}


@pytest.mark.parametrize("params", [{}, {"MessageAttributes": DLQ_ATTRIBUTES}], ids=["plain", "dlq_attributes"])
def test_direct_send_message_gives_what_the_api_gives(params):
    fast = send_twice(True, **params)
    assert fast == send_twice(False, **params)
    assert [m.body for m in fast["observed"]["sent"]] == ['{"n": 1}', "plain text"]  # the ledger saw both


def test_a_send_the_direct_way_cannot_answer_goes_the_api_way():
    fifo = send_twice(True, queue="q.fifo", fifo=True)  # no MessageGroupId: moto's error, as the API answers it
    assert fifo == send_twice(False, queue="q.fifo", fifo=True)
    assert fifo["answers"][0]["Code"] == "MissingParameter"
    binary = {"MessageAttributes": {"B": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}}
    assert send_twice(True, **binary) == send_twice(False, **binary)


def test_direct_sends_are_used_only_on_in_process_moto():
    with direct_calls(True), Simulation(seed=1) as sim:
        sqs = sim.client("sqs")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        lookup = direct.lookup(sqs._client, "send_message")
        assert lookup({"QueueUrl": url, "MessageBody": "x"}) is not None
        assert lookup({"QueueUrl": url, "MessageBody": "x", "DelaySeconds": 5}) is None  # not handled: API way
    assert lookup({"QueueUrl": url, "MessageBody": "x"}) is None  # no simulation running


def create_queues(on: bool) -> dict:
    """Queues as the deployer creates them (attributes, a redrive policy, an existing queue again, a bad one)."""
    with pinned_randomness(2), direct_calls(on), Simulation(seed=2) as sim:
        observing(sim)
        sqs = sim.client("sqs")
        answers = []
        for name, attributes in (("dlq", {}), ("work", {"VisibilityTimeout": "60", "DelaySeconds": "0"}),
                                 ("redriven", {"RedrivePolicy": '{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:'
                                                                '123456789012:dlq", "maxReceiveCount": 3}'}),
                                 ("work", {"VisibilityTimeout": "60"}), ("work", {"VisibilityTimeout": "61"}),
                                 ("bad", {"VisibilityTimeout": "-1"}), ("f.fifo", {"FifoQueue": "true"})):
            try:
                answers.append(sqs.create_queue(QueueName=name, Attributes=attributes))
            except ClientError as exc:
                answers.append(exc.response["Error"])
        queues = {name: sqs.get_queue_attributes(QueueUrl=f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}",
                                                 AttributeNames=["All"])["Attributes"]
                  for name in sqs_backends[ACCOUNT_ID]["us-east-1"].queues}
        return {"answers": answers, "queues": queues, "moto_draws": mock_random.getstate(),
                "next_uuid4": uuid.uuid4(), "hash": sim.trace.hash(), "observed": observed(sim)}


def test_direct_create_queue_gives_what_the_api_gives():
    assert create_queues(True) == create_queues(False)


TABLES = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Simple:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Indexed:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: sk, AttributeType: N},
                             {AttributeName: gsi, AttributeType: S}, {AttributeName: lsi, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
      ProvisionedThroughput: {ReadCapacityUnits: 3, WriteCapacityUnits: 4}
      GlobalSecondaryIndexes:
        - IndexName: ByGsi
          KeySchema: [{AttributeName: gsi, KeyType: HASH}]
          Projection: {ProjectionType: INCLUDE, NonKeyAttributes: [status]}
          ProvisionedThroughput: {ReadCapacityUnits: 1, WriteCapacityUnits: 1}
      LocalSecondaryIndexes:
        - IndexName: ByLsi
          KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: lsi, KeyType: RANGE}]
          Projection: {ProjectionType: KEYS_ONLY}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
  Simple2:
    Type: AWS::Serverless::SimpleTable
    Properties: {PrimaryKey: {Name: id, Type: Number}}
"""


def deploy_tables(template, on: bool) -> dict:
    """Deploy the tables (directly or the API way); what the run and its inspection could see."""
    with pinned_randomness(4), direct_calls(on), observing(Simulation(template, seed=4)) as sim:
        ddb = sim.client("dynamodb")
        return {"attrs": sim.deployer.attrs, "trace": [(e.kind, e.data) for e in sim.trace.events],
                "moto_draws": mock_random.getstate(), "next_uuid4": uuid.uuid4(), "observed": observed(sim),
                "tables": {name: ddb.describe_table(TableName=name)["Table"]
                           for name in ddb.list_tables()["TableNames"]}}


def test_direct_create_table_deploys_what_the_api_deploys(write_app, monkeypatch):
    template = write_app(TABLES)
    direct_tables = []
    operation, create, complete = direct.DIRECT[("dynamodb", "create_table")]
    monkeypatch.setitem(direct.DIRECT, ("dynamodb", "create_table"),
                        (operation, lambda client, params: direct_tables.append(params["TableName"]) or
                         create(client, params), complete))
    fast, api = deploy_tables(template, True), deploy_tables(template, False)
    assert len(direct_tables) == 3  # every table was created the direct way, none the API way
    assert fast == api
    assert fast["attrs"]["Indexed"]["StreamArn"].startswith(fast["attrs"]["Indexed"]["Arn"] + "/stream/")


def test_a_table_moto_refuses_is_refused_with_the_apis_words(write_app):
    bad = write_app(TABLES.replace("{AttributeName: lsi, AttributeType: S}]", "]"))
    errors = []
    for on in (True, False):
        with pytest.raises(Exception) as refused:
            deploy_tables(bad, on)
        errors.append((type(refused.value), str(refused.value)))
    assert errors[0] == errors[1]
    assert "cannot create Indexed" in errors[0][1]


BUCKETS = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Plain:
    Type: AWS::S3::Bucket
  Named:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: Named-Bucket.1
      VersioningConfiguration: {Status: Enabled}
"""


def deploy_buckets(template, on: bool, region: str) -> dict:
    """Deploy the buckets (directly or the API way) in `region`; what the run and its inspection could see."""
    from moto.s3.models import s3_backends
    with pinned_randomness(4), direct_calls(on), observing(Simulation(template, seed=4, region=region)) as sim:
        buckets = s3_backends[ACCOUNT_ID]["aws"].buckets
        return {"attrs": sim.deployer.attrs, "trace": [(e.kind, e.data) for e in sim.trace.events],
                "moto_draws": mock_random.getstate(), "next_uuid4": uuid.uuid4(), "observed": observed(sim),
                "buckets": {name: (b.region_name, b.creation_date, b.versioning_status, b.arn)
                            for name, b in buckets.items()},
                "listed": sim.client("s3").list_buckets()["Buckets"], "owners": dict(s3_backends.bucket_accounts)}


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1"])
def test_direct_create_bucket_deploys_what_the_api_deploys(write_app, monkeypatch, region):
    template = write_app(BUCKETS)
    created = []
    operation, create, complete = direct.DIRECT[("s3", "create_bucket")]
    monkeypatch.setitem(direct.DIRECT, ("s3", "create_bucket"),
                        (operation, lambda client, params: created.append(params["Bucket"]) or
                         create(client, params), complete))
    fast = deploy_buckets(template, True, region)
    assert len(created) == 2 and created[1] == "named-bucket.1"  # both the direct way
    assert fast == deploy_buckets(template, False, region)
    assert len(fast["buckets"]) == 2


@pytest.mark.parametrize("name", ["ab", "a" * 64, "bad/name"])
def test_a_bucket_moto_or_botocore_refuses_is_refused_with_the_apis_words(write_app, name):
    bad = write_app(BUCKETS.replace("Named-Bucket.1", name))
    errors = []
    for on in (True, False):
        with pytest.raises(Exception) as refused:
            deploy_buckets(bad, on, "us-east-1")
        errors.append((type(refused.value), str(refused.value)))
    assert errors[0] == errors[1]
    assert "cannot create Named" in errors[0][1]


def delete_batches(on: bool) -> dict:
    """Receive and delete in batches as an event source does, with a stale handle, a duplicate and an empty batch."""
    with pinned_randomness(6), direct_calls(on), Simulation(seed=6) as sim:
        observing(sim)
        sqs = sim.client("sqs")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        for n in range(4):
            sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        handles = [m["ReceiptHandle"] for m in got]
        answers = []
        for entries in ([{"Id": "0", "ReceiptHandle": handles[0]}, {"Id": "1", "ReceiptHandle": handles[1]}],
                        [{"Id": "a", "ReceiptHandle": handles[0]}, {"Id": "b", "ReceiptHandle": "not-a-handle"}],
                        [{"Id": "x", "ReceiptHandle": handles[2]}, {"Id": "y", "ReceiptHandle": handles[2]}], []):
            try:
                answers.append(sqs.delete_message_batch(QueueUrl=url, Entries=entries))
            except ClientError as exc:
                answers.append(exc.response["Error"])
        left = [dict(vars(m)) for m in sqs_backends[ACCOUNT_ID]["us-east-1"].queues["q"]._messages]
        return {"answers": answers, "left": left, "moto_draws": mock_random.getstate(), "next_uuid4": uuid.uuid4(),
                "trace": [(e.kind, e.data) for e in sim.trace.events], "observed": observed(sim)}


def test_direct_delete_message_batch_gives_what_the_api_gives():
    fast = delete_batches(True)
    assert fast == delete_batches(False)
    assert [len(a.get("Failed", [])) for a in fast["answers"][:2]] == [0, 1]  # "not-a-handle" failed alone
    assert len(fast["observed"]["deleted"]) == 2  # the ledger saw the deletes
    assert [a.get("Code") for a in fast["answers"][2:]] == ["AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                                                           "AWS.SimpleQueueService.EmptyBatchRequest"]


def receive_everything(on: bool) -> dict:
    """Send messages of every kind (through the API), then receive them as an event source does and otherwise."""
    with pinned_randomness(7), direct_calls(on), Simulation(seed=7) as sim:
        observing(sim)
        sqs = sim.client("sqs")
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        url = sqs.create_queue(QueueName="q", Attributes={"RedrivePolicy": '{"deadLetterTargetArn": "arn:aws:sqs:'
                                                          'us-east-1:123456789012:dlq", "maxReceiveCount": 2}',
                                                          "VisibilityTimeout": "0"})["QueueUrl"]
        fifo = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true",
                                                                "ContentBasedDeduplication": "true"})["QueueUrl"]
        kinds = {"S": {"DataType": "String", "StringValue": "v"}, "N": {"DataType": "Number", "StringValue": "7"},
                 "B": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}
        with api_only():  # what handler code sends: every parameter, through the API
            sqs.send_message(QueueUrl=url, MessageBody="plain")
            sqs.send_message(QueueUrl=url, MessageBody="typed", MessageAttributes=kinds)
            sqs.send_message(QueueUrl=url, MessageBody="traced", MessageSystemAttributes={
                "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe1be46a994272793"}})
            sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=5)
            for n in range(3):
                sqs.send_message(QueueUrl=fifo, MessageBody=f"g{n}", MessageGroupId="g")
        answers = []
        for queue, options in ((url, {"MaxNumberOfMessages": 10, "WaitTimeSeconds": 0, "AttributeNames": ["All"],
                                      "MessageAttributeNames": ["All"], "MessageSystemAttributeNames": ["All"]}),
                               (url, {"MaxNumberOfMessages": 2, "AttributeNames": ["SentTimestamp"],
                                      "MessageAttributeNames": ["N"]}),
                               (url, {"MaxNumberOfMessages": 10, "VisibilityTimeout": 30}),  # redrives to the DLQ
                               (dlq, {"MaxNumberOfMessages": 10, "AttributeNames": ["All"]}),
                               (fifo, {"MaxNumberOfMessages": 10, "MessageSystemAttributeNames": ["All"]}),
                               (fifo, {"MaxNumberOfMessages": 11}), (url, {"WaitTimeSeconds": 21})):
            try:
                answers.append(sqs.receive_message(QueueUrl=queue, **options))
            except ClientError as exc:
                answers.append(exc.response["Error"])
        state = {name: [dict(vars(m)) for m in queue._messages]
                 for name, queue in sqs_backends[ACCOUNT_ID]["us-east-1"].queues.items()}
        return {"answers": answers, "state": state, "moto_draws": mock_random.getstate(), "next_uuid4": uuid.uuid4(),
                "trace": [(e.kind, e.data) for e in sim.trace.events], "observed": observed(sim)}


def answered_directly(monkeypatch, key: tuple[str, str]) -> list[bool]:
    """Whether each call to the direct answer for `key` answered (True) or sent the call the API way (False)."""
    answered: list[bool] = []
    operation, answer, complete = direct.DIRECT[key]

    def counted(client, params):
        got = answer(client, params)
        answered.append(got is not None)
        return got
    monkeypatch.setitem(direct.DIRECT, key, (operation, counted, complete))
    return answered


def test_direct_receive_message_gives_what_the_api_gives(monkeypatch):
    answered = answered_directly(monkeypatch, ("sqs", "receive_message"))
    fast = receive_everything(True)
    assert answered == [True] * 5 + [False] * 2  # out-of-range parameters go the API way (moto's error)
    assert fast == receive_everything(False)
    # the third receive redrives the two messages received twice to the DLQ (maxReceiveCount 2)
    assert [len(a.get("Messages", [])) for a in fast["answers"][:5]] == [3, 2, 1, 2, 3]


def put_items(on: bool, stream: bool) -> dict:
    """Put items as a scenario's setup does (and ones moto refuses) into a table, with or without a stream."""
    from boto3.dynamodb.types import TypeSerializer
    serializer = TypeSerializer()
    with pinned_randomness(8), direct_calls(on), Simulation(seed=8) as sim:
        observing(sim)
        ddb = sim.client("dynamodb")
        extra = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
        ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST", **extra)
        answers = []
        for item in ({"pk": "a", "n": 1, "tags": {"x", "y"}, "nested": {"l": [1, "two", None, True]}},
                     {"pk": "a", "n": 2}, {"pk": "b", "blob": b"\x00\x01"}, {"pk": ""}, {"n": 1}, {"pk": 5}):
            try:
                answers.append(ddb.put_item(TableName="t", Item={k: serializer.serialize(v) for k, v in item.items()}))
            except Exception as exc:  # noqa: BLE001 - ClientError or ParamValidationError, compared
                answers.append((type(exc).__name__, str(exc)))
        table = __import__("moto.dynamodb.models", fromlist=["x"]).dynamodb_backends[ACCOUNT_ID]["us-east-1"].tables["t"]
        items = [item.to_json() for item in table.all_items()]
        records = [record.to_json() for record in table.stream_shard.items] if stream else []
        return {"answers": answers, "items": items, "records": records, "moto_draws": mock_random.getstate(),
                "next_uuid4": uuid.uuid4(), "trace": [(e.kind, e.data) for e in sim.trace.events],
                "observed": observed(sim)}


@pytest.mark.parametrize("stream", [False, True], ids=["table", "table_with_stream"])
def test_direct_put_item_gives_what_the_api_gives(stream, monkeypatch):
    answered = answered_directly(monkeypatch, ("dynamodb", "put_item"))
    fast = put_items(True, stream)
    assert answered == [True] * 3 + [False] * 3  # moto refuses the last three: the API way answers with its error
    assert fast == put_items(False, stream)
    assert len(fast["items"]) == 2 and [type(a) for a in fast["answers"][:3]] == [dict] * 3


def secrets_setup(on: bool, steps: list) -> dict:
    """Run Secrets Manager `steps` (method, params) through the internal client, directly or the API way; what a
    caller could see, the values drawn and who drew the run's uuid4s."""
    with pinned_randomness(8) as pins, direct_calls(on), Simulation(seed=8) as sim:
        observing(sim)
        sm = sim.client("secretsmanager")
        answers = []
        for method, params in steps:
            try:
                answers.append(getattr(sm, method)(**params))
            except ClientError as exc:
                answers.append(exc.response["Error"])
            except ParamValidationError as exc:
                answers.append(str(exc))
        secrets = sm.list_secrets()["SecretList"]
        values = [sm.get_secret_value(SecretId=s["ARN"]) for s in secrets]
        for value in values:
            value.pop("ResponseMetadata")
        return {"answers": answers, "secrets": secrets, "values": values, "moto_draws": mock_random.getstate(),
                "uuid4_callers": list(pins.uuid4_callers), "next_uuid4": uuid.uuid4(), "observed": observed(sim),
                "trace": [(e.kind, e.data) for e in sim.trace.events]}


SECRET_STEPS = [("create_secret", {"Name": "twilio", "SecretString": '{"token": "t0"}'}),
                ("put_secret_value", {"SecretId": "twilio", "SecretString": '{"token": "t1"}'}),
                ("create_secret", {"Name": "other", "SecretString": "x"}),
                ("create_secret", {"Name": "twilio", "SecretString": "again"}),  # exists: moto's error
                ("put_secret_value", {"SecretId": "missing", "SecretString": "x"}),  # no such secret
                ("put_secret_value", {"SecretId": "other", "SecretString": ""}),  # empty: moto's error
                ("create_secret", {"Name": "tagged", "SecretString": "x", "Tags": [{"Key": "k", "Value": "v"}]}),
                ("put_secret_value", {"SecretId": "other", "SecretString": "y", "ClientRequestToken": "t" * 32})]


def counting(monkeypatch, service: str, method: str, answered: list) -> None:
    """Record in `answered` each call of `method` the direct way answered."""
    operation, respond, complete = direct.DIRECT[(service, method)]

    def counted(client, params):
        answer = respond(client, params)
        if answer is not None:
            answered.append(method)
        return answer
    monkeypatch.setitem(direct.DIRECT, (service, method), (operation, counted, complete))


def test_direct_secrets_give_what_the_api_gives(monkeypatch):
    answered = []
    for method in ("create_secret", "put_secret_value"):
        counting(monkeypatch, "secrets-manager", method, answered)
    fast = secrets_setup(True, SECRET_STEPS)
    assert answered == ["create_secret", "put_secret_value", "create_secret"]  # the rest went the API way
    assert fast == secrets_setup(False, SECRET_STEPS)
    assert fast["uuid4_callers"].count("botocore.handlers.generate_idempotent_uuid") == 7


READ_STEPS = [("create_secret", {"Name": "twilio", "SecretString": '{"token": "t0"}'}),
              ("put_secret_value", {"SecretId": "twilio", "SecretString": '{"token": "t1"}'}),
              ("create_secret", {"Name": "bytes", "SecretBinary": b"\x00\xff"}),
              ("get_secret_value", {"SecretId": "twilio"}),
              ("get_secret_value", {"SecretId": "twilio", "VersionStage": "AWSPREVIOUS"}),
              ("get_secret_value", {"SecretId": "bytes"}),
              ("get_secret_value", {"SecretId": "missing"}),  # moto's error: the API way
              ("get_secret_value", {"SecretId": "twilio", "VersionStage": "NOPE"}),  # moto's error
              ("get_secret_value", {"SecretId": ""})]  # botocore refuses it (min length): the API way


def test_direct_get_secret_value_gives_what_the_api_gives(monkeypatch):
    answered = answered_directly(monkeypatch, ("secrets-manager", "get_secret_value"))
    fast = secrets_setup(True, READ_STEPS)
    # the three reads above, then the end's read of each secret's current value
    assert answered == [True, True, True, False, False, False, True, True]
    api = secrets_setup(False, READ_STEPS)
    assert fast == api
    assert fast["answers"][3]["SecretString"] == '{"token": "t1"}' and fast["answers"][5]["SecretBinary"] == b"\x00\xff"
    assert fast["answers"][3]["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]  # compared with the API's too


def read_tables(on: bool) -> dict:
    """DynamoDB reads an `assert` step or a check makes (and ones moto or botocore refuse), directly or the API way."""
    from moto.dynamodb.models import dynamodb_backends
    with pinned_randomness(6), direct_calls(on), Simulation(seed=6) as sim:
        observing(sim)
        ddb = sim.client("dynamodb")
        with api_only():
            ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                   {"AttributeName": "sk", "AttributeType": "N"},
                                                   {"AttributeName": "g", "AttributeType": "S"}],
                             GlobalSecondaryIndexes=[{"IndexName": "ByG", "KeySchema": [
                                 {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
                             BillingMode="PAY_PER_REQUEST")
            for n in range(5):
                ddb.put_item(TableName="t", Item={
                    "pk": {"S": "a" if n < 3 else "b"}, "sk": {"N": str(n)}, "g": {"S": f"g{n % 2}"},
                    "blob": {"B": bytes([n, 255])}, "tags": {"SS": ["x", f"y{n}"]}, "nums": {"NS": ["1.50", str(n)]},
                    "m": {"M": {"l": {"L": [{"S": "v"}, {"NULL": True}, {"BOOL": n % 2 == 0}, {"N": "-0.5"}]}}}})
        calls = [("get_item", {"Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}}),
                 ("get_item", {"Key": {"pk": {"S": "a"}, "sk": {"N": "1"}}, "ConsistentRead": True,
                               "ProjectionExpression": "#m.l[2], #b", "ExpressionAttributeNames": {"#m": "m", "#b": "blob"}}),
                 ("get_item", {"Key": {"pk": {"S": "zz"}, "sk": {"N": "1"}}}),  # no such item
                 ("scan", {}), ("scan", {"Limit": 2}), ("scan", {"FilterExpression": "sk > :n",
                                                                 "ExpressionAttributeValues": {":n": {"N": "2"}}}),
                 ("scan", {"IndexName": "ByG", "Select": "COUNT"}),
                 ("query", {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}},
                            "ScanIndexForward": False, "Limit": 2}),
                 ("query", {"IndexName": "ByG", "KeyConditionExpression": "g = :g",
                            "ExpressionAttributeValues": {":g": {"S": "g1"}}}),
                 ("describe_table", {}),
                 ("get_item", {"Key": {"pk": {"S": ""}, "sk": {"N": "1"}}}),  # moto's error: the API way
                 ("get_item", {"Key": {"pk": {"S": "a"}}}),  # not the table's key: moto's error
                 ("scan", {"IndexName": "Nope"}), ("query", {}),  # moto's errors
                 ("get_item", {"Key": {"pk": "a"}}),  # botocore refuses it
                 ("describe_table", {"TableName": "missing"})]
        answers = []
        for method, params in calls:
            try:
                answers.append(getattr(ddb, method)(**{"TableName": "t", **params}))
            except ClientError as exc:
                answers.append(exc.response["Error"])
            except ParamValidationError as exc:
                answers.append(str(exc))
        paged = ddb.scan(TableName="t", Limit=2, ExclusiveStartKey=answers[4]["LastEvaluatedKey"])
        table = dynamodb_backends[ACCOUNT_ID]["us-east-1"].tables["t"]
        return {"answers": answers, "paged": paged, "items": [item.to_json() for item in table.all_items()],
                "moto_draws": mock_random.getstate(), "next_uuid4": uuid.uuid4(),
                "trace": [(e.kind, e.data) for e in sim.trace.events], "observed": observed(sim)}


def test_direct_dynamodb_reads_give_what_the_api_gives(monkeypatch):
    answered = {method: answered_directly(monkeypatch, ("dynamodb", method))
                for method in ("get_item", "scan", "query", "describe_table")}
    fast = read_tables(True)
    assert answered == {"get_item": [True, True, True, False, False, False], "scan": [True] * 4 + [False, True],
                        "query": [True, True, False], "describe_table": [True, False]}
    assert fast == read_tables(False)
    assert fast["answers"][0]["Item"]["blob"] == {"B": b"\x01\xff"} and "Item" not in fast["answers"][2]
    assert [len(fast["answers"][n]["Items"]) for n in (3, 4, 5, 7, 8)] == [5, 2, 2, 2, 2]


_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-3, 25) | st.floats(allow_nan=False) | st.text(max_size=3)
                       | st.binary(max_size=2),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                       max_leaves=6)
_RECEIVE_NAMES = st.sampled_from(["QueueUrl", "MaxNumberOfMessages", "WaitTimeSeconds", "VisibilityTimeout",
                                  "AttributeNames", "MessageAttributeNames", "Unknown"])


@settings(max_examples=150, deadline=None)
@given(params=st.lists(st.dictionaries(_RECEIVE_NAMES, _VALUES | st.sampled_from(["u", ["All"], 0, 10, True, 1.0])),
                       min_size=1, max_size=4))
def test_kept_parameter_verdicts_are_botocores_own(params):
    from botocore.validate import ParamValidator
    client = _sqs_client()
    shape = client.meta.service_model.operation_model("ReceiveMessage").input_shape
    for each in params + params:  # asked again: the kept verdict
        assert direct._valid(client, "ReceiveMessage", each) == (not ParamValidator().validate(each, shape).has_errors())


@functools.cache
def _sqs_client():
    from harness.aws import router
    return router.shared_session().client("sqs", region_name="us-east-1")  # a client only reads its model here


def test_a_parameters_picture_tells_apart_what_validation_tells_apart():
    pictures = [direct._picture(value) for value in (1, True, 1.0, "1", b"1", [1], {"a": 1}, {"a": True}, None, "")]
    assert len(set(pictures)) == len(pictures)
    assert direct._picture({"a": object()}) is None and direct._picture({1: "x"}) is None  # not kept
