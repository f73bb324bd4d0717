"""boto3 resource classes made with their layout (rename map and attributes) worked out once per process are made
as boto3 makes them, and every class, model and dict on them is still new per call."""
import logging
from pathlib import Path

import boto3
import pytest
from boto3.resources import model as resource_model

from harness.aws import shared_resources
from harness.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parents[3]
SERVICES = ("cloudformation", "cloudwatch", "dynamodb", "ec2", "glacier", "iam", "s3", "sns", "sqs")


@pytest.fixture
def session(dummy_aws):
    return boto3.session.Session(region_name="eu-west-1")


@pytest.fixture
def shared():
    was = shared_resources.installed()
    shared_resources.install()
    yield
    if not was:
        shared_resources.uninstall()


def _models(session, service):
    """Every resource model of the service, each with the shape its class reads (as the factory looks them up)."""
    loader = session._session.get_component("data_loader")
    resources = loader.load_service_model(service, "resources-1")
    service_model = session._session.get_service_model(service)
    definitions = {service: resources["service"], **resources["resources"]}
    for name, definition in definitions.items():
        model = resource_model.ResourceModel(name, definition, resources["resources"])
        yield model, (service_model.shape_for(model.shape) if model.shape else None)


def _layout(model, shape):
    model.load_rename_map(shape)
    return dict(model._renamed), (model.get_attributes(shape) if shape is not None else None)


def _described(attributes):
    return attributes and {name: (original, member.name, member.type_name, member._shape_model)
                           for name, (original, member) in attributes.items()}


def test_every_resource_of_botos_models_gets_the_rename_map_and_attributes_boto3_works_out(session, shared):
    checked = renamed = 0
    for service in SERVICES:
        for (model, shape), (again, again_shape) in zip(_models(session, service), _models(session, service),
                                                        strict=True):
            first = _layout(model, shape)  # worked out here
            cached = _layout(again, again_shape)  # handed out again
            shared_resources.uninstall()
            try:
                fresh = _layout(resource_model.ResourceModel(model.name, model._definition, model._resource_defs),
                                shape)
            finally:
                shared_resources.install()
            assert first[0] == cached[0] == fresh[0], (service, model.name)
            assert _described(first[1]) == _described(cached[1]) == _described(fresh[1]), (service, model.name)
            assert list(cached[1] or ()) == list(fresh[1] or ())  # the same order
            checked += 1
            renamed += bool(fresh[0])
    assert checked > 80 and renamed  # ec2 and s3 rename names that collide
    assert sum(entry.attributes is not None for entry in shared_resources._layouts.values()) > 50  # handed out again


def test_a_handed_out_layout_is_new_containers_for_each_model(session, shared):
    resource = session.resource("dynamodb")
    first, second = resource.Table("a"), resource.Table("b")
    assert type(first) is not type(second)  # boto3 makes a class per call
    assert first.meta is not second.meta and first.meta.resource_model is not second.meta.resource_model
    assert first.meta.resource_model._renamed is not second.meta.resource_model._renamed
    model = first.meta.resource_model
    shape = session._session.get_service_model("dynamodb").shape_for(model.shape)
    attributes = model.get_attributes(shape)
    attributes.clear()  # a caller changing its answer
    model._renamed[("attribute", "x")] = "x_attribute"  # or its model's map
    third = resource.Table("c")
    assert third.meta.resource_model._renamed == {}
    assert "table_status" in dir(third) and third.table_name == "c"


def test_renames_are_logged_at_every_class_as_boto3_logs_them(session, shared, caplog):
    resource = session.resource("ec2")
    with caplog.at_level(logging.DEBUG, logger="boto3.resources.model"):
        resource.Instance("i-1")
        first = [r.getMessage() for r in caplog.records if r.name == "boto3.resources.model"]
        caplog.clear()
        resource.Instance("i-2")
        again = [r.getMessage() for r in caplog.records if r.name == "boto3.resources.model"]
    assert first and again == first


def test_a_definition_that_cannot_be_renamed_fails_every_time(shared):
    definition = {"identifiers": [{"name": "X"}, {"name": "XIdentifier"}, {"name": "X"}]}
    for _ in range(2):
        with pytest.raises(ValueError, match="Problem renaming"):
            resource_model.ResourceModel("Broken", definition, {}).load_rename_map(None)


def test_a_shape_this_module_does_not_know_goes_to_boto3(shared):
    class Shapeless:
        members: dict = {}  # noqa: RUF012 - a stand-in shape with no members

    model = resource_model.ResourceModel("R", {"identifiers": [{"name": "Id"}]}, {})
    model.load_rename_map(Shapeless())
    assert model.get_attributes(Shapeless()) == {} and shared_resources._sources(model, Shapeless()) is None


