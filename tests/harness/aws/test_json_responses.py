"""JSON-protocol answers parsed by remembered walkers (harness/aws/json_responses.py) are parsed as botocore's own
`JSONParser` parses them: the same value or the same error, for every output shape of the JSON services the
harness's systems use, on hypothesis-made values that fit the shape and values that do not."""
import base64
import datetime
import json

import botocore.session
import pytest
from botocore.model import ServiceModel
from botocore.parsers import JSONParser, ResponseParserError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.aws import json_responses, router

_models = {name: botocore.session.get_session().get_service_model(name) for name in ("dynamodb", "sqs",
                                                                                      "secretsmanager", "events")}
OUTPUTS = [(name, operation) for name, model in _models.items() for operation in model.operation_names
           if model.operation_model(operation).output_shape is not None]
anything = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                        lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner,
                                                                                    max_size=2), max_leaves=4)


@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert json_responses.installed()


def values(shape, depth: int = 0) -> st.SearchStrategy:
    """JSON values of `shape` as a service sends them (with nulls, unknown keys and now and then a wrong type)."""
    kind = shape.type_name
    if depth > 4:
        return st.none()
    if kind == "structure":
        members = {member.serialization.get("name", name): st.none() | st.deferred(
            lambda member=member: values(member, depth + 1)) for name, member in shape.members.items()}
        return st.fixed_dictionaries({}, optional={**members, "Unknown": anything})
    if kind == "list":
        return st.lists(st.none() | values(shape.member, depth + 1), max_size=3)
    if kind == "map":
        return st.dictionaries(st.text(max_size=4), values(shape.value, depth + 1), max_size=3)
    if kind == "blob":
        return st.binary(max_size=8).map(lambda b: base64.b64encode(b).decode())
    if kind == "timestamp":
        return st.integers(0, 2 ** 31) | st.floats(0, 2 ** 31) | st.datetimes().map(datetime.datetime.isoformat)
    if kind in ("integer", "long"):
        return st.integers()
    if kind in ("float", "double"):
        return st.floats(allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    return st.text(max_size=6)


def both(shape, value):
    """(result or exception type) of botocore's `_parse_shape` and of the walker."""
    parser = JSONParser()
    answers = []
    for parse in (lambda: parser._parse_shape(shape, value), lambda: json_responses.walker(shape)(value, parser)):
        try:
            answers.append(parse())
        except Exception as exc:  # noqa: BLE001 - the same error is the point
            answers.append(type(exc))
    return answers


@pytest.mark.parametrize("service,operation", OUTPUTS)
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_output_shape_parses_as_botocore_parses_it(service, operation, data):
    shape = _models[service].operation_model(operation).output_shape
    value = data.draw(values(shape) | anything)
    botocores, ours = both(shape, value)
    assert ours == botocores


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=3), st.none(), max_size=1) | st.just({}), max_size=2),
       st.integers(1, 5))
def test_a_query_answer_of_typed_items_parses_the_same(holes, count):
    shape = _models["dynamodb"].operation_model("Query").output_shape
    item = {"pk": {"S": "c"}, "n": {"N": "3"}, "m": {"M": {"a": {"L": [{"S": "x"}, {"NULL": True}, {"BOOL": False}]}}},
            "b": {"B": base64.b64encode(b"\x00\x01").decode()}, "ss": {"SS": ["a", "b"]}, "odd": {"S": None}}
    body = {"Items": [item] * count + holes, "Count": count, "LastEvaluatedKey": {"pk": {"S": "c"}}}
    botocores, ours = both(shape, body)
    assert ours == botocores and ours["Items"][0]["b"]["B"] == b"\x00\x01"


def test_a_whole_answer_parses_the_same_with_the_walkers_off():
    shape = _models["sqs"].operation_model("ReceiveMessage").output_shape
    body = json.dumps({"Messages": [{"MessageId": "m", "Body": "hi", "Attributes": {"SentTimestamp": "1"},
                                     "MessageAttributes": {"k": {"DataType": "Binary", "BinaryValue": "AAE="}}}]})
    response = {"status_code": 200, "headers": {"x-amzn-RequestId": "r"}, "body": body.encode(), "context": {}}
    ours = JSONParser().parse(dict(response), shape)
    json_responses.uninstall()
    try:
        assert JSONParser().parse(dict(response), shape) == ours
    finally:
        json_responses.install()
    assert ours["Messages"][0]["MessageAttributes"]["k"]["BinaryValue"] == b"\x00\x01"


def _union_model() -> ServiceModel:
    return ServiceModel({"metadata": {"protocol": "json", "apiVersion": "2020-01-01", "serviceId": "Test",
                                      "endpointPrefix": "test", "jsonVersion": "1.0", "targetPrefix": "T"},
                         "operations": {}, "shapes": {
                             "Choice": {"type": "structure", "union": True, "members": {
                                 "Text": {"shape": "S"}, "Renamed": {"shape": "S", "locationName": "wire"},
                                 "When": {"shape": "T"}, "Doc": {"shape": "D"}}},
                             "S": {"type": "string"}, "T": {"type": "timestamp"},
                             "D": {"type": "structure", "members": {}, "document": True}}})


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(["Text", "wire", "Renamed", "When", "Doc", "__type", "Other"]),
                       st.none() | st.text(max_size=3) | st.integers(0, 10 ** 9), max_size=3) | anything)
def test_a_tagged_union_parses_as_botocore_parses_it(value):
    shape = _union_model().shape_for("Choice")
    botocores, ours = both(shape, value)
    assert ours == botocores
    if botocores is ResponseParserError:
        assert ours is ResponseParserError


def test_a_parser_of_another_class_or_a_replaced_handler_goes_to_botocore(monkeypatch):
    shape = _models["dynamodb"].operation_model("GetItem").output_shape
    seen = []

    class Recording(JSONParser):
        def _handle_structure(self, shape, value):
            seen.append(shape.name)
            return super()._handle_structure(shape, value)

    Recording().parse({"status_code": 200, "headers": {}, "body": b'{"Item": {}}', "context": {}}, shape)
    assert seen and json_responses._plain(JSONParser())
    monkeypatch.setattr(JSONParser, "_handle_string", lambda self, shape, value: value.upper(), raising=False)
    assert not json_responses._plain(JSONParser())
    parsed = JSONParser().parse({"status_code": 200, "headers": {}, "body": b'{"Item": {"a": {"S": "x"}}}',
                                 "context": {}}, shape)
    assert parsed["Item"] == {"A": {"S": "X"}}  # map keys are strings too
