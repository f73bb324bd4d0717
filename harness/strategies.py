"""Hypothesis strategies for the events the harness emulates, shaped like AWS's own samples.

    from hypothesis import given
    from harness import strategies as hs

    @given(hs.mutated(hs.api_gateway_events(method="POST", path="/messages", body=hs.json_objects())))
    def test_parser_never_crashes(event): ...

Every strategy yields plain JSON-like values (dicts, lists, text, numbers), exactly what a handler receives:
SQS records and batches (standard and FIFO), API Gateway REST proxy (payload 1.0) and HTTP API / Function URL
(payload 2.0) events (built by the harness's own gateway code), EventBridge and scheduled events, async invoke
payloads, DynamoDB items for a key schema, and Twilio webhook events signed with a given auth token.
`mutated(strategy)` breaks what another strategy yields with the fault catalog's payload mutators;
`from_sample(sample)` builds a strategy from one example event. See docs/fuzzing.md.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from hypothesis import strategies as st

from harness.faults.payloads import MUTATORS, MutationError, mutate
from harness.sources.httpmodel import HttpRequest
from harness.sources.proxy import rest_event, url_event
from harness.template import ACCOUNT_ID

__all__ = [
    "api_gateway_events", "async_payloads", "dynamodb_items", "eventbridge_events", "from_sample",
    "function_url_events", "http_api_events", "json_objects", "json_values", "mutated", "scheduled_events",
    "sqs_batches", "sqs_records", "twilio_forms", "twilio_webhook_events",
]

REGION = "us-east-1"
EPOCH_2030 = 1893456000  # 2030-01-01T00:00:00Z: events carry fixed-era timestamps, like the harness's clock
Strategy = st.SearchStrategy


def _strategy(value: Any) -> Strategy:
    """A strategy as is; any other value as a constant."""
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


# ---------------------------------------------------------------------------------------------- JSON
def json_values(max_leaves: int = 8) -> Strategy:
    """Any JSON document (null, booleans, numbers, text, lists, objects), as json.loads returns it."""
    scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | \
        st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) |
                        st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=max_leaves)


def json_objects(fields: dict[str, Any] | None = None, optional: dict[str, Any] | None = None) -> Strategy:
    """JSON objects: with `fields` (name -> value or strategy) always present and `optional` ones sometimes;
    without either, any object."""
    if fields is None and optional is None:
        return st.dictionaries(st.text(max_size=12), json_values(4), max_size=5)
    return st.fixed_dictionaries({k: _strategy(v) for k, v in (fields or {}).items()},
                                 optional={k: _strategy(v) for k, v in (optional or {}).items()})


def _ids(prefix: str = "") -> Strategy:
    return st.uuids().map(lambda u: f"{prefix}{u}")


def _body_text(body: Any) -> Strategy:
    """Text bodies: JSON-encode what is not text already."""
    return _strategy(body).map(lambda b: b if isinstance(b, str) else json.dumps(b))


# ---------------------------------------------------------------------------------------------- SQS
def _sqs_attribute() -> Strategy:
    string = st.fixed_dictionaries({"stringValue": st.text(min_size=1, max_size=20),
                                    "dataType": st.just("String")})
    number = st.fixed_dictionaries({"stringValue": st.integers(-10**6, 10**6).map(str),
                                    "dataType": st.just("Number")})
    binary = st.fixed_dictionaries({"binaryValue": st.binary(min_size=1, max_size=16).map(
        lambda b: base64.b64encode(b).decode()), "dataType": st.just("Binary")})
    return (string | number | binary).map(lambda a: {**a, "stringListValues": [], "binaryListValues": []})


def sqs_records(body: Any = None, *, queue: str = "queue", fifo: bool = False,
                attributes: Any = None) -> Strategy:
    """One SQS record as Lambda's event source mapping delivers it (`body`: text, a JSON value or a strategy;
    default any JSON object as text; `attributes`: message attributes, default a few random ones)."""
    name = queue + (".fifo" if fifo and not queue.endswith(".fifo") else "")
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
    bodies = _body_text(json_objects() if body is None else body)
    message_attributes = st.dictionaries(st.sampled_from(["RetryAttempt", "conversation_id", "traceId", "kind"]),
                                         _sqs_attribute(), max_size=2) if attributes is None \
        else _strategy(attributes)
    sent = st.integers(EPOCH_2030 * 1000, EPOCH_2030 * 1000 + 86_400_000)

    @st.composite
    def record(draw: Any) -> dict:
        text = draw(bodies)
        sent_at = draw(sent)
        system = {"ApproximateReceiveCount": str(draw(st.integers(1, 5))), "SentTimestamp": str(sent_at),
                  "SenderId": "AIDAIENQZJOLO23YVJ4VO", "ApproximateFirstReceiveTimestamp": str(sent_at + 7)}
        if fifo:
            system.update({"SequenceNumber": str(draw(st.integers(10**19, 10**20 - 1))),
                           "MessageGroupId": draw(st.sampled_from(["group-1", "group-2", "group-3"])),
                           "MessageDeduplicationId": hashlib.sha256(text.encode("utf-8", "surrogatepass"))
                           .hexdigest()})
        return {"messageId": draw(_ids()), "receiptHandle": "AQEB" + draw(st.uuids()).hex,
                "body": text, "attributes": system, "messageAttributes": draw(message_attributes),
                "md5OfBody": hashlib.md5(text.encode("utf-8", "surrogatepass")).hexdigest(),
                "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": REGION}

    return record()


def sqs_batches(records: Strategy | None = None, *, min_size: int = 1, max_size: int = 10, **options: Any) -> Strategy:
    """`{"Records": [...]}` with distinct message ids (`records` default: `sqs_records(**options)`)."""
    records = records if records is not None else sqs_records(**options)
    return st.lists(records, min_size=min_size, max_size=max_size,
                    unique_by=lambda r: r.get("messageId") if isinstance(r, dict) else id(r)) \
        .map(lambda items: {"Records": items})


# ---------------------------------------------------------------------------------------------- HTTP
_HEADER_NAMES = st.sampled_from(["Accept", "User-Agent", "X-Correlation-Id", "Idempotency-Key", "Accept-Language",
                                 "X-Custom"])
_HEADER_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=30)


def _request(method: Any, path: Any, body: Any, headers: Any, query: Any, content_type: str | None) -> Strategy:
    @st.composite
    def build(draw: Any) -> HttpRequest:
        raw = draw(_strategy(body)) if body is not None else None
        if raw is None:
            data = b""
        elif isinstance(raw, bytes):
            data = raw
        else:
            data = (raw if isinstance(raw, str) else json.dumps(raw)).encode("utf-8", "surrogatepass")
        pairs = [("Host", "api.example.com"), ("X-Forwarded-Proto", "https")]
        if data and content_type:
            pairs.append(("Content-Type", content_type))
        extra = draw(_strategy(headers)) if headers is not None else draw(
            st.dictionaries(_HEADER_NAMES, _HEADER_VALUES, max_size=3))
        pairs += [(str(k), str(v)) for k, v in extra.items()]
        params = draw(_strategy(query)) if query is not None else {}
        target = draw(_strategy(path)) + (f"?{urlencode(params)}" if params else "")
        return HttpRequest(draw(_strategy(method)), target, tuple(pairs), data)

    return build()


def api_gateway_events(method: Any = "POST", path: Any = "/", body: Any = None, *, headers: Any = None,
                       query: Any = None, resource: str | None = None, stage: str = "prod",
                       content_type: str = "application/json") -> Strategy:
    """API Gateway REST API proxy events (payload format 1.0); `body` text, bytes, JSON or a strategy (default
    any JSON object). Binary bodies arrive base64-encoded with `isBase64Encoded: true`, as API Gateway sends them."""
    requests = _request(method, path, json_objects() if body is None else body, headers, query, content_type)
    ids = st.uuids().map(str)
    return st.builds(lambda request, request_id: rest_event(
        request, api_id="abc123defg", stage=stage, resource=resource or request.path, path=request.path,
        path_parameters={}, request_id=request_id, epoch=EPOCH_2030, host="api.example.com"), requests, ids)


def http_api_events(method: Any = "POST", path: Any = "/", body: Any = None, *, headers: Any = None,
                    query: Any = None, content_type: str = "application/json") -> Strategy:
    """HTTP API and Function URL events (payload format 2.0: lower-case headers, `rawPath`, `requestContext.http`)."""
    requests = _request(method, path, json_objects() if body is None else body, headers, query, content_type)
    return st.builds(lambda request, request_id: url_event(
        request, url_id="abcdefghijklmnopqrstuvwxyz012345", request_id=request_id, epoch=EPOCH_2030,
        host="abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws", auth_type="NONE"),
        requests, st.uuids().map(str))


function_url_events = http_api_events


# ---------------------------------------------------------------------------------------------- EventBridge
def _time() -> Strategy:
    return st.integers(EPOCH_2030, EPOCH_2030 + 365 * 86400).map(
        lambda s: dt.datetime.fromtimestamp(s, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def eventbridge_events(source: Any = None, detail_type: Any = None, detail: Any = None,
                       resources: Any = None) -> Strategy:
    """EventBridge events as a rule's target receives them (`detail` default: any JSON object)."""
    sources = _strategy(source) if source is not None else st.from_regex(r"[a-z]{2,8}(\.[a-z]{2,8}){1,2}",
                                                                          fullmatch=True)
    types = _strategy(detail_type) if detail_type is not None else st.text(min_size=1, max_size=30)
    return st.fixed_dictionaries({
        "version": st.just("0"), "id": st.uuids().map(str), "detail-type": types, "source": sources,
        "account": st.just(ACCOUNT_ID), "time": _time(), "region": st.just(REGION),
        "resources": _strategy(resources) if resources is not None else st.just([]),
        "detail": json_objects() if detail is None else _strategy(detail)})


