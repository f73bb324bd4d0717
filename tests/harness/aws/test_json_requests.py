"""JSON-protocol request bodies written by remembered writers (harness/aws/json_requests.py) are the ones botocore's
own `JSONSerializer` writes: the same request dict (body bytes, headers, method) or the same error, for every input
shape of the JSON services the harness's systems use, on hypothesis-made parameters (valid ones and odd ones: the
serializer also runs with `parameter_validation=False`)."""
import datetime
from decimal import Decimal

import botocore.session
import pytest
from botocore.serialize import JSONSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.aws import json_requests, router
from tests.harness.aws.shape_values import odd, params

_models = {name: botocore.session.get_session().get_service_model(name) for name in ("dynamodb", "sqs",
                                                                                      "secretsmanager", "events")}
INPUTS = [(name, operation) for name, model in _models.items() for operation in model.operation_names
          if model.operation_model(operation).input_shape is not None]


@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert json_requests.installed()


def _answer(call):
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - the same error is the point
        return type(exc), str(exc)


def requests(operation_model, value):
    """botocore's request dict and the one with the writers."""
    serializer = JSONSerializer()
    json_requests.uninstall()
    try:
        botocores = _answer(lambda: serializer.serialize_to_request(value, operation_model))
    finally:
        json_requests.install()
    return botocores, _answer(lambda: serializer.serialize_to_request(value, operation_model))


@pytest.mark.parametrize("service,operation", INPUTS)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_input_shape_is_written_as_botocore_writes_it(service, operation, data):
    model = _models[service].operation_model(operation)
    value = data.draw(params(model.input_shape) | st.dictionaries(st.sampled_from(list(model.input_shape.members)
                                                                                  + ["Unknown"]), odd, max_size=3))
    botocores, ours = requests(model, value)
    assert ours == botocores


def test_a_put_with_a_nested_item_floats_and_timestamps_is_written_the_same():
    put = _models["dynamodb"].operation_model("PutItem")
    item = {"pk": {"S": "c"}, "m": {"M": {"l": {"L": [{"S": "x"}, {"NULL": True}, {"B": b"\x00\x01"}]}}}}
    botocores, ours = requests(put, {"TableName": "t", "Item": item, "ReturnValues": "NONE"})
    assert ours == botocores and b'"B": "AAE="' in ours["body"]
    events = _models["events"].operation_model("PutEvents")
    entries = [{"Time": datetime.datetime(2020, 1, 2, 3, 4, 5, 600000), "Detail": "{}", "Source": "s"}]
    assert requests(events, {"Entries": entries})[1] == requests(events, {"Entries": entries})[0]
    scan = _models["dynamodb"].operation_model("Scan")
    segments = {"TableName": "t", "TotalSegments": 2, "Segment": 1, "Limit": Decimal(3)}
    assert requests(scan, segments)[1] == requests(scan, segments)[0]


def test_a_serializer_of_another_class_or_a_replaced_method_goes_to_botocore(monkeypatch):
    send = _models["sqs"].operation_model("SendMessage")

    class Shouting(JSONSerializer):
        def _default_serialize(self, serialized, value, shape, key):
            serialized[key] = value.upper() if isinstance(value, str) else value

    assert b'"MessageBody": "HI"' in Shouting().serialize_to_request({"QueueUrl": "u", "MessageBody": "hi"},
                                                                     send)["body"]
    monkeypatch.setattr(JSONSerializer, "_default_serialize", Shouting._default_serialize)
    assert not json_requests._plain(JSONSerializer())
    assert b'"MessageBody": "HI"' in JSONSerializer().serialize_to_request({"QueueUrl": "u", "MessageBody": "hi"},
                                                                           send)["body"]
