"""Deploys a loaded template into the backend and answers `!Ref`/`!GetAtt` with the real names/ARNs/URLs."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from harness.aws import direct
from harness.errors import TemplateError
from harness.template import (
    ACCOUNT_ID,
    FUNCTION_TYPE,
    Resolver,
    Template,
    default_physical_name,
    implicit_resources,
)

Creator = Callable[["Deployer", str, dict], dict]
CREATORS: dict[str, Creator] = {}


def creates(resource_type: str) -> Callable[[Creator], Creator]:
    """Register how a resource type is created; the function returns its attributes (Ref, Arn, ...)."""

    def decorate(fn: Creator) -> Creator:
        CREATORS[resource_type] = fn
        return fn

    return decorate


class Deployer:
    """Creates resources on demand, in dependency order, and keeps their attributes."""

    def __init__(self, template: Template, region: str, client: Callable[[str], Any],
                 function_url: Callable[[str], str]):
        self.template, self.region, self.client = template, region, client
        self.function_url = function_url
        self.attrs: dict[str, dict] = {}
        self._in_progress: list[str] = []
        self.resolver = Resolver(template, region, self.attributes)
        self.queue_urls: dict[str, str] = {}  # queue ARN -> URL
        self.layer_paths: dict[str, Any] = {}  # layer version ARN -> folder on the import path
        self._implicit_ids: dict[str, tuple[str, str]] | None = None  # worked out once while deploy_all runs

    def arn(self, service: str, resource: str) -> str:
        """An ARN in this simulation's region and account."""
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def physical_name(self, logical_id: str, props: dict, key: str) -> str:
        """The explicit name property, or `<stack>-<LogicalId>` cut to the service's limit (deterministic,
        unlike CloudFormation's random suffix)."""
        if props.get(key):
            return str(props[key])
        return default_physical_name(self.template.stack_name, logical_id, self.template.resources[logical_id].type)

    def deploy_all(self) -> None:
        """Create every resource whose condition holds."""
        with self.deploying():
            for logical_id in self.template.resources:
                self.attributes(logical_id)

    @contextlib.contextmanager
    def deploying(self) -> Iterator[None]:
        """A block that creates resources and configures functions: it reads the template and never changes it,
        so SAM's implicit resources are worked out once (instead of once per resource and reference: 29 times for
        replies) and each condition is evaluated once (twin's deploy evaluated its 9 conditions 78 times)."""
        if self._implicit_ids is not None:  # inside an outer block
            yield
            return
        self._implicit_ids = implicit_resources(self.template)
        try:
            with self.resolver.fixed():
                yield
        finally:
            self._implicit_ids = None

    def enabled(self, logical_id: str) -> bool:
        """False when the resource's Condition is false."""
        resource = self.template.resources.get(logical_id)
        return resource is None or resource.condition is None or self.resolver.condition(resource.condition)

    def attributes(self, logical_id: str) -> dict:
        """Attributes of a resource, creating it (and what it depends on) first if needed."""
        if logical_id in self.attrs:
            return self.attrs[logical_id]
        implicit = self._implicit(logical_id)
        if implicit is not None:
            return implicit
        resource = self.template.resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"{self.template.path}: unknown resource {logical_id!r}")
        if logical_id in self._in_progress:
            cycle = " -> ".join(self._in_progress + [logical_id])
            raise TemplateError(f"{self.template.where(resource.line)}: circular reference {cycle}")
        self._in_progress.append(logical_id)
        try:
            if not self.enabled(logical_id):
                attrs = {"Ref": None}
            else:
                creator = CREATORS.get(resource.type, _not_emulated)
                props = {} if resource.type in (FUNCTION_TYPE, "AWS::Lambda::Function") else \
                    self.resolver.resolve(resource.properties)
                attrs = self._create(creator, resource, props)
        finally:
            self._in_progress.pop()
        self.attrs[logical_id] = attrs
        return attrs

    def _create(self, creator: Creator, resource: Any, props: dict) -> dict:
        """Run a creator; a backend refusal names the resource, its type and its line."""
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            return creator(self, resource.logical_id, props)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            reason = f"{error.get('Code', 'Error')}: {error.get('Message', exc)}"
        except BotoCoreError as exc:
            reason = str(exc)
        raise TemplateError(f"{self.template.where(resource.line)}: cannot create {resource.logical_id} "
                            f"({resource.type}): the backend refused it: {reason}") from None

    def _implicit(self, logical_id: str) -> dict | None:
        """Resources SAM generates (template.implicit_resources): APIs, stages, roles, aliases, Function URLs, DLQs."""
        implicit = self._implicit_ids if self._implicit_ids is not None else implicit_resources(self.template)
        kind, owner = implicit.get(logical_id, (None, ""))
        if kind is None:
            return None
        if kind in ("rest_api", "http_api"):
            api_id = logical_id.lower()
            attrs = {"Ref": api_id, "RootResourceId": "root", "ApiEndpoint": self._api_endpoint(api_id)}
        elif kind in ("stage", "deployment"):
            attrs = {"Ref": owner or f"{logical_id.lower()}"}
        elif kind == "url":
            name = self.function_name(owner)
            attrs = {"Ref": self.function_url(name), "FunctionUrl": self.function_url(name),
                     "FunctionArn": self.arn("lambda", f"function:{name}")}
        elif kind == "queue":  # a rule's or schedule's DLQ that SAM creates
            attrs = _queue(self, logical_id, {"QueueName": default_physical_name(
                self.template.stack_name, logical_id, "AWS::SQS::Queue")})
        elif kind == "role":
            name = default_physical_name(self.template.stack_name, logical_id, "AWS::IAM::Role")
            attrs = {"Ref": name, "Arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}", "RoleId": name}
        else:  # version or alias: a qualified ARN (the runtime ignores qualifiers)
            qualifier = "1" if kind == "version" else str(self.template.functions[owner].properties["AutoPublishAlias"])
            arn = self.arn("lambda", f"function:{self.function_name(owner)}:{qualifier}")
            attrs = {"Ref": arn, "Arn": arn, "Version": "1", "FunctionArn": arn}
        self.attrs[logical_id] = attrs
        return attrs

    def _api_endpoint(self, api_id: str) -> str:
        return f"https://{api_id}.execute-api.{self.region}.amazonaws.com"

    def layers(self, logical_id: str) -> tuple:
        """Import folders of a function's layers that this template defines (others are warned about at load)."""
        arns = self.resolver.resolve(self.template.functions[logical_id].properties.get("Layers") or [])
        return tuple(self.layer_paths[arn] for arn in arns if arn in self.layer_paths)

    def function_name(self, logical_id: str) -> str:
        """Resolved FunctionName of a function resource."""
        props = self.template.functions[logical_id].properties
        if props.get("FunctionName"):
            return str(self.resolver.resolve(props["FunctionName"]))
        return default_physical_name(self.template.stack_name, logical_id, FUNCTION_TYPE)


