"""The Lambda runtime emulator: sync and async invoke, containers, timeouts, concurrency, logs."""
from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness import sandbox
from harness.errors import InputError
from harness.lambda_runtime import recursion
from harness.lambda_runtime.config import FunctionConfig
from harness.lambda_runtime.container import Container, ContainerPool
from harness.lambda_runtime.context import LambdaContext
from harness.lambda_runtime.logs import LogSink
from harness.lambda_runtime.report import report_line
from harness.lambda_runtime.runtime_errors import INIT_ERRORS
from harness.lambda_runtime.stack_text import stack_lines
from harness.sandbox import memory
from harness.scheduler import Scheduler, TaskKilled, current_task

ACCOUNT_CONCURRENCY = 1000
# Response values JSON gives back as they are (exact types: an IntEnum would come back an int): no round trip.
_JSON_SCALARS = (bool, int, float)


@dataclass(frozen=True)
class InvocationResult:
    """What one invocation did."""

    request_id: str
    function: str
    invocation_type: str
    status: str  # success | error | timeout | throttled | not_found | recursive_loop (stopped, never ran)
    payload: Any = None
    error: dict | None = None
    logs: tuple[str, ...] = ()
    started: float = 0.0
    ended: float = 0.0
    cold: bool = False
    container_id: str | None = None
    attempt: int = 1
    max_memory_used_mb: int | None = None  # measured (varies between runs): kept out of the trace and the logs

    @property
    def ok(self) -> bool:
        """True when the handler returned normally."""
        return self.status == "success"

    def aws_payload(self) -> Any:
        """The payload AWS returns for a sync invoke (the error document on failure)."""
        return self.payload if self.ok else self.error


@dataclass
class InvokeRequest:
    """One request to run a function (an attempt of an async event, or a sync call)."""

    function: str
    payload: Any
    invocation_type: str = "RequestResponse"
    request_id: str = ""
    attempt: int = 1
    meta: dict = field(default_factory=dict)


