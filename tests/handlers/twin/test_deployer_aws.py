"""AWS deployers against moto: processor vs connector naming, merged code, writer/ingestion URLs."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.iam.models import AWSManagedPolicy, iam_backends

FUNCTIONS_DIR = Path(__file__).resolve().parents[3] / "handlers" / "twin" / "functions"
INTER_CLOUD = {
    "connections": {
        "aws_l1_to_azure_l2": {
            "provider": "azure",
            "function": "ingestion",
            "token": "l1-l2-token",
            "url": "https://func-ingest-xyz.azurewebsites.net/api/ingest",
        },
        "azure_l2_to_aws_l3": {
            "provider": "aws",
            "function": "writer",
            "token": "l2-l3-token",
            "url": "https://abc.lambda-url.us-east-1.on.aws/",
        },
        "google_l1_to_aws_l2": {
            "provider": "aws",
            "function": "ingestion",
            "token": "g-l1-token",
            "url": "https://def.lambda-url.us-east-1.on.aws/",
        },
    }
}


@pytest.fixture
def make_ctx(aws_deployer):
    def _make(l1="aws", l2="aws", l3="aws", **kwargs):
        return aws_deployer.DeploymentContext(
            config={
                "digital_twin_name": "plant",
                "hot_storage_size_in_days": 7,
                "cold_storage_size_in_days": 30,
            },
            iot_devices=[{"id": "temperature-sensor-1"}],
            providers={"layer_1_provider": l1, "layer_2_provider": l2, "layer_3_hot_provider": l3},
            inter_cloud=INTER_CLOUD,
            **kwargs,
        )

    return _make


_MANAGED_POLICY_DATA = {}


@pytest.fixture(autouse=True)
def aws_managed_policies(aws, aws_deployer):
    """The AWS managed policies the deployers attach exist in every real account. moto loads all ~1,300
    only on request, at ~3 s per reset, so just the three used here are registered."""
    if not _MANAGED_POLICY_DATA:
        _MANAGED_POLICY_DATA.update(json.loads(aws_managed_policies_data))
    backend = iam_backends[DEFAULT_ACCOUNT_ID]["global"]
    for arn in (
        aws_deployer.BASIC_EXECUTION_POLICY,
        aws_deployer.LAMBDA_ROLE_POLICY,
        aws_deployer.DYNAMODB_POLICY,
    ):
        name = arn.rsplit("/", 1)[1]
        policy = AWSManagedPolicy.from_data(name, DEFAULT_ACCOUNT_ID, "us-east-1", _MANAGED_POLICY_DATA[name])
        backend.managed_policies[policy.arn] = policy


@pytest.fixture
def calls(aws_deployer, monkeypatch):
    """Record the deployer's create_function/add_permission arguments while moto still serves them."""
    recorded = {"create_function": [], "add_permission": []}
    for method, seen in recorded.items():
        real = getattr(aws_deployer.lambda_client, method)

        def recording(real=real, seen=seen, **kwargs):
            seen.append(kwargs)
            return real(**kwargs)

        monkeypatch.setattr(aws_deployer.lambda_client, method, recording)
    return recorded


@pytest.fixture
def role(aws_deployer):
    return aws_deployer.ensure_role("plant-lambda-role")


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda")


def code_files(calls, name):
    [zipped] = [c["Code"]["ZipFile"] for c in calls["create_function"] if c["FunctionName"] == name]
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    return {n: archive.read(n).decode() for n in archive.namelist()}


def env_of(lam, name):
    return lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]


def test_multi_cloud_processor_is_the_connector_named_dash_connector(
    aws_deployer, make_ctx, role, lam, calls
):
    ctx = make_ctx(l2="azure")

    created = aws_deployer.create_processor_lambda_function(ctx, "temperature-sensor-1", role)

    assert created == {"FunctionName": "plant-temperature-sensor-1-connector", "Kind": "connector"}
    assert code_files(calls, "plant-temperature-sensor-1-connector") == {
        "lambda_function.py": (FUNCTIONS_DIR / "connector" / "lambda_function.py").read_text()
    }
    assert env_of(lam, "plant-temperature-sensor-1-connector") == {
        "REMOTE_INGESTION_URL": "https://func-ingest-xyz.azurewebsites.net/api/ingest",
        "INTER_CLOUD_TOKEN": "l1-l2-token",
    }
    config = lam.get_function_event_invoke_config(FunctionName="plant-temperature-sensor-1-connector")
    assert config["MaximumRetryAttempts"] == 0


def test_multi_cloud_dispatcher_targets_the_connector_suffix(aws_deployer, make_ctx, role, lam):
    aws_deployer.create_dispatcher_lambda_function(make_ctx(l2="azure"), role)
    env = env_of(lam, "plant-dispatcher")
    assert env["TARGET_FUNCTION_SUFFIX"] == "-connector"
    assert json.loads(env["DIGITAL_TWIN_INFO"])["config"]["digital_twin_name"] == "plant"


