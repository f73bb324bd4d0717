"""The event-sources extension of a simulation: builds every source from the template, owns the gateway, and
answers the Simulation methods (send_message, put_events, fire_schedule, http, webhook).

Two botocore hooks (installed in BUILTIN_HANDLERS, like the router) tell it about AWS calls made by anyone in the
simulation: a successful SQS send or visibility change pokes the queue's mapping (so a poll runs exactly then), and
a successful `events:PutEvents` routes the accepted events to the rules.
"""
from __future__ import annotations

import json
import random
import uuid
from typing import Any
from urllib.parse import urlencode, urlsplit

from botocore.handlers import BUILTIN_HANDLERS

from harness.aws import router as _router
from harness.aws.wire import is_loopback
from harness.errors import InputError
from harness.lambda_runtime import recursion
from harness.sources import moto_hooks, outbound
from harness.sources.base import SOURCES, EventSpec, Source
from harness.sources.eventbridge import THROTTLE_CODES, EventBridge, rules_from_resources
from harness.sources.gateway import Gateway
from harness.sources.httpmodel import HttpRequest, HttpResponse
from harness.template import ACCOUNT_ID, closest

_current: EventSources | None = None
_DELIVERY_CLIENTS: dict[tuple, Any] = {}  # a client costs ms to build; reused across simulations
SQS_POKES = {"SendMessage", "SendMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"}


