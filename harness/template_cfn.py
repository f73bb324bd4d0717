"""Plain CloudFormation Lambda resources, read as their SAM equivalents at load time, so a template without the
SAM transform (or a SAM template that mixes them in) runs like one written with `AWS::Serverless::Function`:

- `AWS::Lambda::Function`: Code.ZipFile is InlineCode, a local Code path (before `aws cloudformation package`) is
  CodeUri, DeadLetterConfig is SAM's DeadLetterQueue; Code in S3 or an image is refused by name;
- `AWS::Lambda::EventSourceMapping`: an SQS, DynamoDB or Kinesis event of its function;
- `AWS::Lambda::EventInvokeConfig`: its function's EventInvokeConfig;
- `AWS::Scheduler::Schedule` with a Lambda target: a ScheduleV2 event of that function.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.errors import TemplateError

LAMBDA_FUNCTION = "AWS::Lambda::Function"
ATTACHED = ("AWS::Lambda::EventSourceMapping", "AWS::Lambda::EventInvokeConfig", "AWS::Scheduler::Schedule")
_COPIED = ("Handler", "Runtime", "Timeout", "MemorySize", "Environment", "FunctionName",
           "ReservedConcurrentExecutions", "PackageType", "Layers", "Architectures", "Role", "Description",
           "Tags", "TracingConfig", "LoggingConfig", "EphemeralStorage", "RecursiveLoop")
_ESM_TYPES = {"AWS::SQS::Queue": ("SQS", "Queue"), "AWS::DynamoDB::Table": ("DynamoDB", "Stream"),
              "AWS::Kinesis::Stream": ("Kinesis", "Stream")}
_ESM_PROPERTIES = ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "ScalingConfig",
                   "FilterCriteria", "Enabled", "StartingPosition", "MaximumRetryAttempts",
                   "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "DestinationConfig",
                   "ParallelizationFactor", "TumblingWindowInSeconds")


def function_properties(where: str, logical_id: str, props: dict) -> dict:
    """An AWS::Lambda::Function's properties in AWS::Serverless::Function terms."""
    out = {key: props[key] for key in _COPIED if key in props}
    code = props.get("Code")
    if isinstance(code, str):
        out["CodeUri"] = code
    elif isinstance(code, dict) and "ZipFile" in code:
        out["InlineCode"] = code["ZipFile"]
    elif props.get("PackageType") != "Image":
        raise TemplateError(f"{where}: function {logical_id!r}: Code {code!r} is not runnable here (the harness "
                            f"needs Code.ZipFile or a local folder path, as before `aws cloudformation package`)")
    dead_letter = props.get("DeadLetterConfig") or {}
    if dead_letter.get("TargetArn"):
        out["DeadLetterQueue"] = {"Type": _service_type(dead_letter["TargetArn"]), "TargetArn": dead_letter["TargetArn"]}
    return out


def attach(template: Any) -> None:
    """Fold event source mappings, invoke configs and Scheduler schedules into their functions."""
    from harness.template import EventSource
    for resource in template.resources.values():
        if resource.type not in ATTACHED:
            continue
        where = template.where(resource.line)
        props = resource.properties
        if resource.type == "AWS::Lambda::EventInvokeConfig":
            fid = _function_id(template, props.get("FunctionName"), where, resource.logical_id)
            config = {k: props[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
                      if k in props}
            _update(template, fid, {"EventInvokeConfig": config})
            continue
        if resource.type == "AWS::Scheduler::Schedule":
            target = props.get("Target") or {}
            fid = _function_id(template, target.get("Arn"), where, resource.logical_id)
            event_props = {k: props[k] for k in ("ScheduleExpression", "ScheduleExpressionTimezone", "State",
                                                  "StartDate", "EndDate", "GroupName", "FlexibleTimeWindow")
                           if k in props}
            event_props["Name"] = props.get("Name") or resource.logical_id
            event_props |= {k: target[k] for k in ("Input", "RetryPolicy", "DeadLetterConfig") if k in target}
            _add_event(template, fid, EventSource(resource.logical_id, "ScheduleV2", event_props, resource.line))
            continue
        fid = _function_id(template, props.get("FunctionName"), where, resource.logical_id)
        source_type, key = _mapping_type(template, props.get("EventSourceArn"), where, resource.logical_id)
        event_props = {key: props["EventSourceArn"]} | {k: props[k] for k in _ESM_PROPERTIES if k in props}
        _add_event(template, fid, EventSource(resource.logical_id, source_type, event_props, resource.line))


def _update(template: Any, fid: str, props: dict) -> None:
    fn = template.functions[fid]
    template.functions[fid] = replace(fn, properties={**fn.properties, **props})


def _add_event(template: Any, fid: str, event: Any) -> None:
    fn = template.functions[fid]
    template.functions[fid] = replace(fn, events=fn.events + (event,))


def _function_id(template: Any, value: Any, where: str, owner: str) -> str:
    """The logical id of the function a `FunctionName` / target ARN names (Ref, GetAtt, a name or an ARN)."""
    if isinstance(value, dict) and "Ref" in value:
        value = value["Ref"]
    elif isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        value = target[0] if isinstance(target, list) else str(target).split(".")[0]
    name = str(value).rsplit(":", 1)[-1] if value is not None else ""
    if name in template.functions:
        return name
    for fid, fn in template.functions.items():
        if fn.properties.get("FunctionName") == name:
            return fid
    raise TemplateError(f"{where}: {owner}: {value!r} is not a function of this template (give !Ref or !GetAtt "
                        f"of one)")


def _mapping_type(template: Any, arn: Any, where: str, owner: str) -> tuple[str, str]:
    """SQS / DynamoDB / Kinesis, and the event property that holds the ARN."""
    if isinstance(arn, dict) and "Fn::GetAtt" in arn:
        target = arn["Fn::GetAtt"]
        logical_id = target[0] if isinstance(target, list) else str(target).split(".")[0]
        resource = template.resources.get(logical_id)
        if resource is not None and resource.type in _ESM_TYPES:
            return _ESM_TYPES[resource.type]
    service = str(arn).split(":")[2] if str(arn).count(":") >= 5 else ""
    found = {"sqs": ("SQS", "Queue"), "dynamodb": ("DynamoDB", "Stream"), "kinesis": ("Kinesis", "Stream")}
    if service in found:
        return found[service]
    raise TemplateError(f"{where}: {owner}: EventSourceArn {arn!r} is not an SQS queue, DynamoDB stream or "
                        f"Kinesis stream of this template (the sources the harness emulates for mappings)")


def _service_type(arn: Any) -> str:
    return "SNS" if ":sns:" in str(arn) else "SQS"