class LambdaRuntime:
    """Runs handler code in containers on the scheduler."""

    def __init__(self, scheduler: Scheduler, trace: Any, rng: random.Random, *, idle_lifetime: float = 900.0,
                 host_env: Callable[[], dict[str, str]], base_env: Callable[[], dict[str, str]]):
        self.scheduler, self.trace, self._rng = scheduler, trace, rng
        self.idle_lifetime = idle_lifetime
        self._host_env, self._base_env = host_env, base_env
        self.functions: dict[str, FunctionConfig] = {}
        self.pools: dict[str, ContainerPool] = {}
        self.in_flight: dict[str, int] = {}
        self.results: list[InvocationResult] = []
        self.invoked: Counter = Counter()  # invocations per function (the run's invocations budget counts them)
        self.hooks: list[Any] = []  # objects with optional before_invoke/after_init hooks (faults)
        self._containers = 0
        self.async_queue = None  # set by the simulation (harness.lambda_runtime.async_invoke.AsyncInvoker)

    # ------------------------------------------------------------------ registry
    def add_function(self, config: FunctionConfig) -> None:
        """Make a function invocable."""
        self.functions[config.name] = config
        self.pools[config.name] = ContainerPool(config, self.idle_lifetime)
        self.in_flight[config.name] = 0

    def function(self, name_or_arn: str) -> FunctionConfig | None:
        """Look a function up by name, ARN or logical id (qualifiers ignored)."""
        name = name_or_arn
        if name.startswith("arn:"):
            parts = name.split(":")
            name = parts[6] if len(parts) > 6 else parts[-1]
        name = name.split(":")[0]
        if name in self.functions:
            return self.functions[name]
        for config in self.functions.values():
            if config.logical_id == name:
                return config
        return None

    def require(self, name: str) -> FunctionConfig:
        """Like `function`, but a clear error for an unknown name."""
        config = self.function(name)
        if config is None:
            from harness.template import closest
            known = set(self.functions) | {c.logical_id for c in self.functions.values()}
            raise InputError(f"unknown function {name!r}{closest(name, known)}; known: {', '.join(sorted(known))}")
        return config

    def new_request_id(self) -> str:
        """A reproducible request id (a version-4 UUID's text, as `str(uuid.UUID(int=bits, version=4))` gives it)."""
        return _uuid4_text(self._rng.getrandbits(128))

    # ------------------------------------------------------------------ concurrency
    def throttled(self, config: FunctionConfig) -> bool:
        """True when one more concurrent invocation would exceed the function's or the account's limit."""
        limit = config.reserved_concurrency
        if limit is not None and self.in_flight[config.name] >= limit:
            return True
        return sum(self.in_flight.values()) >= ACCOUNT_CONCURRENCY

    def reserve(self, config: FunctionConfig) -> None:
        """Count one more invocation in flight."""
        self.in_flight[config.name] += 1

    # ------------------------------------------------------------------ execution (inside a task)
    def execute(self, config: FunctionConfig, request: InvokeRequest) -> InvocationResult:
        """Run the handler once, in the calling task; the caller has already reserved concurrency."""
        task = current_task()
        assert task is not None, "execute() runs inside a scheduler task"
        scheduler, trace, request_id = self.scheduler, self.trace, request.request_id
        started = scheduler.clock.elapsed()
        header, chain = recursion.next_header(recursion.incoming(request), config.arn, request_id,
                                              scheduler.clock.now())
        if chain > recursion.MAX_CHAIN and self._recursive_loop(config, request, chain):
            return self._stopped(config, request)
        meta = task.meta
        meta["function"], meta["request_id"] = config.name, request_id
        self.invoked[config.name] += 1
        sink = LogSink(lambda line: trace.record("log", function=config.name, request_id=request_id, message=line))
        meta["log"] = sink
        pool = self.pools[config.name]
        container = pool.acquire(scheduler.clock.now(), lambda: self._new_container(config))
        cold = container.handler is None
        # per invocation, as Lambda's runtime sets it (botocore sends it); set before the container is installed,
        # so installing it puts the new value in place with the others
        container.set_env("_X_AMZN_TRACE_ID", header)
        scheduler.enter_view(container)
        memory.begin(meta, config.memory, scheduler.gauge)
        trace.record("invoke_start", function=config.name, request_id=request_id, type=request.invocation_type,
                     attempt=request.attempt, cold=cold, container=container.id)
        sink.line(f"START RequestId: {request_id} Version: $LATEST")
        status, payload, error, reset = self._run(config, container, request, cold, task)
        ended = scheduler.clock.elapsed()
        used_mb = memory.end(meta)
        if error is not None:  # the runtime logs what the handler raised, as AWS's Python runtime does
            sink.write(f"[ERROR] {error['errorType']}: {error['errorMessage']}\n")  # may span lines
        sink.line(f"END RequestId: {request_id}")
        # the REPORT line is in the hashed trace: it states the estimate; the measured used_mb varies between runs,
        # so it stays out of the trace (whose JSON a seed reproduces) and goes on the InvocationResult only
        error_type = None if error is None else error.get("errorType")
        sink.line(report_line(request_id, (ended - started) * 1000, config.memory, None, 0.0 if cold else None,
                              status, error_type))
        sink.flush()
        del meta["log"]
        container.invocations += 1
        scheduler.enter_view(None)
        pool.release(container, scheduler.clock.now(), reset)
        self.in_flight[config.name] -= 1
        result = InvocationResult(request_id, config.name, request.invocation_type, status, payload, error,
                                  tuple(sink.lines), started, ended, cold, container.id, request.attempt, used_mb)
        self.results.append(result)
        trace.record("invoke_end", function=config.name, request_id=request_id, status=status, error=error_type,
                     attempt=request.attempt)
        return result

    def _recursive_loop(self, config: FunctionConfig, request: InvokeRequest, chain: int) -> bool:
        """Record a detected recursive loop; True when the function's RecursiveLoop setting stops it."""
        stop = config.recursive_loop != "Allow"
        if stop or chain == recursion.MAX_CHAIN + 1:  # Allow: recorded once per chain, as the loop goes on
            self.trace.record("recursive_loop", function=config.name, request_id=request.request_id, chain=chain,
                              action="terminated" if stop else "allowed", type=request.invocation_type)
        return stop

    def _stopped(self, config: FunctionConfig, request: InvokeRequest) -> InvocationResult:
        """The outcome of an invocation Lambda stopped before it ran (its concurrency is given back)."""
        self.in_flight[config.name] -= 1
        now = self.scheduler.clock.elapsed()
        result = InvocationResult(request.request_id, config.name, request.invocation_type, "recursive_loop", None,
                                  recursion.error_document(request.request_id), (), now, now, False, None,
                                  request.attempt)
        self.results.append(result)
        return result

    def _new_container(self, config: FunctionConfig) -> Container:
        self._containers += 1
        env = dict(self._base_env())
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": config.name, "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory), "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(config.timeout)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{config.name}", "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001", "LAMBDA_TASK_ROOT": str(config.code_dir),
            "_HANDLER": config.handler, "_X_AMZN_TRACE_ID": f"Root=1-00000000-{self._containers:024x}",
        })
        env.update(config.environment)
        return Container(config, f"{config.name}#{self._containers}", self.scheduler.clock.now(), env,
                         self._host_env)

    def _run(self, config: FunctionConfig, container: Container, request: InvokeRequest, cold: bool,
             task: Any) -> tuple[str, Any, dict | None, bool]:
        """(status, payload, error document, reset environment?)."""
        try:
            for hook in self.hooks:
                getattr(hook, "before_invoke", lambda *a: None)(config, container, request, cold)
            if container.handler is None:
                try:
                    container.init()
                except (TaskKilled, memory.OutOfMemory):
                    raise
                except BaseException as exc:  # noqa: BLE001 - an init failure is the invocation's outcome
                    if sandbox.is_exit(exc):
                        return "error", None, sandbox.exit_document(exc, request.request_id), True
                    return "error", None, _init_error_document(exc, request.request_id, config.handler), True
            deadline = self.scheduler.clock.now() + config.timeout
            self.scheduler.set_deadline(task, deadline)
            context = LambdaContext(request_id=request.request_id, config=config, deadline=deadline,
                                    clock=self.scheduler.clock,
                                    log_stream=f"2030/01/01/[$LATEST]{container.id.split('#')[1]:0>32}")
            event = _through_json(request.payload)
            value = container.handler(event, context)
            task.deadline = None
            if self.scheduler.gauge is not None:  # the handler's last step, up to its return
                self.scheduler.gauge.settle(task.meta)
            if value is None or type(value) in _JSON_SCALARS:  # JSON gives these back as they are, a few bytes
                return "success", value, None, False
            copy = _flat_json_copy(value)
            if copy is not None:
                return "success", copy, None, False
            try:
                text = json.dumps(value)  # ASCII (ensure_ascii): its length is its size in bytes
                too_large = sandbox.payloads.response_too_large(len(text), request.request_id)
                if too_large is not None:  # AWS's 6 MB limit on a response
                    return "error", None, too_large, False
                return "success", json.loads(text), None, False
            except (TypeError, ValueError) as exc:
                return "error", None, {"errorType": "Runtime.MarshalError",
                                       "errorMessage": f"Unable to marshal response: {exc}",
                                       "requestId": request.request_id, "stackTrace": []}, False
        except TaskKilled:
            task.deadline = None
            task.kill_reason = None
            message = (f"{self._iso()} {request.request_id} Task timed out after {config.timeout:.2f} seconds")
            return "timeout", None, {"errorType": "Sandbox.Timedout", "errorMessage": message,
                                     "requestId": request.request_id}, True
        except (MemoryError, memory.OutOfMemory):
            task.deadline = None
            task.meta["out_of_memory"] = True
            return "error", None, sandbox.out_of_memory_document(request.request_id), True
        except Exception as exc:  # noqa: BLE001 - the handler's error is the invocation's outcome
            task.deadline = None
            crash = getattr(exc, "harness_resets_environment", False)
            return "error", None, _error_document(exc, request.request_id), crash
        except BaseException as exc:
            if not sandbox.is_exit(exc):
                raise  # the harness stopping the thread (ThreadStopped), not the handler
            # sys.exit, KeyboardInterrupt, os._exit...: the runtime process ends; AWS reports Runtime.ExitError
            task.deadline = None
            return "error", None, sandbox.exit_document(exc, request.request_id), True

    def _iso(self) -> str:
        return self.scheduler.clock.datetime().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    # ------------------------------------------------------------------ sync invoke
    def spawn_invocation(self, config: FunctionConfig, request: InvokeRequest) -> Any:
        """Reserve concurrency and start a task that runs `request`; returns the task."""
        self.reserve(config)
        task = self.scheduler.spawn(lambda: self.execute(config, request),
                                    name=f"{config.name}:{request.request_id[:8]}")
        return task

    def invoke_sync(self, config: FunctionConfig, payload: Any, wait: Callable[[Any], Any],
                    trace_header: str | None = None) -> InvocationResult:
        """A RequestResponse invoke: throttled at once when concurrency is exhausted, else run in a new task
        that `wait(task)` blocks on (the driver's run_until_done, or a calling task's wait_for)."""
        request = InvokeRequest(config.name, payload, "RequestResponse", self.new_request_id(),
                                meta={"trace_header": trace_header} if trace_header else {})
        if self.throttled(config):
            return self.throttle_result(config, request)
        task = self.spawn_invocation(config, request)
        wait(task)
        if task.error is not None:
            raise task.error
        return task.result

    def throttle_result(self, config: FunctionConfig, request: InvokeRequest) -> InvocationResult:
        """The outcome of a throttled invocation (recorded in the trace)."""
        self.trace.record("throttle", function=config.name, request_id=request.request_id,
                          type=request.invocation_type)
        now = self.scheduler.clock.elapsed()
        result = InvocationResult(request.request_id, config.name, request.invocation_type, "throttled", None,
                                  {"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded.",
                                   "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
                                  (), now, now, False, None, request.attempt)
        self.results.append(result)
        return result

    # ------------------------------------------------------------------ container controls (faults, tests)
    def recycle(self, name: str) -> None:
        """Reclaim the function's idle containers."""
        self.pools[self.require(name).name].recycle()

    def containers(self, name: str) -> list[Container]:
        """Live containers of a function."""
        return list(self.pools[self.require(name).name].containers)


def _through_json(value: Any) -> Any:
    """A fresh copy of `value` as handler code receives it, `json.loads(json.dumps(value))`; values that JSON maps
    onto themselves (None, numbers, text, an empty object) skip the round trip, and a flat object of small scalars
    is copied item for item."""
    if value is None or type(value) in _JSON_SCALARS or type(value) is str:
        return value
    if type(value) is dict and not value:
        return {}
    copy = _flat_json_copy(value)
    return copy if copy is not None else json.loads(json.dumps(value))


_FLOAT_MAX, _INT64 = float("inf"), 2**63


def _flat_json_copy(value: Any) -> dict | None:
    """`json.loads(json.dumps(value))` for a flat object of small scalars (text keys; None, bool, finite float,
    64-bit int or text values), which JSON gives back item for item, when its JSON cannot be over the 6 MB response
    limit; None for anything else (the long way encodes it). The size is bounded without encoding: a character
    escapes to at most 12 (a surrogate pair), a number to at most 25."""
    if type(value) is not dict:
        return None
    bound = 2
    for key, item in value.items():
        kind = type(item)
        if type(key) is not str:
            return None
        if kind is str:
            bound += 12 * len(item) + 2
        elif item is None or kind is bool or (kind is float and -_FLOAT_MAX < item < _FLOAT_MAX) or (
                kind is int and -_INT64 <= item < _INT64):
            bound += 25
        else:
            return None
        bound += 12 * len(key) + 6  # its quotes, ": " and ", "
    if bound > sandbox.payloads.SYNC_PAYLOAD_LIMIT:
        return None
    return dict(value)


# A version-4 UUID: the variant bits (10) and the version nibble (4) over 122 random bits, as uuid.UUID sets them.
_UUID4_KEEP = ~((0xc000 << 48) | (0xf000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)


def _uuid4_text(bits: int) -> str:
    """`str(uuid.UUID(int=bits, version=4))`, without building the UUID."""
    text = f"{bits & _UUID4_KEEP | _UUID4_SET:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _error_document(exc: BaseException, request_id: str) -> dict:
    stack = stack_lines(exc.__traceback__)  # each code location formatted once
    return {"errorMessage": str(exc), "errorType": type(exc).__name__, "requestId": request_id, "stackTrace": stack}


def _init_error_document(exc: BaseException, request_id: str, handler: str) -> dict:
    """What AWS's Python runtime reports when importing the handler fails (awslambdaric's `_get_handler`): its own
    init errors (a handler setting without a module, a missing handler, an injected failure) as they are, an
    ImportError as Runtime.ImportModuleError and a SyntaxError as Runtime.UserCodeSyntaxError, each with the module
    named; anything else the init code raised as itself."""
    module = handler.rpartition(".")[0]
    if type(exc).__name__ in INIT_ERRORS:
        message, error_type, stack = str(exc), type(exc).__name__, []
    elif isinstance(exc, ImportError):
        message, error_type, stack = f"Unable to import module '{module}': {exc}", "Runtime.ImportModuleError", []
    elif isinstance(exc, SyntaxError):
        message, error_type = f"Syntax error in module '{module}': {exc}", "Runtime.UserCodeSyntaxError"
        stack = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
    else:
        return _error_document(exc, request_id)
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