class EventSources:
    """Event sources, gateway and senders of one simulation."""

    def __init__(self, sim: Any):
        self.sim = sim
        self.sources: list[Source] = []
        self.gateway: Gateway | None = None
        self.eventbridge = EventBridge(self)
        self._event_ids: random.Random | None = None
        self._webhooks = None
        self._sqs_queues: dict | None = None  # moto's queues of the simulation's region, once its backend exists

    # ------------------------------------------------------------------ lifecycle (Extension protocol)
    def before_deploy(self, sim: Any) -> None:
        """Start the gateway; Function URLs resolve to its ports."""
        global _current
        _current = self
        moto_hooks.install()
        moto_hooks.reset()
        self.gateway = Gateway(sim)
        sim.function_url = self.gateway.function_url
        outbound.install(self.gateway)

    def after_deploy(self, sim: Any) -> None:
        """Build and start every event source of the template (bad source definitions fail here, by name)."""
        if sim.deployer is None:
            return
        deployer, template = sim.deployer, sim.deployer.template
        with _router.internal():
            for logical_id, fn in template.functions.items():
                if not deployer.enabled(logical_id):
                    continue
                config = sim.runtime.require(logical_id)
                if "FunctionUrlConfig" in fn.properties:
                    self.gateway.function_url(config.name)
                for event in fn.events:
                    factory = SOURCES.get(event.type)
                    if factory is None:
                        continue  # reported by the template loader as unsupported
                    spec = EventSpec(config, event.name, event.type, deployer.resolver.resolve(event.properties),
                                     template.where(event.line))
                    self.sources.append(factory(self, spec))
            self.sources += rules_from_resources(self)
        for source in list(self.sources):  # a source may add the ones it builds (SNS SqsSubscription's mapping)
            source.start()
        self._offer_routes_to_http_layer()

    def _offer_routes_to_http_layer(self) -> None:
        """When the fault plan's HTTP layer is active it refuses hosts it does not know: give it the execute-api
        hosts of this template as in-process routes (loopback Function URLs reach the gateway without this)."""
        try:
            from harness.faults.http import HttpResponse as LayerResponse
            from harness.faults.http import NetworkFault, active_layer
        except ImportError:
            return
        layer = active_layer()
        if layer is None or not hasattr(layer, "add_route"):
            return

        def answer(request: Any) -> Any:
            parts = urlsplit(request.url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            head = [f"{request.method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
            head += [f"{k}: {v}" for k, v in request.headers.items() if k.lower() not in ("host", "content-length")]
            body = request.body or b""
            raw = "\r\n".join(head + [f"Content-Length: {len(body)}", "", ""]).encode("iso-8859-1") + body
            response = outbound.exchange_bytes(self.gateway, parts.hostname or "", parts.port, raw, request.timeout)
            if response is None:
                raise NetworkFault("read_timeout", "timed out", timeout=request.timeout)
            return LayerResponse(response.status, dict(response.headers), response.content)

        for api in self.gateway.apis.values():
            layer.add_route(f"https://{api.host(self.sim.region)}/", answer)

    def stop(self, sim: Any) -> None:
        """Stop sources, servers and the HTTP interception."""
        global _current
        for source in self.sources:
            source.stop()
        outbound.uninstall()
        if self.gateway is not None:
            self.gateway.stop()
        self._sqs_queues = None  # the backend's state ends with the run (moto's reset)
        if _current is self:
            _current = None

    def suspend(self, sim: Any) -> None:
        """Close the gateway's servers (their threads must not exist when a snapshot forks), keeping its ports."""
        if self.gateway is not None:
            self.gateway.stop()

    def resume(self, sim: Any) -> None:
        """In a process forked from a snapshot: listen again on the same ports."""
        if self.gateway is not None:
            self.gateway.reopen()

    # ------------------------------------------------------------------ helpers for the sources
    def rng(self, stream: str) -> random.Random:
        """An RNG stream derived from the simulation seed."""
        return random.Random(f"{self.sim.seed}:sources:{stream}")

    @property
    def _ids(self) -> random.Random:
        """The event-id stream, made on first use (a snapshot's runs get their seed after it deployed)."""
        if self._event_ids is None:
            self._event_ids = self.rng("event-ids")
        return self._event_ids

    def new_id(self) -> str:
        """A reproducible UUID (event ids)."""
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def moto_queue(self, name: str) -> Any:
        """moto's queue object (read without an API call), or None on other backends."""
        if self._sqs_queues is not None:
            return self._sqs_queues.get(name)
        if getattr(self.sim.backend, "name", "") not in ("moto", "moto-server"):
            return None
        from moto.sqs.models import sqs_backends
        try:
            # moto's regional backend lives from its first use until the mock stops, after this simulation: its
            # `queues` dict is the one every later lookup would reach (through moto's locked BackendDict)
            self._sqs_queues = sqs_backends[ACCOUNT_ID][self.sim.region].queues
        except KeyError:
            return None
        return self._sqs_queues.get(name)

    def load_pattern(self, spec: EventSpec, pattern: Any) -> Any:
        """An EventBridge pattern, matched by moto's implementation."""
        from moto.events.exceptions import InvalidEventPatternException
        from moto.events.models import EventPattern
        try:
            document = json.loads(pattern) if isinstance(pattern, str) else pattern
        except ValueError as exc:
            raise spec.error(f"invalid event pattern: not JSON ({exc})") from None
        if not isinstance(document, dict):
            raise spec.error(f"invalid event pattern: expected a JSON object, got {type(document).__name__}")
        try:
            return EventPattern.load(json.dumps(document))
        except InvalidEventPatternException as exc:
            raise spec.error(f"invalid event pattern: {exc.message}") from None
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:  # moto's loader, on odd shapes
            raise spec.error(f"invalid event pattern: {type(exc).__name__}: {exc}") from None

    def load_filters(self, spec: EventSpec, criteria: Any) -> list:
        """FilterCriteria.Filters[].Pattern of an event source mapping."""
        filters = (criteria or {}).get("Filters") or []
        return [self.load_pattern(spec, f.get("Pattern")) for f in filters]

    @staticmethod
    def matches_filters(filters: list, record: dict) -> bool:
        """True when a record (body parsed when it is JSON) matches any filter."""
        candidate = dict(record)
        try:
            body = json.loads(record.get("body") or "")
            if isinstance(body, dict):
                candidate["body"] = body
        except ValueError:
            pass
        return any(f.matches_event(candidate) for f in filters)

    def dead_letter_arn(self, spec: EventSpec, config: dict | None) -> str | None:
        """The DLQ of a rule target: `Arn`, or SAM's `Type: SQS` queue (created here when SAM would)."""
        if not config:
            return None
        if config.get("Arn"):
            return str(config["Arn"])
        if str(config.get("Type", "")).upper() != "SQS":
            raise spec.error("DeadLetterConfig needs Arn, or Type: SQS (optionally with QueueLogicalId)")
        logical_id = str(config.get("QueueLogicalId") or f"{spec.function.logical_id}{spec.name}Queue")
        return self.sim.deployer.attributes(logical_id)["Arn"]  # an implicit resource: created on first use

    def send_to_target(self, arn: str, payload: Any) -> tuple[str, str, bool] | None:
        """Deliver to a rule target through a real client (faults apply); (code, message, retryable) on error."""
        from botocore.exceptions import BotoCoreError, ClientError
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        body = json.dumps(payload)
        try:
            if service == "lambda":
                self._client("lambda").invoke(FunctionName=arn, InvocationType="Event", Payload=body.encode())
            elif service == "sqs":
                self._client("sqs").send_message(QueueUrl=self.sim.queue_url(arn), MessageBody=body)
            elif service == "sns":
                self._client("sns").publish(TopicArn=arn, Message=body)
            else:
                return "UnsupportedTarget", f"target {arn} is not emulated (Lambda, SQS and SNS are)", False
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "Unknown")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
            return code, exc.response.get("Error", {}).get("Message", str(exc)), (
                status >= 500 or code in THROTTLE_CODES)
        except BotoCoreError as exc:  # connection errors, read timeouts: retried
            return type(exc).__name__, str(exc), True
        return None

    def deliver_async(self, function_arn: str, event: dict, label: str) -> None:
        """An AWS service invoking a function asynchronously (SNS, S3): from a new task, through a real client,
        so faults and Lambda's async retries, destinations and DLQ apply."""
        chain = recursion.carried()  # the X-Ray chain of the request that caused it (recursive loop detection)

        def invoke() -> None:
            with recursion.carrying(chain):
                error = self.send_to_target(function_arn, event)
            self.sim.trace.record("delivery", source=label, function=function_arn.rsplit(":", 1)[-1],
                                  error=error[0] if error else None)

        self.sim.scheduler.spawn(invoke, name=f"deliver:{label}")

    def _client(self, service: str) -> Any:
        endpoint = self.sim.backend.environment().get("AWS_ENDPOINT_URL")
        key = (service, self.sim.region, endpoint)
        if key not in _DELIVERY_CLIENTS:
            from botocore.config import Config
            _DELIVERY_CLIENTS[key] = _router.shared_session().client(
                service, region_name=self.sim.region, endpoint_url=endpoint,
                config=Config(retries={"total_max_attempts": 1}))  # EventBridge retries by its own policy
        return _DELIVERY_CLIENTS[key]

    # ------------------------------------------------------------------ botocore hooks
    def on_sqs_call(self, operation: str, params: dict, parsed: dict) -> None:
        """A successful send or visibility change pokes the queue's mapping; a receive gets AWS's DLQ attribute."""
        if "Error" in parsed:
            return
        if operation == "ReceiveMessage":
            moto_hooks.add_dlq_sources(parsed, params)
        elif operation in SQS_POKES:
            self.on_enqueue(str(params.get("QueueUrl", "")).rstrip("/").rsplit("/", 1)[-1])

    def on_enqueue(self, queue_name: str) -> None:
        """moto put a message on a queue (a send, a redrive, an SNS or S3 fan-out): poke that queue's mappings."""
        from harness.sources.sqs import SqsMapping
        for source in self.sources:
            if isinstance(source, SqsMapping) and source.queue_name == queue_name:
                source.poke()

    def on_stream_record(self) -> None:
        """A record was appended to a DynamoDB or Kinesis stream: poke the stream mappings."""
        from harness.sources.streams import StreamMapping
        for source in self.sources:
            if isinstance(source, StreamMapping):
                source.poke()

    def on_put_events(self, params: dict, parsed: dict) -> None:
        """Events moto accepted: route each to its bus's rules."""
        for entry, result in zip(params.get("Entries") or [], parsed.get("Entries") or []):
            if not result.get("EventId"):
                continue
            when = entry.get("Time")
            stamp = (when.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(when, "strftime")
                     else self.sim.clock.datetime().strftime("%Y-%m-%dT%H:%M:%SZ"))
            try:
                detail = json.loads(entry.get("Detail") or "{}")
            except ValueError:
                continue  # moto rejects these already
            event = {"version": "0", "id": result["EventId"], "detail-type": entry.get("DetailType"),
                     "source": entry.get("Source"), "account": ACCOUNT_ID, "time": stamp,
                     "region": self.sim.region, "resources": list(entry.get("Resources") or []), "detail": detail}
            bus = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
            self.eventbridge.publish(event, bus)

    # ------------------------------------------------------------------ the Simulation API
    def send_message(self, queue: str, body: Any, delay_seconds: int = 0, attributes: dict | None = None,
                     group_id: str | None = None, deduplication_id: str | None = None) -> str:
        """Send one message; returns its MessageId."""
        url = self.sim.queue_url(queue)
        kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": body if isinstance(body, str) else json.dumps(body)}
        fifo = url.endswith(".fifo")
        if not 0 <= int(delay_seconds) <= 900:
            raise InputError(f"delay_seconds must be 0-900, got {delay_seconds}")
        if delay_seconds:
            if fifo:
                raise InputError(f"queue {queue!r} is FIFO: per-message delay_seconds is not allowed on FIFO queues "
                                 f"(set the queue's DelaySeconds instead)")
            kwargs["DelaySeconds"] = int(delay_seconds)
        if attributes:
            kwargs["MessageAttributes"] = {str(k): _attribute(v) for k, v in attributes.items()}
        if fifo:
            if not group_id:
                raise InputError(f"queue {queue!r} is FIFO: pass group_id= (its MessageGroupId)")
            kwargs["MessageGroupId"] = group_id
            attrs = self.sim.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            if deduplication_id or attrs.get("ContentBasedDeduplication") != "true":
                kwargs["MessageDeduplicationId"] = deduplication_id or f"{self._ids.getrandbits(128):032x}"
        elif group_id:
            kwargs["MessageGroupId"] = group_id  # fair queues accept a group id on standard queues
        return self.sim.client("sqs").send_message(**kwargs)["MessageId"]

    def put_events(self, entries: list[dict]) -> list[str]:
        """PutEvents with boto3's entry shape (Detail may be a dict); returns the EventIds."""
        prepared = []
        for entry in entries:
            entry = dict(entry)
            if not isinstance(entry.get("Detail", ""), str):
                entry["Detail"] = json.dumps(entry["Detail"])
            prepared.append(entry)
        result = self.sim.client("events").put_events(Entries=prepared)
        failed = [(e, r) for e, r in zip(prepared, result["Entries"]) if not r.get("EventId")]
        if failed:
            entry, reason = failed[0]
            raise InputError(f"PutEvents rejected {entry}: {reason.get('ErrorCode')}: {reason.get('ErrorMessage')}")
        return [r["EventId"] for r in result["Entries"]]

    def fire_schedule(self, name: str) -> None:
        """Fire a schedule now, by function (logical id or name), event name, `Function.Event` or rule name."""
        from harness.sources.schedule import ScheduleSource
        schedules = [s for s in self.sources if isinstance(s, ScheduleSource)]
        names = {}
        for s in schedules:
            keys = {s.spec.label, s.spec.name, s.name}
            if s.spec.function is not None:
                keys |= {s.spec.function.logical_id, s.spec.function.name}
            for key in keys:
                names.setdefault(key, []).append(s)
        found = names.get(name, [])
        if len(found) != 1:
            problem = "matches several schedules; use Function.Event" if found else "is not a schedule"
            raise InputError(f"{name!r} {problem}{closest(name, set(names)) if not found else ''}; schedules: "
                             f"{', '.join(sorted(s.spec.label for s in schedules)) or 'none'}")
        found[0].fire()

    def http(self, method: str, path: str, body: Any = None, headers: dict | None = None,
             query: dict | None = None, function_url: str | None = None) -> HttpResponse:
        """One request through the real loopback gateway, the simulation running until it is answered."""
        public, server, host, target = self.resolve_url(path, function_url)
        if query:
            target += ("&" if "?" in target else "?") + urlencode(query, doseq=True)
        head = {"User-Agent": "lambda-harness", "Accept": "*/*"}
        if isinstance(body, (dict, list)):
            body, head["Content-Type"] = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body = body.encode()
        head.update({str(k): str(v) for k, v in (headers or {}).items()})
        request = HttpRequest(method.upper(), target, tuple(head.items()), body or b"")
        if server is None:
            raise InputError(f"{public!r} is not served by the simulation's gateway")
        return self.gateway.external(server, request, host)

    def webhook(self, url_or_path: str, params: Any, *, auth_token: str | None = None, kind: str = "twilio",
                fallback_url: str | None = None, **options: Any) -> HttpResponse:
        """Send a provider webhook (kind 'twilio' or 'json') through the gateway; returns the last response."""
        from harness.sources.webhook import WebhookSender
        if self._webhooks is None:
            self._webhooks = WebhookSender(self)
        if kind == "twilio":
            return self._webhooks.twilio(url_or_path, dict(params), auth_token=auth_token,
                                         fallback_url=fallback_url, **options)
        if kind == "json":
            return self._webhooks.json(url_or_path, params, **options)
        raise InputError(f"webhook kind {kind!r} is not one of twilio, json")

    def resolve_url(self, url_or_path: str, function_url: str | None = None) -> tuple[str, Any, str, str]:
        """(public URL, server or None, Host header, request target) for what a caller names."""
        gateway = self.gateway
        if function_url is not None:
            config = self.sim.runtime.require(function_url)
            base = gateway.function_url(config.name).rstrip("/")
            url_or_path = base + ("/" + url_or_path.lstrip("/") if url_or_path not in ("", "/") else "/")
        if "://" in url_or_path:
            try:
                server, host, target = gateway.locate(url_or_path)
                return url_or_path, server, host, target
            except InputError:
                if not is_loopback(url_or_path):
                    raise
                parts = urlsplit(url_or_path)
                return url_or_path, None, parts.netloc, (parts.path or "/") + (
                    f"?{parts.query}" if parts.query else "")
        return self._api_path(url_or_path)

    def _api_path(self, path: str) -> tuple[str, Any, str, str]:
        apis = list(self.gateway.apis.values())
        if not apis:
            raise InputError(f"{path!r}: the template has no Api or HttpApi events; pass function_url=<function> or a "
                             f"full URL")
        if not path.startswith("/"):
            path = "/" + path
        target_path = path.split("?", 1)[0]

        def staged(api: Any) -> str:
            if api.stage == "$default":
                return path  # an HTTP API's $default stage has no path prefix
            return path if target_path == f"/{api.stage}" or target_path.startswith(f"/{api.stage}/") \
                else f"/{api.stage}{path}"

        def inside(api: Any) -> str:
            return target_path if api.stage == "$default" else staged(api).split("?")[0][len(api.stage) + 1:] or "/"

        if len(apis) > 1:
            matching = [a for a in apis if any(r.pattern.match(inside(a)) or r.method == "$DEFAULT"
                                               for r in a.routes)]
            if len(matching) != 1:
                raise InputError(f"{path!r} matches {'several' if matching else 'none'} of the template's APIs "
                                 f"({', '.join(a.logical_id for a in apis)}); pass the full execute-api URL")
            apis = matching
        api = apis[0]
        target = staged(api)
        host = api.host(self.sim.region)
        return f"https://{host}{target}", self.gateway.main, host, target


def _attribute(value: Any) -> dict:
    if isinstance(value, dict) and "DataType" in value:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, bytes)):
        return {"DataType": "String", "StringValue": str(value)}
    if isinstance(value, bytes):
        return {"DataType": "Binary", "BinaryValue": value}
    return {"DataType": "Number", "StringValue": str(value)}


