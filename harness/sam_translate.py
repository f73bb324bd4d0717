"""SAM template -> CloudFormation with AWS's own transform (aws-sam-translator), in process and offline.

The translator decides what SAM generates (`<Fn>Role`, `ServerlessRestApi` and its stage, event source mappings,
permissions, aliases and versions, Globals merging); `harness lint` and the differential test
(tests/harness/sam/test_translator_agrees.py) use it to check the harness's own reading of a template. It is not on
the simulation's hot path: importing samtranslator costs about 0.3 s of CPU and a transform about 25 ms (see
docs/sam.md and bench/sam_translate_bench.py), so `translate` caches one result per template file, parameters and
modification time.

Offline by construction: a boto3 session with a fixed region and dummy credentials (the translator reads only its
region), the managed-policy map bundled with the translator (no IAM ListPolicies call), a Serverless Application
Repository client that refuses to be created, and metrics published to the translator's dummy publisher. Local code
paths (`CodeUri: src/`) are replaced by placeholder S3 URIs first, as `sam validate` does: the real transform only
ever sees packaged templates.
"""
from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import TemplateError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
REGION = "us-east-1"
PLACEHOLDER_BUCKET = "harness-local-artifacts"
# Properties that name local files: `sam package` uploads them before CloudFormation runs the transform.
LOCAL_ARTIFACTS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri",
                   "AWS::Serverless::Api": "DefinitionUri", "AWS::Serverless::HttpApi": "DefinitionUri",
                   "AWS::Serverless::StateMachine": "DefinitionUri", "AWS::Serverless::Application": "Location"}


@dataclass(frozen=True)
class Problem:
    """One error of the transform, located in the template."""

    line: int
    message: str


@dataclass(frozen=True)
class Translation:
    """A template after SAM's transform: its CloudFormation resources (the template itself without the transform)."""

    path: Path
    resources: dict[str, dict]
    transformed: bool

    def of_type(self, *types: str) -> dict[str, dict]:
        """Resources of the given CloudFormation types, by logical id."""
        return {lid: r for lid, r in self.resources.items() if r.get("Type") in types}

    def properties(self, logical_id: str) -> dict:
        """A resource's Properties ({} when it has none or does not exist)."""
        return (self.resources.get(logical_id) or {}).get("Properties") or {}

    def route_operation(self, api_id: str, event_type: str, properties: dict) -> dict | None:
        """An Api/HttpApi event's operation in the definition SAM generated for its API (None when there is none)."""
        body = self.properties(api_id).get("Body")
        method = str(properties.get("Method") or "").lower()
        path = str(properties.get("Path") or "")
        if event_type == "HttpApi" and not path and not method:
            path, method = "$default", "any"
        method = "x-amazon-apigateway-any-method" if method == "any" else method
        operation = ((body.get("paths") or {}).get(path) or {}).get(method) if isinstance(body, dict) else None
        return operation if isinstance(operation, dict) else None


OFFLINE_APPLICATION = ("AWS::Serverless::Application from the Serverless Application Repository cannot be fetched "
                       "offline: give a local template Location instead")
_QUIET = logging.NullHandler()


class _OfflineSarClient(Exception):
    """Raised instead of creating a Serverless Application Repository client."""


def translate(path: str | Path, parameters: dict[str, Any] | None = None) -> Translation:
    """The template's CloudFormation as AWS's transform produces it; TemplateError (file:line, one line) if the
    transform refuses it."""
    path = Path(path).resolve()
    outcome = _outcome(path, parameters)
    if isinstance(outcome, Translation):
        return outcome
    first, *rest = outcome
    more = f" (and {len(rest)} more: run `python -m harness lint {path}`)" if rest else ""
    raise TemplateError(f"{path}:{first.line}: SAM transform: {first.message}{more}")


def refusal(path: str | Path, parameters: dict[str, Any] | None = None) -> TemplateError | None:
    """The transform's TemplateError for this template, or None when it translates."""
    try:
        translate(path, parameters)
    except TemplateError as exc:
        return exc
    return None


