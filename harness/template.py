"""SAM template loader: functions, queues, tables, buckets, buses, rules and secrets, with CloudFormation
intrinsics (`!Ref`, `!GetAtt`, `!Sub`, ...), Globals and Parameters (with overrides).

Loading is pure: it reads and validates the file. `Resolver` turns intrinsic functions into values once the
resources exist in a backend (see `harness.aws.deploy`). Anything the harness does not emulate is reported
in `Template.warnings`, never silently ignored.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import difflib
import io
import os
import pickle
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import cfn_yaml, dependencies, template_cfn
from harness.errors import TemplateError
from harness.memo import remember

ACCOUNT_ID = "123456789012"

# Properties the harness emulates, per resource type; anything else is reported in Template.warnings.
EMULATED: dict[str, set[str]] = {
    "AWS::Serverless::Function": {
        "Handler", "CodeUri", "Runtime", "Timeout", "MemorySize", "Environment", "FunctionName",
        "ReservedConcurrentExecutions", "EventInvokeConfig", "DeadLetterQueue", "Events", "FunctionUrlConfig",
        "InlineCode", "AutoPublishAlias", "Layers", "RecursiveLoop",
    },
    "AWS::Serverless::LayerVersion": {"ContentUri", "LayerName", "CompatibleRuntimes", "Description",
                                      "RetentionPolicy", "LicenseInfo", "CompatibleArchitectures"},
    "AWS::Lambda::LayerVersion": {"Content", "LayerName", "CompatibleRuntimes", "Description", "LicenseInfo",
                                  "CompatibleArchitectures"},
    "AWS::SQS::Queue": {
        "QueueName", "DelaySeconds", "VisibilityTimeout", "RedrivePolicy", "FifoQueue",
        "ContentBasedDeduplication", "MessageRetentionPeriod", "MaximumMessageSize",
        "ReceiveMessageWaitTimeSeconds",
    },
    "AWS::DynamoDB::Table": {
        "TableName", "KeySchema", "AttributeDefinitions", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
        "BillingMode", "ProvisionedThroughput", "StreamSpecification", "TimeToLiveSpecification",
    },
    "AWS::S3::Bucket": {"BucketName", "VersioningConfiguration", "NotificationConfiguration"},
    "AWS::Events::EventBus": {"Name"},
    "AWS::Events::Rule": {"Name", "EventBusName", "EventPattern", "ScheduleExpression", "State", "Targets"},
    "AWS::SecretsManager::Secret": {"Name", "SecretString", "GenerateSecretString", "Description"},
    "AWS::SNS::Topic": {"TopicName"},
    "AWS::Kinesis::Stream": {"Name", "ShardCount", "StreamModeDetails", "RetentionPeriodHours"},
    "AWS::Lambda::Function": {"Code", "Handler", "Runtime", "Timeout", "MemorySize", "Environment", "FunctionName",
                              "ReservedConcurrentExecutions", "DeadLetterConfig", "PackageType", "RecursiveLoop"},
    "AWS::Lambda::EventSourceMapping": {"FunctionName", "EventSourceArn", "BatchSize",
                                        "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "ScalingConfig",
                                        "FilterCriteria", "Enabled", "StartingPosition", "MaximumRetryAttempts",
                                        "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
                                        "DestinationConfig", "ParallelizationFactor", "TumblingWindowInSeconds"},
    "AWS::Lambda::EventInvokeConfig": {"FunctionName", "Qualifier", "MaximumRetryAttempts",
                                       "MaximumEventAgeInSeconds", "DestinationConfig"},
    "AWS::Scheduler::Schedule": {"ScheduleExpression", "ScheduleExpressionTimezone", "State", "StartDate", "EndDate",
                                 "GroupName", "FlexibleTimeWindow", "Name", "Target", "Description"},
    "AWS::SNS::Subscription": {"TopicArn", "Protocol", "Endpoint", "FilterPolicy", "FilterPolicyScope",
                               "RawMessageDelivery", "Region"},
    "AWS::Serverless::Api": {"StageName", "Name"},
    "AWS::Serverless::HttpApi": {"StageName", "Name"},
    "AWS::Serverless::SimpleTable": {"PrimaryKey", "ProvisionedThroughput", "TableName"},
}
# Properties that only matter on real AWS (permissions, packaging, cost, observability wiring).
NOT_EMULATED_QUIET = {"Tags", "Description", "Policies", "Role", "Architectures", "Tracing", "KmsMasterKeyId",
                      "SqsManagedSseEnabled", "SSESpecification", "PointInTimeRecoverySpecification",
                      "PackageType", "LoggingConfig", "DeletionProtectionEnabled", "PublicAccessBlockConfiguration",
                      "BucketEncryption", "KmsKeyId", "ContributorInsightsSpecification", "TableClass",
                      "EphemeralStorage", "RuntimeManagementConfig", "OwnershipControls",
                      "MethodSettings", "AccessLogSetting", "TracingEnabled", "EndpointConfiguration",
                      "OpenApiVersion", "Variables", "BinaryMediaTypes"}
# Resource types accepted but not emulated (alarms fire nowhere; IAM is not enforced).
ACCEPTED_NOT_EMULATED = {
    "AWS::CloudWatch::Alarm", "AWS::CloudWatch::Dashboard", "AWS::Logs::LogGroup", "AWS::Logs::MetricFilter",
    "AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::Lambda::Permission",
    "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy", "AWS::KMS::Key",
    "AWS::KMS::Alias", "AWS::Events::Archive",
    "AWS::ApiGateway::Account", "AWS::Scheduler::ScheduleGroup",
}
FUNCTION_TYPE = "AWS::Serverless::Function"
# Longest physical name each service accepts (CloudFormation truncates generated names to fit; so does the harness).
NAME_LIMITS = {"AWS::SQS::Queue": 80, "AWS::IAM::Role": 64, "AWS::Kinesis::Stream": 128, "AWS::S3::Bucket": 63, "AWS::Serverless::Function": 64,
               "AWS::Events::Rule": 64, "AWS::Events::EventBus": 256, "AWS::SNS::Topic": 256,
               "AWS::DynamoDB::Table": 255, "AWS::Serverless::SimpleTable": 255, "AWS::SecretsManager::Secret": 512}
STACK_NAME = re.compile(r"^[A-Za-z][-A-Za-z0-9]{0,127}$")
SUPPORTED_EVENT_TYPES = {"SQS", "EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "Api"}
# Emulated properties per event type (filled by harness.sources' registry); others are warned about by name.
EVENT_PROPERTIES: dict[str, set[str]] = {}
# Checks other modules add (e.g. harness.sources.authorizers reads APIs' Auth): each gets the loaded template and
# appends to its warnings (with file:line) or raises TemplateError.
LOAD_CHECKS: list[Callable[[Template], None]] = []
PSEUDO = ("AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::Partition", "AWS::URLSuffix", "AWS::NoValue",
          "AWS::StackId", "AWS::NotificationARNs")


@dataclass(frozen=True)
class Resource:
    """A template resource as written (properties unresolved)."""

    logical_id: str
    type: str
    properties: dict
    line: int
    condition: str | None = None


@dataclass(frozen=True)
class EventSource:
    """One entry of a function's `Events:` (properties unresolved)."""

    name: str
    type: str
    properties: dict
    line: int


