"""Does the harness read a SAM template the way AWS's transform does? A differential check of the harness's loaded
model (`harness.template.Template`) against aws-sam-translator's CloudFormation (`harness.sam_translate`) on what
SAM decides: the logical ids it generates, Globals merging, function properties, event source mappings, rules,
schedules, subscriptions and API routes. `harness lint` prints every disagreement; the test suite runs it on every
template of the repository.

Values are compared as written (intrinsics unresolved); only the names SAM rewrites are mapped back (a LayerVersion
gets a content-hash suffix, `!Ref Fn.Alias` becomes `FnAlias<name>`).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from harness.sam_translate import Translation
from harness.sources import api as api_source
from harness.sources import http_api
from harness.sources.authorizer_agreement import authorizer_disagreements
from harness.template import FUNCTION_TYPE, EventSource, FunctionDef, Template, implicit_resources

# What each event type becomes: CloudFormation type of `<Function><Event>`, and (harness key, CloudFormation path)
# pairs whose values SAM copies across.
_MAPPING_KEYS = ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria", "Enabled",
                 "StartingPosition", "StartingPositionTimestamp", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
                 "BisectBatchOnFunctionError", "ParallelizationFactor", "ScalingConfig", "TumblingWindowInSeconds")
_ON_FAILURE = ("DestinationConfig.OnFailure.Destination",) * 2  # SAM drops the `Type` beside it
_RULE_TARGET = ("Input", "InputPath", "RetryPolicy", "DeadLetterConfig.Arn")
GENERATED: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "SQS": ("AWS::Lambda::EventSourceMapping", (("Queue", "EventSourceArn"), *((k, k) for k in _MAPPING_KEYS))),
    "DynamoDB": ("AWS::Lambda::EventSourceMapping", (("Stream", "EventSourceArn"), _ON_FAILURE,
                                                     *((k, k) for k in _MAPPING_KEYS))),
    "Kinesis": ("AWS::Lambda::EventSourceMapping", (("Stream", "EventSourceArn"), _ON_FAILURE,
                                                    *((k, k) for k in _MAPPING_KEYS))),
    "Schedule": ("AWS::Events::Rule", (("Schedule", "ScheduleExpression"), ("Name", "Name"),
                                       ("Description", "Description"),
                                       *((k, f"Targets.0.{k}") for k in _RULE_TARGET))),
    "ScheduleV2": ("AWS::Scheduler::Schedule", tuple((k, k) for k in (
        "ScheduleExpression", "ScheduleExpressionTimezone", "StartDate", "EndDate", "GroupName", "State",
        "Description")) + (("Input", "Target.Input"), ("RetryPolicy", "Target.RetryPolicy"),
                           ("DeadLetterConfig.Arn", "Target.DeadLetterConfig.Arn"))),
    "EventBridgeRule": ("AWS::Events::Rule", (("Pattern", "EventPattern"), ("EventBusName", "EventBusName"),
                                              ("RuleName", "Name"), ("State", "State"),
                                              *((k, f"Targets.0.{k}") for k in _RULE_TARGET))),
    "SNS": ("AWS::SNS::Subscription", (("Topic", "TopicArn"), ("FilterPolicy", "FilterPolicy"),
                                       ("FilterPolicyScope", "FilterPolicyScope"))),
}
GENERATED["CloudWatchEvent"] = GENERATED["EventBridgeRule"]
# What SAM sets when the event leaves a property out (the harness must assume the same).
SAM_DEFAULTS = {("ScheduleV2", "FlexibleTimeWindow"): {"Mode": "OFF"}}
# The stage the harness's sources assume when a template names none (their own constants, so the check compares
# what the sources really use with the transform).
DEFAULT_STAGES = {"AWS::Serverless::Api": api_source.DEFAULT_STAGE, http_api.HTTP_API_TYPE: http_api.DEFAULT_STAGE}
API_KEYS = {"Api": ("RestApiId", "ServerlessRestApi"), "HttpApi": ("ApiId", "ServerlessHttpApi")}
_HASHED = re.compile(r"^(?P<base>.+?)[0-9a-f]{10}$")


def disagreements(template: Template, translation: Translation) -> list[str]:
    """Every point where the harness's model and the transform's CloudFormation differ, as `file:line: ...`."""
    if not translation.transformed:
        return []
    names = _renamed(template, translation)
    return [f"{template.where(line)}: {what}" for check in CHECKS for line, what in check(template, translation, names)]


Finding = Iterator[tuple[int, str]]


def _renamed(template: Template, translation: Translation) -> dict[str, str]:
    """Logical ids SAM rewrote, mapped back to the template's (LayerVersions carry a hash of their content)."""
    out = {}
    for logical_id in translation.resources:
        match = _HASHED.match(logical_id)
        if match and template.resources.get(match["base"]) is not None and \
                template.resources[match["base"]].type == "AWS::Serverless::LayerVersion":
            out[logical_id] = match["base"]
    return out