def test_single_cloud_dispatcher_targets_the_processor_suffix(aws_deployer, make_ctx, role, lam):
    assert aws_deployer.create_dispatcher_lambda_function(make_ctx(), role) == {
        "FunctionName": "plant-dispatcher"
    }
    assert env_of(lam, "plant-dispatcher")["TARGET_FUNCTION_SUFFIX"] == "-processor"


def test_no_dispatcher_when_l1_is_remote(aws_deployer, make_ctx, role, lam):
    assert aws_deployer.create_dispatcher_lambda_function(make_ctx(l1="google"), role) is None
    assert lam.list_functions()["Functions"] == []


def test_local_l2_deploys_merged_processor_with_the_devices_own_logic(
    aws_deployer, make_ctx, role, lam, tmp_path, calls
):
    device_logic = tmp_path / "lambda_functions" / "processors" / "temperature-sensor-1" / "process.py"
    device_logic.parent.mkdir(parents=True)
    device_logic.write_text("def process(event):\n    return {**event, 'celsius': True}\n")

    created = aws_deployer.create_processor_lambda_function(
        make_ctx(project_path=tmp_path), "temperature-sensor-1", role
    )

    assert created == {"FunctionName": "plant-temperature-sensor-1-processor", "Kind": "processor"}
    files = code_files(calls, "plant-temperature-sensor-1-processor")
    assert sorted(files) == ["lambda_function.py", "process.py"]
    assert files["process.py"] == device_logic.read_text()
    assert (
        files["lambda_function.py"]
        == (FUNCTIONS_DIR / "processor_wrapper" / "lambda_function.py").read_text()
    )
    assert env_of(lam, "plant-temperature-sensor-1-processor")["PERSISTER_LAMBDA_NAME"] == "plant-persister"


def test_processor_falls_back_to_project_default_then_built_in_logic(
    aws_deployer, make_ctx, role, lam, tmp_path, calls
):
    default = tmp_path / "lambda_functions" / "processors" / "default_processor" / "process.py"
    default.parent.mkdir(parents=True)
    default.write_text("def process(event):\n    return event  # project default\n")

    aws_deployer.create_processor_lambda_function(make_ctx(project_path=tmp_path), "pump-1", role)
    aws_deployer.create_processor_lambda_function(make_ctx(), "pump-2", role)

    assert code_files(calls, "plant-pump-1-processor")["process.py"] == default.read_text()
    assert (
        code_files(calls, "plant-pump-2-processor")["process.py"]
        == (FUNCTIONS_DIR / "processor_wrapper" / "process.py").read_text()
    )


def test_invalid_user_logic_is_refused_before_anything_is_deployed(
    aws_deployer, make_ctx, role, lam, tmp_path
):
    bad = tmp_path / "lambda_functions" / "processors" / "pump-1" / "process.py"
    bad.parent.mkdir(parents=True)
    bad.write_text("def transform(event):\n    return event\n")
    with pytest.raises(ValueError, match=r"must define 'def process\(event\)'"):
        aws_deployer.create_processor_lambda_function(make_ctx(project_path=tmp_path), "pump-1", role)
    assert lam.list_functions()["Functions"] == []


def test_nothing_is_deployed_for_l2_when_l1_and_l2_are_both_remote(aws_deployer, make_ctx, role):
    assert (
        aws_deployer.create_processor_lambda_function(make_ctx(l1="azure", l2="google"), "d1", role) is None
    )


def test_writer_gets_a_public_function_url_and_the_token_in_its_environment(
    aws_deployer, make_ctx, role, lam, calls
):
    created = aws_deployer.create_writer_lambda_function(make_ctx(l2="azure"), role)

    assert created["FunctionName"] == "plant-writer"
    url_config = lam.get_function_url_config(FunctionName="plant-writer")
    assert url_config["AuthType"] == "NONE"
    assert created["FunctionUrl"] == url_config["FunctionUrl"]
    assert env_of(lam, "plant-writer") == {
        "INTER_CLOUD_TOKEN": "l2-l3-token",
        "DYNAMODB_TABLE_NAME": "plant-hot-iot-data",
    }
    assert calls["add_permission"] == [
        {
            "FunctionName": "plant-writer",
            "StatementId": "FunctionURLAllowPublicAccess",
            "Action": "lambda:InvokeFunctionUrl",
            "Principal": "*",
            "FunctionUrlAuthType": "NONE",
        }
    ]
    [statement] = json.loads(lam.get_policy(FunctionName="plant-writer")["Policy"])["Statement"]
    assert (statement["Action"], statement["Principal"]) == ("lambda:InvokeFunctionUrl", "*")


