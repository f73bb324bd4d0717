"""The public API: one deterministic simulation of a SAM application.

    with Simulation(template="handlers/twin/template.yaml", seed=7) as sim:
        sim.invoke("Dispatcher", {"iotDeviceId": "d1"}, type="Event")
        sim.run_until_idle()
        print(sim.trace.format())
"""
from __future__ import annotations

import dataclasses
import json
import os
import random
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

from harness import sandbox
from harness.affinity import CorePin
from harness.aws import direct as _direct
from harness.aws import router as _router
from harness.aws.backend import Backend, create_backend
from harness.aws.deploy import Deployer
from harness.aws.wire import aws_response
from harness.clock import RealTimeClock, TimePatch, VirtualClock, real_monotonic
from harness.errors import InputError, SimulationError, TemplateError, TemplateWarning
from harness.lambda_runtime import recursion
from harness.lambda_runtime.async_invoke import AsyncInvoker, encode
from harness.lambda_runtime.config import Destination, FunctionConfig, from_template
from harness.lambda_runtime.environ import swap_environ as _swap_environ
from harness.lambda_runtime.logs import LogCapture
from harness.lambda_runtime.runtime import InvocationResult, LambdaRuntime
from harness.lambda_runtime.usage import UsagePatch
from harness.safety import safe_environment
from harness.sandbox import memory
from harness.sandbox import threads as _sandbox_threads
from harness.sandbox.budgets import Budgets, Meter
from harness.sandbox.interrupts import shielded
from harness.sandbox.progress import RunProgress
from harness.scheduler import Scheduler, current_task, pooled_threads
from harness.template import Template, load_template
from harness.trace import Trace

_active: Simulation | None = None
_CLIENTS: dict[tuple, Any] = {}  # harness-internal clients, reused across simulations (they survive moto resets)
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


class Extension(Protocol):
    """Something that plugs into a simulation's lifecycle (event sources, the HTTP gateway, fault plans)."""

    def before_deploy(self, sim: Simulation) -> None: ...

    def after_deploy(self, sim: Simulation) -> None: ...

    def stop(self, sim: Simulation) -> None: ...


# Factories called for every simulation (event sources register themselves here).
EXTENSIONS: list[Callable[[Simulation], Extension]] = []


def register_extension(factory: Callable[[Simulation], Extension]) -> Callable[[Simulation], Extension]:
    """Add an extension created for every simulation."""
    EXTENSIONS.append(factory)
    return factory


def active_simulation() -> Simulation | None:
    """The running simulation, if any."""
    return _active


