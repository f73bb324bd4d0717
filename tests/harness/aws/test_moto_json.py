"""moto's JSON parser and serializer walked by functions made per shape (harness/aws/moto_json.py) give what moto's own
walk gives: the same answers through boto3 byte for byte (items of every attribute type, nested to depth), and for odd
values (a model object, an Enum, numbers of another type, tuples, None in lists, blobs, timestamps, JSON of the wrong
type) the same serialized body or parsed request, or the same error."""
import datetime as dt
import enum
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harness.aws import moto_json
from harness.aws.backend import fast_moto
from tests.harness.aws.test_moto_dispatch import raw_answers

scalar = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=6)), st.builds(lambda n: {"N": str(n)}, st.integers(-99, 99)),
    st.builds(lambda b: {"B": b}, st.binary(min_size=1, max_size=4)), st.just({"NULL": True}),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.builds(lambda s: {"SS": sorted(s)}, st.sets(st.text(min_size=1, max_size=3), min_size=1, max_size=3)),
    st.builds(lambda s: {"NS": sorted(map(str, s))}, st.sets(st.integers(0, 9), min_size=1, max_size=3)),
    st.builds(lambda s: {"BS": sorted(s)}, st.sets(st.binary(min_size=1, max_size=2), min_size=1, max_size=2)))
attribute = st.recursive(scalar, lambda inner: st.one_of(
    st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
    st.builds(lambda m: {"M": m}, st.dictionaries(st.sampled_from(["a", "b", "S", "M", "Item"]), inner, max_size=3))),
    max_leaves=6)
item = st.dictionaries(st.sampled_from(["x", "y", "L", "S", "Items", "Count"]), attribute, max_size=4)


@pytest.fixture(scope="module", autouse=True)
def moto():
    with mock_aws():
        yield
    fast_moto(True)


def items_run(items: list):
    def run(clients):
        ddb, sqs = clients["dynamodb"], clients["sqs"]
        ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                    {"AttributeName": "sk", "KeyType": "RANGE"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                               {"AttributeName": "sk", "AttributeType": "N"}])
        for n, attributes in enumerate(items):
            key = {"pk": {"S": "p"}, "sk": {"N": str(n)}}
            ddb.put_item(TableName="t", Item={**attributes, **key}, ReturnValues="ALL_OLD")
            ddb.put_item(TableName="t", Item={**attributes, **key}, ReturnValues="ALL_OLD")
            ddb.get_item(TableName="t", Key=key)
            ddb.update_item(TableName="t", Key=key, UpdateExpression="SET z = :v", ReturnValues="ALL_NEW",
                            ExpressionAttributeValues={":v": attributes.get("x", {"S": "v"})})
        ddb.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}})
        ddb.scan(TableName="t", Limit=2)
        ddb.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "0"}}]}})
        ddb.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": {"pk": {"S": "p"}, "sk": {"N": "0"}}}}])
        ddb.describe_table(TableName="t")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="b", MessageAttributes={
            "bin": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}, "num": {"DataType": "Number", "StringValue": "1"}})
        sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"])
        sqs.list_queues()
        sqs.delete_queue(QueueUrl=url)
        ddb.delete_table(TableName="t")
    return run


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(item, min_size=1, max_size=3))
def test_items_of_every_type_come_back_byte_for_byte_as_moto_sends_them(items):
    slow = raw_answers(items_run(items), fast=False)
    fast = raw_answers(items_run(items), fast=True)
    assert moto_json.installed()
    assert fast == slow


# ------------------------------------------------------------------ the serializer on values moto's models never send
class Colour(enum.Enum):
    RED = "red"


class Model:
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


odd = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False, width=32), st.text(max_size=3),
              st.just(Colour.RED), st.binary(max_size=3), st.just(dt.datetime(2030, 1, 2, 3, 4, 5)), st.just({}),
              st.just([])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.lists(inner, max_size=2).map(tuple),
        st.dictionaries(st.sampled_from(["S", "N", "B", "L", "M", "BOOL", "NULL", "Item", "Items", "Count",
                                         "item", "count", "ConsumedCapacity", "TableName", "Messages", "Body"]),
                        inner, max_size=4),
        st.builds(lambda d: Model(**d), st.dictionaries(st.sampled_from(["item", "count", "messages", "body"]),
                                                        inner, max_size=3))),
    max_leaves=8)


def serialized(service: str, operation: str, result) -> tuple:
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker
    from moto.core.utils import get_service_model
    model = get_service_model(service).operation_model(operation)
    serializer = JSONSerializer(operation_model=model, value_picker=XFormedAttributePicker())
    try:
        answer = serializer.serialize(result)
    except Exception as exc:  # noqa: BLE001 - moto's error is an answer too
        return type(exc).__name__, str(exc)
    return answer["status_code"], dict(answer["headers"]), answer["body"]


@settings(max_examples=150, deadline=None)
@given(result=odd, which=st.sampled_from([("dynamodb", "GetItem"), ("dynamodb", "Query"), ("sqs", "ReceiveMessage"),
                                          ("dynamodb", "DescribeTable"), ("secretsmanager", "GetSecretValue")]))
def test_odd_values_serialize_as_moto_serializes_them(result, which):
    moto_json.uninstall()
    slow = serialized(*which, result)
    moto_json.install()
    assert serialized(*which, result) == slow


# ------------------------------------------------------------------ the parser on bodies botocore would never send
MEMBERS = st.sampled_from(["S", "N", "B", "L", "M", "Item", "TableName", "Limit", "ExpressionAttributeValues",
                           "MessageBody", "DelaySeconds", "MessageAttributes", "BinaryValue", "DataType", "StringValue",
                           "Key", "Entries", "Id", "QueueUrl", "ExclusiveStartKey"])
json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=4),
              st.sampled_from(["AAE=", "1.5", "7", "x"]), st.just(1.5)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(MEMBERS, inner, max_size=4)),
    max_leaves=8)


def parsed(service: str, operation: str, body: bytes):
    from moto.core.parse import JSONParser
    from moto.core.utils import get_service_model
    parser = JSONParser(get_service_model(service).operation_model(operation))
    try:
        return "ok", parser.parse({"method": "POST", "values": {}, "headers": {}, "body": body, "url_path": "/",
                                   "url_params": {}})
    except Exception as exc:  # noqa: BLE001 - moto's error is an answer too
        return type(exc).__name__, str(exc)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(json_value, st.dictionaries(MEMBERS, json_value, min_size=1, max_size=5)), which=st.sampled_from([("dynamodb", "PutItem"), ("dynamodb", "Query"),
                                                ("sqs", "SendMessage"), ("sqs", "SendMessageBatch")]))
def test_odd_bodies_parse_as_moto_parses_them(value, which):
    body = json.dumps(value).encode()
    moto_json.uninstall()
    slow = parsed(*which, body)
    moto_json.install()
    assert parsed(*which, body) == slow


def test_a_parser_or_serializer_class_of_its_own_takes_moto_s_walk():
    from moto.core.parse import JSONParser
    moto_json.install()
    calls = []

    class Counting(JSONParser):
        def _parse_structure(self, shape, value):
            calls.append(shape.name)
            return super()._parse_structure(shape, value)

    from moto.core.utils import get_service_model
    Counting(get_service_model("sqs").operation_model("SendMessage")).parse(
        {"method": "POST", "values": {}, "headers": {}, "body": b'{"QueueUrl": "u", "MessageBody": "b"}',
         "url_path": "/", "url_params": {}})
    assert calls == ["SendMessageRequest"]