def _norm(value: Any, names: dict[str, str], template: Template) -> Any:
    """A value with SAM's renames undone and `Fn.Alias` references written as SAM writes them."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            target = value["Ref"]
            owner, _, attribute = target.partition(".")
            alias = (template.functions.get(owner).properties.get("AutoPublishAlias")
                     if owner in template.functions else None)
            if attribute == "Alias" and isinstance(alias, str):
                target = f"{owner}Alias{alias}"
            return {"Ref": names.get(target, target)}
        return {k: _norm(v, names, template) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v, names, template) for v in value]
    return value


def _same(ours: Any, theirs: Any, names: dict[str, str], template: Template) -> bool:
    return _norm(ours, names, template) == _norm(theirs, names, template) or str(ours) == str(theirs) != "None"


def _sam_functions(template: Template) -> Iterator[FunctionDef]:
    for fid, fn in template.functions.items():
        if template.resources[fid].type == FUNCTION_TYPE and template.resources[fid].condition is None:
            yield fn


_FUNCTION_KEYS = (("Handler", "Handler"), ("Runtime", "Runtime"), ("Timeout", "Timeout"), ("MemorySize", "MemorySize"),
                  ("Environment", "Environment"), ("Layers", "Layers"), ("FunctionName", "FunctionName"),
                  ("ReservedConcurrentExecutions", "ReservedConcurrentExecutions"), ("InlineCode", "Code.ZipFile"),
                  ("DeadLetterQueue.TargetArn", "DeadLetterConfig.TargetArn"))


def _functions(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """Function properties after Globals: the harness's merge against the transform's."""
    for fn in _sam_functions(template):
        cfn = translation.properties(fn.logical_id)
        for ours_key, theirs_key in _FUNCTION_KEYS:
            ours, theirs = _path(fn.properties, ours_key), _path(cfn, theirs_key)
            if not _same(ours, theirs, names, template):
                yield fn.line, (f"function {fn.logical_id!r} {ours_key}: the harness reads {ours!r}, SAM's transform "
                                f"gives {theirs!r}")


def _invoke_configs(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """EventInvokeConfig (after Globals): retries, event age and destinations against `<Fn>EventInvokeConfig`."""
    for fn in _sam_functions(template):
        ours = fn.properties.get("EventInvokeConfig")
        if not isinstance(ours, dict):
            continue
        theirs = translation.properties(f"{fn.logical_id}EventInvokeConfig")
        for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig.OnSuccess.Destination",
                    "DestinationConfig.OnFailure.Destination"):
            if _path(ours, key) is not None and not _same(_path(ours, key), _path(theirs, key), names, template):
                yield fn.line, (f"function {fn.logical_id!r} EventInvokeConfig.{key}: the harness reads "
                                f"{_path(ours, key)!r}, SAM's transform gives {_path(theirs, key)!r}")


def _generated_ids(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """The implicit resources a template may reference: the harness's list against what the transform creates."""
    ours = implicit_resources(template)
    generated = {lid for lid in translation.resources if lid not in template.resources and lid not in names}
    for logical_id in sorted(ours):
        owner, _, attribute = logical_id.partition(".")
        if attribute == "Version":
            exists = any(lid.startswith(f"{owner}Version") for lid in generated)
        elif attribute == "Alias":
            exists = any(lid.startswith(f"{owner}Alias") for lid in generated)
        else:
            exists = logical_id in generated
        if not exists:
            yield 1, f"the harness accepts references to {logical_id!r}, which SAM's transform does not generate"
    kinds = ("AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Api",
             "AWS::ApiGatewayV2::Stage", "AWS::Lambda::Alias", "AWS::Lambda::Url", "AWS::SQS::Queue")
    for logical_id in sorted(generated):
        rtype = translation.resources[logical_id].get("Type")
        role = rtype == "AWS::IAM::Role" and logical_id[:-4] in template.functions
        if (rtype in kinds or role) and logical_id not in ours:
            yield 1, f"SAM's transform generates {logical_id!r} ({rtype}), which the harness does not know"