def scheduled_events(rule: str = "schedule") -> Strategy:
    """Events of an EventBridge schedule rule (`rate(...)`/`cron(...)`): `Scheduled Event` from `aws.events`."""
    arn = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{rule}"
    return eventbridge_events(source="aws.events", detail_type="Scheduled Event", detail={}, resources=[arn])


def async_payloads() -> Strategy:
    """Payloads of an asynchronous (`Event`) invoke: any JSON document, mostly objects."""
    return json_objects() | json_values()


# ---------------------------------------------------------------------------------------------- DynamoDB
_SCALARS = {"S": st.text(min_size=1, max_size=40),
            "N": st.integers(-10**12, 10**12).map(Decimal) | st.decimals(-10**6, 10**6, places=3, allow_nan=False),
            "B": st.binary(min_size=1, max_size=32)}


def dynamodb_items(table: dict, attributes: dict[str, Any] | None = None) -> Strategy:
    """Items for a table's key schema, as boto3's resource layer reads them (str, Decimal, bytes): `table` is the
    template's table Properties (AttributeDefinitions, KeySchema); `attributes` adds non-key attributes
    (name -> value or strategy; default a few text and number ones)."""
    types = {d["AttributeName"]: d["AttributeType"] for d in table.get("AttributeDefinitions") or []}
    keys = {}
    for key in table.get("KeySchema") or []:
        name = key["AttributeName"]
        if types.get(name) not in _SCALARS:
            raise ValueError(f"key attribute {name!r} has no S/N/B AttributeDefinition in the table")
        keys[name] = _SCALARS[types[name]]
    if not keys:
        raise ValueError("the table has no KeySchema: expected the template's table Properties")
    extra = st.fixed_dictionaries({k: _strategy(v) for k, v in attributes.items()}) if attributes is not None else \
        st.dictionaries(st.from_regex(r"[a-z][A-Za-z0-9_]{0,11}", fullmatch=True).filter(lambda n: n not in keys),
                        _SCALARS["S"] | _SCALARS["N"] | st.booleans(), max_size=4)
    return st.builds(lambda key, rest: {**rest, **key}, st.fixed_dictionaries(keys), extra)