class Simulation:
    """A deterministic simulation: virtual clock, seeded scheduler, backend, Lambda runtime and trace."""

    def __init__(self, template: str | Path | None = None, *, seed: int = 0, start: Any = None,
                 backend: str | Backend = "moto", parameters: dict | None = None, region: str = "us-east-1",
                 idle_lifetime: float = 900.0, watchdog_seconds: float = 30.0, stack_name: str | None = None,
                 extensions: Iterable[Extension] = (), max_real_seconds: float | None = None,
                 faults: Any = None, functions: Mapping[str, Any] | None = None, strict: bool | None = None,
                 budgets: Budgets | Mapping[str, Any] | None = None, validate: bool | None = None):
        self.seed = int(seed)
        self.region = region
        self.template: Template | None = (
            load_template(template, parameters, stack_name) if template is not None else None)
        _validate(self.template, parameters, validate)
        self.backend: Backend = create_backend(backend)
        # A backend whose timers follow the wall clock (LocalStack) makes the whole simulation real-time.
        self.real_time = bool(getattr(self.backend, "real_clock", False))
        self.clock = RealTimeClock(max_real_seconds) if self.real_time else VirtualClock(start)
        self.rng = random.Random(self.seed)
        self.trace = Trace(self.clock)
        self.scheduler = Scheduler(self.clock, random.Random(f"{self.seed}:schedule"), watchdog_seconds)
        self.budgets = Budgets.coerce(budgets)  # wall, virtual time, steps, invocations (harness/sandbox/budgets.py)
        self._host_env: dict[str, str] = {}
        self._endpoints: tuple[dict | None, tuple] = (None, ())  # (host environment, its AWS_ENDPOINT_URL*s)
        self.runtime = LambdaRuntime(self.scheduler, self.trace, random.Random(f"{self.seed}:ids"),
                                     idle_lifetime=idle_lifetime, host_env=lambda: self._host_env,
                                     base_env=lambda: self._host_env)
        self.async_invoker = AsyncInvoker(self.runtime, self._deliver)
        self.runtime.async_queue = self.async_invoker
        self.router = _router.Router(self.backend, self.scheduler, self.trace, self._route_invoke)
        self.deployer: Deployer | None = None
        # The active fault plan (`faults=`: a FaultPlan or a list of rule dicts) and its seams (harness/faults).
        from harness.faults import FaultPlan
        from harness.faults.seams import FaultsExtension
        self.faults = FaultPlan.coerce(faults)
        self._fault_seams = FaultsExtension(self)
        self.extensions: list[Extension] = [self._fault_seams, *extensions]
        self.function_url: Callable[[str], str] = lambda name: f"http://127.0.0.1/lambda-url/{name}/"
        self._saved_env: dict[str, str] = {}
        self._time = TimePatch(self.clock, self._sleep, self._skew)
        self._pin = CorePin()
        self._logs = LogCapture()
        self._usage = UsagePatch()
        self._seal: sandbox.Seal | None = None
        self._started = False
        self.warnings: list[str] = list(self.template.warnings) if self.template else []
        # Stand-ins for functions (`{Name: {mock: {...}}}` or {Name: FunctionMock}); see lambda_runtime/stubs.py.
        self._mocks = _function_mocks(self.template, functions or {})
        # A mocked function's runtime warning is answered by its mock.
        self.warnings = [w for w in self.warnings if not any(f"function {lid!r} is " in w for lid in self._mocks)]
        _announce(self.template, self.warnings, strict)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, *, deploy_only: bool = False) -> Self:
        """Start the backend, patch time and networking, deploy the template and activate the extensions (event
        sources, the fault plan). `deploy_only=True` stops before activating them: a snapshot to fork runs from
        (harness/runner/snapshot.py), finished with `reseed` and `activate`."""
        global _active
        sandbox.refuse_if_poisoned()
        if _active is not None:
            raise SimulationError("another Simulation is already running in this process; stop it first")
        _router.install()
        _active = self
        self._started = True
        self._pin.hold(pooled_threads())  # one thread runs at a time: keep them on one core (harness/affinity.py)
        try:
            self._saved_env = dict(os.environ)
            self.backend.start(self.seed)
            self._name_endpoint_port()
            self._host_env = safe_environment(self._saved_env, self.region, self.backend.environment())
            if getattr(self.backend, "notice", ""):
                self.warnings.append(self.backend.notice)
            _swap_environ(self._host_env)
            import boto3
            boto3.DEFAULT_SESSION = _router.shared_session()  # has the router's hooks; reused across runs
            self._time.start()
            # Library code draws from the global RNG too (botocore's retry jitter): seed it, restore it at stop.
            self._saved_random = random.getstate()
            seed_global_random(self.seed)
            self._logs.install()
            self._usage.install()
            self.scheduler.on_resume.append(self._logs.ensure)
            self._seal = sandbox.seal(self._refused, self._saved_env)
            self.scheduler.meter = Meter(self.budgets, self.clock, real_monotonic, self.runtime.invoked,
                                         self.trace.record)
            self.scheduler.meter.progress = RunProgress(self.template.folder.name if self.template else "simulation")
            gauge = memory.Gauge()  # opened per simulation: a forked worker reads its own /proc/self
            self.scheduler.gauge = gauge if gauge.available else None
            _router.activate(self.router)
            self.extensions += [factory(self) for factory in EXTENSIONS]
            for extension in self.extensions:
                getattr(extension, "before_deploy", lambda sim: None)(self)
            self._deploy()
        except BaseException:
            self.stop()
            raise
        return self if deploy_only else self.activate()

    def activate(self) -> Self:
        """Activate the extensions of a deployed simulation (what `start` does after deploying)."""
        try:
            for extension in self.extensions:
                getattr(extension, "after_deploy", lambda sim: None)(self)
        except BaseException:
            self.stop()
            raise
        return self

    def suspend(self) -> None:
        """Quiesce a deployed simulation before `os.fork`: extensions close what runs in threads (the gateway's
        servers); `resume` in the forked process opens them again."""
        for extension in self.extensions:
            getattr(extension, "suspend", lambda sim: None)(self)

    def resume(self) -> None:
        """In a process forked from a suspended simulation: extensions reopen what `suspend` closed."""
        for extension in self.extensions:
            getattr(extension, "resume", lambda sim: None)(self)

    def _streams(self, seed: int) -> list[tuple[random.Random, object]]:
        """The simulation's own generators and what each is seeded with for `seed`."""
        return [(self.rng, seed), (self.scheduler.rng, f"{seed}:schedule"), (self.runtime._rng, f"{seed}:ids")]

    def reseed(self, seed: int, faults: Any = None) -> None:
        """Give a simulation started with `deploy_only=True` the seed `seed` and fault plan `faults`, as if it had
        been created with them; SimulationError when something already drew from its generators."""
        from harness.faults import FaultPlan
        plan = FaultPlan.coerce(faults)
        drawn = [str(value) for rng, value in self._streams(self.seed)
                 if rng.getstate() != random.Random(value).getstate()]
        if drawn:
            raise SimulationError(f"the simulation already drew from its generator(s) {', '.join(drawn)}")
        for rng, value in self._streams(seed):
            rng.seed(value)
        self.seed = int(seed)
        seed_global_random(self.seed)
        self.faults = self._fault_seams.http.plan = plan

    def _name_endpoint_port(self) -> None:
        # A backend served on an ephemeral loopback port (moto-server): handler code may log its endpoint, and
        # the trace must not differ between runs of one seed. Gateway ports are named by the gateway.
        where = urlsplit(getattr(self.backend, "endpoint", "") or "")
        if where.port:
            self.trace.stable_name(f"{where.hostname}:{where.port}", f"{where.hostname}:<{self.backend.name}-port>")

    def stop(self) -> None:
        """Undo everything start() did (safe to call twice, never left half done by SIGINT/SIGTERM); raises
        SimulationError when a thread handler code started could not be stopped."""
        global _active
        if not self._started:
            return
        self._started = False
        survivors: list[str] = []
        with shielded():
            try:
                self.scheduler.shutdown()  # no handler code runs past this point
                survivors = sandbox.release(self._seal) if self._seal is not None else []
                self._seal = None
                self._stop_parts()
                if not survivors:  # a live handler thread must never see the outer environment
                    _swap_environ(self._saved_env)
            finally:
                self._pin.release(pooled_threads())
                _active = None
        if survivors:
            raise SimulationError(f"handler thread(s) {', '.join(survivors)} could not be stopped when the "
                                  f"simulation ended; this process refuses further simulations")

    def _stop_parts(self) -> None:
        for extension in reversed(self.extensions):
            try:
                getattr(extension, "stop", lambda sim: None)(self)
            except Exception as exc:  # noqa: BLE001 - stopping must finish whatever one extension does
                self.warnings.append(f"extension {type(extension).__name__} failed to stop: {exc}")
        _router.activate(None)
        if self.scheduler.meter is not None and self.scheduler.meter.progress is not None:
            self.scheduler.meter.progress.stop()
        if self.scheduler.gauge is not None:
            self.scheduler.gauge.close()
            self.scheduler.gauge = None
        self._logs.uninstall()
        self._usage.uninstall()
        try:
            self._time.stop()
        except IndexError:
            pass
        if getattr(self, "_saved_random", None) is not None:
            random.setstate(self._saved_random)
            self._saved_random = None
        self.backend.stop()

    def _deploy(self) -> None:
        if self.template is None:
            return
        self.deployer = Deployer(self.template, self.region, self.client, lambda name: self.function_url(name))
        with _router.internal(), self.deployer.deploying():
            self.deployer.deploy_all()
            resolve = self.deployer.resolver.resolve
            for logical_id, fn in self.template.functions.items():
                if not self.deployer.enabled(logical_id):
                    continue
                name = self.deployer.function_name(logical_id)
                config = from_template(fn, name, resolve, self.template.folder, self.region,
                                       self.template.where(fn.line))
                if fn.properties.get("Layers"):
                    config = dataclasses.replace(config, layers=self.deployer.layers(logical_id))
                if logical_id in self._mocks:
                    config = self._mocks[logical_id].apply(config, self.template.where(fn.line))
                self.runtime.add_function(config)
        self.trace.record("deployed", functions=sorted(self.runtime.functions),
                          resources=len(self.deployer.attrs))

    # ------------------------------------------------------------------ clients and resources
    def client(self, service: str) -> Any:
        """A boto3 client for setup and inspection; its calls are not faulted and do not yield."""
        if self._endpoints[0] is not self._host_env:  # read once per host environment, not per call
            self._endpoints = (self._host_env, tuple(sorted(
                (k, v) for k, v in self._host_env.items() if k.startswith("AWS_ENDPOINT_URL"))))
        key = (service, self.region, self._endpoints[1])
        if key not in _CLIENTS:
            from botocore.config import Config
            # Created while os.environ is the simulation's host environment: botocore picks the backend's
            # endpoint variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) from it.
            _CLIENTS[key] = _InternalClient(_router.shared_session().client(
                service, region_name=self.region, config=Config(retries={"total_max_attempts": 1})))
        return _CLIENTS[key]

    def add_faults(self, rules: Any) -> list:
        """Add fault rules (dicts as in `faults=`) to the active plan; they apply from now on."""
        return self.faults.add(rules)

    @property
    def http_mock(self) -> Any:
        """The `responses.RequestsMock` third-party HTTP endpoints (Twilio, ...) are declared on."""
        return self._fault_seams.http.mock

    def add_function(self, config: FunctionConfig) -> None:
        """Register a function that is not in the template."""
        self.runtime.add_function(config)

    def resource(self, logical_id: str) -> dict:
        """Attributes of a deployed resource (`Ref`, `Arn`, `QueueUrl`, ...)."""
        if self.deployer is None or logical_id not in self.deployer.attrs:
            from harness.template import closest
            known = set(self.deployer.attrs) if self.deployer else set()
            raise InputError(f"unknown resource {logical_id!r}{closest(logical_id, known)}")
        return self.deployer.attrs[logical_id]

    def queue_url(self, name_or_logical_id: str) -> str:
        """URL of a queue given its logical id, name or ARN."""
        if self.deployer and name_or_logical_id in self.deployer.attrs:
            return self.deployer.attrs[name_or_logical_id]["QueueUrl"]
        if self.deployer and name_or_logical_id in self.deployer.queue_urls:
            return self.deployer.queue_urls[name_or_logical_id]
        name = name_or_logical_id.rsplit(":", 1)[-1]
        return self.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]

    # ------------------------------------------------------------------ driving
    @property
    def now(self) -> float:
        """Virtual seconds since the start."""
        return self.clock.elapsed()

    def invoke(self, function: str, payload: Any = None, type: str = "RequestResponse") -> Any:
        """Invoke a function: RequestResponse returns its InvocationResult (running the simulation until it
        finishes), Event returns the request id at once, DryRun returns None."""
        if type not in INVOCATION_TYPES:
            raise InputError(f"invocation type {type!r} is not one of {', '.join(INVOCATION_TYPES)}")
        config = self.runtime.require(function)
        payload = {} if payload is None else payload
        too_large = sandbox.payloads.request_too_large(sandbox.payloads.size_of(payload), type)
        if too_large is not None:
            raise InputError(f"RequestTooLargeException: {too_large}")
        if type == "DryRun":
            return None
        if type == "Event":
            return self.async_invoker.submit(config, payload)
        return self.runtime.invoke_sync(config, payload, self.scheduler.run_until_done)

    def run_until_idle(self, max_virtual_seconds: float | None = 7 * 86400) -> Simulation:
        """Run until nothing but idle background work (pollers, schedules) remains."""
        self.scheduler.run_until_idle(max_virtual_seconds)
        return self

    def advance(self, seconds: float) -> Simulation:
        """Run everything due in the next `seconds` of virtual time."""
        self.scheduler.run_until(self.clock.now() + seconds)
        return self

    def run_until(self, elapsed: float) -> Simulation:
        """Run until `elapsed` virtual seconds since the start."""
        self.scheduler.run_until(self.clock.start + elapsed)
        return self

    @property
    def invocations(self) -> list[InvocationResult]:
        """Every invocation that ran (or was throttled), in order."""
        return list(self.runtime.results)

    def logs(self, function: str | None = None) -> list[str]:
        """Log lines of every invocation (of one function)."""
        name = self.runtime.require(function).name if function else None
        return [line for r in self.runtime.results if name in (None, r.function) for line in r.logs]

    # ------------------------------------------------------------------ event sources (harness/sources)
    def send_message(self, queue: str, body: Any, delay_seconds: int = 0, attributes: dict | None = None,
                     group_id: str | None = None) -> str:
        """Send a message to a queue (logical id, name, URL or ARN); returns its MessageId."""
        return _sources.of(self).send_message(queue, body, delay_seconds, attributes, group_id)

    def put_events(self, entries: list[dict]) -> list[str]:
        """Put events on their buses (boto3's entry shape; Detail may be a dict); returns the EventIds."""
        return _sources.of(self).put_events(entries)

    def put_event(self, *, source: str, detail_type: str, detail: Any = None, bus: str = "default") -> str:
        """Put one event; returns its EventId."""
        return self.put_events([{"Source": source, "DetailType": detail_type, "Detail": detail or {},
                                 "EventBusName": bus}])[0]

    def fire_schedule(self, function_or_event_name: str) -> None:
        """Fire a schedule now (by function, event name or `Function.Event`)."""
        _sources.of(self).fire_schedule(function_or_event_name)

    def http(self, method: str, path: str, body: Any = None, headers: dict | None = None, query: dict | None = None,
             function_url: str | None = None) -> Any:
        """An HTTP request through the loopback gateway (REST API path, full URL, or a function's URL)."""
        return _sources.of(self).http(method, path, body, headers, query, function_url)

    def webhook(self, url_or_path: str, params: Any, auth_token: str | None = None, kind: str = "twilio",
                **options: Any) -> Any:
        """Send a Twilio-style (or JSON) webhook through the gateway, with the provider's retries."""
        return _sources.of(self).webhook(url_or_path, params, auth_token=auth_token, kind=kind, **options)

    @property
    def gateway_url(self) -> str:
        """Base URL of the loopback HTTP gateway."""
        return _sources.of(self).gateway.url

    # ------------------------------------------------------------------ hooks
    def _sleep(self, seconds: float) -> None:
        if current_task() is not None:
            self.scheduler.sleep(seconds)
        elif _sandbox_threads.owned():
            _sandbox_threads.sleep(seconds)
        else:
            from harness.clock import real_sleep
            real_sleep(seconds)

    @staticmethod
    def _skew() -> float:
        task = current_task()
        if task is None:
            return 0.0
        return task.skew + getattr(task.view, "skew", 0.0)

    def _refused(self, message: str) -> None:
        self.router.refusals.append(message)
        self.trace.record("refused", message=message)

    def _route_invoke(self, call: _router.AwsCall, request: Any) -> Any:
        """lambda:Invoke from handler code, answered by the runtime with AWS's wire format."""
        name = request.url.split("/functions/", 1)[1].split("/", 1)[0] if "/functions/" in request.url else ""
        from urllib.parse import unquote
        name = unquote(name)
        headers = request.headers
        kind = headers.get("X-Amz-Invocation-Type", b"RequestResponse")
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        config = self.runtime.function(name)
        if config is None:
            arn = name if name.startswith("arn:") else f"arn:aws:lambda:{self.region}:123456789012:function:{name}"
            return aws_response(request, 404, {"Type": "User", "Message": f"Function not found: {arn}"},
                                {"x-amzn-ErrorType": "ResourceNotFoundException"})
        body = request.body or b"{}"
        too_large = sandbox.payloads.request_too_large(len(body), kind)
        if too_large is not None:  # AWS's payload limits: 6 MB sync, 256 KB async
            return aws_response(request, 413, {"Type": "User", "message": too_large},
                                {"x-amzn-ErrorType": "RequestTooLargeException"})
        try:
            payload = json.loads(body.decode() if isinstance(body, bytes) else body)
        except ValueError:
            return aws_response(request, 400, {"Type": "User", "message": "Could not parse request body into json"},
                                {"x-amzn-ErrorType": "InvalidRequestContentException"})
        if kind == "DryRun":
            return aws_response(request, 204, b"")
        # The caller's X-Ray header (or the chain of the SNS/S3 request that caused it): the request chain goes on.
        trace_header = recursion.header_of(request) or recursion.carried()
        if kind == "Event":
            self.async_invoker.submit(config, payload, trace_header=trace_header)
            return aws_response(request, 202, b"")
        result = self.runtime.invoke_sync(config, payload, self.scheduler.wait_for, trace_header)
        if result.status == "recursive_loop":
            return aws_response(request, 400, {"Type": "User", "message": result.error["errorMessage"]},
                                {"x-amzn-ErrorType": "RecursiveInvocationException"})
        if result.status == "throttled":
            return aws_response(request, 429, {"Type": "User", "message": "Rate Exceeded.",
                                               "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"},
                                {"x-amzn-ErrorType": "TooManyRequestsException"})
        headers_out = {"X-Amz-Executed-Version": "$LATEST"}
        if not result.ok:
            headers_out["X-Amz-Function-Error"] = "Unhandled"
        return aws_response(request, 200, json.dumps(result.aws_payload()), headers_out)

    def _deliver(self, target: Destination, body: Any, attributes: dict) -> None:
        """Send a DLQ message or destination record."""
        with _router.internal():
            if target.type == "SQS":
                kwargs = {"QueueUrl": self.queue_url(target.arn), "MessageBody": encode(body)}
                if attributes:
                    kwargs["MessageAttributes"] = attributes
                self.client("sqs").send_message(**kwargs)
            elif target.type == "SNS":
                self.client("sns").publish(TopicArn=target.arn, Message=encode(body),
                                           MessageAttributes=attributes or {})
            elif target.type == "Lambda":
                self.async_invoker.submit(self.runtime.require(target.arn), body)
            elif target.type == "EventBridge":
                self.client("events").put_events(Entries=[{
                    "Source": "lambda", "DetailType": "Lambda Function Invocation Result - Failure",
                    "Detail": encode(body), "EventBusName": target.arn}])
            else:
                raise SimulationError(f"unsupported destination type {target.type!r} ({target.arn})")