def problems(path: str | Path, parameters: dict[str, Any] | None = None) -> list[Problem]:
    """Every error the transform reports for the template, located ([] when it translates)."""
    outcome = _outcome(Path(path).resolve(), parameters)
    return [] if isinstance(outcome, Translation) else list(outcome)


def _outcome(path: Path, parameters: dict[str, Any] | None) -> Translation | tuple[Problem, ...]:
    """The cached transform of this version of the file with these parameters."""
    if not path.is_file():
        raise TemplateError(f"{path}: template not found (expected a SAM template.yaml file)")
    stat = path.stat()
    key = tuple(sorted((str(k), str(v)) for k, v in (parameters or {}).items()))
    return _cached(str(path), stat.st_mtime_ns, stat.st_size, key)


@functools.lru_cache(maxsize=64)
def _cached(path: str, _mtime: int, _size: int, parameters: tuple) -> Translation | tuple[Problem, ...]:
    from harness.template import plain, read_marked
    marked = read_marked(Path(path))
    template = plain(marked)
    transforms = template.get("Transform") or []
    if SAM_TRANSFORM not in (transforms if isinstance(transforms, list) else [transforms]):
        return _untransformed(Path(path), marked, template)
    _package_locally(template)
    errors = _repository_applications(template) or _run_transform(template, dict(parameters))
    if isinstance(errors, dict):
        return Translation(Path(path), errors["Resources"], transformed=True)
    return tuple(_locate(marked, cause) for cause in errors)


