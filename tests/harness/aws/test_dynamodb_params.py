"""boto3's DynamoDB resource customizations done for less (harness/aws/dynamodb_params.py) give boto3's own results:
the parameter copy is the one `copy.deepcopy` makes with boto3's forgetful memo (same types, values, nothing shared
that deepcopy would copy), and the typed values and their Python values are boto3's, errors included, on
hypothesis-made values; a resource call against moto sends the same request and answers the same with them off."""
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.conditions import Attr, Key
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harness.aws import dynamodb_params, router

text = st.text(max_size=4)
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-10 ** 40, 10 ** 40) | text
           | st.decimals(allow_nan=True, places=3) | st.floats(allow_nan=False, width=16) | st.binary(max_size=3)
           | st.binary(max_size=3).map(Binary))
sets = st.frozensets(text, max_size=2).map(set) | st.frozensets(st.integers(), max_size=2).map(set)
values = st.recursive(scalars | sets, lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                      | st.dictionaries(text, inner, max_size=3), max_leaves=8)
names = st.sampled_from(["pk", "sk", "status", "a.b"])
conditions = st.recursive(
    st.builds(lambda n, v: Key(n).eq(v), names, values) | st.builds(lambda n, v: Attr(n).lt(v), names, values)
    | st.builds(lambda n: Attr(n).not_exists(), names) | st.builds(lambda n, a, b: Key(n).between(a, b), names, text, text)
    | st.builds(lambda n, v: Attr(n).is_in(v), names, st.lists(values, max_size=2)),
    lambda inner: st.builds(lambda a, b: a & b, inner, inner) | st.builds(lambda a: ~a, inner), max_leaves=3)


@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert dynamodb_params.installed()


def _shape(value, seen_in_original: set):
    """The copy's structure: types, values, and for each container whether it is an object of the original."""
    kind = type(value)
    if kind is dict:
        return ("dict", id(value) in seen_in_original, [(_shape(k, seen_in_original), _shape(v, seen_in_original))
                                                        for k, v in value.items()])
    if kind in (list, tuple):
        return (kind.__name__, id(value) in seen_in_original and kind is list,
                [_shape(v, seen_in_original) for v in value])
    if hasattr(value, "__dict__") and not isinstance(value, (Binary, Decimal)):
        return (kind.__name__, id(value) in seen_in_original, _shape(vars(value), seen_in_original))
    if kind is set:
        return ("set", id(value) in seen_in_original, sorted(map(repr, value)))
    return (kind.__name__, repr(value))


def _ids(value, into: set) -> set:
    into.add(id(value))
    if type(value) in (dict,):
        for k, v in value.items():
            _ids(k, into), _ids(v, into)
    elif type(value) in (list, tuple):
        for v in value:
            _ids(v, into)
    elif hasattr(value, "__dict__") and not isinstance(value, (Binary, Decimal)):
        _ids(vars(value), into)
    return into


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({"TableName": text}, optional={"Item": st.dictionaries(text, values, max_size=3),
                                                            "KeyConditionExpression": conditions,
                                                            "ConditionExpression": conditions,
                                                            "Shared": values.map(lambda v: [v, v])}))
def test_the_parameter_copy_is_the_one_boto3_makes(params):
    original = _ids(params, set())
    ours, boto3s = dynamodb_params.copy_params(params), dynamodb_params._copy_params(params)
    assert _shape(ours, original) == _shape(boto3s, original)
    assert _shape(ours, original)[1] is False  # the top dict is new


def _answer(call):
    """The result's text (NaN is not equal to itself) or the error."""
    try:
        return repr(call())
    except Exception as exc:  # noqa: BLE001 - the same error is the point
        return (type(exc), str(exc))


@settings(max_examples=300, deadline=None)
@given(values)
def test_typed_values_are_boto3s(value):
    serializer = TypeSerializer()
    assert _answer(lambda: dynamodb_params.serialize(serializer, value)) == \
        _answer(lambda: _boto3s(dynamodb_params._serialize, "serialize", serializer, value))


typed = st.recursive(
    st.builds(lambda v: {"S": v}, text) | st.builds(lambda v: {"N": v}, st.sampled_from(["1", "-2.5", "1e3", "x"]))
    | st.just({"NULL": True}) | st.builds(lambda v: {"BOOL": v}, st.booleans()) | st.just({"B": b"\x00"})
    | st.builds(lambda v: {"SS": v}, st.lists(text, max_size=2)) | st.just({}) | st.just({"X": 1})
    | st.builds(lambda v: {"s": v}, text) | st.builds(lambda v: {"S": v, "N": "1"}, text),
    lambda inner: st.builds(lambda v: {"L": v}, st.lists(inner, max_size=3))
    | st.builds(lambda v: {"M": v}, st.dictionaries(text, inner, max_size=3)), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(typed | values)
def test_python_values_are_boto3s(value):
    deserializer = TypeDeserializer()
    assert _answer(lambda: dynamodb_params.deserialize(deserializer, value)) == \
        _answer(lambda: _boto3s(dynamodb_params._deserialize, "deserialize", deserializer, value))


def _boto3s(original, name, converter, value):
    """boto3's own method all the way down (its recursion calls the class's method again)."""
    cls = type(converter)
    ours = getattr(cls, name)
    setattr(cls, name, original)
    try:
        return original(converter, value)
    finally:
        setattr(cls, name, ours)


def test_a_subclass_or_a_replaced_method_goes_to_boto3(monkeypatch):
    class Upper(TypeSerializer):
        def _serialize_s(self, value):
            return value.upper()

    assert Upper().serialize({"a": "x"}) == {"M": {"a": {"S": "X"}}}
    monkeypatch.setattr(TypeDeserializer, "_deserialize_s", lambda self, value: value * 2)
    assert TypeDeserializer().deserialize({"L": [{"S": "x"}]}) == ["xx"]


def _table_calls(dummy) -> list:
    """What a resource's table calls send and answer against moto (request bodies, answers without metadata)."""
    sent = []
    with mock_aws():
        resource = boto3.resource("dynamodb", region_name="eu-west-1")
        resource.meta.client.meta.events.register("before-send", lambda request, **_: sent.append(request.body))
        table = resource.create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                                                     {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        item = {"pk": "c", "sk": "1", "n": 3, "d": Decimal("1.50"), "m": {"l": [1, "x", None, True]}, "s": {"a"}}
        answers = [table.put_item(Item=item, ConditionExpression=Attr("pk").not_exists()),
                   table.query(KeyConditionExpression=Key("pk").eq("c") & Key("sk").begins_with("1")),
                   table.update_item(Key={"pk": "c", "sk": "1"}, UpdateExpression="SET n = n + :one",
                                     ExpressionAttributeValues={":one": 1}, ReturnValues="ALL_NEW")]
        for answer in answers:
            answer.pop("ResponseMetadata", None)
    return [sent, answers]


def test_table_calls_send_and_answer_the_same_with_the_paths_off(dummy_aws):
    ours = _table_calls(dummy_aws)
    dynamodb_params.uninstall()
    try:
        assert _table_calls(dummy_aws) == ours
    finally:
        dynamodb_params.install()
    assert ours[1][1]["Items"][0]["m"] == {"l": [Decimal(1), "x", None, True]}
