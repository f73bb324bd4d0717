"""AWS backends: where AWS API requests from handler code are answered. A registry of small classes."""
from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from harness.aws.wire import host_of, is_loopback
from harness.errors import InputError, UnsafeEndpointError


class Backend(Protocol):
    """What the simulation needs from an AWS backend."""

    name: str
    real_clock: bool  # True when the backend's timers follow the wall clock (the simulation must run in real time)

    def start(self, seed: int) -> None:
        """Start with clean state."""

    def stop(self) -> None:
        """Stop and drop all state."""

    def environment(self) -> dict[str, str]:
        """Environment variables that point SDK clients at this backend (e.g. AWS_ENDPOINT_URL)."""

    def answer(self, request: Any, event_name: str) -> Any:
        """Answer `request` in-process (an AWSResponse), or None to let botocore send it over loopback HTTP."""

    def check_endpoint(self, url: str) -> None:
        """Raise UnsafeEndpointError unless `url` is one this backend answers without leaving the machine."""


BACKENDS: dict[str, Callable[[], Backend]] = {}


def register_backend(name: str) -> Callable[[type], type]:
    """Class decorator: make a backend available by name (`Simulation(backend=name)`, `--backend name`)."""

    def decorate(cls: type) -> type:
        BACKENDS[name] = cls
        return cls

    return decorate


def create_backend(name: str | dict | Backend) -> Backend:
    """Instantiate a backend: a registered name, `localstack:sqs,events` (those services on LocalStack, the rest
    on moto), a mapping such as {"sqs": "localstack", "dynamodb": "moto"}, or an instance (passed through)."""
    if isinstance(name, dict):
        unknown = {v for v in name.values() if v not in ("localstack", "moto")}
        if unknown:
            raise InputError(f"backend mapping values must be 'localstack' or 'moto', got {sorted(unknown)}")
        on_localstack = tuple(sorted({_service_name(k) for k, v in name.items() if v == "localstack"}))
        name = f"localstack:{','.join(on_localstack)}" if on_localstack else "moto"
    if not isinstance(name, str):
        return name
    if name.startswith("localstack:"):
        from harness.aws.localstack import LOCALSTACK_CAPABLE, LocalStackBackend
        services = tuple(_service_name(s) for s in name.split(":", 1)[1].split(",") if s.strip())
        bad = [s for s in services if s not in LOCALSTACK_CAPABLE]
        if bad:
            raise InputError(f"backend {name!r}: {', '.join(bad)} cannot run on LocalStack here (possible: "
                             f"{', '.join(LOCALSTACK_CAPABLE)}; DynamoDB needs Java and a download, Lambda "
                             f"needs Docker, so they stay on moto)")
        return LocalStackBackend(services=services)
    if name not in BACKENDS:
        from harness.template import closest
        raise InputError(f"unknown backend {name!r}{closest(name, set(BACKENDS))}; "
                         f"available: {', '.join(sorted(BACKENDS))}")
    return BACKENDS[name]()


def _service_name(service: str) -> str:
    service = service.strip().lower()
    return {"eventbridge": "events"}.get(service, service)


def _aws_host(url: str) -> bool:
    host = host_of(url)
    return host.endswith(".amazonaws.com") or host == "amazonaws.com"


@register_backend("moto")
class MotoBackend:
    """moto in-process: requests to AWS's default endpoints are answered inside this process."""

    name = "moto"
    real_clock = False

    def __init__(self) -> None:
        self._mock = None

    def start(self, seed: int) -> None:
        from moto import mock_aws
        from moto.moto_api._internal import mock_random

        from harness.aws import moto_sqs
        moto_sqs.install()  # SQS at a flat cost per request, whatever the queue depth
        fast_moto(direct_enabled())
        self._mock = mock_aws()
        on = direct_enabled()
        with reused_callbacks(), kept_accounts(on), registered_once(on):
            self._mock.start(reset=True)
        mock_random.seed(seed)  # moto's ids (MessageId, receipt handles) follow the seed too

    def stop(self) -> None:
        if self._mock is not None:
            with kept_accounts(direct_enabled()):
                self._mock.stop()
            self._mock = None

    def environment(self) -> dict[str, str]:
        return {}

    def answer(self, request: Any, event_name: str) -> Any:
        from harness.aws import moto_dispatch
        from harness.aws.moto_sqs import request_time
        with request_time():
            response = moto_dispatch.answer(request)  # what moto's botocore_stubber answers
        if response is None:
            raise UnsafeEndpointError(
                f"moto does not answer {request.method} {request.url}; the harness refuses to send it to real AWS")
        return response

    def check_endpoint(self, url: str) -> None:
        if not (_aws_host(url) or is_loopback(url)):
            raise UnsafeEndpointError(
                f"refused request to {url}: the moto backend answers AWS's default endpoints in-process and "
                f"nothing else; a client configured with endpoint_url must point at loopback")


_CALLBACKS: dict[tuple, Any] = {}  # (method, URL pattern, callback) -> moto's `responses` callback, built once


@contextlib.contextmanager
def reused_callbacks() -> Iterator[None]:
    """While moto's mock starts: the `responses` callbacks it registers (one per AWS URL pattern and HTTP method,
    about 1,300, 1.4 ms of every simulation's start) are built once per process and handed back each time, their
    call lists emptied; moto registers the same objects, with the same methods, patterns and callbacks."""
    from moto.core import models
    build = models.CallbackResponse

    def reuse(method: str, url: Any, callback: Any, **options: Any) -> Any:
        key = (method, url, callback)
        response = None if options else _CALLBACKS.get(key)
        if response is None:
            response = build(method=method, url=url, callback=callback, **options)
            if not options:
                _CALLBACKS[key] = response
        response.calls.reset()
        return response

    models.CallbackResponse = reuse
    try:
        yield
    finally:
        models.CallbackResponse = build


