"""AWS deployers of the pipeline's functions: which processor to deploy, the writer and ingestion URLs.

Naming follows the dispatcher: the L2 function of a device is ``{twin}-{device}-processor`` when L2 is
on AWS, and ``{twin}-{device}-connector`` (the connector code) when L1 is on AWS but L2 is remote; the
dispatcher then gets ``TARGET_FUNCTION_SUFFIX=-connector``. The writer (remote L2 -> AWS L3) and the
ingestion (remote L1 -> AWS L2) are public Function URLs (``AuthType NONE``) guarded by the
inter-cloud token in their environment.
"""

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.exceptions import ClientError

from . import constants, util, validator

lambda_client = boto3.client("lambda")
iam_client = boto3.client("iam")

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
RUNTIME = "python3.11"
POWERTOOLS_LAYER_ARN = (
    "arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:27"
)
BASIC_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
LAMBDA_ROLE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaRole"
DYNAMODB_POLICY = "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess_v2"
ASSUME_ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
# A new role can take seconds to become assumable by Lambda; CreateFunction says so explicitly.
ROLE_PROPAGATION_ATTEMPTS = 6
ROLE_PROPAGATION_DELAY_SECONDS = 2.0


@dataclass
class DeploymentContext:
    """What the deployers need to know about one digital twin (the parsed project config files)."""

    config: dict
    iot_devices: list
    providers: dict
    events: list = field(default_factory=list)
    inter_cloud: dict | None = None
    project_path: Path | None = None
    functions_path: Path = FUNCTIONS_DIR
    layers: tuple = ()

    @property
    def twin_name(self) -> str:
        return self.config["digital_twin_name"]

    def provider(self, layer: str) -> str:
        return str(self.providers.get(f"layer_{layer}_provider", "aws")).lower()

    def digital_twin_info(self) -> dict:
        return {"config": self.config, "config_iot_devices": self.iot_devices, "config_events": self.events}

    def connection(self, conn_id: str) -> dict:
        connections = (self.inter_cloud or {}).get("connections", {})
        if conn_id not in connections:
            raise ValueError(f"Missing connection '{conn_id}' in {constants.CONFIG_INTER_CLOUD_FILE}.")
        return connections[conn_id]


def dispatcher_function_name(ctx: DeploymentContext) -> str:
    return f"{ctx.twin_name}-dispatcher"


def persister_function_name(ctx: DeploymentContext) -> str:
    return f"{ctx.twin_name}-persister"


def writer_function_name(ctx: DeploymentContext) -> str:
    return f"{ctx.twin_name}-writer"


def ingestion_function_name(ctx: DeploymentContext) -> str:
    return f"{ctx.twin_name}-ingestion"


def hot_table_name(ctx: DeploymentContext) -> str:
    return f"{ctx.twin_name}-hot-iot-data"


def target_function_suffix(ctx: DeploymentContext) -> str:
    """``-connector`` when L2 is on another cloud than AWS, else ``-processor``."""
    return constants.CONNECTOR_SUFFIX if ctx.provider("2") != "aws" else constants.PROCESSOR_SUFFIX


def processor_function_name(ctx: DeploymentContext, device_id: str) -> str:
    return f"{ctx.twin_name}-{device_id}{target_function_suffix(ctx)}"


def ensure_role(role_name: str, policy_arns=(BASIC_EXECUTION_POLICY,)) -> str:
    """ARN of the Lambda execution role ``role_name``, created with the managed policies if missing."""
    try:
        return iam_client.get_role(RoleName=role_name)["Role"]["Arn"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchEntity":
            raise
    arn = iam_client.create_role(RoleName=role_name, AssumeRolePolicyDocument=ASSUME_ROLE_POLICY)["Role"][
        "Arn"
    ]
    for policy_arn in policy_arns:
        iam_client.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn)
    return arn


def _is_role_propagation_error(exc: ClientError) -> bool:
    error = exc.response["Error"]
    return error["Code"] == "InvalidParameterValueException" and "cannot be assumed" in error.get(
        "Message", ""
    )


