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
from harness.template import FUNCTION_TYPE, EventSource, FunctionDef, Template, implicit_resources

# What each event type becomes: CloudFormation type of `<Function><Event>`, and (harness key, CloudFormation path)
# pairs whose values SAM copies across.
_MAPPING_KEYS = ("BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria", "Enabled",
                 "StartingPosition", "StartingPositionTimestamp", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
                 "BisectBatchOnFunctionError", "ParallelizationFactor", "ScalingConfig", "TumblingWindowInSeconds")
_RULE_TARGET = ("Input", "InputPath", "RetryPolicy")
GENERATED: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "SQS": ("AWS::Lambda::EventSourceMapping", (("Queue", "EventSourceArn"), *((k, k) for k in _MAPPING_KEYS))),
    "DynamoDB": ("AWS::Lambda::EventSourceMapping", (("Stream", "EventSourceArn"), *((k, k) for k in _MAPPING_KEYS))),
    "Kinesis": ("AWS::Lambda::EventSourceMapping", (("Stream", "EventSourceArn"), *((k, k) for k in _MAPPING_KEYS))),
    "Schedule": ("AWS::Events::Rule", (("Schedule", "ScheduleExpression"), ("Name", "Name"),
                                       ("Description", "Description"),
                                       *((k, f"Targets.0.{k}") for k in _RULE_TARGET))),
    "ScheduleV2": ("AWS::Scheduler::Schedule", tuple((k, k) for k in (
        "ScheduleExpression", "ScheduleExpressionTimezone", "StartDate", "EndDate", "GroupName", "State",
        "Description")) + (("Input", "Target.Input"), ("RetryPolicy", "Target.RetryPolicy"))),
    "EventBridgeRule": ("AWS::Events::Rule", (("Pattern", "EventPattern"), ("EventBusName", "EventBusName"),
                                              ("RuleName", "Name"), ("State", "State"),
                                              *((k, f"Targets.0.{k}") for k in _RULE_TARGET))),
    "SNS": ("AWS::SNS::Subscription", (("Topic", "TopicArn"), ("FilterPolicy", "FilterPolicy"),
                                       ("FilterPolicyScope", "FilterPolicyScope"))),
}
GENERATED["CloudWatchEvent"] = GENERATED["EventBridgeRule"]
# What SAM sets when the event leaves a property out (the harness must assume the same).
SAM_DEFAULTS = {("ScheduleV2", "FlexibleTimeWindow"): {"Mode": "OFF"}}
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
        ours, theirs = event.properties.get(ours_key), _path(cfn, theirs_key)
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


def _routes(template: Template, translation: Translation, names: dict[str, str]) -> Finding:
    """Api and HttpApi events: the (api, path, method) routes the harness serves against the transform's paths."""
    for event_type, implicit, key in (("Api", "ServerlessRestApi", "RestApiId"), ("HttpApi", "ServerlessHttpApi",
                                                                                    "ApiId")):
        for fn in _sam_functions(template):
            for event in (e for e in fn.events if e.type == event_type):
                api = event.properties.get(key) or {"Ref": implicit}
                api_id = api.get("Ref") if isinstance(api, dict) else None
                body = translation.properties(str(api_id)).get("Body")
                if not isinstance(body, dict):
                    continue  # an API with its own DefinitionBody/DefinitionUri: the routes are the user's
                method = str(event.properties.get("Method") or "").lower()
                path = str(event.properties.get("Path") or "")
                if event_type == "HttpApi" and not path and not method:
                    path, method = "$default", "any"  # the harness's catch-all route (sources/http_api.py)
                method = "x-amazon-apigateway-any-method" if method == "any" else method
                if method not in (body.get("paths") or {}).get(path, {}):
                    yield event.line, (f"event {fn.logical_id}.{event.name} ({event_type}): the harness serves "
                                       f"{method.upper()} {path} on {api_id}, which SAM's transform does not route")


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
    _functions, _invoke_configs, _generated_ids, _events, _enabled, _routes)
