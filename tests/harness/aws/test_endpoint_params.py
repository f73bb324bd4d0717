"""The endpoint rule set's parameters found from per-operation plans (harness/aws/endpoint_params.py) are the ones
botocore's own `_get_provider_params` finds: the same values and the same feature ids registered, for every operation
of the services the harness's systems use and of S3 (static, dynamic, operation and client context parameters), with
builtins changed by a `before-endpoint-resolution` handler."""
import boto3
import pytest
from botocore.config import Config
from botocore.context import get_context, start_as_current_context
from botocore.regions import EndpointRulesetResolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jmespath.exceptions import JMESPathError

from harness.aws import endpoint_params, router

SERVICES = ("dynamodb", "sqs", "secretsmanager", "events", "lambda", "s3")
_session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="eu-west-1")
_clients = {name: _session.client(name) for name in SERVICES}
_clients["s3 accelerated"] = _session.client("s3", config=Config(s3={"use_accelerate_endpoint": True,
                                                                      "addressing_style": "path"}))
OPERATIONS = [(name, operation) for name, client in _clients.items()
              for operation in client.meta.service_model.operation_names]
values = st.one_of(st.none(), st.sampled_from(["bucket", "my.bucket", "arn:aws:s3:::b", "key/with/slash", "tbl"]))
arns = st.lists(st.sampled_from(["arn:aws:dynamodb:eu-west-1:123456789012:table/t", "x"]), max_size=2)


@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert endpoint_params.installed()


def found(client, operation: str, call_args: dict, own: bool) -> tuple:
    """The parameters (or the error) and the feature ids botocore's code (own) or the plan finds for this call."""
    resolver = client._ruleset_resolver
    model = client.meta.service_model.operation_model(operation)
    with start_as_current_context():
        find = endpoint_params._original if own else endpoint_params.get_provider_params
        try:
            params = find(resolver, model, call_args, {})
        except JMESPathError as exc:  # a path over parameters of the wrong shape: jmespath's error, either way
            params = (type(exc), str(exc))
        return params, set(get_context().features)


@pytest.mark.parametrize("client_name,operation", OPERATIONS)
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(bucket=values, key=values, table=values, arns=arns)
def test_every_operation_finds_botocores_parameters(client_name, operation, bucket, key, table, arns):
    client = _clients[client_name]
    call_args = {name: value for name, value in (("Bucket", bucket), ("Key", key), ("TableName", table))
                 if value is not None}
    if arns:
        call_args["TransactItems"] = [{"Put": {"TableName": arn}} for arn in arns]
        call_args["RequestItems"] = {arn: {} for arn in arns}
    assert found(client, operation, call_args, own=False) == found(client, operation, call_args, own=True)


def test_a_handler_changing_the_builtins_is_seen_by_the_plan():
    client = _session.client("dynamodb")

    def account(builtins, **_):
        builtins["AWS::Auth::AccountId"] = lambda: "123456789012"
        builtins["AWS::Auth::AccountIdEndpointMode"] = "required"
        builtins["SDK::Endpoint"] = None
    client.meta.events.register("before-endpoint-resolution.dynamodb", account)
    mine = found(client, "GetItem", {"TableName": "t"}, own=False)
    assert mine == found(client, "GetItem", {"TableName": "t"}, own=True)
    assert mine[0]["AccountId"] == "123456789012" and mine[1]


def test_the_client_context_is_read_at_each_call():
    client = _session.client("s3")
    before = found(client, "GetObject", {"Bucket": "b", "Key": "k"}, own=False)[0]
    client._ruleset_resolver._client_context["accelerate"] = True
    after = found(client, "GetObject", {"Bucket": "b", "Key": "k"}, own=False)[0]
    assert before["Accelerate"] is False and after["Accelerate"] is True
    assert after == found(client, "GetObject", {"Bucket": "b", "Key": "k"}, own=True)[0]


def test_a_plan_is_made_once_per_operation_and_reused():
    shared = router.shared_session()
    client = shared.client("dynamodb", region_name="eu-west-1")
    model = client.meta.service_model.operation_model("Query")
    plan = endpoint_params.plan_of(client._ruleset_resolver, model)
    other = shared.client("dynamodb", region_name="eu-west-1")
    assert plan is endpoint_params.plan_of(other._ruleset_resolver, other.meta.service_model.operation_model("Query"))
    assert [step[0] for step in plan] == list(client._ruleset_resolver._param_definitions)


def test_a_replaced_lookup_or_a_subclass_goes_to_botocore(monkeypatch):
    client = _session.client("dynamodb")
    calls = []
    botocores = EndpointRulesetResolver._resolve_param_as_builtin

    def counted(self, builtin_name, builtins):
        calls.append(builtin_name)
        return botocores(self, builtin_name, builtins)
    monkeypatch.setattr(EndpointRulesetResolver, "_resolve_param_as_builtin", counted)
    found(client, "GetItem", {"TableName": "t"}, own=False)
    assert "AWS::Region" in calls
    monkeypatch.undo()

    class Resolver(EndpointRulesetResolver):
        def _resolve_param_as_client_context_param(self, param_name):
            calls.append(param_name)
            return super()._resolve_param_as_client_context_param(param_name)
    resolver = client._ruleset_resolver
    resolver.__class__ = Resolver
    calls.clear()
    found(client, "GetItem", {"TableName": "t"}, own=False)
    assert "Region" in calls


def test_an_unknown_builtin_gets_botocores_error():
    client = _session.client("dynamodb")
    resolver = client._ruleset_resolver
    definitions = dict(resolver._param_definitions)
    region = definitions["Region"]
    odd = type(region).__new__(type(region))
    odd.__dict__.update(vars(region), builtin="AWS::Nowhere")
    definitions["Region"] = odd
    resolver._param_definitions = definitions
    model = client.meta.service_model.operation_model("GetItem")
    assert endpoint_params.plan_of(resolver, model) is None
    with pytest.raises(Exception) as ours, start_as_current_context():
        endpoint_params.get_provider_params(resolver, model, {"TableName": "t"}, {})
    assert "AWS::Nowhere" in str(ours.value)


def test_uninstall_gives_botocore_its_own_lookups():
    endpoint_params.uninstall()
    try:
        assert EndpointRulesetResolver._get_provider_params is endpoint_params._original
        assert not endpoint_params.installed()
    finally:
        endpoint_params.install()
