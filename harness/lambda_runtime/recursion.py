"""Lambda's recursive loop detection, as AWS documents it (docs.aws.amazon.com/lambda/latest/dg/invocation-recursion):
an event that invokes the same function more than 16 times in one request chain is stopped.

The chain travels in the X-Ray trace header, as on AWS: each invocation gets `_X_AMZN_TRACE_ID`, botocore's own
recursion-detection handler copies it into every request's `X-Amzn-Trace-Id`, the harness carries it on the event
(`lambda:Invoke`; SQS's `AWSTraceHeader` system attribute, which the event source mapping hands to the next
invocation; SNS and S3 deliveries the request causes), and a `Lineage` field counts the invocations of each function in the chain. With the function's
`RecursiveLoop: Terminate` (the default) the 17th invocation does not run: a synchronous caller gets
`RecursiveInvocationException`, an asynchronous event goes to the DLQ / on-failure destination without retries,
an SQS batch fails (the queue's redrive policy moves it to its DLQ). `Allow` lets the loop go on (the run's
invocations budget then ends it)."""
from __future__ import annotations

import contextlib
import functools
import threading
import zlib
from collections.abc import Iterator, Mapping
from typing import Any

MAX_CHAIN = 16  # "more than 16 times": the 17th invocation of one function in one chain is stopped
HEADER = "X-Amzn-Trace-Id"
MESSAGE = ("Lambda has detected your function being invoked in a recursive loop with other AWS resources and "
           "stopped your function's invocation.")
POLICIES = ("Allow", "Terminate")
CARRYING_SERVICES = ("sns", "s3")  # they invoke functions asynchronously from the request (AWS tracks both)
_carried = threading.local()


def parse(header: str | None) -> dict[str, str]:
    """The fields of an X-Ray trace header (`Root=...;Parent=...;Sampled=0;Lineage=...`)."""
    fields: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            fields[key] = value
    return fields


def lineage(fields: Mapping[str, str]) -> dict[str, int]:
    """Invocations so far per function hash (the `Lineage` field: `hash:count|hash:count`)."""
    out: dict[str, int] = {}
    for entry in fields.get("Lineage", "").split("|"):
        key, _, count = entry.partition(":")
        if key and count.isdigit():
            out[key] = int(count)
    return out


@functools.lru_cache(maxsize=4096)
def function_hash(arn: str) -> str:
    """A function's key in the lineage (8 hex digits)."""
    return f"{zlib.crc32(arn.encode()):08x}"


def next_header(incoming: str | None, arn: str, request_id: str, now: float) -> tuple[str, int]:
    """The trace header of a new invocation of `arn` caused by `incoming` (None: a new chain), and how many times
    this chain has now invoked the function (1 for the first)."""
    if not incoming:  # a new chain (every direct invoke): what the general path below gives for no header
        lineage_text = f"{function_hash(arn)}:1"
        return f"Root={_new_root(now, request_id)};Parent={_parent(request_id)};Sampled=0;Lineage={lineage_text}", 1
    fields = parse(incoming)
    counts = lineage(fields)
    key = function_hash(arn)
    counts[key] = counts.get(key, 0) + 1
    root = fields.get("Root") or _new_root(now, request_id)
    text = "|".join(f"{k}:{v}" for k, v in counts.items())
    return f"Root={root};Parent={_parent(request_id)};Sampled=0;Lineage={text}", counts[key]


def _new_root(now: float, request_id: str) -> str:
    return f"1-{int(now) & 0xFFFFFFFF:08x}-{request_id.replace('-', '')[:24]}"


def _parent(request_id: str) -> str:
    return request_id.replace("-", "")[-16:]


def incoming(request: Any) -> str | None:
    """The trace header an invocation request carries: set by the caller (`lambda:Invoke`), or the highest-count
    `AWSTraceHeader` of an SQS batch's records."""
    header = request.meta.get("trace_header")
    if header:
        return header
    records = request.payload.get("Records") if isinstance(request.payload, dict) else None
    if not isinstance(records, list):
        return None
    found = [r["attributes"]["AWSTraceHeader"] for r in records
             if isinstance(r, dict) and isinstance(r.get("attributes"), dict) and r["attributes"].get("AWSTraceHeader")]
    return max(found, key=lambda h: max(lineage(parse(h)).values(), default=0), default=None)


def error_document(request_id: str) -> dict:
    """What the caller of a stopped invocation gets."""
    return {"errorType": "RecursiveInvocationException", "errorMessage": MESSAGE, "requestId": request_id}


def header_of(request: Any) -> str | None:
    """The X-Ray trace header of a botocore request (botocore percent-quotes it), if it has one."""
    header = request.headers.get(HEADER)
    if not header:
        return None
    from urllib.parse import unquote
    return unquote(header.decode() if isinstance(header, bytes) else str(header))


def carry_on_sqs_send(request: Any) -> None:
    """SQS keeps a sender's trace header as the message's `AWSTraceHeader` system attribute (JSON protocol
    SendMessage / SendMessageBatch); moto only keeps an explicit one, so the header is copied into the request."""
    header = header_of(request)
    if not header or not request.body:
        return
    import json
    try:
        body = json.loads(request.body)
    except ValueError:
        return  # the query protocol: not carried (docs/safety.md)
    attribute = {"AWSTraceHeader": {"DataType": "String", "StringValue": header}}
    for message in body.get("Entries", [body]) if isinstance(body, dict) else []:
        if isinstance(message, dict):
            message.setdefault("MessageSystemAttributes", attribute)
    data = json.dumps(body).encode()
    request.body = data
    request.headers["Content-Length"] = str(len(data))


@contextlib.contextmanager
def carrying(header: str | None) -> Iterator[None]:
    """While the block runs in this thread, invocations it causes (SNS and S3 deliveries) continue `header`'s
    chain."""
    previous = getattr(_carried, "header", None)
    _carried.header = header
    try:
        yield
    finally:
        _carried.header = previous


def carried() -> str | None:
    """The chain the calling thread's work continues (see `carrying`), if any."""
    return getattr(_carried, "header", None)