def seed_global_random(seed: int) -> None:
    """Seed the `random` module as a simulation with `seed` does while it runs."""
    random.seed(global_stream(seed))


def global_stream(seed: int) -> str:
    """What a simulation with `seed` seeds the `random` module with."""
    return f"{seed}:global"


class _InternalClient:
    """Wraps a boto3 client so every call runs as a harness-internal call; operations harness/aws/direct.py
    registers are answered from moto's models when the backend is in-process moto."""

    def __init__(self, client: Any):
        self._client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name.startswith("_") or name in ("get_paginator", "get_waiter", "can_paginate"):
            return attr
        fast = _direct.lookup(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with _router.internal():
                if fast is not None and not args:
                    answer = fast(kwargs)
                    if answer is not None:
                        return answer
                return attr(*args, **kwargs)

        self.__dict__[name] = call  # the client outlives simulations; each call checks which backend answers
        return call


from harness import sources as _sources


def _function_mocks(template: Template | None, functions: Mapping[str, Any]) -> dict[str, Any]:
    """Mocks by logical id, from `{Name: FunctionMock}` or `{Name: {mock: {...}}}` (handler paths relative to the
    template's folder); names may be logical ids or deployed FunctionNames."""
    from harness.lambda_runtime.stubs import FunctionMock
    from harness.template import closest
    if functions and template is None:
        raise InputError("functions= mocks need a template")
    out = {}
    for name, spec in functions.items():
        logical_id = name if name in template.functions else next(
            (lid for lid, fn in template.functions.items() if fn.properties.get("FunctionName") == name), None)
        if logical_id is None:
            raise InputError(f"functions: {name!r} is not a function of {template.path}"
                             f"{closest(name, set(template.functions))}; functions: {', '.join(template.functions)}")
        if not isinstance(spec, FunctionMock):
            mock = spec.get("mock") if isinstance(spec, Mapping) else None
            spec = FunctionMock.coerce(mock, template.folder, f"functions.{name}.mock")
        out[logical_id] = spec
    return out


def _validate(template: Template | None, parameters: dict | None, validate: bool | None) -> None:
    """With validate=True (or HARNESS_VALIDATE=1), AWS's SAM transform must accept the template (harness.sam_translate;
    cached per template and parameters, so a process pays for it once): else a TemplateError naming file:line."""
    if template is None or not (validate if validate is not None else
                                os.environ.get("HARNESS_VALIDATE", "") not in ("", "0")):
        return
    from harness import sam_translate
    sam_translate.translate(template.path, parameters)


def _announce(template: Template | None, messages: list[str], strict: bool | None) -> None:
    """Load warnings reach API users through Python's warnings (once per message); strict mode (strict=True or
    HARNESS_STRICT=1) refuses the template instead."""
    if template is None or not messages:
        return
    if strict if strict is not None else os.environ.get("HARNESS_STRICT", "") not in ("", "0"):
        raise TemplateError(f"{template.path}: strict mode: the template uses what the harness does not emulate:\n"
                            + "\n".join(f"  {w}" for w in messages))
    import warnings as _warnings
    for message in messages:
        _warnings.warn(message, TemplateWarning, stacklevel=3)
