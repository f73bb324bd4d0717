"""boto3 resource classes built from a remembered plan (harness/aws/resource_classes.py) are the classes boto3
builds itself: the same name, bases, attributes in the same order, functions of the same code with the same
closure contents and docstring arguments, for every resource of every service boto3 has resources for and for
hypothesis-made definitions whose names collide; each class still gets its own functions, actions and docstrings,
and a `creating-resource-class` hook sees every class made."""
import functools
import types
from pathlib import Path

import boto3
import pytest
from boto3.resources import factory as boto3_factory
from boto3.utils import LazyLoadedWaiterModel, ServiceContext
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harness.aws import resource_classes, router
from harness.scenario import load_scenario, run_scenario
from harness.sources import extension  # noqa: F401 - before any test makes the shared session

SERVICES = ["cloudformation", "cloudwatch", "dynamodb", "ec2", "glacier", "iam", "s3", "sns", "sqs"]


@pytest.fixture
def session(dummy_aws):
    session = router.shared_session()
    assert resource_classes.installed()
    yield session
    resource_classes.install()


def context_of(session, service):
    """The service context `session.resource(service)` gives its classes, and the service's resource JSON."""
    client = session.client(service)
    resources = session._loader.load_service_model(service, "resources-1")
    return ServiceContext(service_name=service, service_model=client.meta.service_model,
                          resource_json_definitions=resources["resources"],
                          service_waiter_model=LazyLoadedWaiterModel(session._session, service, None)), resources


class Picture:
    """A comparable picture of a resource class: everything reachable from it, with objects both builds share
    (factory, emitter, service context and its models, the loader's JSON) shown by name, botocore shapes by their
    description, and every other object by its type and attributes, in the order they are reached."""

    def __init__(self, shared: dict[int, str]):
        self.shared, self.seen = shared, {}

    def of(self, value):
        if id(value) in self.shared:
            return ("shared", self.shared[id(value)])
        if value is None or type(value) in (bool, int, float, str):
            return value
        if id(value) in self.seen:
            return ("seen", self.seen[id(value)][0])
        self.seen[id(value)] = (len(self.seen), value)  # kept alive: a later object must not take its id
        return self._of(value)

    def _of(self, value):
        kind = type(value)
        if kind in (list, tuple, set, frozenset):
            items = sorted(value, key=repr) if kind in (set, frozenset) else value
            return (kind.__name__, tuple(self.of(item) for item in items))
        if kind is dict:
            return ("dict", tuple((self.of(k), self.of(v)) for k, v in value.items()))
        if isinstance(value, Shape):
            return ("shape", kind.__name__, value.name, self.of(value._shape_model))
        if kind is types.FunctionType:
            cells = tuple(self.of(cell.cell_contents) for cell in value.__closure__ or ())
            return ("function", value.__code__, value.__name__, value.__qualname__, value.__module__,
                    self.of(value.__defaults__), self.of(value.__kwdefaults__), self.of(value.__doc__), cells,
                    self.of(vars(value)))
        if kind is property:
            return ("property", self.of(value.fget), self.of(value.fset), self.of(value.fdel), self.of(value.__doc__))
        if kind is functools.partial:
            return ("partial", self.of(value.func), self.of(value.args), self.of(value.keywords))
        if isinstance(value, type):
            module = __import__("sys").modules.get(value.__module__)
            if getattr(module, value.__qualname__, None) is value:
                return ("type", value.__module__, value.__qualname__)
            attrs = {k: v for k, v in vars(value).items() if k not in ("__dict__", "__weakref__")}
            return ("new class", value.__name__, self.of(value.__bases__), self.of(attrs))
        return ("object", kind.__module__, kind.__qualname__, self.of(vars(value)))


def shared_names(session, context, resources) -> dict[int, str]:
    names = {"factory": session.resource_factory, "emitter": session.resource_factory._emitter,
             "collections": session.resource_factory._collection_factory, "context": context,
             "service model": context.service_model, "waiters": context.service_waiter_model,
             "resources json": resources, "definitions": resources["resources"], "service": resources["service"]}
    names.update({f"definition {name}": d for name, d in resources["resources"].items()})
    return {id(value): name for name, value in names.items()}


def boto3s_own(make):
    resource_classes.uninstall()
    try:
        return make()
    finally:
        resource_classes.install()