def _events(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """Each event's generated resource exists with the type and the property values SAM gives it."""
    for fn in _sam_functions(template):
        for event in fn.events:
            if event.name in template.resources or event.type not in GENERATED:
                continue  # a plain CloudFormation resource attached to the function, or no generated resource
            yield from _event(template, translation, names, fn, event)


def _event(template: Template, translation: Translation, names: dict[str, str], fn: FunctionDef,
           event: EventSource) -> Finding:
    rtype, keys = GENERATED[event.type]
    logical_id = f"{fn.logical_id}{event.name}"
    resource = translation.resources.get(logical_id) or {}
    if resource.get("Type") != rtype:
        yield event.line, (f"event {fn.logical_id}.{event.name} ({event.type}): SAM's transform generates no {rtype} "
                           f"{logical_id!r}")
        return
    cfn = resource.get("Properties") or {}
    for ours_key, theirs_key in keys:
        ours, theirs = _path(event.properties, ours_key), _path(cfn, theirs_key)
        if ours is not None and not _same(ours, theirs, names, template):
            yield event.line, (f"event {fn.logical_id}.{event.name} ({event.type}) {ours_key}: the harness reads "
                               f"{ours!r}, SAM's transform gives {theirs_key} = {theirs!r}")
    for (etype, key), default in SAM_DEFAULTS.items():
        if etype == event.type and key not in event.properties and cfn.get(key) != default:
            yield event.line, (f"event {fn.logical_id}.{event.name} ({event.type}): the harness assumes {key} "
                               f"{default!r} when it is left out, SAM's transform gives {cfn.get(key)!r}")


def _enabled(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """Whether each rule, schedule and mapping starts enabled: the harness's reading of `Enabled`/`State` (both
    must allow it, sources/schedule.py and eventbridge.py) against the generated resource's `State`/`Enabled`."""
    from harness.sources.base import as_bool
    for fn in _sam_functions(template):
        for event in fn.events:
            if event.name in template.resources or event.type not in GENERATED:
                continue
            props = event.properties
            ours = as_bool(props.get("Enabled")) and str(props.get("State", "ENABLED")).upper() == "ENABLED"
            cfn = translation.properties(f"{fn.logical_id}{event.name}")
            state = cfn.get("State", "ENABLED") if "Enabled" not in cfn else ("ENABLED" if as_bool(cfn["Enabled"])
                                                                               else "DISABLED")
            if ours != (str(state).upper() == "ENABLED"):
                yield event.line, (f"event {fn.logical_id}.{event.name} ({event.type}): the harness starts it "
                                   f"{'enabled' if ours else 'disabled'}, SAM's transform gives {state}")


def _api_events(template: Template) -> Iterator[tuple[FunctionDef, EventSource, str]]:
    """Every Api and HttpApi event with the logical id of its API (SAM's implicit API when it names none)."""
    for fn in _sam_functions(template):
        for event in fn.events:
            if event.type in API_KEYS:
                key, implicit = API_KEYS[event.type]
                api = event.properties.get(key) or {"Ref": implicit}
                yield fn, event, str(api.get("Ref")) if isinstance(api, dict) else ""


def _routes(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """Api and HttpApi events: the (api, path, method) routes the harness serves against the transform's paths,
    and each HTTP API route's payload format version."""
    for fn, event, api_id in _api_events(template):
        if not isinstance(translation.properties(api_id).get("Body"), dict):
            continue  # an API with its own DefinitionBody/DefinitionUri: the routes are the user's
        operation = translation.route_operation(api_id, event.type, event.properties)
        if operation is None:
            yield event.line, (f"event {fn.logical_id}.{event.name} ({event.type}): the harness serves "
                               f"{event.properties.get('Method')} {event.properties.get('Path')} on {api_id}, "
                               f"which SAM's transform does not route")
            continue
        theirs = (operation.get("x-amazon-apigateway-integration") or {}).get("payloadFormatVersion")
        ours = str(event.properties.get("PayloadFormatVersion") or http_api.DEFAULT_PAYLOAD_VERSION)
        if event.type == "HttpApi" and str(theirs) != ours:
            yield event.line, (f"event {fn.logical_id}.{event.name} (HttpApi): the harness sends payload "
                               f"format {ours}, SAM's transform integrates with {theirs}")


def _route_authorizers(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """Which authorizer protects each Api and HttpApi route: the harness's (the event's `Auth.Authorizer`, else its
    API's `DefaultAuthorizer`; Globals for the implicit APIs) against the route's `security` in SAM's definition."""
    for fn, event, api_id in _api_events(template):
        operation = translation.route_operation(api_id, event.type, event.properties)
        if operation is None:
            continue  # not routed (reported by _routes) or the API's own definition
        resource = template.resources.get(api_id)
        auth = (resource.properties if resource is not None else template.globals.get(event.type) or {}
                ).get("Auth") or {}
        ours = (event.properties.get("Auth") or {}).get("Authorizer", auth.get("DefaultAuthorizer"))
        ours = None if ours in (None, "NONE") else str(ours)
        security = operation.get("security") or [{}]
        theirs = next(iter(security[0]), None) if security and isinstance(security[0], dict) else None
        theirs = None if theirs in (None, "NONE") else str(theirs)
        if ours != theirs:
            yield event.line, (f"event {fn.logical_id}.{event.name} ({event.type}): the harness protects the "
                               f"route with {ours or 'no authorizer'}, SAM's transform with "
                               f"{theirs or 'no authorizer'}")


def _stages(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """The stage each API serves on: the harness's (StageName, else Prod for REST and $default for HTTP APIs)
    against the StageName of the stage resource SAM generates."""
    apis = [(api.logical_id, api.type, api.properties.get("StageName"), api.line)
            for api in template.of_type("AWS::Serverless::Api", "AWS::Serverless::HttpApi")]
    implicit = implicit_resources(template)
    apis += [(lid, "AWS::Serverless::Api" if kind == "rest_api" else "AWS::Serverless::HttpApi", None, 1)
             for lid, (kind, _) in implicit.items() if kind in ("rest_api", "http_api")]
    stage_types = ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage")
    for logical_id, rtype, stage_name, line in apis:
        ours = stage_name or DEFAULT_STAGES[rtype]
        theirs = [props.get("StageName") for props in (r.get("Properties") or {} for r in translation.resources.values()
                                                       if r.get("Type") in stage_types)
                  if props.get("RestApiId", props.get("ApiId")) == {"Ref": logical_id}]
        if not theirs or not any(_same(ours, stage, names, template) for stage in theirs):
            yield line, f"API {logical_id!r}: the harness serves stage {ours!r}, SAM's transform creates {theirs!r}"


def _path(value: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if isinstance(value, list) and part.isdigit():
            value = value[int(part)] if int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


CHECKS: tuple[Callable[[Template, Translation, dict[str, str]], Finding], ...] = (
    _functions, _invoke_configs, _generated_ids, _events, _enabled, _routes, _route_authorizers, _stages,
    authorizer_disagreements)