_REGISTERED: dict[str, list] = {}  # HTTP method -> the callbacks moto's first start registered, in its order


@contextlib.contextmanager
def registered_once(on: bool = True) -> Iterator[None]:
    """While moto's mock starts (when `on`): moto adds its `responses` callbacks to a new registry one by one at
    every start (about 1,300 calls); after the first start in a process, the same callbacks (`reused_callbacks`)
    go into the new registry in the same order one list per HTTP method, their call lists emptied."""
    from moto.core.models import MockAWS
    enable = MockAWS.__dict__["_enable_patching"]

    def enable_patching(mock: Any, reset: bool = True) -> None:
        from moto.core.models import botocore_stubber, responses_mock
        from moto.core.responses_custom_registry import CustomRegistry
        if not (reset and _REGISTERED):
            enable(mock, reset)
            registry = responses_mock._registry
            if reset and type(registry) is CustomRegistry:  # a new registry holding what moto added
                _REGISTERED.update({method: list(added) for method, added in registry._registered.items()})
            return
        botocore_stubber.enabled = True
        mock.reset()
        responses_mock.start()
        registry = responses_mock._registry
        if type(registry) is not CustomRegistry or registry._registered:
            enable(mock, False)  # not the registry moto's reset makes: moto adds them itself
            return
        for method, callbacks in _REGISTERED.items():
            for callback in callbacks:
                if len(callback.calls):
                    callback.calls.reset()
            registry._registered[method] = list(callbacks)

    if on:
        MockAWS._enable_patching = enable_patching
    try:
        yield
    finally:
        MockAWS._enable_patching = enable


@contextlib.contextmanager
def kept_accounts(on: bool = True) -> Iterator[None]:
    """While moto's mock starts or stops (when `on`): moto's reset drops each service's regional backends but keeps
    the service's per-account dict (`sqs_backends[account]`). moto resets every regional backend (builds it again)
    and then throws the per-account dict away, so the next run builds both afresh: the per-account dict asks boto3
    for the service's regions in every partition (0.1-0.3 ms a service, each run). A regional backend is built
    again, by moto, the first time a run asks for it, exactly as in a new per-account dict (the same regions
    list); a backend whose class has its own `reset` (S3 closes its files, Batch stops its jobs) still runs it."""
    from moto.core.base_backend import BackendDict
    saved = BackendDict.__dict__["reset"]
    if on:
        BackendDict.reset = classmethod(_reset_keeping_accounts)
    try:
        yield
    finally:
        BackendDict.reset = saved


def _reset_keeping_accounts(cls: type) -> None:
    from moto.core.base_backend import BackendDict, BaseBackend, backend_lock
    with backend_lock:
        for service in BackendDict._instances:
            for account in service.values():
                for regional in account.values():
                    if type(regional).reset is not BaseBackend.reset:
                        regional.reset()
                dict.clear(account)
        BackendDict._instances.clear()


@register_backend("moto-server")
class MotoServerBackend:
    """moto's threaded server on 127.0.0.1 (an ephemeral port) in this process: real HTTP, virtual time."""

    name = "moto-server"
    real_clock = False

    def __init__(self) -> None:
        self._server = None
        self.endpoint = ""

    def start(self, seed: int) -> None:
        from moto.core.models import MockAWS
        from moto.moto_api._internal import mock_random
        from moto.server import ThreadedMotoServer

        from harness.aws import moto_sqs
        moto_sqs.install()
        fast_moto(direct_enabled())

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        MockAWS().reset()  # the server shares moto's in-process state: start clean
        mock_random.seed(seed)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
            from moto.core.models import MockAWS
            MockAWS().reset()

    def environment(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint}

    def answer(self, request: Any, event_name: str) -> Any:
        return None

    def check_endpoint(self, url: str) -> None:
        if not is_loopback(url):
            raise UnsafeEndpointError(f"refused request to {url}: the moto-server backend is on {self.endpoint}; "
                                      f"only loopback addresses are ever contacted")


def direct_enabled() -> bool:
    """False when HARNESS_DIRECT=0 (or `direct.enabled = False`): every request takes moto's and botocore's long way."""
    from harness.aws import direct
    return direct.enabled


def fast_moto(on: bool) -> None:
    """Put in (or take out) the fast paths through moto's own code: its request dispatch (moto_dispatch) and its
    DynamoDB expression walks, copies and parses (moto_dynamodb, dynamodb_fast), its copies of items nothing reads
    (dynamodb_copies), its item sizes (dynamodb_sizes), its results as plain values (dynamodb_results), its random
    strings (moto_ids), its JSON parser and serializer (moto_json) and its JSON errors (moto_errors). All leave every
    answer as moto gives it."""
    from harness.aws import (
        dynamodb_copies,
        dynamodb_fast,
        dynamodb_results,
        dynamodb_sizes,
        moto_dispatch,
        moto_dynamodb,
        moto_errors,
        moto_ids,
        moto_json,
    )
    for module in (moto_dispatch, moto_dynamodb, dynamodb_fast, dynamodb_copies, dynamodb_sizes, dynamodb_results,
                   moto_ids, moto_json, moto_errors):
        (module.install if on else module.uninstall)()


def random_seed_for(seed: int, stream: str) -> random.Random:
    """An independent, reproducible RNG stream derived from the simulation seed."""
    return random.Random(f"{seed}:{stream}")