@pytest.mark.parametrize("l2, l3", [("aws", "aws"), ("azure", "google"), ("aws", "azure")])
def test_writer_is_only_deployed_when_l2_is_remote_and_l3_is_aws(aws_deployer, make_ctx, role, lam, l2, l3):
    assert aws_deployer.create_writer_lambda_function(make_ctx(l2=l2, l3=l3), role) is None
    assert lam.list_functions()["Functions"] == []


def test_ingestion_gets_a_public_function_url_when_l1_is_remote_and_l2_is_aws(
    aws_deployer, make_ctx, role, lam
):
    created = aws_deployer.create_ingestion_lambda_function(make_ctx(l1="google"), role)
    assert created["FunctionName"] == "plant-ingestion"
    assert lam.get_function_url_config(FunctionName="plant-ingestion")["AuthType"] == "NONE"
    assert env_of(lam, "plant-ingestion")["INTER_CLOUD_TOKEN"] == "g-l1-token"
    assert aws_deployer.create_ingestion_lambda_function(make_ctx(), role) is None


def test_missing_connection_for_a_remote_hop_is_a_clear_error(aws_deployer, make_ctx, role):
    ctx = make_ctx(l2="google")
    with pytest.raises(
        ValueError, match="Missing connection 'aws_l1_to_google_l2' in config_inter_cloud.json"
    ):
        aws_deployer.create_processor_lambda_function(ctx, "d1", role)


def test_processor_name_and_suffix_follow_the_l2_provider(aws_deployer, make_ctx):
    assert aws_deployer.processor_function_name(make_ctx(), "d1") == "plant-d1-processor"
    assert aws_deployer.processor_function_name(make_ctx(l2="AZURE"), "d1") == "plant-d1-connector"


def test_ensure_role_creates_once_with_policies_and_then_reuses(aws_deployer, aws_client):
    iam = aws_client("iam")
    arn = aws_deployer.ensure_role(
        "plant-persister", (aws_deployer.BASIC_EXECUTION_POLICY, aws_deployer.DYNAMODB_POLICY)
    )
    assert aws_deployer.ensure_role("plant-persister") == arn
    attached = iam.list_attached_role_policies(RoleName="plant-persister")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [
        aws_deployer.BASIC_EXECUTION_POLICY,
        aws_deployer.DYNAMODB_POLICY,
    ]
    trust = iam.get_role(RoleName="plant-persister")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_ensure_role_propagates_unexpected_iam_errors(aws_deployer, monkeypatch):
    def denied(**kwargs):
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")

    monkeypatch.setattr(aws_deployer.iam_client, "get_role", denied)
    with pytest.raises(ClientError, match="AccessDenied"):
        aws_deployer.ensure_role("r")


def propagation_error():
    return ClientError(
        {
            "Error": {
                "Code": "InvalidParameterValueException",
                "Message": "The role defined for the function cannot be assumed by Lambda.",
            }
        },
        "CreateFunction",
    )


def test_create_function_waits_out_iam_role_propagation(
    aws_deployer, make_ctx, role, lam, sleeps, monkeypatch
):
    real = aws_deployer.lambda_client.create_function
    failures = [propagation_error(), propagation_error()]

    def eventually(**kwargs):
        if failures:
            raise failures.pop(0)
        return real(**kwargs)

    monkeypatch.setattr(aws_deployer.lambda_client, "create_function", eventually)
    aws_deployer.create_dispatcher_lambda_function(make_ctx(), role)
    assert sleeps == [2.0, 4.0]
    assert lam.get_function(FunctionName="plant-dispatcher")["Configuration"]["Runtime"] == "python3.11"


def test_create_function_gives_up_after_bounded_attempts(aws_deployer, make_ctx, role, sleeps, monkeypatch):
    def never(**kwargs):
        raise propagation_error()

    monkeypatch.setattr(aws_deployer.lambda_client, "create_function", never)
    with pytest.raises(ClientError, match="cannot be assumed"):
        aws_deployer.create_dispatcher_lambda_function(make_ctx(), role)
    assert sleeps == [2.0, 4.0, 6.0, 8.0, 10.0]


def test_create_function_does_not_retry_other_errors(aws_deployer, make_ctx, role, sleeps):
    aws_deployer.create_dispatcher_lambda_function(make_ctx(), role)
    with pytest.raises(ClientError, match="ResourceConflictException"):
        aws_deployer.create_dispatcher_lambda_function(make_ctx(), role)
    assert sleeps == []


def test_layers_from_the_context_are_attached(aws_deployer, make_ctx, role, lam):
    layer = lam.publish_layer_version(
        LayerName="powertools", Content={"ZipFile": b"PK\x05\x06" + b"\x00" * 18}
    )
    aws_deployer.create_dispatcher_lambda_function(make_ctx(layers=(layer["LayerVersionArn"],)), role)
    layers = lam.get_function_configuration(FunctionName="plant-dispatcher")["Layers"]
    assert [entry["Arn"] for entry in layers] == [layer["LayerVersionArn"]]