def test_replies_scenarios_give_the_same_traces_with_boto3s_own_resource_factory():
    paths = ["scenarios/replies/sms_emergency_unlock_fails_stalled_reset_releases.yaml",
             "scenarios/replies/email_message_queued_json_success.yaml"]

    def run():
        return [(r.status, r.trace_hash) for r in (run_scenario(load_scenario(ROOT / path)) for path in paths)]

    shared = run()
    assert shared_resources.installed()
    shared_resources.uninstall()
    real_install = shared_resources.install
    shared_resources.install = lambda: None  # the cold starts leave boto3's own
    try:
        assert run() == shared
    finally:
        shared_resources.install = real_install
        real_install()


def _properties(cls):
    return {name: value for name, value in vars(cls).items() if type(value) is property}


def _property_facts(prop):
    loader, doc = prop.fget, prop.__doc__
    state = dict(vars(doc))
    kwargs = state["_gen_kwargs"] = dict(state["_gen_kwargs"])
    model = kwargs.pop("attr_model")
    return (loader.__name__, loader.__qualname__, loader.__module__, loader.__code__, loader.__defaults__,
            loader.__kwdefaults__, vars(loader), [cell.cell_contents for cell in loader.__closure__ or ()],
            type(doc), state, (model.name, model._shape_model), doc is loader.__doc__, prop.fset, prop.fdel)


def _every_resource_class(session):
    for service in SERVICES:
        resource = session.resource(service)
        yield type(resource)
        for name in resource.get_available_subresources():
            factory = getattr(type(resource), name)
            definitions = resource.meta.resource_model._resource_defs
            identifiers = definitions[name].get("identifiers", [])
            yield type(factory(resource, *(f"id-{i}" for i in range(len(identifiers)))))


def test_every_autoload_property_is_made_as_boto3_makes_it(session, shared):
    made = list(_every_resource_class(session))
    shared_resources.uninstall()
    try:
        by_boto3 = list(_every_resource_class(session))
    finally:
        shared_resources.install()
    compared = 0
    for ours, theirs in zip(made, by_boto3, strict=True):
        assert ours.__name__ == theirs.__name__ and ours is not theirs
        assert sorted(vars(ours)) == sorted(vars(theirs))
        ours_properties, their_properties = _properties(ours), _properties(theirs)
        assert ours_properties.keys() == their_properties.keys()
        for name, prop in ours_properties.items():
            if prop.fget.__code__ is shared_resources._template.code:  # an autoload property
                assert _property_facts(prop) == _property_facts(their_properties[name]), (ours, name)
                compared += 1
    assert compared > 500


def test_an_autoload_property_owns_its_function_cell_and_docstring(session, shared):
    resource = session.resource("dynamodb")
    first, second = type(resource.Table("a")), type(resource.Table("b"))
    one, other = first.table_status, second.table_status
    assert one.fget is not other.fget and one.fget.__closure__[0] is not other.fget.__closure__[0]
    assert one.__doc__ is not other.__doc__ and vars(one.__doc__) is not vars(other.__doc__)
    assert vars(one.__doc__)["_gen_kwargs"] is not vars(other.__doc__)["_gen_kwargs"]
    table = resource.Table("a")
    table.meta.data = {"TableStatus": "ACTIVE"}
    shared_resources.uninstall()
    try:
        by_boto3 = type(resource.Table("a"))
    finally:
        shared_resources.install()
    assert table.table_status == "ACTIVE"
    assert str(first.table_status.__doc__) == str(by_boto3.table_status.__doc__)  # the same text, written lazily
    assert "The current state of the table" in str(first.table_status.__doc__)


def test_a_factory_that_does_not_make_properties_as_known_keeps_boto3s_method(session, shared, monkeypatch):
    def odd(factory_self, resource_name, name, snake_cased, member_model, service_context):
        return property(lambda self: name)

    monkeypatch.setattr(shared_resources, "_original_autoload_property", odd)
    monkeypatch.setattr(shared_resources, "_template", None)
    table = session.resource("dynamodb").Table("a")
    assert table.table_status == "TableStatus"  # the odd method's property
    assert resource_model.ResourceModel.get_attributes is shared_resources.shared_attributes
    from boto3.resources.factory import ResourceFactory
    assert ResourceFactory._create_autoload_property is shared_resources._original_autoload_property
