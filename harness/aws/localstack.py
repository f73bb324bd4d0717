"""The LocalStack backend and per-service routing (e.g. SQS/EventBridge/S3/SNS on LocalStack, the rest on moto).

LocalStack's timers (delays, visibility) follow the wall clock, so a simulation that uses it runs in real-time
mode (`real_clock = True`). It is opt-in: the user starts LocalStack (`make localstack-up`, host mode without
Docker, or `docker compose up -d localstack`); the harness only connects, checks health, and on stop deletes
exactly the queues, buses, buckets and topics that did not exist when it started.
"""
from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any

from harness.aws.backend import MotoBackend, register_backend
from harness.aws.wire import is_loopback
from harness.errors import InputError, UnsafeEndpointError

# Services the harness can put on LocalStack (those LocalStack serves offline; see localstack-facts.md).
LOCALSTACK_CAPABLE = ("sqs", "events", "s3", "sns")
# botocore service id (router event names) -> LocalStack health name / endpoint env suffix.
_SERVICE_IDS = {"sqs": "sqs", "eventbridge": "events", "s3": "s3", "sns": "sns"}
_ENV_SUFFIX = {"sqs": "SQS", "events": "EVENTBRIDGE", "s3": "S3", "sns": "SNS"}
HOW_TO_START = ("start it with `make localstack-up` (host mode, no Docker) or `docker compose up -d localstack`, "
                "or point AWS_ENDPOINT_URL / LOCALSTACK_HOST at a running one")


def localstack_endpoint(environ: dict[str, str] | None = None) -> str:
    """LocalStack's edge URL by localstack-client's rules: AWS_ENDPOINT_URL, else LOCALSTACK_HOST, else
    localhost:4566 (https when USE_SSL is set)."""
    from localstack_client import config

    environ = os.environ if environ is None else environ
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "LOCALSTACK_HOST", "USE_SSL")}
    try:
        for key in saved:
            if environ.get(key):
                os.environ[key] = environ[key]
            else:
                os.environ.pop(key, None)
        return config.get_service_endpoint("sqs").rstrip("/")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def health(endpoint: str, timeout: float = 2.0) -> dict[str, str]:
    """LocalStack's `/_localstack/health` services map; InputError with how to start it when unreachable."""
    if not is_loopback(endpoint):
        raise UnsafeEndpointError(f"LocalStack endpoint {endpoint} is not loopback; the harness only talks to "
                                  f"127.0.0.1/localhost")
    try:
        with urllib.request.urlopen(f"{endpoint}/_localstack/health", timeout=timeout) as response:
            return dict(json.load(response).get("services") or {})
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise InputError(f"LocalStack is not running at {endpoint} ({getattr(exc, 'reason', exc)}): "
                         f"{HOW_TO_START}") from None


def available_services(services: dict[str, str]) -> list[str]:
    """The LocalStack-capable services LocalStack reports as available or running."""
    return [s for s in LOCALSTACK_CAPABLE if services.get(s) in ("available", "running")]


@register_backend("localstack")
class LocalStackBackend:
    """Services LocalStack reports available go to LocalStack; every other service to moto in-process."""

    name = "localstack"
    real_clock = True

    def __init__(self, services: tuple[str, ...] | None = None, endpoint: str | None = None):
        self.requested = services
        self.endpoint = endpoint
        self.routed: list[str] = []
        self.notice = ""
        self._moto = MotoBackend()
        self._existing: dict[str, set[str]] = {}
        self._client_cache: dict[str, Any] = {}

    def start(self, seed: int) -> None:
        self.endpoint = self.endpoint or localstack_endpoint()
        available = available_services(health(self.endpoint))
        wanted = list(self.requested or LOCALSTACK_CAPABLE)
        missing = [s for s in wanted if s not in available]
        if self.requested and missing:
            raise InputError(f"LocalStack at {self.endpoint} does not provide {', '.join(missing)} (available: "
                             f"{', '.join(available) or 'none'}); restart it with SERVICES including them")
        self.routed = [s for s in wanted if s in available]
        self.notice = (f"backend: LocalStack {self.endpoint} for {', '.join(self.routed) or 'nothing'}; "
                       f"moto in-process for every other service")
        self._moto.start(seed)
        self._existing = self._inventory()

    def stop(self) -> None:
        try:
            if self.routed:
                self._cleanup()
        finally:
            self._moto.stop()

    def environment(self) -> dict[str, str]:
        return {f"AWS_ENDPOINT_URL_{_ENV_SUFFIX[s]}": self.endpoint for s in self.routed}

    def serves(self, service_id: str) -> bool:
        """True when requests of this botocore service id go to LocalStack."""
        return _SERVICE_IDS.get(service_id) in self.routed

    def answer(self, request: Any, event_name: str) -> Any:
        service_id = event_name.split(".")[1] if "." in event_name else ""
        if self.serves(service_id):
            return None  # botocore sends it to LocalStack over loopback HTTP
        return self._moto.answer(request, event_name)

    def check_endpoint(self, url: str) -> None:
        self._moto.check_endpoint(url)

    # ------------------------------------------------------------------ cleanup of what the run created
    def _clients(self) -> dict[str, Any]:
        """One client per routed service, created once per run (start inventories, stop cleans up)."""
        if not self._client_cache:
            from harness.aws.router import shared_session
            session = shared_session()
            self._client_cache = {s: session.client(s, endpoint_url=self.endpoint,
                                                    region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
                                  for s in self.routed}
        return self._client_cache

    def _inventory(self) -> dict[str, set[str]]:
        from harness.aws.router import internal
        clients, found = self._clients(), {}
        with internal():
            if "sqs" in clients:
                found["sqs"] = set(clients["sqs"].list_queues().get("QueueUrls", []))
            if "events" in clients:
                found["events"] = {b["Name"] for b in clients["events"].list_event_buses()["EventBuses"]}
            if "s3" in clients:
                found["s3"] = {b["Name"] for b in clients["s3"].list_buckets().get("Buckets", [])}
            if "sns" in clients:
                found["sns"] = {t["TopicArn"] for t in clients["sns"].list_topics().get("Topics", [])}
        return found

    def _cleanup(self) -> None:
        from harness.aws.router import internal
        clients, now = self._clients(), self._inventory()
        with internal():
            for url in now.get("sqs", set()) - self._existing.get("sqs", set()):
                clients["sqs"].delete_queue(QueueUrl=url)
            for bus in now.get("events", set()) - self._existing.get("events", set()):
                for rule in clients["events"].list_rules(EventBusName=bus).get("Rules", []):
                    clients["events"].delete_rule(Name=rule["Name"], EventBusName=bus, Force=True)
                clients["events"].delete_event_bus(Name=bus)
            for bucket in now.get("s3", set()) - self._existing.get("s3", set()):
                for item in clients["s3"].list_objects_v2(Bucket=bucket).get("Contents", []):
                    clients["s3"].delete_object(Bucket=bucket, Key=item["Key"])
                clients["s3"].delete_bucket(Bucket=bucket)
            for topic in now.get("sns", set()) - self._existing.get("sns", set()):
                clients["sns"].delete_topic(TopicArn=topic)
