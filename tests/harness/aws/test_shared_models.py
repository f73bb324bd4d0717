"""Clients sharing their session's service models, with methods made from botocore's own template
(harness/aws/shared_models.py), send the same requests, retry the same way and read the same answers as clients
building their own fresh models; every value a model used by many clients caches is what a fresh model over the
same description works out; nothing else is kept on the model objects; each client class has its own methods."""
import base64
import copy
import json
from pathlib import Path

import boto3
import pytest
from botocore import client as botocore_client
from botocore import endpoint
from botocore.config import Config
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.utils import CachedProperty
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harness.aws import client_settings, clients, router, shared_models
from harness.aws.wire import aws_response
from harness.scenario import load_scenario, run_scenario
from harness.sources import extension  # noqa: F401 - before any test makes the shared session (see below)

# The event sources' botocore hooks join BUILTIN_HANDLERS when harness.sources.extension is imported: a session made
# before that lacks them, and the library scenarios below would miss their PutEvents and SQS deliveries.

VOLATILE_HEADERS = {"Authorization", "X-Amz-Date", "amz-sdk-invocation-id"}  # the signing time and a uuid4
RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 3})


@pytest.fixture
def session(dummy_aws, monkeypatch):
    session = router.shared_session()
    assert clients.installed()
    monkeypatch.setattr(endpoint.time, "sleep", lambda seconds: None)  # retries back off in no time
    yield session
    clients.install()


def botocore_own(make):
    """What `make()` returns with botocore building its own model and methods."""
    shared_models.uninstall()
    try:
        return make()
    finally:
        shared_models.install()


def test_clients_of_one_session_share_one_model_and_botocores_own_do_not(session):
    first, second = session.client("dynamodb"), session.client("dynamodb", config=RETRIES)
    own = botocore_own(lambda: session.client("dynamodb"))
    assert first.meta.service_model is second.meta.service_model
    assert own.meta.service_model is not first.meta.service_model
    assert session.client("sqs").meta.service_model is not first.meta.service_model
    other_session = boto3.session.Session()
    assert other_session.client("dynamodb").meta.service_model is not first.meta.service_model


def test_a_loader_whose_cache_was_cleared_gets_a_model_of_its_new_description(session):
    first = session.client("sqs").meta.service_model
    loader = session._session.get_component("data_loader")
    loader._cache.clear()  # the next load reads the description again: another object
    again = session.client("sqs").meta.service_model
    assert again is not first
    assert again._service_description is not first._service_description
    assert session.client("sqs").meta.service_model is again


# --- requests and answers, shared against fresh -------------------------------------------------------------------

scalar = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=12)),
    st.builds(lambda n: {"N": str(n)}, st.integers(-10**9, 10**9)),
    st.builds(lambda b: {"B": b}, st.binary(max_size=8)),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda ss: {"SS": ss}, st.lists(st.text(max_size=4), min_size=1, max_size=3, unique=True)),
)
attribute = st.recursive(scalar, lambda inner: st.one_of(
    st.builds(lambda values: {"L": values}, st.lists(inner, max_size=3)),
    st.builds(lambda fields: {"M": fields}, st.dictionaries(st.text(min_size=1, max_size=4), inner, max_size=3)),
), max_leaves=6)
item = st.dictionaries(st.text(min_size=1, max_size=6), attribute, min_size=1, max_size=4)