def _untransformed(path: Path, marked: dict, template: dict) -> Translation | tuple[Problem, ...]:
    """A template without the SAM transform is its own CloudFormation, unless it declares SAM resources, which
    CloudFormation refuses ("Unrecognized resource types")."""
    serverless = [lid for lid, r in template["Resources"].items()
                  if isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::Serverless::")]
    if not serverless:
        return Translation(path, template["Resources"], transformed=False)
    lid = serverless[0]
    return (_locate(marked, _Message(f"{lid} is an {template['Resources'][lid]['Type']}, which CloudFormation only "
                                     f"accepts in a template with `Transform: {SAM_TRANSFORM}`", lid)),)


def _package_locally(template: dict) -> None:
    """Local artifact paths become placeholder S3 URIs (what `sam package` would upload); the rest is untouched."""
    sections = [template.get("Resources") or {}]
    globals_sections = template.get("Globals") if isinstance(template.get("Globals"), dict) else {}
    for section, rtype in (("Function", "AWS::Serverless::Function"), ("Api", "AWS::Serverless::Api"),
                           ("HttpApi", "AWS::Serverless::HttpApi")):
        globals_section = globals_sections.get(section)
        if isinstance(globals_section, dict):
            sections.append({f"Globals.{section}": {"Type": rtype, "Properties": globals_section}})
    for resources in sections:
        for resource in resources.values():
            if not isinstance(resource, dict):
                continue
            key = LOCAL_ARTIFACTS.get(str(resource.get("Type")))
            props = resource.get("Properties")
            if key and isinstance(props, dict) and isinstance(props.get(key), str) and "://" not in props[key]:
                props[key] = f"s3://{PLACEHOLDER_BUCKET}/{props[key].strip('/') or 'root'}"


def _repository_applications(template: dict) -> list:
    """Applications from the Serverless Application Repository: the transform would fetch them, offline is no."""
    return [_Message(OFFLINE_APPLICATION, logical_id) for logical_id, r in template["Resources"].items()
            if isinstance(r, dict) and r.get("Type") == "AWS::Serverless::Application"
            and isinstance((r.get("Properties") or {}).get("Location"), dict)]


def _run_transform(template: dict, parameters: dict) -> dict | list:
    """The transformed template, or the transform's error causes."""
    import boto3
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
    from samtranslator.translator.translator import Translator

    def no_sar_client() -> Any:  # never reached (_repository_applications refuses them first): a safety net
        raise _OfflineSarClient(OFFLINE_APPLICATION)

    logging.getLogger("samtranslator").addHandler(_QUIET)  # its plugins log errors we report ourselves

    session = boto3.session.Session(region_name=REGION, aws_access_key_id="testing",
                                    aws_secret_access_key="testing")
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(None, Parser(), plugins=[ServerlessAppPlugin(sar_client_creator=no_sar_client)],
                            boto_session=session, metrics=metrics)
    try:
        return translator.translate(template, parameter_values=parameters, get_managed_policy_map=dict)
    except InvalidDocumentException as exc:
        return list(exc.causes)
    except _OfflineSarClient as exc:
        return [_Message(str(exc), None)]
    except Exception as exc:  # noqa: BLE001 - the transform crashing on odd input is still the input's error
        return [_Message(f"AWS's transform stopped on {type(exc).__name__}: {exc}", None)]
    finally:
        metrics.publish()


@dataclass(frozen=True)
class _Message:
    """An error found outside the translator's own exceptions, named like them."""

    message: str
    _logical_id: str | None


def _locate(marked: dict, cause: Any) -> Problem:
    """The cause's message with the line of what it names: the resource, its event, its property, or Globals."""
    message = " ".join(str(getattr(cause, "message", cause)).split())
    resources = marked["Resources"]
    logical_id = getattr(cause, "_logical_id", None)
    if isinstance(logical_id, list):
        logical_id = logical_id[0] if logical_id else None
    if logical_id is None:
        named = [n for n in re.findall(r"\[([^\]]+)\]", message) if n in resources or n == "Globals"]
        logical_id = named[0] if named else None
    if logical_id == "Globals" or (logical_id is None and "Globals" in message and "Globals" in marked):
        return Problem(_globals_line(marked, message), message)
    owner, event = _owner(resources, logical_id)
    if owner is None:  # a message about the template's structure: the first resource that is not a mapping
        odd = [key for key, node in resources.items() if not isinstance(node, dict)]
        return Problem(_key_line(resources, odd[0]) if odd else _key_line(marked, "Resources"), message)
    props = (resources[owner].get("Properties") if isinstance(resources[owner], dict) else None) or {}
    events = props.get("Events") if isinstance(props, dict) else None
    named_event = re.search(r"Event with id \[([^\]]+)\]", message)
    event = named_event.group(1) if named_event else event
    if event and isinstance(events, dict) and event in events:
        return Problem(_key_line(events, event), message)
    for key in props if isinstance(props, dict) else ():
        if f"'{key}'" in message or f"property {key}" in message or f"[{key}]" in message:
            return Problem(_key_line(props, key), message)
    return Problem(_key_line(resources, owner), message)


def _owner(resources: dict, logical_id: str | None) -> tuple[str | None, str | None]:
    """The template resource (and event) a logical id belongs to: itself, or the function and event whose
    generated resource it is (`WorkerJobs` is event Jobs of Worker), or the longest resource id it extends."""
    if logical_id is None:
        return None, None
    if logical_id in resources:
        return logical_id, None
    for owner, node in resources.items():
        events = ((node or {}).get("Properties") or {}).get("Events") if isinstance(node, dict) else None
        for event in events if isinstance(events, dict) else ():
            if logical_id.startswith(f"{owner}{event}"):
                return owner, str(event)
    prefixes = [owner for owner in resources if logical_id.startswith(owner)]
    return (max(prefixes, key=len), None) if prefixes else (None, None)


def _globals_line(marked: dict, message: str) -> int:
    """Line of the Globals property the message quotes, else of `Globals:` itself."""
    sections = marked.get("Globals")
    named = re.search(r"'([^']+)' is not a supported property", message)
    for section in sections.values() if isinstance(sections, dict) else ():
        for key in section if isinstance(section, dict) else ():
            if (named and key == named.group(1)) or (not named and f"'{key}'" in message):
                return _key_line(section, key)
    return _key_line(marked, "Globals")


def _key_line(mapping: dict, key: str) -> int:
    """Line of a mapping key as written (1 when the mapping has no marks)."""
    for candidate, value in mapping.items():
        if candidate == key:
            mark = getattr(candidate, "start_mark", None) or getattr(value, "start_mark", None)
            return mark.line + 1 if mark is not None else 1
    return 1