def assert_built_as_boto3_builds(session, service, name, definition, context, resources):
    def build():
        return session.resource_factory.load_from_definition(name, definition, context)

    shared = shared_names(session, context, resources)
    planned, replayed, own = build(), build(), boto3s_own(build)
    picture = Picture(shared).of(own)
    assert Picture(shared).of(planned) == picture, (service, name)
    assert Picture(shared).of(replayed) == picture, (service, name)
    assert list(vars(planned)) == list(vars(own))
    assert planned is not replayed and planned.__mro__[1:] == own.__mro__[1:]


@pytest.mark.parametrize("service", SERVICES)
def test_every_resource_class_of_the_service_is_built_as_boto3_builds_it(session, service):
    context, resources = context_of(session, service)
    assert_built_as_boto3_builds(session, service, service, resources["service"], context, resources)
    for name, definition in resources["resources"].items():
        assert_built_as_boto3_builds(session, service, name, definition, context, resources)


def _with_collisions(draw, definition: dict, members: list[str], names: list[str]) -> dict:
    """The definition with some actions dropped and new ones named after shape members, identifiers, references or
    waiters, so boto3's rename map has collisions to settle."""
    new = dict(definition)
    actions = dict(definition.get("actions", {}))
    template = next(iter(actions.values()), None) or definition.get("load")
    for dropped in draw(st.lists(st.sampled_from(sorted(actions)), unique=True)) if actions else []:
        del actions[dropped]
    if template is not None:
        targets = sorted(set(members) | set(names))
        for target in draw(st.lists(st.sampled_from(targets), unique=True, max_size=4)) if targets else []:
            actions[target[:1].upper() + target[1:]] = template
    new["actions"] = actions
    return new


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_definitions_with_colliding_names_are_built_as_boto3_builds_them(session, data):
    service = data.draw(st.sampled_from(["dynamodb", "s3", "sqs", "iam", "ec2"]))
    context, resources = context_of(session, service)
    name = data.draw(st.sampled_from(sorted(resources["resources"])))
    definition = resources["resources"][name]
    shape = definition.get("shape")
    members = list(context.service_model.shape_for(shape).members) if shape else []
    names = [entry["name"] for entry in definition.get("identifiers", [])] + sorted(definition.get("has", {})) \
        + sorted(definition.get("waiters", {}))
    changed = _with_collisions(data.draw, definition, members, names)
    assert_built_as_boto3_builds(session, service, name, changed, context, resources)


def test_each_table_gets_its_own_class_functions_and_actions(session):
    dynamodb = session.resource("dynamodb")
    first, second = dynamodb.Table("a"), dynamodb.Table("b")
    assert type(first) is not type(second) and type(first).__name__ == "dynamodb.Table"
    assert type(first).query is not type(second).query
    actions = [type(table).query.__closure__[0].cell_contents for table in (first, second)]
    assert actions[0] is not actions[1]
    assert type(first).query.__doc__ is not type(second).query.__doc__
    assert type(first).meta is not type(second).meta
    assert type(first).meta.resource_model is not type(second).meta.resource_model
    assert (first.name, second.name) == ("a", "b")
    third = dynamodb.Table("c")  # by now its properties are copies of the ones boto3 made for the first
    properties = [vars(type(table))["table_status"] for table in (first, second, third)]
    assert len({id(p) for p in properties}) == len({id(p.fget) for p in properties}) == 3
    assert len({id(p.fget.__closure__[0]) for p in properties}) == len({id(p.fget.__doc__) for p in properties}) == 3
    assert {p.fget.__code__ for p in properties} == {properties[0].fget.__code__}


def test_a_creating_resource_class_hook_sees_every_class_and_what_it_adds_is_there(session):
    seen = []

    def hook(class_attributes, base_classes, **_):
        seen.append(class_attributes)
        class_attributes["marked"] = len(seen)
        base_classes.append(Marker)

    class Marker:
        pass

    session.events.register("creating-resource-class.dynamodb.Table", hook)
    try:
        dynamodb = session.resource("dynamodb")
        tables = [dynamodb.Table("a"), dynamodb.Table("a")]
    finally:
        session.events.unregister("creating-resource-class.dynamodb.Table", hook)
    assert len(seen) == 2 and seen[0] is not seen[1]
    assert [table.marked for table in tables] == [1, 2]
    assert all(isinstance(table, Marker) for table in tables)
    assert "marked" not in vars(type(dynamodb.Table("a")))