# ---------------------------------------------------------------------------------------------- Twilio
def _e164() -> Strategy:
    return st.integers(10**9, 10**11 - 1).map(lambda n: f"+1{n}"[:12])


def twilio_forms(channel: str = "sms", body: Any = None) -> Strategy:
    """Twilio's inbound-message form fields (`channel` sms or whatsapp: `whatsapp:` addresses)."""
    prefix = "whatsapp:" if channel == "whatsapp" else ""
    sid = st.integers(0, 2**128 - 1).map(lambda n: f"SM{n:032x}")
    return st.builds(lambda sid, src, dst, text: {
        "ToCountry": "US", "SmsMessageSid": sid, "NumMedia": "0", "SmsSid": sid, "SmsStatus": "received",
        "Body": text, "To": prefix + dst, "From": prefix + src, "NumSegments": "1", "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01"},
        sid, _e164(), _e164(), _strategy(body) if body is not None else st.text(max_size=160))


def twilio_webhook_events(url: str, auth_token: str, forms: Strategy | None = None, *,
                          stage: str = "prod") -> Strategy:
    """API Gateway proxy events of a Twilio webhook to `url`, signed (`X-Twilio-Signature`) with `auth_token`
    the way Twilio signs them (the URL plus every POST parameter, sorted)."""
    from urllib.parse import urlsplit

    from twilio.request_validator import RequestValidator
    parts = urlsplit(url)
    channel = "whatsapp" if parts.path.rstrip("/").endswith("whatsapp") else "sms"
    validator = RequestValidator(auth_token)

    def event(form: dict, request_id: str) -> dict:
        headers = (("Host", parts.netloc), ("X-Forwarded-Proto", parts.scheme),
                   ("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"),
                   ("X-Twilio-Signature", validator.compute_signature(url, form)),
                   ("User-Agent", "TwilioProxy/1.1"))
        path = parts.path[len(f"/{stage}"):] if parts.path.startswith(f"/{stage}/") else parts.path
        request = HttpRequest("POST", path, headers, urlencode(form).encode())
        out = rest_event(request, api_id="abc123defg", stage=stage, resource=path, path=path, path_parameters={},
                         request_id=request_id, epoch=EPOCH_2030, host=parts.netloc)
        out["requestContext"]["path"] = parts.path
        return out

    return st.builds(event, forms if forms is not None else twilio_forms(channel), st.uuids().map(str))