def of(sim: Any) -> EventSources:
    """The event-sources extension of a running simulation."""
    for extension in sim.extensions:
        if isinstance(extension, EventSources):
            return extension
    raise InputError("event sources are not active: start the simulation first (with Simulation(...) as sim:)")


# ---------------------------------------------------------------------- botocore hooks
def _stash_params(params: dict, context: dict, **_: Any) -> None:
    if _current is not None and isinstance(context, dict):
        context["harness_params"] = params


def _after_sqs(parsed: dict, model: Any, context: dict, **_: Any) -> None:
    if _current is not None and isinstance(context, dict) and "harness_params" in context:
        _current.on_sqs_call(model.name, context["harness_params"], parsed or {})


def _after_put_events(parsed: dict, context: dict, **_: Any) -> None:
    if _current is not None and isinstance(context, dict) and "harness_params" in context:
        _current.on_put_events(context["harness_params"], parsed or {})


_HOOKS = [
    ("before-parameter-build.sqs", _stash_params),
    ("before-parameter-build.eventbridge.PutEvents", _stash_params),
    ("after-call.sqs", _after_sqs),
    ("after-call.eventbridge.PutEvents", _after_put_events),
]


def _install_hooks() -> None:
    """Add the event sources' hooks to botocore's built-in handlers (every session made later copies them), and to
    the harness's shared session and its cached clients when they were made before this module was imported
    (they copied the built-in handlers without these)."""
    if any(h[1] is _after_sqs for h in BUILTIN_HANDLERS):
        return
    BUILTIN_HANDLERS.extend(_HOOKS)
    for events in _router.made_emitters():
        for n, (event, handler) in enumerate(_HOOKS):
            events.register(event, handler, unique_id=f"harness-sources-{n}")


_install_hooks()