@dataclass(frozen=True)
class FunctionDef:
    """A function as written in the template (Globals merged, values unresolved)."""

    logical_id: str
    properties: dict
    events: tuple[EventSource, ...]
    line: int


@dataclass
class Template:
    """A loaded SAM template."""

    path: Path
    stack_name: str
    parameters: dict[str, Any]
    resources: dict[str, Resource]
    functions: dict[str, FunctionDef]
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    globals: dict[str, Any] = field(default_factory=dict)   # the Globals section as written (Function merged above)

    @property
    def folder(self) -> Path:
        """Folder the template lives in (CodeUri is relative to it)."""
        return self.path.parent

    def where(self, line: int) -> str:
        """`file:line` for error messages."""
        return f"{self.path}:{line}"

    def of_type(self, *types: str) -> list[Resource]:
        """Resources of the given types, in file order."""
        return [r for r in self.resources.values() if r.type in types]


def _line(node: Any, default: int = 0) -> int:
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else default


def _plain(value: Any) -> Any:
    """Deep-copy cfn-lint nodes into plain dicts/lists/strings."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


plain = _plain  # the public name, for modules that read templates themselves (harness.sam_translate)


def closest(name: str, options: list[str] | set[str]) -> str:
    """' (did you mean X?)' for a typo, else ''."""
    match = difflib.get_close_matches(name, sorted(options), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


# Templates already read in this process: a scenario run loads its template twice (scenario checks, simulation)
# and search runs one scenario hundreds of times, while parsing a system's template costs 2-35 ms. An entry is
# used only while the template and every file it includes are unchanged (harness/dependencies.py: a stat each,
# and their bytes when one changed within the last 2 s, which a rewrite within one file-time tick cannot fool)
# and the registries it was checked against are unchanged; each caller gets its own copy (`copies_of`), so what
# one simulation changes (deploy-time warnings) never reaches another.
_LOADED: dict[tuple, tuple[dependencies.Dependencies, Callable[[], Template]]] = {}  # -> (files read, copies)
_LOADED_MAX = 64


def _cache_key(path: Path, parameters: Mapping[str, Any] | None, stack_name: str | None) -> tuple:
    registries = (len(EMULATED), sum(map(len, EMULATED.values())), len(ACCEPTED_NOT_EMULATED),
                  len(SUPPORTED_EVENT_TYPES), tuple(sorted((k, len(v)) for k, v in EVENT_PROPERTIES.items())),
                  tuple(id(check) for check in LOAD_CHECKS))
    given = tuple(sorted((str(k), repr(v)) for k, v in (parameters or {}).items()))
    return os.getcwd(), str(path), given, stack_name, registries  # the path as given, from this folder


def load_template(path: str | Path, parameters: Mapping[str, Any] | None = None,
                  stack_name: str | None = None) -> Template:
    """Read and validate a SAM template; raise TemplateError with file:line on bad input."""
    path = Path(path)
    import harness.sources  # noqa: F401 - registers the event source types and their emulated properties
    key = _cache_key(path, parameters, stack_name)
    hit = _LOADED.get(key)
    if hit is not None:
        for file in hit[0].stamps:  # what a scenario's load being recorded depends on
            dependencies.note(file)
        if hit[0].unchanged():
            return hit[1]()
    with dependencies.recorded() as read:
        dependencies.note(path)
        if not path.is_file():
            raise TemplateError(f"{path}: template not found (expected a SAM template.yaml file)")
        template = _load(path, parameters, stack_name, [path])
    remember(_LOADED, key, (read, copies_of(template)), _LOADED_MAX)
    return template


# What a template holds, by how `copied` treats it: values it shares (copy.deepcopy gives these back as they are:
# MarkedStr's `__deepcopy__` returns itself) and plain dataclasses whose copy is a new instance with a copy of
# its `__dict__` (copy.deepcopy's `__reduce_ex__` path for them, as none has slots or its own copy hooks).
_SHARED = frozenset({str, int, float, bool, type(None), cfn_yaml.MarkedStr})
_RECORDS = frozenset({Template, Resource, FunctionDef, EventSource})


def copied(value: Any, memo: dict | None = None) -> Any:
    """`copy.deepcopy(value)`, made faster for what templates hold (plain dicts and lists of text, numbers and
    template records): every dict, list and record copied once however often it is referenced, anything else
    handed to copy.deepcopy with the same memo."""
    if memo is None:
        memo = {}
    cls = value.__class__
    if cls in _SHARED:
        return value
    if cls is dict:
        done = memo.get(id(value))
        if done is None:
            done = memo[id(value)] = value.copy()  # in order; text keys are shared as deepcopy shares them
            for key, item in value.items():
                if key.__class__ not in _SHARED:
                    return _copied_dict(value, done, memo)
                if item.__class__ not in _SHARED:
                    done[key] = copied(item, memo)
        return done
    if cls is list:
        done = memo.get(id(value))
        if done is None:
            done = memo[id(value)] = []
            done.extend([item if item.__class__ in _SHARED else copied(item, memo) for item in value])
        return done
    if cls in _RECORDS:
        done = memo.get(id(value))
        if done is None:
            done = memo[id(value)] = object.__new__(cls)
            done.__dict__.update(copied(value.__dict__, memo))
        return done
    return copy.deepcopy(value, memo)


def _copied_dict(value: dict, done: dict, memo: dict) -> dict:
    """A dict with a key that is not shared (rare): every key and value copied, in order, into `done`."""
    done.clear()
    for key, item in value.items():
        done[copied(key, memo)] = copied(item, memo)
    return done


# Types a pickled template may hold: what pickle rebuilds as copy.deepcopy does (new dicts, lists and records,
# shared between the places that referenced one), values that cannot change, and MarkedStr, which deepcopy
# shares and pickle is told to share (a persistent id: it has no pickle support of its own).
_PICKLED = _SHARED | _RECORDS | {dict, list, tuple, type(Path())}


class _SharingPickler(pickle.Pickler):
    """Pickles a template, keeping each MarkedStr out of the stream: the unpickled copy gets the very object."""

    def __init__(self, file: io.BytesIO, shared: list) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared, self.ids = shared, {}

    def persistent_id(self, obj: Any) -> int | None:
        if obj.__class__ is not cfn_yaml.MarkedStr:
            return None
        index = self.ids.get(id(obj))
        if index is None:
            index = self.ids[id(obj)] = len(self.shared)
            self.shared.append(obj)
        return index


def copies_of(value: Any) -> Callable[[], Any]:
    """A function giving a new copy of `value` as it is now at each call, each one what `copy.deepcopy` would make
    (for the cache: a template loaded once, copied for every simulation). A value holding only the types above
    is pickled once and each copy unpickled (C-speed, 2-2.5x cheaper than `copied`: 60-170 us for the library's
    templates); anything else is copied by `copied` from a private copy."""
    if not _holds_only(value, _PICKLED):
        kept = copied(value)
        return lambda: copied(kept)
    shared: list = []
    stream = io.BytesIO()
    _SharingPickler(stream, shared).dump(value)
    blob = stream.getvalue()

    def copy_of() -> Any:
        unpickler = pickle.Unpickler(io.BytesIO(blob))
        unpickler.persistent_load = shared.__getitem__
        return unpickler.load()
    return copy_of


def _holds_only(value: Any, types: frozenset, seen: set | None = None) -> bool:
    """True when `value` and everything reachable from it (keys, items, record fields) is of one of `types`."""
    seen = set() if seen is None else seen
    if value.__class__ not in types:
        return False
    if id(value) in seen or value.__class__ in _SHARED:
        return True
    seen.add(id(value))
    if value.__class__ is dict:
        return all(_holds_only(k, types, seen) and _holds_only(v, types, seen) for k, v in value.items())
    if value.__class__ in (list, tuple):
        return all(_holds_only(item, types, seen) for item in value)
    if value.__class__ in _RECORDS:
        return _holds_only(value.__dict__, types, seen)
    return True  # a path


def _load(path: Path, parameters: Mapping[str, Any] | None, stack_name: str | None, files: list[Path]) -> Template:
    raw = read_marked(path, files)
    stack = _stack_name(path, stack_name)
    template = Template(path=path, stack_name=stack, parameters={}, resources={}, functions={},
                        conditions=_plain(raw.get("Conditions") or {}), mappings=_plain(raw.get("Mappings") or {}))
    template.parameters = _parameters(template, raw.get("Parameters") or {}, dict(parameters or {}))
    template.globals = _plain(raw.get("Globals") or {})
    globals_function = _plain((raw.get("Globals") or {}).get("Function") or {})
    for logical_id, node in raw["Resources"].items():
        template.resources[str(logical_id)] = _resource(template, str(logical_id), node, globals_function,
                                                        _line(logical_id, _line(node)))
    template_cfn.attach(template)
    _apply_resource_globals(template, raw)
    _check_layers(template)
    _check_references(template, raw)
    for check in LOAD_CHECKS:
        check(template)
    return template


def read_marked(path: Path, files: list[Path] | None = None) -> Any:
    """The template file parsed with line marks and `AWS::Include` snippets in place (each snippet file read is
    added to `files`); TemplateError if it is missing, malformed or has no `Resources` mapping."""
    if not path.is_file():
        raise TemplateError(f"{path}: template not found (expected a SAM template.yaml file)")
    try:
        raw = cfn_yaml.loads(path.read_text(encoding="utf-8"), str(path))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise TemplateError(f"{where}: malformed YAML: {getattr(exc, 'problem', exc)}") from None
    except Exception as exc:  # noqa: BLE001 - cfn-lint raises its own parse errors (duplicate keys etc.)
        raise TemplateError(f"{path}: cannot parse template: {exc}") from None
    raw = expand_includes(raw, path, 0, files)
    if not isinstance(raw, dict) or not isinstance(raw.get("Resources"), dict):
        raise TemplateError(f"{path}: not a SAM/CloudFormation template (expected a top-level 'Resources' mapping)")
    return raw


def expand_includes(node: Any, path: Path, depth: int, files: list[Path] | None = None) -> Any:
    """`Fn::Transform: {Name: AWS::Include, Parameters: {Location: file}}`: the snippet file's content in place
    (a local file beside the template; S3 locations cannot be read here; each one read is added to `files`).
    Other nodes keep their line marks."""
    if isinstance(node, list):
        node[:] = [expand_includes(v, path, depth, files) for v in node]
        return node
    if not isinstance(node, dict):
        return node
    transform = node.get("Fn::Transform")
    if isinstance(transform, dict) and transform.get("Name") == "AWS::Include":
        location = str((transform.get("Parameters") or {}).get("Location", ""))
        target = (path.parent / location).resolve()
        dependencies.note(target)
        if location.startswith("s3://") or not target.is_file():
            raise TemplateError(f"{path}:{_line(node)}: AWS::Include of {location!r}: only a local file beside the "
                                f"template can be included here")
        if depth >= 10:
            raise TemplateError(f"{path}:{_line(node)}: AWS::Include nested more than 10 deep")
        if files is not None:
            files.append(target)
        try:
            content = cfn_yaml.loads(target.read_text(encoding="utf-8"), str(target))
        except Exception as exc:  # noqa: BLE001 - a parse error, named with the file
            raise TemplateError(f"{target}: cannot parse the included snippet: {exc}") from None
        included = expand_includes(content, target, depth + 1, files)
        if not isinstance(included, dict):
            return included
        for key, value in node.items():
            if key != "Fn::Transform":
                included[key] = expand_includes(value, path, depth, files)
        return included
    for key in list(node):
        node[key] = expand_includes(node[key], path, depth, files)
    return node


def _stack_name(path: Path, given: str | None) -> str:
    """The stack name: as given (checked like CloudFormation does), else derived from the template's folder
    name with what CloudFormation refuses replaced (letters, digits and dashes, starting with a letter)."""
    if given is not None:
        if not STACK_NAME.match(given):
            raise TemplateError(f"{path}: stack name {given!r} is not valid: CloudFormation accepts 1-128 letters, "
                                f"digits and dashes, starting with a letter")
        return given
    name = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9-]", "-", path.resolve().parent.name)).strip("-")
    if not name or not name[0].isalpha():
        name = f"stack-{name}".rstrip("-")
    return name[:128].rstrip("-")


def default_physical_name(stack: str, logical_id: str, resource_type: str) -> str:
    """The name a resource without an explicit name gets: `<stack>-<LogicalId>` (deterministic, unlike
    CloudFormation's random suffix), lowercased for buckets and cut to the service's length limit."""
    name = f"{stack}-{logical_id}"
    if resource_type == "AWS::S3::Bucket":
        name = re.sub(r"[^a-z0-9.-]", "-", name.lower())
    limit = NAME_LIMITS.get(resource_type)
    return name[:limit].rstrip("-.") if limit else name


def _parameters(template: Template, declared: dict, overrides: dict) -> dict[str, Any]:
    unknown = set(overrides) - set(declared)
    if unknown:
        name = min(unknown)
        raise TemplateError(f"{template.path}: parameter override {name!r} is not declared in the template"
                            f"{closest(name, set(declared))}; declared: {', '.join(sorted(declared)) or 'none'}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec or {}
        if name in overrides:
            value = overrides[name]
        elif "Default" in spec:
            value = _plain(spec["Default"])
        else:
            raise TemplateError(f"{template.where(_line(spec))}: parameter {name!r} has no Default and no override "
                                f"was given (pass parameters={{'{name}': ...}})")
        allowed = spec.get("AllowedValues")
        if allowed and str(value) not in [str(a) for a in allowed]:
            raise TemplateError(f"{template.where(_line(spec))}: parameter {name!r} = {value!r} is not one of "
                                f"{[str(a) for a in allowed]}")
        if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
            value = [v.strip() for v in value.split(",")]
        values[name] = value if not isinstance(value, (int, float)) else str(value)
    return values


def _merge_globals(props: dict, globals_function: dict) -> dict:
    """A function's properties over `Globals.Function`, by SAM's rules: maps merge key by key (recursively),
    lists concatenate (global first; `Architectures` is replaced), anything else and intrinsics: the local value."""
    return _merge_global_value(copy.deepcopy(globals_function), props, "")


def _merge_global_value(ours: Any, local: Any, path: str) -> Any:
    if isinstance(ours, dict) and isinstance(local, dict) and not _is_intrinsic(ours) and not _is_intrinsic(local):
        merged = dict(ours)
        for key, value in local.items():
            child = f"{path}.{key}".lstrip(".")
            merged[key] = _merge_global_value(ours[key], value, child) if key in ours else value
        return merged
    if isinstance(ours, list) and isinstance(local, list) and path not in GLOBALS_REPLACED:
        return ours + local
    return local


GLOBALS_REPLACED = {"Architectures"}  # the lists SAM replaces instead of concatenating


def _is_intrinsic(value: dict) -> bool:
    return len(value) == 1 and (next(iter(value)) == "Ref" or str(next(iter(value))).startswith("Fn::"))


# Globals sections for resources other than functions (Function is merged while reading, above). The implicit APIs'
# `Auth` is read by harness.sources.api from the Globals section itself (they have no resource to merge into).
GLOBALS_SECTIONS = {"Api": "AWS::Serverless::Api", "HttpApi": "AWS::Serverless::HttpApi",
                    "SimpleTable": "AWS::Serverless::SimpleTable", "LayerVersion": "AWS::Serverless::LayerVersion"}
IMPLICIT_APIS = {"Api": "ServerlessRestApi", "HttpApi": "ServerlessHttpApi"}


def _apply_resource_globals(template: Template, raw: dict) -> None:
    """`Globals.Api`, `HttpApi`, `SimpleTable`, `LayerVersion` merged into each resource of the type as SAM merges
    them; what the harness does not emulate is warned about at its Globals line (for the implicit APIs too)."""
    sections = raw.get("Globals") if isinstance(raw.get("Globals"), dict) else {}
    for section, rtype in GLOBALS_SECTIONS.items():
        node = sections.get(section)
        if not isinstance(node, dict):
            continue
        values = _plain(node)
        for resource in template.of_type(rtype):
            template.resources[resource.logical_id] = dataclasses.replace(
                resource, properties=_merge_global_value(copy.deepcopy(values), resource.properties, ""))
        used = template.of_type(rtype) or IMPLICIT_APIS.get(section) in implicit_resources(template)
        for key in node if used else ():  # `Auth` is checked by harness.sources.authorizers
            if key not in EMULATED.get(rtype, set()) | NOT_EMULATED_QUIET | {"Auth"}:
                template.warnings.append(f"{template.where(_line(key, _line(node)))}: Globals.{section}.{key} is "
                                         f"not emulated by the harness (ignored)")


def _resource(template: Template, logical_id: str, node: Any, globals_function: dict, line: int) -> Resource:
    if not isinstance(node, dict) or "Type" not in node:
        raise TemplateError(f"{template.where(line)}: resource {logical_id!r} has no 'Type'")
    rtype = str(node["Type"])
    props = _plain(node.get("Properties") or {})
    if rtype == template_cfn.LAMBDA_FUNCTION:
        _report_unemulated(template, logical_id, rtype, props, line)
        props = template_cfn.function_properties(template.where(line), logical_id, props)
        _check_code(template, logical_id, props, line)
        template.functions[logical_id] = FunctionDef(logical_id, props, (), line)
        return Resource(logical_id, rtype, props, line, node.get("Condition"))
    if rtype == FUNCTION_TYPE:
        props = _merge_globals(props, globals_function)
        events = tuple(EventSource(name, str((ev or {}).get("Type")), _plain((ev or {}).get("Properties") or {}),
                                   _line(ev, line))
                       for name, ev in (node.get("Properties") or {}).get("Events", {}).items())
        for ev in events:
            for key in sorted(set(ev.properties) - EVENT_PROPERTIES.get(ev.type, set(ev.properties))):
                template.warnings.append(f"{template.where(ev.line)}: function {logical_id!r} event {ev.name!r} "
                                         f"({ev.type}): {key} is not emulated by the harness (ignored)")
            if ev.type not in SUPPORTED_EVENT_TYPES:
                template.warnings.append(
                    f"{template.where(ev.line)}: function {logical_id!r} event {ev.name!r} of type {ev.type!r} is "
                    f"not supported by the harness yet (supported: {', '.join(sorted(SUPPORTED_EVENT_TYPES))}); "
                    f"it will never fire")
        _check_code(template, logical_id, props, line)
        template.functions[logical_id] = FunctionDef(logical_id, props, events, line)
    _report_unemulated(template, logical_id, rtype, props, line)
    return Resource(logical_id, rtype, props, line, node.get("Condition"))


def _check_code(template: Template, logical_id: str, props: dict, line: int) -> None:
    """A Python function needs Handler and CodeUri (or InlineCode); any other runtime is warned about by name."""
    runtime = str(props.get("Runtime", "python3.11"))
    if "Runtime" not in props and props.get("PackageType") != "Image":
        template.warnings.append(
            f"{template.where(line)}: function {logical_id!r} has no Runtime: AWS refuses a zip function without "
            f"one (`python -m harness lint` shows SAM's error); the harness runs it as python3.11")
    if props.get("PackageType") == "Image" or not runtime.startswith("python"):
        what = "a container image (PackageType: Image)" if props.get("PackageType") == "Image" else f"runtime {runtime}"
        template.warnings.append(
            f"{template.where(line)}: function {logical_id!r} is {what}: the harness runs Python handlers only; "
            f"mock it with `functions: {{{logical_id}: {{mock: {{response: ...}}}}}}` in the scenario (or "
            f"Simulation(functions=...)), or exclude it; unmocked, each invoke fails with UnsupportedRuntime")
        return
    if "Handler" not in props or ("CodeUri" not in props and "InlineCode" not in props):
        missing = "Handler" if "Handler" not in props else "CodeUri"
        raise TemplateError(f"{template.where(line)}: function {logical_id!r} has no {missing!r} "
                            f"(expected e.g. Handler: app.lambda_handler, CodeUri: src/)")


def _report_unemulated(template: Template, logical_id: str, rtype: str, props: dict, line: int) -> None:
    if rtype in ACCEPTED_NOT_EMULATED:
        return
    if rtype not in EMULATED:
        template.warnings.append(f"{template.where(line)}: resource {logical_id!r} of type {rtype} is not emulated "
                                 f"by the harness; it is not created")
        return
    for key in sorted(set(props) - EMULATED[rtype] - NOT_EMULATED_QUIET):
        template.warnings.append(f"{template.where(line)}: {logical_id}.{key} is not emulated by the harness "
                                 f"(ignored)")


LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


def _check_layers(template: Template) -> None:
    """A layer that is not a LayerVersion of this template cannot be loaded: say so (its code must be installed
    in the environment instead, e.g. Powertools from PyPI)."""
    for fid, fn in template.functions.items():
        for layer in fn.properties.get("Layers") or []:
            ref = layer.get("Ref") if isinstance(layer, dict) else None
            resource = template.resources.get(str(ref)) if ref is not None else None
            if resource is None or resource.type not in LAYER_TYPES:
                template.warnings.append(f"{template.where(fn.line)}: function {fid!r}: layer {layer!r} is not a "
                                         f"LayerVersion of this template; its code is not loaded (install what it "
                                         f"provides in the environment instead)")


DLQ_EVENT_TYPES = ("Schedule", "ScheduleV2", "EventBridgeRule", "CloudWatchEvent")


def implicit_resources(template: Template) -> dict[str, tuple[str, str]]:
    """Resources SAM generates that a template may reference: logical id -> (kind, owner's logical id), exactly
    those SAM's transform creates (tests/harness/sam/test_translator_agrees.py checks this against it).
    Kinds: rest_api, http_api, stage, url, role, version, alias (`Fn.Alias`, `Fn.Version` too), queue."""
    out: dict[str, tuple[str, str]] = {}
    events = [ev for fn in template.functions.values() for ev in fn.events]
    if any(ev.type == "Api" and "RestApiId" not in ev.properties for ev in events):
        out |= {"ServerlessRestApi": ("rest_api", ""), "ServerlessRestApiProdStage": ("stage", "Prod")}
    if any(ev.type == "HttpApi" and "ApiId" not in ev.properties for ev in events):
        out |= {"ServerlessHttpApi": ("http_api", ""), "ServerlessHttpApiApiGatewayDefaultStage": ("stage", "$default")}
    for fid, fn in template.functions.items():
        for ev in fn.events:  # a rule's or schedule's `DeadLetterConfig: {Type: SQS}`: SAM creates the queue
            dead_letter = ev.properties.get("DeadLetterConfig")
            if ev.type in DLQ_EVENT_TYPES and isinstance(dead_letter, dict) and "Arn" not in dead_letter and \
                    str(dead_letter.get("Type", "")).upper() == "SQS":
                out[str(dead_letter.get("QueueLogicalId") or f"{fid}{ev.name}Queue")] = ("queue", fid)
            if ev.type == "SNS" and ev.properties.get("SqsSubscription") is True:  # SAM's queue for the topic
                out[f"{fid}{ev.name}Queue"] = ("queue", fid)
        if "FunctionUrlConfig" in fn.properties:
            out[f"{fid}Url"] = ("url", fid)
        if "Role" not in fn.properties:
            out[f"{fid}Role"] = ("role", fid)
        alias = fn.properties.get("AutoPublishAlias")
        if isinstance(alias, str):
            out[f"{fid}.Version"] = ("version", fid)
            out[f"{fid}.Alias"] = out[f"{fid}Alias{alias}"] = ("alias", fid)
    for api in template.of_type("AWS::Serverless::Api"):
        stage = api.properties.get("StageName")  # an intrinsic StageName gives `<Api>Stage`, as SAM names it
        out[f"{api.logical_id}{stage if isinstance(stage, str) else ''}Stage"] = ("stage", stage)
    for api in template.of_type("AWS::Serverless::HttpApi"):
        out[f"{api.logical_id}ApiGatewayDefaultStage"] = ("stage", "$default")
    return {k: v for k, v in out.items() if k not in template.resources}


def _check_references(template: Template, raw: dict) -> None:
    names = set(template.resources) | set(template.parameters) | set(PSEUDO) | set(implicit_resources(template))

    def visit(node: Any, owner: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Ref":
                    _require(str(value), node, owner)
                elif key == "Fn::GetAtt":
                    target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                    _require(str(target), node, owner, resource_only=True)
                elif key == "Fn::Sub":
                    text = value[0] if isinstance(value, list) else value
                    local = set(value[1]) if isinstance(value, list) and len(value) > 1 else set()
                    for ref in re.findall(r"\$\{([^}!]+)\}", str(text)):
                        target = ref.split(".")[0]
                        if target not in local:
                            _require(target, node, owner)
                visit(value, owner)
        elif isinstance(node, list):
            for value in node:
                visit(value, owner)

    def _require(target: str, node: Any, owner: str, resource_only: bool = False) -> None:
        pool = (names - set(template.parameters)) if resource_only else names
        if target not in pool:
            raise TemplateError(f"{template.where(_line(node))}: resource {owner!r} refers to {target!r}, which is "
                                f"not a resource{'' if resource_only else ' or parameter'} of this template"
                                f"{closest(target, pool)}")

    for logical_id, node in raw["Resources"].items():
        visit(node.get("Properties") or {}, logical_id)
    for name, node in (raw.get("Outputs") or {}).items():
        visit(node, f"Outputs.{name}")


class Resolver:
    """Evaluates CloudFormation intrinsic functions against parameters and deployed resource attributes."""

    def __init__(self, template: Template, region: str, attributes: Callable[[str], dict]):
        self.template, self.region = template, region
        self._attributes = attributes  # logical id -> {"Ref": ..., "Arn": ..., ...}; deploys on demand
        self._conditions: dict[str, bool] | None = None  # inside `fixed()`: each condition's value, once known

    @contextlib.contextmanager
    def fixed(self) -> Iterator[None]:
        """Evaluate each named condition once inside the block, for a caller that only reads the template
        meanwhile (a deploy): a condition depends only on parameters, mappings and other conditions."""
        if self._conditions is not None:  # an outer block already holds them
            yield
            return
        self._conditions = {}
        try:
            yield
        finally:
            self._conditions = None

    def pseudo(self, name: str) -> Any:
        """Value of a pseudo parameter."""
        return {
            "AWS::Region": self.region, "AWS::AccountId": ACCOUNT_ID, "AWS::StackName": self.template.stack_name,
            "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": _NO_VALUE,
            "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{ACCOUNT_ID}:stack/{self.template.stack_name}/sim",
            "AWS::NotificationARNs": [],
        }[name]

    def ref(self, name: str) -> Any:
        """`!Ref name`."""
        if name in self.template.parameters:
            return self.template.parameters[name]
        if name in PSEUDO:
            return self.pseudo(name)
        return self._attributes(name)["Ref"]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        """`!GetAtt logical_id.attribute`."""
        attrs = self._attributes(logical_id)
        if attrs.get("unemulated") and attribute not in attrs:
            rtype = self.template.resources[logical_id].type
            raise TemplateError(f"{self.template.where(self.template.resources[logical_id].line)}: !GetAtt "
                                f"{logical_id}.{attribute}: {logical_id} is a {rtype}, which the harness does not "
                                f"emulate, so it has no {attribute} (only a placeholder Ref and Arn); give the "
                                f"value as a parameter instead")
        if attribute not in attrs:
            raise TemplateError(f"{self.template.path}: !GetAtt {logical_id}.{attribute}: unknown attribute "
                                f"{attribute!r}{closest(attribute, set(attrs) - {'Ref'})}; "
                                f"available: {', '.join(sorted(set(attrs) - {'Ref', 'unemulated'}))}")
        return attrs[attribute]

    def resolve(self, value: Any) -> Any:
        """Evaluate every intrinsic function inside `value`."""
        # Scalars inside a list or mapping are kept without a call of their own (most of a template's values):
        # the rest is resolved in order, as every creation it causes is recorded in that order.
        if isinstance(value, list):
            items = []
            for item in value:
                if item.__class__ not in _SCALARS:
                    item = self.resolve(item)
                    if item is _NO_VALUE:
                        continue
                items.append(item)
            return items
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            handler = _INTRINSICS.get(key)
            if handler is not None:
                return handler(self, arg)
            if key.startswith("Fn::"):
                raise TemplateError(f"{self.template.path}: intrinsic function {key} is not supported by the harness")
        out = {}
        for key, item in value.items():
            if item.__class__ not in _SCALARS:
                item = self.resolve(item)
                if item is _NO_VALUE:
                    continue
            out[key] = item
        return out

    def condition(self, name: str) -> bool:
        """Evaluate a named condition."""
        known = self._conditions
        if known is not None and name in known:
            return known[name]
        if name not in self.template.conditions:
            raise TemplateError(f"{self.template.path}: unknown condition {name!r}"
                                f"{closest(name, set(self.template.conditions))}")
        value = bool(self.resolve(self.template.conditions[name]))
        if known is not None:
            known[name] = value
        return value

    def _sub(self, arg: Any) -> str:
        text, local = (arg[0], self.resolve(arg[1]) if len(arg) > 1 else {}) if isinstance(arg, list) else (arg, {})

        def replace(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in local:
                return str(local[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return str(self.get_att(logical_id, attribute))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        return self.get_att(str(arg[0]), str(self.resolve(arg[1])))

    def _if(self, arg: list) -> Any:
        return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])

    def _find_in_map(self, arg: list) -> Any:
        name, top, second = (self.resolve(a) for a in arg)
        try:
            return self.template.mappings[name][top][second]
        except KeyError:
            raise TemplateError(f"{self.template.path}: Fn::FindInMap {name}/{top}/{second} not found") from None


_NO_VALUE = object()
_SCALARS = frozenset({str, int, float, bool, type(None)})  # what `Resolver.resolve` gives back as it is
_INTRINSICS: dict[str, Callable[[Resolver, Any], Any]] = {
    "Ref": lambda r, a: r.ref(str(a)),
    "Fn::GetAtt": Resolver._get_att,
    "Fn::Sub": Resolver._sub,
    "Fn::Join": lambda r, a: str(a[0]).join(str(v) for v in r.resolve(a[1])),
    "Fn::Select": lambda r, a: r.resolve(a[1])[int(r.resolve(a[0]))],
    "Fn::Split": lambda r, a: str(r.resolve(a[1])).split(str(a[0])),
    "Fn::If": Resolver._if,
    "Fn::Equals": lambda r, a: str(r.resolve(a[0])) == str(r.resolve(a[1])),
    "Fn::Not": lambda r, a: not r.resolve(a[0]),
    "Fn::And": lambda r, a: all(r.resolve(v) for v in a),
    "Fn::Or": lambda r, a: any(r.resolve(v) for v in a),
    "Condition": lambda r, a: r.condition(str(a)),
    "Fn::FindInMap": Resolver._find_in_map,
    "Fn::GetAZs": lambda r, a: [f"{r.region}a", f"{r.region}b", f"{r.region}c"],
    "Fn::Base64": lambda r, a: __import__("base64").b64encode(str(r.resolve(a)).encode()).decode(),
    "Fn::ToJsonString": lambda r, a: __import__("json").dumps(r.resolve(a)),
}