def _not_emulated(deployer: Deployer, logical_id: str, props: dict) -> dict:
    # Only Ref (and a placeholder Arn) exist; `unemulated` lets !GetAtt name the resource type in its error.
    return {"Ref": logical_id, "Arn": deployer.arn("unknown", logical_id), "unemulated": True}


@creates("AWS::Lambda::Function")
@creates(FUNCTION_TYPE)
def _function(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.function_name(logical_id)
    return {"Ref": name, "Arn": deployer.arn("lambda", f"function:{name}")}


_QUEUE_ATTRIBUTES = ("DelaySeconds", "VisibilityTimeout", "MessageRetentionPeriod", "MaximumMessageSize",
                     "FifoQueue", "ContentBasedDeduplication")


@creates("AWS::SQS::Queue")
def _queue(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.physical_name(logical_id, props, "QueueName")
    if props.get("FifoQueue") in (True, "true", "True") and not name.endswith(".fifo"):
        name += ".fifo"
    attributes = {key: _aws_str(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if "RedrivePolicy" in props:
        policy = props["RedrivePolicy"]
        attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
    if str(props.get("ReceiveMessageWaitTimeSeconds", "0")) != "0":
        deployer.template.warnings.append(
            f"{logical_id}.ReceiveMessageWaitTimeSeconds: long polling is set to 0 in the simulation (a long poll "
            f"would block on the virtual clock); receives return at once")
    url = deployer.client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = deployer.arn("sqs", name)
    deployer.queue_urls[arn] = url
    return {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}


def _aws_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@creates("AWS::Serverless::SimpleTable")
def _simple_table(deployer: Deployer, logical_id: str, props: dict) -> dict:
    """SAM's SimpleTable: one hash key (`PrimaryKey`, default `id` of type String), on-demand unless
    ProvisionedThroughput is given (SAM's own expansion)."""
    key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
    kind = {"String": "S", "Number": "N", "Binary": "B"}.get(str(key.get("Type", "String")))
    if kind is None or not key.get("Name"):
        raise TemplateError(f"{deployer.template.where(deployer.template.resources[logical_id].line)}: "
                            f"{logical_id}.PrimaryKey needs Name and Type (String, Number or Binary), got {key}")
    table = {"TableName": props.get("TableName"), "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
             "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": kind}]}
    if props.get("ProvisionedThroughput"):
        table["ProvisionedThroughput"] = props["ProvisionedThroughput"]
    return _table(deployer, logical_id, table)


@creates("AWS::DynamoDB::Table")
def _table(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.physical_name(logical_id, props, "TableName")
    kwargs: dict[str, Any] = {"TableName": name, "KeySchema": props.get("KeySchema"),
                              "AttributeDefinitions": props.get("AttributeDefinitions")}
    if not kwargs["KeySchema"] or not kwargs["AttributeDefinitions"]:
        raise TemplateError(f"{deployer.template.path}: table {logical_id!r} needs KeySchema and "
                            f"AttributeDefinitions")
    billing = props.get("BillingMode") or ("PROVISIONED" if props.get("ProvisionedThroughput") else
                                           "PAY_PER_REQUEST")
    kwargs["BillingMode"] = billing
    if billing == "PROVISIONED":
        kwargs["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            indexes = []
            for index in props[key]:
                index = dict(index)
                if billing == "PROVISIONED" and key == "GlobalSecondaryIndexes":
                    index["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
                else:
                    index.pop("ProvisionedThroughput", None)
                indexes.append(index)
            kwargs[key] = indexes
    stream = props.get("StreamSpecification")
    if stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    ddb = deployer.client("dynamodb")
    # In-process moto: created by moto's own handler without the round trip (harness/aws/direct.py).
    description = (direct.answer(ddb, "create_table", kwargs) or ddb.create_table(**kwargs))["TableDescription"]
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled") in (True, "true"):
        ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={
            "Enabled": True, "AttributeName": ttl["AttributeName"]})
    return {"Ref": name, "Arn": description["TableArn"], "StreamArn": description.get("LatestStreamArn")}


def _throughput(value: dict | None) -> dict:
    value = value or {}
    return {"ReadCapacityUnits": int(value.get("ReadCapacityUnits", 5)),
            "WriteCapacityUnits": int(value.get("WriteCapacityUnits", 5))}


@creates("AWS::S3::Bucket")
def _bucket(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.physical_name(logical_id, props, "BucketName").lower()
    s3 = deployer.client("s3")
    create = {"Bucket": name} if deployer.region == "us-east-1" else \
        {"Bucket": name, "CreateBucketConfiguration": {"LocationConstraint": deployer.region}}
    direct.answer(s3, "create_bucket", create) or s3.create_bucket(**create)  # moto's model without the round trip
    versioning = (props.get("VersioningConfiguration") or {}).get("Status")
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
    notifications = _bucket_notifications(props.get("NotificationConfiguration") or {})
    if notifications:
        s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration=notifications)
    return {"Ref": name, "Arn": f"arn:aws:s3:::{name}", "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{deployer.region}.amazonaws.com"}


def _bucket_notifications(config: dict) -> dict:
    """CloudFormation's NotificationConfiguration as the S3 API takes it: EventBridge, queue, topic and Lambda
    targets (moto decides which object events match; the harness delivers them)."""
    out: dict[str, Any] = {}
    if (config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled") in (True, "true"):
        out["EventBridgeConfiguration"] = {}
    for cfn_key, api_key, target in (("QueueConfigurations", "QueueConfigurations", "Queue"),
                                     ("TopicConfigurations", "TopicConfigurations", "Topic"),
                                     ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function")):
        entries = []
        for entry in config.get(cfn_key) or []:
            item: dict[str, Any] = {"Events": [entry["Event"]], ("LambdaFunctionArn" if target == "Function" else
                                                                f"{target}Arn"): entry[target]}
            rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                item["Filter"] = {"Key": {"FilterRules": rules}}
            entries.append(item)
        if entries:
            out[api_key] = entries
    return out


@creates("AWS::Events::EventBus")
def _bus(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.physical_name(logical_id, props, "Name")
    arn = deployer.client("events").create_event_bus(Name=name)["EventBusArn"]
    return {"Ref": name, "Arn": arn, "Name": name}


@creates("AWS::Events::Rule")
def _rule(deployer: Deployer, logical_id: str, props: dict) -> dict:
    # Rules are interpreted by the harness's EventBridge source (targets are invoked by the harness).
    name = deployer.physical_name(logical_id, props, "Name")
    bus = str(props.get("EventBusName") or "default").rsplit("/", 1)[-1]
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    return {"Ref": name, "Arn": deployer.arn("events", resource)}


@creates("AWS::SecretsManager::Secret")
def _secret(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.physical_name(logical_id, props, "Name")
    value = props.get("SecretString")
    if value is None:
        generate = props.get("GenerateSecretString") or {}
        secret = "harness-generated-secret"
        value = json.dumps({generate["GenerateStringKey"]: secret, **json.loads(
            generate.get("SecretStringTemplate") or "{}")}) if generate.get("GenerateStringKey") else secret
    arn = deployer.client("secretsmanager").create_secret(Name=name, SecretString=str(value))["ARN"]
    return {"Ref": arn, "Id": arn, "Name": name}


@creates("AWS::SNS::Topic")
def _topic(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.physical_name(logical_id, props, "TopicName")
    arn = deployer.client("sns").create_topic(Name=name)["TopicArn"]
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


@creates("AWS::Serverless::LayerVersion")
@creates("AWS::Lambda::LayerVersion")
def _layer(deployer: Deployer, logical_id: str, props: dict) -> dict:
    """A layer from a local folder (ContentUri, or Content as a path): its Python code is on its functions'
    import path, as /opt/python is on Lambda."""
    content = props.get("ContentUri", props.get("Content"))
    where = deployer.template.where(deployer.template.resources[logical_id].line)
    if not isinstance(content, str) or not (deployer.template.folder / content).is_dir():
        raise TemplateError(f"{where}: layer {logical_id!r}: ContentUri {content!r} is not a local folder (layers "
                            f"in S3 cannot be loaded here)")
    name = str(props.get("LayerName") or default_physical_name(deployer.template.stack_name, logical_id,
                                                                "AWS::Lambda::LayerVersion"))
    arn = deployer.arn("lambda", f"layer:{name}:1")
    folder = (deployer.template.folder / content).resolve()
    deployer.layer_paths[arn] = folder / "python" if (folder / "python").is_dir() else folder
    return {"Ref": arn, "Arn": arn, "LayerVersionArn": arn}


@creates("AWS::Lambda::EventSourceMapping")
@creates("AWS::Lambda::EventInvokeConfig")
@creates("AWS::Scheduler::Schedule")
def _attached(deployer: Deployer, logical_id: str, props: dict) -> dict:
    """Folded into their functions at load (harness.template_cfn); the resource itself only has an id."""
    return {"Ref": f"{deployer.template.stack_name}-{logical_id}", "Arn": deployer.arn("lambda", logical_id)}


@creates("AWS::Kinesis::Stream")
def _stream(deployer: Deployer, logical_id: str, props: dict) -> dict:
    name = deployer.physical_name(logical_id, props, "Name")
    kinesis = deployer.client("kinesis")
    if props.get("StreamModeDetails", {}).get("StreamMode") == "ON_DEMAND":
        kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    else:
        kinesis.create_stream(StreamName=name, ShardCount=int(props.get("ShardCount", 1)))
    arn = deployer.arn("kinesis", f"stream/{name}")
    return {"Ref": name, "Arn": arn}


@creates("AWS::SNS::Subscription")
def _subscription(deployer: Deployer, logical_id: str, props: dict) -> dict:
    """A topic subscription: SQS subscribers are fanned out to by the backend; lambda subscribers are delivered
    by the harness (harness.sources.moto_hooks); other protocols are refused by name."""
    protocol = str(props.get("Protocol", "")).lower()
    where = deployer.template.where(deployer.template.resources[logical_id].line)
    if protocol not in ("sqs", "lambda"):
        raise TemplateError(f"{where}: {logical_id}: SNS protocol {protocol!r} is not emulated (sqs and lambda are); "
                            f"remove the subscription or mock its consumer")
    attributes = {}
    for key in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery"):
        if key in props:
            value = props[key]
            attributes[key] = json.dumps(value) if isinstance(value, (dict, list)) else _aws_str(value)
    arn = deployer.client("sns").subscribe(TopicArn=str(props.get("TopicArn")), Protocol=protocol,
                                           Endpoint=str(props.get("Endpoint")), Attributes=attributes,
                                           ReturnSubscriptionArn=True)["SubscriptionArn"]
    return {"Ref": arn, "Arn": arn}


@creates("AWS::Serverless::Api")
def _api(deployer: Deployer, logical_id: str, props: dict) -> dict:
    return {"Ref": logical_id.lower(), "RootResourceId": "root"}


@creates("AWS::Serverless::HttpApi")
def _http_api(deployer: Deployer, logical_id: str, props: dict) -> dict:
    api_id = logical_id.lower()
    return {"Ref": api_id, "ApiEndpoint": deployer._api_endpoint(api_id)}
