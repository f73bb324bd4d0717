"""Function configuration as the Lambda runtime sees it (resolved from the SAM template)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import TemplateError
from harness.template import ACCOUNT_ID, FunctionDef


@dataclass(frozen=True)
class Destination:
    """An async destination or DLQ target: its type (SQS, SNS, Lambda, EventBridge) and ARN."""

    type: str
    arn: str


@dataclass(frozen=True)
class FunctionConfig:
    """Everything the runtime needs to run one function."""

    logical_id: str
    name: str
    handler: str
    code_dir: Path
    region: str = "us-east-1"
    runtime: str = "python3.11"
    timeout: float = 3.0
    memory: int = 128
    environment: dict = field(default_factory=dict)
    reserved_concurrency: int | None = None
    max_retry_attempts: int = 2
    max_event_age: int = 21600
    on_success: Destination | None = None
    on_failure: Destination | None = None
    dead_letter: Destination | None = None
    function_url_auth: str | None = None
    # A stand-in handler (harness.lambda_runtime.stubs): mocks and functions of runtimes the harness cannot run.
    stub: Any = None
    # Folders of the function's layers that hold Python code (a layer's `python/` folder), in order.
    layers: tuple[Path, ...] = ()
    recursive_loop: str = "Terminate"  # Lambda's recursive loop detection: Terminate (default) or Allow

    @property
    def arn(self) -> str:
        """The function's ARN."""
        return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{self.name}"


def destination_type(arn: str) -> str:
    """SQS, SNS, Lambda or EventBridge, from an ARN."""
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    return {"sqs": "SQS", "sns": "SNS", "lambda": "Lambda", "events": "EventBridge"}.get(service, service)


def from_template(fn: FunctionDef, name: str, resolve: Any, folder: Path, region: str,
                  where: str) -> FunctionConfig:
    """Build a FunctionConfig from a template function, resolving intrinsics with `resolve`."""
    props = fn.properties
    from harness.lambda_runtime import stubs
    runtime = str(resolve(props.get("Runtime", "python3.11")))
    if props.get("PackageType") == "Image" or not stubs.is_runnable(runtime):
        return stubs.unsupported(FunctionConfig(fn.logical_id, name, str(props.get("Handler", "-")), stubs.EMPTY_CODE,
                                                region=region, runtime=runtime))
    code_dir = (_inline_code(fn, resolve, folder) if "InlineCode" in props
                else (folder / str(resolve(props["CodeUri"]))).resolve())
    if not code_dir.is_dir():
        raise TemplateError(f"{where}: function {fn.logical_id!r} CodeUri {props['CodeUri']!r} is not a folder "
                            f"(looked for {code_dir})")
    env = {str(k): _env_str(v) for k, v in (resolve((props.get("Environment") or {}).get("Variables") or {})).items()}
    invoke_config = resolve(props.get("EventInvokeConfig") or {})
    destinations = invoke_config.get("DestinationConfig") or {}
    dlq = resolve(props.get("DeadLetterQueue") or {})
    url = props.get("FunctionUrlConfig")
    retries = int(invoke_config.get("MaximumRetryAttempts", 2))
    age = int(invoke_config.get("MaximumEventAgeInSeconds", 21600))
    if not 0 <= retries <= 2:
        raise TemplateError(f"{where}: {fn.logical_id}.EventInvokeConfig.MaximumRetryAttempts must be 0-2, got "
                            f"{retries}")
    if not 60 <= age <= 21600:
        raise TemplateError(f"{where}: {fn.logical_id}.EventInvokeConfig.MaximumEventAgeInSeconds must be "
                            f"60-21600, got {age}")
    reserved = props.get("ReservedConcurrentExecutions")
    recursive_loop = str(resolve(props.get("RecursiveLoop", "Terminate")))
    if recursive_loop not in ("Allow", "Terminate"):
        raise TemplateError(f"{where}: {fn.logical_id}.RecursiveLoop must be Allow or Terminate, got {recursive_loop!r}")
    return FunctionConfig(
        logical_id=fn.logical_id, name=name, handler=str(props["Handler"]), code_dir=code_dir, region=region,
        runtime=str(props.get("Runtime", "python3.11")), timeout=float(resolve(props.get("Timeout", 3))),
        memory=int(resolve(props.get("MemorySize", 128))), environment=env,
        reserved_concurrency=None if reserved is None else int(resolve(reserved)),
        max_retry_attempts=retries, max_event_age=age,
        on_success=_destination(destinations.get("OnSuccess")), on_failure=_destination(destinations.get("OnFailure")),
        dead_letter=Destination(str(dlq.get("Type", "SQS")), str(dlq["TargetArn"])) if dlq.get("TargetArn") else None,
        function_url_auth=str((url or {}).get("AuthType", "NONE")) if url is not None else None,
        recursive_loop=recursive_loop,
    )


def _inline_code(fn: FunctionDef, resolve: Any, folder: Path) -> Path:
    """`InlineCode`: written, as Lambda does, to the handler's module file in a build folder beside the template
    (like `sam build`'s .aws-sam), so tracebacks point at a stable path."""
    module = str(fn.properties["Handler"]).rpartition(".")[0] or "index"
    target = folder / ".aws-sam" / "harness-inline" / fn.logical_id
    target.mkdir(parents=True, exist_ok=True)
    source = target / f"{module.replace('.', '/')}.py"
    source.parent.mkdir(parents=True, exist_ok=True)
    code = str(resolve(fn.properties["InlineCode"]))
    if not source.is_file() or source.read_text(encoding="utf-8") != code:
        source.write_text(code, encoding="utf-8")
    return target.resolve()


def _destination(value: dict | None) -> Destination | None:
    if not value or not value.get("Destination"):
        return None
    arn = str(value["Destination"])
    return Destination(str(value.get("Type") or destination_type(arn)), arn)


def _env_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        import json
        return json.dumps(value)
    return "" if value is None else str(value)
