"""Expectations about data: DynamoDB items, S3 objects, queue contents and HTTP responses."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from harness.scenario.expectations import Expectation, Verdict, expectation
from harness.scenario.match import Count, count_ok, count_text, equals, matches, show, subset
from harness.scenario.values import BucketRef, Model, QueueRef, TableRef


def _touching(ctx: Any, names: set[str]) -> tuple[int, ...]:
    """Trace events of AWS calls by handler code (not the harness's own) on any of `names`."""
    return tuple(e.seq for e in ctx.sim.trace.of("aws") if e.data.get("resource") in names
                 and e.data.get("caller") != "harness")[-12:]


@expectation
class Item(Expectation):
    """One DynamoDB item by key: exactly `equals`, containing `subset`, `absent`, or just present."""

    kind: ClassVar[str] = "item"
    table: TableRef
    key: dict[str, Any] = Field(min_length=1)
    equals: dict[str, Any] | None = None
    subset: dict[str, Any] | None = None
    absent: bool = False

    @model_validator(mode="after")
    def _one_mode(self) -> Item:
        modes = [m for m in ("equals", "subset") if getattr(self, m) is not None] + (["absent"] if self.absent else [])
        if len(modes) > 1:
            raise ValueError(f"give at most one of equals, subset, absent; got {', '.join(modes)}")
        return self

    def check(self, ctx: Any) -> Verdict:
        name = ctx.physical("table", self.table)
        found = ctx.state.item(name, dict(self.key))
        seqs = _touching(ctx, {name})
        where = f"{self.table} item {self.shown('key', 120)}"
        if self.absent:
            return Verdict(found is None, f"{where} absent", "absent" if found is None else f"present: {show(found)}",
                           seqs)
        if found is None:
            return Verdict(False, f"{where} present", "no such item", seqs)
        if self.equals is not None:
            return Verdict(equals(self.equals, found), f"{where} equal to {self.shown('equals')}", show(found), seqs)
        if self.subset is not None:
            return Verdict(subset(self.subset, found), f"{where} containing {self.shown('subset')}", show(found), seqs)
        return Verdict(True, f"{where} present", show(found), seqs)


@expectation
class Items(Expectation):
    """How many items of a table (optionally: containing `where`, or exactly `where` with `exact: true`) exist."""

    kind: ClassVar[str] = "items"
    table: TableRef
    count: Count
    where: dict[str, Any] = Field(default_factory=dict)
    exact: bool = False

    @model_validator(mode="after")
    def _exact(self) -> Items:
        exact_needs(self, "where")
        return self

    def check(self, ctx: Any) -> Verdict:
        name = ctx.physical("table", self.table)
        items = [i for i in ctx.state.items(name) if matches(self.where, i, self.exact)]
        cond = f" {_how(self.exact)} {self.shown('where')}" if self.where or self.exact else ""
        return Verdict(count_ok(self.count, len(items)), f"{count_text(self.count)} {self.table} item(s){cond}",
                       f"{len(items)}: " + show(items, 400), _touching(ctx, {name}))


@expectation
class Object(Expectation):
    """An S3 object: present (in `storage_class`, with `body` text or `json` subset, exactly with `exact: true`)
    or absent."""

    kind: ClassVar[str] = "object"
    bucket: BucketRef
    key: str
    exists: bool = True
    storage_class: str | None = None
    body: str | None = None
    json_: Any = Field(None, alias="json")
    exact: bool = False

    @model_validator(mode="after")
    def _exact(self) -> Object:
        exact_needs(self, "json_")
        return self

    def check(self, ctx: Any) -> Verdict:
        name = ctx.physical("bucket", self.bucket)
        # HeadObject first: an archived object (GLACIER, DEEP_ARCHIVE) exists but cannot be read.
        stored_in = ctx.state.object_storage_class(name, self.key)
        seqs = _touching(ctx, {name})
        where = f"s3://{self.bucket}/{self.key}"
        if not self.exists:
            return Verdict(stored_in is None, f"{where} absent", "absent" if stored_in is None else "present", seqs)
        if stored_in is None:
            return Verdict(False, f"{where} present", "no such object", seqs)
        if self.storage_class is not None and stored_in != self.storage_class:
            return Verdict(False, f"{where} in {self.storage_class}", f"in {stored_in}", seqs)
        if self.body is None and self.json_ is None:
            return Verdict(True, f"{where} present" + (f" in {stored_in}" if self.storage_class else ""),
                           f"present in {stored_in}", seqs)
        data = ctx.state.object(name, self.key) or b""
        text = data.decode("utf-8", "replace")
        if self.body is not None:
            return Verdict(text == self.body, f"{where} with body {self.body[:200]!r}", repr(text[:300]), seqs)
        if self.json_ is not None:
            return Verdict(matches(self.json_, text, self.exact), f"{where} {_how(self.exact)} {self.shown('json_')}",
                           text[:300], seqs)


@expectation
class Queue(Expectation):
    """Queue contents at check time: depth, bodies (any order), a body that must be there, attributes;
    `exact: true` compares bodies exactly (no extra fields)."""

    kind: ClassVar[str] = "queue"
    queue: QueueRef
    depth: Count | None = None
    state: Literal["all", "visible", "in_flight", "delayed"] = "all"
    bodies: list[Any] | None = None
    contains: Any = None
    attributes: dict[str, Any] | None = None
    exact: bool = False

    @model_validator(mode="after")
    def _exact(self) -> Queue:
        exact_needs(self, "bodies", "contains")
        return self

    def check(self, ctx: Any) -> Verdict:
        name = ctx.physical("queue", self.queue)
        messages = [m for m in ctx.state.messages(name) if self.state in ("all", m.state)]
        seqs = _touching(ctx, {name})
        problems, wanted = [], []
        if self.depth is not None:
            wanted.append(f"depth {count_text(self.depth)}")
            if not count_ok(self.depth, len(messages)):
                problems.append(f"depth {len(messages)}")
        if self.bodies is not None:
            wanted.append(f"bodies {'exactly ' if self.exact else ''}{self.shown('bodies')}")
            if not _each_matched(self.bodies, [m.body for m in messages], self.exact):
                problems.append("bodies differ")
        if self.contains is not None:
            wanted.append(f"a message {_how(self.exact)} {self.shown('contains')}")
            if not any(matches(self.contains, m.body, self.exact) for m in messages):
                problems.append("no message contains it")
        if self.attributes is not None:
            wanted.append(f"a message with attributes {self.shown('attributes')}")
            if not any(subset(self.attributes, m.attributes) for m in messages):
                problems.append("no message has those attributes")
        listing = "; ".join(f"[{m.state}, received {m.receive_count}x] {m.body[:160]}"
                            + (f" attrs={show(m.attributes, 120)}" if m.attributes else "") for m in messages[:5])
        found = f"{len(messages)} message(s)" + (f": {listing}" if messages else "")
        if problems:
            found = ", ".join(problems) + " - " + found
        return Verdict(not problems, f"{self.queue}: " + ", ".join(wanted or ["exists"]), found, seqs)


expectation(type("Dlq", (Queue,), {"kind": "dlq", "__doc__": "Same as `queue`, for a dead-letter queue."}))


def exact_needs(model: Any, *fields: str) -> None:
    """`exact: true` compares a structure: refuse it when none of the fields it applies to is given."""
    if getattr(model, "exact", False) and not any(f in model.model_fields_set for f in fields):
        names = " or ".join(type(model).model_fields[f].alias or f for f in fields)
        raise ValueError(f"exact: true applies to {names}; give {names} (the structure compared exactly)")


def _how(exact: bool) -> str:
    """How a structure is compared, in words."""
    return "equal to" if exact else "containing"


def _each_matched(expected: list[Any], bodies: list[str], exact: bool = False) -> bool:
    """Every expected body matches a distinct message, and there are no extra messages."""
    if len(expected) != len(bodies):
        return False
    free = list(bodies)
    for wanted in expected:
        match = next((b for b in free if matches(wanted, b, exact) or (isinstance(wanted, str) and wanted == b)),
                     None)
        if match is None:
            return False
        free.remove(match)
    return True


class Twiml(Model):
    """Expected TwiML: the `<Message>` texts in order, or an empty `<Response/>`."""

    messages: list[str] | None = None
    message: str | None = None
    empty: bool | None = None


@expectation
class Http(Expectation):
    """The response of an `http`/`webhook` step (or an API-Gateway-shaped `invoke` result), by step `id`."""

    kind: ClassVar[str] = "http"
    step: str
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    body_contains: str | None = None
    json_: Any = Field(None, alias="json")
    exact: bool = False  # `json` must equal the body exactly: an extra field (a leaked exception message) fails
    twiml: Twiml | None = None

    @model_validator(mode="after")
    def _exact(self) -> Http:
        exact_needs(self, "json_")
        return self

    def check(self, ctx: Any) -> Verdict:
        response = as_http(ctx.outputs.get(self.step))
        seqs = tuple(e.seq for e in ctx.sim.trace.of("step", id=self.step))
        if response is None:
            return Verdict(False, f"step {self.step!r} produced an HTTP response", _not_http(ctx.outputs.get(self.step)),
                           seqs + tuple(e.seq for e in ctx.sim.trace.of("invoke_end")[-3:]))
        status, headers, body = response
        problems, wanted = [], []
        if self.status is not None:
            wanted.append(f"status {self.status}")
            if status != self.status:
                problems.append(f"status {status}")
        lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
        for key, value in self.headers.items():
            wanted.append(f"header {key}: {value}")
            if lowered.get(key.lower()) != str(value):
                problems.append(f"header {key}: {lowered.get(key.lower())}")
        if self.body is not None:
            wanted.append(f"body {self.body[:120]!r}")
            if body != self.body:
                problems.append("body differs")
        if self.body_contains is not None:
            wanted.append(f"body containing {self.body_contains!r}")
            if self.body_contains not in body:
                problems.append("body lacks it")
        if self.json_ is not None:
            wanted.append(f"JSON {_how(self.exact)} {self.shown('json_')}")
            if not matches(self.json_, body, self.exact):
                problems.append("JSON differs")
        if self.twiml is not None:
            problem = _twiml_problem(self.twiml, body)
            wanted.append(f"TwiML {show(self.twiml.model_dump(exclude_none=True))}")
            if problem:
                problems.append(problem)
        found = f"status {status}, body {body[:300]!r}"
        if problems:
            found = "; ".join(problems) + " - " + found
        return Verdict(not problems, f"step {self.step!r}: " + ", ".join(wanted or ["a response"]), found, seqs)


def _not_http(output: Any) -> str:
    """What a step produced instead of an HTTP response, in words."""
    if hasattr(output, "status") and hasattr(output, "request_id"):
        error = (getattr(output, "error", None) or {})
        detail = f": {error.get('errorType')}: {str(error.get('errorMessage', ''))[:160]}" if error else \
            f", payload {show(getattr(output, 'payload', None), 160)}"
        return f"an invocation that ended {output.status}{detail} (not an API Gateway proxy response)"
    if isinstance(output, str):
        return f"only a request id ({output}): an Event invoke has no response"
    return f"{show(output, 160)}"


def as_http(output: Any) -> tuple[int, dict, str] | None:
    """(status, headers, body) from an HttpResponse, or from an invoke result shaped like a proxy response."""
    if output is None:
        return None
    if hasattr(output, "status") and hasattr(output, "body") and hasattr(output, "headers"):
        body = output.body
        return int(output.status), dict(output.headers or {}), \
            body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    payload = getattr(output, "payload", None)
    if isinstance(payload, dict) and "statusCode" in payload:
        body = payload.get("body")
        return int(payload["statusCode"]), dict(payload.get("headers") or {}), \
            body if isinstance(body, str) else json.dumps(body) if body is not None else ""
    return None


def _twiml_problem(spec: Twiml, body: str) -> str | None:
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        return f"body is not TwiML XML ({exc})"
    if root.tag != "Response":
        return f"root element is <{root.tag}>, not <Response>"
    texts = ["".join(m.itertext()).strip() for m in root.iter("Message")]
    if spec.empty is not None and spec.empty != (len(root) == 0):
        return "TwiML is not empty" if spec.empty else "TwiML is empty"
    if spec.message is not None and texts != [spec.message]:
        return f"TwiML messages {texts}"
    if spec.messages is not None and texts != spec.messages:
        return f"TwiML messages {texts}"
    return None