# ---------------------------------------------------------------------------------------------- mutation
def mutated(strategy: Strategy, mutators: list[str] | None = None, *, probability: float = 1.0) -> Strategy:
    """Values of `strategy` broken by one of the fault catalog's payload mutators (`mutators`, default all;
    ones that cannot apply to a value are skipped). With `probability` < 1 some values stay intact."""
    names = sorted(mutators or MUTATORS)
    unknown = [n for n in names if n not in MUTATORS]
    if unknown:
        raise ValueError(f"unknown payload mutator {unknown[0]!r}; known: {', '.join(sorted(MUTATORS))}")

    @st.composite
    def build(draw: Any) -> Any:
        value = draw(strategy)
        if probability < 1.0 and draw(st.floats(0, 1)) >= probability:
            return value
        order = draw(st.permutations(names))
        seed = draw(st.integers(0, 2**32 - 1))
        for name in order:
            try:
                return mutate(value, name, rng=random.Random(seed))
            except MutationError:
                continue
        return value

    return build()


# ---------------------------------------------------------------------------------------------- from a sample
def from_sample(sample: Any, *, keep: float = 0.5) -> Strategy:
    """Events shaped like `sample` (a dict, JSON text or a path to a .json file): the same keys and nesting,
    each leaf either the sample's own value or a generated one of the same type; JSON and form-encoded text
    inside (an API Gateway or SQS `body`) is varied the same way and re-encoded. `keep` is how often a leaf
    keeps its sample value (near-valid events reach deeper code)."""
    if isinstance(sample, Path) or (isinstance(sample, str) and sample.endswith(".json") and Path(sample).exists()):
        sample = json.loads(Path(sample).read_text(encoding="utf-8"))
    elif isinstance(sample, str):
        sample = json.loads(sample)
    return _like(sample, keep)


def _like(value: Any, keep: float) -> Strategy:
    if isinstance(value, dict):
        return st.fixed_dictionaries({k: _like(v, keep) for k, v in value.items()})
    if isinstance(value, list):
        if not value:
            return st.just([])
        return st.lists(st.one_of(*[_like(v, keep) for v in value[:3]]), min_size=0, max_size=len(value) + 2)
    generated = _leaf(value, keep)
    if keep <= 0:
        return generated
    return st.floats(0, 1).flatmap(lambda x: st.just(value) if x < keep else generated)


def _leaf(value: Any, keep: float) -> Strategy:
    if isinstance(value, bool) or value is None:
        return st.booleans() if isinstance(value, bool) else st.none()
    if isinstance(value, int):
        return st.integers(-(2**31), 2**31)
    if isinstance(value, float):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in ("{", "["):
            try:
                return _like(json.loads(stripped), keep).map(json.dumps)
            except ValueError:
                pass
        if "=" in stripped and " " not in stripped and "&" in stripped:
            pairs = parse_qsl(stripped, keep_blank_values=True)
            if pairs:
                return _like(dict(pairs), keep).map(lambda form: urlencode({k: str(v) for k, v in form.items()}))
        return st.text(max_size=max(20, len(value) * 2))
    return st.just(value)