def test_a_factory_of_another_class_goes_to_boto3s_own_code(session):
    class Extended(boto3_factory.ResourceFactory):
        def _load_attributes(self, attrs, **kwargs):
            super()._load_attributes(attrs, **kwargs)
            attrs["extended"] = True

    context, resources = context_of(session, "dynamodb")
    made = Extended(session.resource_factory._emitter).load_from_definition(
        "Table", resources["resources"]["Table"], context)
    assert made.extended is True


def test_tables_answer_as_boto3s_own_tables_do(session):
    def work():
        with mock_aws():
            dynamodb = session.resource("dynamodb", region_name="eu-west-1")
            dynamodb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                  KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
            dynamodb.Table("t").put_item(Item={"pk": "a", "n": 1, "tags": {"x", "y"}})
            dynamodb.Table("t").update_item(Key={"pk": "a"}, UpdateExpression="SET n = n + :one",
                                            ExpressionAttributeValues={":one": 2})
            table = dynamodb.Table("t")
            return table.query(KeyConditionExpression=boto3.dynamodb.conditions.Key("pk").eq("a"))["Items"], \
                table.item_count, table.key_schema

    assert work() == boto3s_own(work)


SAMPLE = ["scenarios/replies/email_message_queued_json_success.yaml",
          "scenarios/twin/dispatcher_routes_event_to_device_processor_and_stores_it.yaml"]


def test_library_scenarios_give_the_same_traces_with_boto3s_own_resource_classes():
    root = Path(__file__).resolve().parents[3]

    def hashes():
        return [(r.status, r.trace_hash) for r in (run_scenario(load_scenario(root / path)) for path in SAMPLE)]

    router.shared_session()
    planned = hashes()
    own = boto3s_own(hashes)
    assert own == planned
    assert [status for status, _ in planned] == ["passed"] * len(SAMPLE), planned


def test_renames_are_logged_at_every_class_as_boto3_logs_them(session, caplog):
    context, resources = context_of(session, "dynamodb")
    table = resources["resources"]["Table"]
    colliding = {**table, "actions": {**table["actions"], "TableName": table["actions"]["Delete"]}}

    def logged(make):
        caplog.clear()
        with caplog.at_level("DEBUG", logger="boto3.resources.model"):
            for _ in range(3):
                make()
        return [(r.name, r.getMessage()) for r in caplog.records if r.getMessage().startswith("Renaming")]

    def build():
        return session.resource_factory.load_from_definition("Table", colliding, context)

    planned = logged(build)
    assert planned == logged(lambda: boto3s_own(build))
    assert planned.count(("boto3.resources.model", "Renaming Table attribute table_name")) == 3


def test_a_create_method_replaced_later_makes_the_next_classes(session, monkeypatch):
    dynamodb = session.resource("dynamodb")
    dynamodb.Table("a"), dynamodb.Table("a")  # its properties are copies by now
    own = boto3_factory.ResourceFactory._create_autoload_property

    def marked(self, *args, **kwargs):
        made = own(self, *args, **kwargs)
        made.fget.marked = True
        return made

    monkeypatch.setattr(boto3_factory.ResourceFactory, "_create_autoload_property", marked)
    assert vars(type(dynamodb.Table("a")))["table_status"].fget.marked is True
    monkeypatch.undo()
    assert not hasattr(vars(type(dynamodb.Table("a")))["table_status"].fget, "marked")


def test_a_class_renaming_one_name_twice_logs_both_renames_at_every_class(session, caplog):
    import logging
    resource = session.resource("ec2")
    with caplog.at_level(logging.DEBUG, logger="boto3.resources.model"):
        resource.Instance("i-1")
        first = [r.getMessage() for r in caplog.records if r.name == "boto3.resources.model"]
        caplog.clear()
        resource.Instance("i-2")
        again = [r.getMessage() for r in caplog.records if r.name == "boto3.resources.model"]
        caplog.clear()
        resource_classes.uninstall()
        resource.Instance("i-3")
        own = [r.getMessage() for r in caplog.records if r.name == "boto3.resources.model"]
    assert first and again == first == own
