"""Parameter validation answered by remembered checks (harness/aws/param_checks.py) reports what botocore's own
`ParamValidator` reports: the same report (none for valid parameters) for every input shape of the JSON services the
harness's systems use, on hypothesis-made parameters that fit the shape and parameters that do not."""
import botocore.session
import pytest
from botocore.model import ServiceModel
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.aws import param_checks, router
from tests.harness.aws.shape_values import odd, params

_models = {name: botocore.session.get_session().get_service_model(name) for name in ("dynamodb", "sqs",
                                                                                      "secretsmanager", "events")}
INPUTS = [(name, operation) for name, model in _models.items() for operation in model.operation_names
          if model.operation_model(operation).input_shape is not None]
@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert param_checks.installed()


def reports(shape, value) -> tuple[str, str]:
    """botocore's report and the one with the checks."""
    validator = ParamValidator()
    return (param_checks._original(validator, value, shape).generate_report(),
            validator.validate(value, shape).generate_report())


@pytest.mark.parametrize("service,operation", INPUTS)
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_input_shape_is_validated_as_botocore_validates_it(service, operation, data):
    shape = _models[service].operation_model(operation).input_shape
    value = data.draw(params(shape) | odd)
    botocores, ours = reports(shape, value)
    assert ours == botocores


def test_typical_calls_are_answered_by_the_checks():
    shape = _models["dynamodb"].operation_model("PutItem").input_shape
    item = {"pk": {"S": "c"}, "n": {"N": "3"}, "m": {"M": {"l": {"L": [{"S": "x"}, {"NULL": True}]}}}}
    assert param_checks.check(shape)({"TableName": "conv", "Item": item, "ConditionExpression": "x"})
    sqs = _models["sqs"].operation_model("SendMessage").input_shape
    assert param_checks.check(sqs)({"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": 3})
    assert not param_checks.check(sqs)({"QueueUrl": "u"})  # MessageBody is required
    assert reports(sqs, {"QueueUrl": "u"})[1] == 'Missing required parameter in input: "MessageBody"'


def _union() -> ServiceModel:
    return ServiceModel({"metadata": {"protocol": "json", "apiVersion": "2020-01-01", "serviceId": "Test",
                                      "endpointPrefix": "test", "jsonVersion": "1.0", "targetPrefix": "T"},
                         "operations": {}, "shapes": {
                             "Input": {"type": "structure", "members": {"Choice": {"shape": "Choice"},
                                                                        "Label": {"shape": "S", "hostLabel": True}}},
                             "Choice": {"type": "structure", "union": True, "members": {
                                 "Text": {"shape": "S"}, "Count": {"shape": "I"}}},
                             "S": {"type": "string"}, "I": {"type": "integer", "min": 2}}})


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({}, optional={"Choice": st.dictionaries(st.sampled_from(["Text", "Count", "x"]),
                                                                     st.integers(0, 4) | st.text(max_size=2),
                                                                     max_size=3) | odd,
                                           "Label": st.text(max_size=2)}))
def test_a_tagged_union_host_labels_and_minimums_are_validated_as_botocore_does(value):
    botocores, ours = reports(_union().shape_for("Input"), value)
    assert ours == botocores


def test_a_validator_of_another_class_or_a_replaced_method_goes_to_botocore(monkeypatch):
    shape = _models["sqs"].operation_model("SendMessage").input_shape

    class Strict(ParamValidator):
        def _validate_string(self, param, shape, errors, name):
            errors.report(name, "invalid length", param=param, min_allowed=99)

    assert Strict().validate({"QueueUrl": "u", "MessageBody": "b"}, shape).has_errors()
    monkeypatch.setattr(ParamValidator, "_validate_string", Strict._validate_string)
    assert ParamValidator().validate({"QueueUrl": "u", "MessageBody": "b"}, shape).has_errors()