def on_the_wire(value):
    """A DynamoDB value as AWS's JSON carries it (binary as base64)."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {key: on_the_wire(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [on_the_wire(inner) for inner in value]
    return value


DYNAMODB_ERRORS = sorted(shape.error_code for shape in
                         boto3.session.Session(region_name="eu-west-1").client("dynamodb").meta.service_model.error_shapes)
answer = st.one_of(
    st.tuples(st.just(200), item.map(lambda fields: {"Item": on_the_wire(fields)})),
    st.tuples(st.just(200), item.map(lambda fields: {"Attributes": on_the_wire(fields)})),
    st.tuples(st.just(200), st.just({})),
    st.tuples(st.just(400), st.tuples(st.sampled_from(DYNAMODB_ERRORS), st.text(max_size=20)).map(
        lambda error: {"__type": f"com.amazonaws.dynamodb.v20120810#{error[0]}", "message": error[1]})),
    st.tuples(st.sampled_from([500, 503]), st.just({"__type": "InternalServerError"})),
    st.tuples(st.just(400), st.just({"__type": "ThrottlingException", "message": "slow down"})),
)
call = st.one_of(
    st.tuples(st.just("put_item"), item.map(lambda fields: {"TableName": "t", "Item": fields})),
    st.tuples(st.just("get_item"), item.map(lambda key: {"TableName": "t", "Key": key, "ConsistentRead": True})),
    st.tuples(st.just("update_item"), st.tuples(item, attribute).map(lambda args: {
        "TableName": "t", "Key": args[0], "UpdateExpression": "SET v = :v", "ConditionExpression": "attribute_exists(k)",
        "ExpressionAttributeValues": {":v": args[1]}, "ReturnValues": "ALL_NEW"})),
    st.tuples(st.just("transact_write_items"), item.map(lambda fields: {  # its ClientRequestToken is generated
        "TransactItems": [{"Put": {"TableName": "t", "Item": fields}}]})),
)


class Wire:
    """Answers every request of one client with one canned response and keeps what was sent."""

    def __init__(self, status, body):
        self.status, self.body, self.sent = status, json.dumps(body), []

    def __call__(self, request, **_):
        headers = {key: value for key, value in request.headers.items() if key not in VOLATILE_HEADERS}
        body = json.loads(request.body) if request.body else None
        if isinstance(body, dict) and "ClientRequestToken" in body:
            assert len(body["ClientRequestToken"]) == 36  # a uuid4, drawn through the operation's idempotent_members
            body["ClientRequestToken"] = "<generated>"
        self.sent.append((request.method, request.url, body, headers))
        return aws_response(request, self.status, self.body, content_type="application/x-amz-json-1.0")


def outcome(client, operation, params, status, body):
    wire = Wire(status, body)
    client.meta.events.register("before-send.dynamodb", wire)
    try:
        result = ("answer", getattr(client, operation)(**params))
    except Exception as error:  # noqa: BLE001 - the error itself is what is compared
        result = ("error", type(error).__name__, str(error), getattr(error, "response", None))
    return result, wire.sent


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                             HealthCheck.function_scoped_fixture])  # one session
@given(calls=st.lists(st.tuples(call, answer), min_size=1, max_size=3))
def test_a_shared_model_client_sends_retries_and_reads_as_a_fresh_one(session, calls):
    shared = session.client("dynamodb", config=RETRIES)  # its model has served every earlier example's clients
    fresh = botocore_own(lambda: session.client("dynamodb", config=RETRIES))
    for (operation, params), (status, body) in calls:
        assert outcome(shared, operation, params, status, body) == outcome(fresh, operation, params, status, body)


def round_trips(session):
    """SQS and DynamoDB calls through new clients under moto: what they answered."""
    with mock_aws():
        sqs, dynamodb = session.client("sqs"), session.client("dynamodb")
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "greeting"}})
        received = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
        dynamodb.create_table(TableName="t", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        dynamodb.put_item(TableName="t", Item={"k": {"S": "a"}, "n": {"N": "1"}})
        with pytest.raises(dynamodb.exceptions.ConditionalCheckFailedException) as refused:
            dynamodb.put_item(TableName="t", Item={"k": {"S": "a"}}, ConditionExpression="attribute_not_exists(k)",
                              ReturnValuesOnConditionCheckFailure="ALL_OLD")
        return ([(m["Body"], m["MessageAttributes"]) for m in received], refused.value.response["Item"],
                dynamodb.get_item(TableName="t", Key={"k": {"S": "a"}})["Item"])


def test_sqs_and_dynamodb_round_trips_under_moto_answer_as_with_fresh_models(session):
    assert round_trips(session) == botocore_own(lambda: round_trips(session))


# --- what a shared model caches ---------------------------------------------------------------------------------

def cached_names(cls) -> set[str]:
    """Every CachedProperty botocore declares on `cls` and its bases."""
    return {name for klass in cls.__mro__ for name, value in vars(klass).items() if isinstance(value, CachedProperty)}


SHAPE_ATTRIBUTES = {"name", "type_name", "documentation", "_shape_model", "_shape_resolver", "_cache"}
OPERATION_ATTRIBUTES = {"_operation_model", "_service_model", "_api_name", "_wire_name", "metadata", "http"}
SERVICE_ATTRIBUTES = {"_service_description", "metadata", "_shape_resolver", "_signature_version", "_service_name",
                      "_instance_cache"}


def plain(value, depth=0):
    """A cached value as data: shapes by their class, name, model and (a few levels of) members."""
    if isinstance(value, Shape):
        described = [type(value).__name__, value.name, value._shape_model]
        if depth < 4:
            described += [(name, plain(getattr(value, name), depth + 1)) for name in sorted(cached_names(type(value)))]
        return described
    if isinstance(value, OperationModel):
        return ["operation", value.name]
    if isinstance(value, dict):
        return {key: plain(inner, depth) for key, inner in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(inner, depth) for inner in value]
    return value


def shapes_reachable(model: ServiceModel) -> list[Shape]:
    """Every shape object the model has made and keeps (through cached values)."""
    seen, stack, found = set(), [], []
    for operation in model._instance_cache.values():
        stack.extend(value for name, value in vars(operation).items() if name in cached_names(OperationModel))
    stack.extend(value for name, value in vars(model).items() if name in cached_names(ServiceModel))
    while stack:
        value = stack.pop()
        if isinstance(value, Shape):
            if id(value) in seen:
                continue
            seen.add(id(value))
            found.append(value)
            stack.extend(inner for name, inner in vars(value).items() if name in cached_names(type(value)))
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
    return found


def exercise(session):
    """Calls of several services, each through a new client, under moto (S3 rewrites its operations' paths)."""
    round_trips(session)
    with mock_aws():
        for round_ in range(2):
            s3 = session.client("s3")
            s3.create_bucket(Bucket=f"shared-models-{round_}",
                             CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
            s3.put_object(Bucket=f"shared-models-{round_}", Key="k", Body=b"x")
            s3.get_object(Bucket=f"shared-models-{round_}", Key="k")["Body"].read()
            secrets = session.client("secretsmanager")
            secrets.create_secret(Name=f"s{round_}", SecretString="v")  # an idempotency token
            dynamodb = session.client("dynamodb")
            with pytest.raises(dynamodb.exceptions.ResourceNotFoundException):  # an error shape of the model
                dynamodb.describe_table(TableName="missing")
            session.client("events").put_events(Entries=[{"Source": "a", "DetailType": "b", "Detail": "{}"}])


def test_every_value_a_used_model_caches_is_what_a_fresh_model_works_out(session):
    exercise(session)
    for service in ("dynamodb", "sqs", "s3", "secretsmanager", "events"):
        shared = session.client(service).meta.service_model
        fresh = ServiceModel(shared._service_description, service_name=shared.service_name)
        for name in sorted(cached_names(ServiceModel)):
            assert plain(getattr(shared, name)) == plain(getattr(fresh, name)), (service, name)
        for operation in shared.operation_names:
            mine, theirs = shared.operation_model(operation), fresh.operation_model(operation)
            for name in sorted(cached_names(OperationModel)):
                assert plain(getattr(mine, name)) == plain(getattr(theirs, name)), (service, operation, name)


def test_nothing_but_botocores_own_caches_is_kept_on_a_shared_models_objects(session):
    exercise(session)
    for service in ("dynamodb", "sqs", "s3", "secretsmanager", "events"):
        model = session.client(service).meta.service_model
        assert set(vars(model)) <= SERVICE_ATTRIBUTES | cached_names(ServiceModel), service
        for operation in model._instance_cache.values():
            assert set(vars(operation)) <= OPERATION_ATTRIBUTES | cached_names(OperationModel), operation
        shapes = shapes_reachable(model)
        assert shapes, service
        for shape in shapes:
            assert set(vars(shape)) <= SHAPE_ATTRIBUTES | cached_names(type(shape)), (service, shape)


# --- client methods -------------------------------------------------------------------------------------------

def test_a_client_class_gets_its_own_methods_made_as_botocore_makes_them(session):
    first, second = session.client("dynamodb"), session.client("dynamodb")
    own = botocore_own(lambda: session.client("dynamodb"))
    assert shared_models._template is not None  # made from the template, not by botocore's own loop
    assert sorted(vars(type(first))) == sorted(vars(type(own)))
    assert type(first)._PY_TO_OP_NAME == type(own)._PY_TO_OP_NAME
    assert type(first)._PY_TO_OP_NAME is not type(second)._PY_TO_OP_NAME
    for py_name in type(own)._PY_TO_OP_NAME:
        mine, again, theirs = (vars(type(client))[py_name] for client in (first, second, own))
        assert mine is not again and mine.__doc__ is not again.__doc__
        assert vars(mine.__doc__)["_gen_kwargs"] is not vars(again.__doc__)["_gen_kwargs"]
        assert all(a is not b for a, b in zip(mine.__closure__, again.__closure__, strict=True))
        assert mine.__code__ is theirs.__code__
        assert (mine.__name__, mine.__qualname__, mine.__module__, mine.__defaults__, mine.__kwdefaults__) == \
            (theirs.__name__, theirs.__qualname__, theirs.__module__, theirs.__defaults__, theirs.__kwdefaults__)
        assert [cell.cell_contents for cell in mine.__closure__] == \
            [cell.cell_contents for cell in theirs.__closure__]
        assert vars(mine) == vars(theirs) == {}
        assert type(mine.__doc__) is type(theirs.__doc__)
        mine_doc, their_doc = vars(mine.__doc__), vars(theirs.__doc__)
        assert mine_doc.keys() == their_doc.keys()
        assert mine_doc["_gen_args"] == their_doc["_gen_args"] and mine_doc["_docstring"] is None
        assert {key: plain(value) for key, value in mine_doc["_gen_kwargs"].items()} == \
            {key: plain(value) for key, value in their_doc["_gen_kwargs"].items()}
    assert str(vars(type(first))["put_item"].__doc__) == str(vars(type(own))["put_item"].__doc__)


def test_a_class_made_by_a_creator_with_another_emitter_documents_with_that_emitter(session):
    emitter = copy.copy(session._session.get_component("event_emitter"))
    loader = session._session.get_component("data_loader")
    creator = botocore_client.ClientCreator(loader, None, None, emitter, None, None)
    session.client("sqs")
    cls = creator.create_client_class("sqs")
    assert vars(cls.send_message.__doc__)["_gen_kwargs"]["event_emitter"] is emitter
    shared = type(session.client("sqs"))
    assert vars(shared.send_message.__doc__)["_gen_kwargs"]["event_emitter"] is \
        session._session.get_component("event_emitter")


def test_a_method_refuses_positional_arguments_in_botocores_words(session):
    shared, own = session.client("sqs"), botocore_own(lambda: session.client("sqs"))
    errors = []
    for client in (shared, own):
        with pytest.raises(TypeError) as refused:
            client.list_queues("positional")
        errors.append(str(refused.value))
    assert errors[0] == errors[1] == "list_queues() only accepts keyword arguments."


SAMPLE = ["scenarios/messages/send_fails_rolls_back.yaml", "scenarios/replies/reply_sender_crashes_stalled_lock_reset.yaml",
          "scenarios/earnings/throttled_write_retried_with_backoff.yaml"]


def test_library_scenarios_give_the_same_traces_with_botocores_own_models_methods_and_settings():
    root = Path(__file__).resolve().parents[3]

    def hashes():
        return [(r.status, r.trace_hash) for r in (run_scenario(load_scenario(root / path)) for path in SAMPLE)]

    router.shared_session()
    shared = hashes()
    shared_models.uninstall()
    client_settings.uninstall()
    try:
        own = hashes()
    finally:
        clients.install()
    assert own == shared
    assert [status for status, _ in shared] == ["passed"] * len(SAMPLE), shared