def create_function(**kwargs) -> dict:
    """``CreateFunction`` that waits out IAM propagation of a fresh role (bounded, linear backoff)."""
    for attempt in range(1, ROLE_PROPAGATION_ATTEMPTS + 1):
        try:
            return lambda_client.create_function(**kwargs)
        except ClientError as exc:
            if not _is_role_propagation_error(exc) or attempt == ROLE_PROPAGATION_ATTEMPTS:
                raise
            time.sleep(ROLE_PROPAGATION_DELAY_SECONDS * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _function_kwargs(
    ctx: DeploymentContext,
    name: str,
    role_arn: str,
    code: bytes,
    description: str,
    environment: dict,
    timeout: int,
) -> dict:
    kwargs = {
        "FunctionName": name,
        "Runtime": RUNTIME,
        "Role": role_arn,
        "Handler": "lambda_function.lambda_handler",
        "Code": {"ZipFile": code},
        "Description": description,
        "Timeout": timeout,
        "MemorySize": 128,
        "Publish": True,
        "Environment": {"Variables": environment},
    }
    if ctx.layers:
        kwargs["Layers"] = list(ctx.layers)
    return kwargs


def resolve_process_file(ctx: DeploymentContext, device_id: str) -> Path:
    """The user logic for a device: its own process.py, else the project's default, else the built-in one."""
    if ctx.project_path is not None:
        processors = (
            Path(ctx.project_path) / constants.LAMBDA_FUNCTIONS_DIR_NAME / constants.PROCESSORS_DIR_NAME
        )
        for folder in (device_id, constants.DEFAULT_PROCESSOR_DIR_NAME):
            candidate = processors / folder / constants.PROCESS_FILE
            if candidate.is_file():
                return candidate
    return ctx.functions_path / "processor_wrapper" / constants.PROCESS_FILE


def create_dispatcher_lambda_function(ctx: DeploymentContext, role_arn: str):
    """Deploy the L1 dispatcher (only when L1 is on AWS) with the multi-cloud target suffix."""
    if ctx.provider("1") != "aws":
        return None
    name = dispatcher_function_name(ctx)
    create_function(
        **_function_kwargs(
            ctx,
            name,
            role_arn,
            util.compile_lambda_function(ctx.functions_path / "dispatcher"),
            "L1 Dispatcher",
            {
                "DIGITAL_TWIN_INFO": json.dumps(ctx.digital_twin_info()),
                "TARGET_FUNCTION_SUFFIX": target_function_suffix(ctx),
            },
            3,
        )
    )
    return {"FunctionName": name}


def create_processor_lambda_function(ctx: DeploymentContext, device_id: str, role_arn: str):
    """Deploy a device's L2 function: the connector when L2 is remote, else the merged processor.

    Returns ``{"FunctionName", "Kind"}``, or None when neither L1 nor L2 is on AWS.
    """
    l1, l2 = ctx.provider("1"), ctx.provider("2")
    name = processor_function_name(ctx, device_id)
    if l2 != "aws":
        if l1 != "aws":
            return None
        connection = ctx.connection(constants.connection_id(l1, 1, l2, 2))
        create_function(
            **_function_kwargs(
                ctx,
                name,
                role_arn,
                util.compile_lambda_function(ctx.functions_path / "connector"),
                f"L1 -> {l2} L2 Connector",
                {"REMOTE_INGESTION_URL": connection["url"], "INTER_CLOUD_TOKEN": connection["token"]},
                30,
            )
        )
        # The connector retries in-function; Lambda must not retry a fail-fast client error again.
        lambda_client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
        return {"FunctionName": name, "Kind": "connector"}

    process_file = resolve_process_file(ctx, device_id)
    validator.validate_process_code(process_file.read_text(encoding="utf-8"), filename=str(process_file))
    code = util.compile_merged_lambda_function(ctx.functions_path / "processor_wrapper", process_file)
    create_function(
        **_function_kwargs(
            ctx,
            name,
            role_arn,
            code,
            "Merged Processor (Wrapper + User Logic)",
            {
                "DIGITAL_TWIN_INFO": json.dumps(ctx.digital_twin_info()),
                "PERSISTER_LAMBDA_NAME": persister_function_name(ctx),
            },
            10,
        )
    )
    return {"FunctionName": name, "Kind": "processor"}


def _create_public_url_function(
    ctx: DeploymentContext, name: str, role_arn: str, folder: str, description: str, environment: dict
) -> dict:
    create_function(
        **_function_kwargs(
            ctx,
            name,
            role_arn,
            util.compile_lambda_function(ctx.functions_path / folder),
            description,
            environment,
            10,
        )
    )
    url = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="FunctionURLAllowPublicAccess",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    return {"FunctionName": name, "FunctionUrl": url}


def create_writer_lambda_function(ctx: DeploymentContext, role_arn: str):
    """Deploy the writer (public URL + token) only when L2 is remote and L3 hot storage is on AWS."""
    l2, l3 = ctx.provider("2"), ctx.provider("3_hot")
    if l2 == "aws" or l3 != "aws":
        return None
    token = ctx.connection(constants.connection_id(l2, 2, "aws", 3))["token"]
    return _create_public_url_function(
        ctx,
        writer_function_name(ctx),
        role_arn,
        "writer",
        f"Writer from {l2} L2",
        {"INTER_CLOUD_TOKEN": token, "DYNAMODB_TABLE_NAME": hot_table_name(ctx)},
    )


def create_ingestion_lambda_function(ctx: DeploymentContext, role_arn: str):
    """Deploy the ingestion (public URL + token) only when L1 is remote and L2 is on AWS."""
    l1, l2 = ctx.provider("1"), ctx.provider("2")
    if l1 == "aws" or l2 != "aws":
        return None
    token = ctx.connection(constants.connection_id(l1, 1, "aws", 2))["token"]
    return _create_public_url_function(
        ctx,
        ingestion_function_name(ctx),
        role_arn,
        "ingestion",
        f"Ingestion from {l1} L1",
        {"INTER_CLOUD_TOKEN": token, "DIGITAL_TWIN_INFO": json.dumps(ctx.digital_twin_info())},
    )
