"""Harness-internal AWS calls answered straight from moto's models (the in-process moto backend only).

A call the harness makes itself (a dead-letter or on-failure delivery, a setup message) costs about 1 ms through
botocore and moto: botocore serializes and signs the request, moto parses it, dispatches it, serializes its answer
and botocore parses that back. For the operations registered here the harness calls the moto model method that
moto's response handler calls, and leaves everything else as the API path leaves it:

- the trace gets the same `aws` event (service, operation, resource, caller `harness`, attempt 1, status 200);
- the same values are drawn: moto's model draws its ids itself; moto's response handler draws a request id
  (`gen_amzn_requestid_long`, moto's seeded generator) and botocore an invocation id (`uuid.uuid4`, which a
  scenario run pins: handler code's ids come from the same stream), so a direct call draws both as well;
- the answer has every field botocore would return, ResponseMetadata included.

A call this path could not answer exactly as the API would (an error, a parameter it does not handle, another
backend, an endpoint that is not AWS's) goes the API way; every check runs before anything is drawn or changed.
`enabled = False` (or HARNESS_DIRECT=0 in the environment) sends every call the API way;
tests/harness/aws/test_direct.py checks both ways give the same answers, state, draws and trace.
"""
from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable
from typing import Any

from harness.aws.wire import host_of
from harness.memo import remember
from harness.template import ACCOUNT_ID

enabled = os.environ.get("HARNESS_DIRECT", "") != "0"

# (service id as botocore hyphenizes it, client method name) -> (API operation name, answer(client, params), complete)
Direct = Callable[[Any, dict], "dict | None"]
DIRECT: dict[tuple[str, str], tuple[str, Direct, bool]] = {}
TOKENS: set[tuple[str, str]] = set()  # (service, method) whose answer fills in idempotency tokens as botocore does


def direct(service: str, method: str, operation: str, complete: bool = True,
           tokens: bool = False) -> Callable[[Direct], Direct]:
    """Register how a client method (`send_message`) of `service` is answered from moto's models; `operation` is
    the API's name for it (`SendMessage`), as the trace records it. A complete answer has every field the API's
    has; an incomplete one only what its one harness caller reads (asked for with `answer`). An operation with
    idempotency tokens (a uuid4 botocore draws) is answered only by a function registered with `tokens=True`,
    which draws them with `fill_tokens` once nothing can refuse the call any more."""

    def decorate(fn: Direct) -> Direct:
        DIRECT[(service, method)] = (operation, fn, complete)
        if tokens:
            TOKENS.add((service, method))
        return fn

    return decorate


def lookup(client: Any, method: str) -> Callable[[dict], dict | None] | None:
    """The direct way to answer `client.<method>(**params)` completely, or None when it has none; the callable
    returns None when this call must go the API way."""
    entry = DIRECT.get((client.meta.service_model.service_id.hyphenize(), method))
    if entry is None or not entry[2]:
        return None
    return lambda params: answer(client, method, params)


def answer(client: Any, method: str, params: dict) -> dict | None:
    """`client.<method>(**params)` answered from moto's models, its trace event recorded as the router records
    it; None when it must go the API way (then nothing was drawn, changed or recorded)."""
    service = client.meta.service_model.service_id.hyphenize()
    entry = DIRECT.get((service, method))
    sim = _moto_simulation(client) if entry is not None else None
    if sim is None:
        return None
    operation, respond, _ = entry
    model = client.meta.service_model.operation_model(operation)
    if model.idempotent_members and (service, method) not in TOKENS:  # botocore would draw a token (a uuid4)
        return None
    params = dict(params)
    response = respond(client, params)
    if response is None:
        return None
    resource_of, aws_response = _helpers()
    # botocore's own hooks around a call, where the router, the scenario ledger and the event sources observe the
    # API: emitted as botocore emits them (no handler of these operations changes their parameters).
    context = {"client_region": client.meta.region_name, "client_config": client.meta.config,
               "has_streaming_input": model.has_streaming_input, "auth_type": model.resolved_auth_type,
               "unsigned_payload": model.unsigned_payload,
               "auth_options": client.meta.service_model.metadata.get("auth")}
    client.meta.events.emit(f"before-parameter-build.{service}.{operation}", params=params, model=model,
                            context=context)
    sim.trace.record("aws", service=service, operation=operation, resource=resource_of(params),
                     caller="harness", request_id=None, attempt=1, status=200, error=None)
    client.meta.events.emit(f"after-call.{service}.{operation}", http_response=aws_response(None, 200),
                            parsed=response, model=model, context=context)
    return response


_AWS_HOSTS: dict[str, bool] = {}  # endpoint URL -> whether it is AWS's own (a client's URL never changes)


def _moto_simulation(client: Any) -> Any:
    """The running simulation when its backend is in-process moto and `client` talks to AWS's own endpoint."""
    if not enabled:
        return None
    router, moto_backend, active_simulation = _simulation_parts()
    sim = active_simulation()
    if sim is None or type(sim.backend) is not moto_backend or router._active is not sim.router:
        return None
    url = client.meta.endpoint_url
    aws = _AWS_HOSTS.get(url)
    if aws is None:
        aws = _AWS_HOSTS[url] = host_of(url).endswith(".amazonaws.com")
    return sim if aws else None


@functools.cache
def _simulation_parts() -> tuple[Any, type, Callable[[], Any]]:
    """The router module, the in-process moto backend's class and `active_simulation` (imported when first
    needed: they import this module)."""
    from harness.aws import router
    from harness.aws.backend import MotoBackend
    from harness.simulation import active_simulation
    return router, MotoBackend, active_simulation


@functools.cache
def _helpers() -> tuple[Callable[[dict], Any], Callable[..., Any]]:
    from harness.aws.router import resource_of
    from harness.aws.wire import aws_response
    return resource_of, aws_response


def draw_like_the_api() -> str:
    """Draw what a call through botocore and moto draws besides the model's own ids: botocore's invocation id
    (a uuid4) and moto's request id; returns the request id."""
    from botocore.endpoint import Endpoint
    from moto.utilities.aws_headers import gen_amzn_requestid_long
    # Drawn by botocore's and moto's own functions, so a snapshot's check of who drew what (harness/runner) sees
    # the callers it sees on the API way.
    Endpoint._update_retries_context(None, {}, 1)  # amz-sdk-invocation-id: a uuid4
    return gen_amzn_requestid_long()


def fill_tokens(client: Any, operation: str, params: dict) -> None:
    """Fill in the operation's missing idempotency tokens with botocore's own handler (a uuid4 each, drawn by the
    caller the API way records)."""
    from botocore.handlers import generate_idempotent_uuid
    generate_idempotent_uuid(params=params, model=client.meta.service_model.operation_model(operation))


def metadata(request_id: str, content_type: str | None, crc32_of: bytes | None = None) -> dict:
    """ResponseMetadata as botocore builds it from moto's answer (DynamoDB's carries the CRC32 of its body; some
    services' answers have no content type)."""
    import zlib

    from moto.core.utils import utcnow
    from werkzeug.http import http_date
    headers = {"content-type": content_type} if content_type is not None else {}
    headers.update({"server": "amazon.com", "date": http_date(utcnow()), "x-amzn-requestid": request_id})
    if crc32_of is not None:
        headers["x-amz-crc32"] = str(zlib.crc32(crc32_of))
    return {"RequestId": request_id, "HTTPStatusCode": 200, "HTTPHeaders": headers, "MaxAttemptsReached": True,
            "RetryAttempts": 0}


# ---------------------------------------------------------------------------------------------------- SQS
_ATTRIBUTE_ORDER = ("StringValue", "BinaryValue", "StringListValues", "BinaryListValues", "DataType")


@direct("sqs", "send_message", "SendMessage")
def _send_message(client: Any, params: dict) -> dict | None:
    """SendMessage to an existing standard queue with string message attributes."""
    if set(params) - {"QueueUrl", "MessageBody", "MessageAttributes"}:
        return None
    url, body, attributes = params.get("QueueUrl"), params.get("MessageBody"), params.get("MessageAttributes", {})
    if not (isinstance(url, str) and isinstance(body, str) and isinstance(attributes, dict)):
        return None
    if not all(isinstance(k, str) and isinstance(v, dict) and set(v) == {"DataType", "StringValue"}
               and all(isinstance(x, str) for x in v.values()) for k, v in attributes.items()):
        return None
    from moto.sqs.utils import validate_message_attributes

    from harness.aws.moto_sqs import request_time
    backend, queue = _sqs_queue(client, url)
    if queue is None or queue.fifo_queue:
        return None
    # moto's parser hands the attributes over in the shape's member order.
    parsed = {name: {k: value[k] for k in _ATTRIBUTE_ORDER if k in value} for name, value in attributes.items()}
    try:
        validate_message_attributes(parsed)
        backend._validate_message(queue, message_body=body, delay_seconds=0, deduplication_id=None, group_id=None)
    except Exception:  # noqa: BLE001 - the API way answers with moto's error
        return None
    with request_time():
        message = backend.send_message(queue.name, body, message_attributes=parsed, delay_seconds=None,
                                       deduplication_id=None, group_id=None, system_attributes=None)
        request_id = draw_like_the_api()
        response: dict[str, Any] = {"MD5OfMessageBody": message.body_md5}
        if message.message_attributes:
            response["MD5OfMessageAttributes"] = message.attribute_md5
        response["MessageId"] = message.id
        response["ResponseMetadata"] = metadata(request_id, "application/x-amz-json-1.0")
    return response


@direct("sqs", "create_queue", "CreateQueue")
def _create_queue(client: Any, params: dict) -> dict | None:
    """CreateQueue with string attributes and no tags (what the deployer sends)."""
    name, attributes = params.get("QueueName"), params.get("Attributes", {})
    if set(params) - {"QueueName", "Attributes"} or not isinstance(name, str) or not isinstance(attributes, dict) \
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()):
        return None
    from urllib.parse import urlparse

    from harness.aws.moto_sqs import request_time
    backend, _ = _sqs_queue(client, None)
    with request_time():
        try:
            queue = backend.create_queue(name, {}, **attributes)
        except Exception:  # noqa: BLE001 - refused before anything changed: the API way answers with moto's error
            return None
        request_id = draw_like_the_api()
        return {"QueueUrl": queue.url(urlparse(client.meta.endpoint_url + "/")),
                "ResponseMetadata": metadata(request_id, "application/x-amz-json-1.0")}


@direct("sqs", "delete_message_batch", "DeleteMessageBatch")
def _delete_message_batch(client: Any, params: dict) -> dict | None:
    """DeleteMessageBatch on an existing queue with distinct receipt handles (what an event source sends)."""
    if set(params) != {"QueueUrl", "Entries"} or not _valid(client, "DeleteMessageBatch", params):
        return None
    from harness.aws.moto_sqs import request_time
    backend, queue = _sqs_queue(client, params["QueueUrl"])
    entries = params["Entries"]
    handles = [entry["ReceiptHandle"] for entry in entries]
    if queue is None or not entries or len(set(handles)) != len(handles):
        return None
    with request_time():
        success, failed = backend.delete_message_batch(queue.name, [dict(entry) for entry in entries])
        request_id = draw_like_the_api()
        return {"Successful": [{"Id": entry_id} for entry_id in success], "Failed": failed,
                "ResponseMetadata": metadata(request_id, "application/x-amz-json-1.0")}


_RECEIVE_PARAMETERS = {"QueueUrl", "MaxNumberOfMessages", "WaitTimeSeconds", "VisibilityTimeout", "AttributeNames",
                       "MessageAttributeNames", "MessageSystemAttributeNames"}
# moto's ReceiveMessage handler: the system attributes it supports, and the order it lists them in.
_SYSTEM_ATTRIBUTES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
                      "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader", "SequenceNumber")


@direct("sqs", "receive_message", "ReceiveMessage")
def _receive_message(client: Any, params: dict) -> dict | None:
    """ReceiveMessage from an existing queue with parameters in range (what an event source sends); the messages
    as moto's ReceiveMessage handler lists them and botocore parses them."""
    if set(params) - _RECEIVE_PARAMETERS or not _valid(client, "ReceiveMessage", params):
        return None
    from moto.sqs.constants import DEFAULT_RECEIVED_MESSAGES, MAXIMUM_VISIBILITY_TIMEOUT

    from harness.aws.moto_sqs import request_time
    backend, queue = _sqs_queue(client, params["QueueUrl"])
    if queue is None:
        return None
    count = params.get("MaxNumberOfMessages", DEFAULT_RECEIVED_MESSAGES)
    wait = params.get("WaitTimeSeconds", int(queue.receive_message_wait_time_seconds))
    visibility = params.get("VisibilityTimeout", queue.visibility_timeout)
    if not (1 <= count <= 10 and 0 <= wait <= 20 and visibility <= MAXIMUM_VISIBILITY_TIMEOUT):
        return None
    names = set(params.get("AttributeNames", [])) | set(params.get("MessageSystemAttributeNames", []))
    included = [name for name in _SYSTEM_ATTRIBUTES if "All" in names or name in names]
    with request_time():
        messages = backend.receive_message(queue.name, count, wait, visibility,
                                           params.get("MessageAttributeNames", []))
        listed = [_received(message, included) for message in messages]
        request_id = draw_like_the_api()
        response: dict[str, Any] = {"Messages": listed} if listed else {}
        response["ResponseMetadata"] = metadata(request_id, "application/x-amz-json-1.0")
    return response


def _sqs_queue(client: Any, url: str | None) -> tuple[Any, Any]:
    """moto's SQS backend for `client`'s region and the queue `url` names there (None when it has none)."""
    from moto.sqs.models import sqs_backends
    backend = _backend(sqs_backends, client.meta.region_name)
    return backend, (backend.queues.get(url.split("/")[-1]) if url is not None else None)


def _backend(backends: Any, region: str) -> Any:
    """moto's regional backend of a service's BackendDict: dict's own lookups when it is made (moto's lookup takes
    a lock and lists the keys again on every call), moto's own when it has to make it."""
    made = dict.get(dict.get(backends, ACCOUNT_ID) or {}, region)
    return made if made is not None else backends[ACCOUNT_ID][region]


def _received(message: Any, included: list[str]) -> dict:
    """One received message as moto's handler lists it, in the order botocore parses it."""
    out: dict[str, Any] = {"MessageId": message.id, "ReceiptHandle": message.receipt_handle,
                           "MD5OfBody": message.body_md5, "Body": message.body}
    if included:
        trace_header = (message.system_attributes or {}).get("AWSTraceHeader")
        values = {"SenderId": message.sender_id, "SentTimestamp": str(message.sent_timestamp),
                  "ApproximateReceiveCount": str(message.approximate_receive_count),
                  "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
                  "MessageDeduplicationId": message.deduplication_id, "MessageGroupId": message.group_id,
                  "AWSTraceHeader": trace_header.get("StringValue") if trace_header else None,
                  "SequenceNumber": message.sequence_number}
        out["Attributes"] = {name: values[name] for name in included if values[name] is not None}
    if message.message_attributes:
        out["MD5OfMessageAttributes"] = message.attribute_md5
        out["MessageAttributes"] = {name: {k: value[k] for k in _ATTRIBUTE_ORDER if k in value}
                                    for name, value in message.message_attributes.items()}
    return out


# ---------------------------------------------------------------------------------------------------- S3
@direct("s3", "create_bucket", "CreateBucket", complete=False)
def _create_bucket(client: Any, params: dict) -> dict | None:
    """CreateBucket of a new bucket in the client's own region without ACL, lock or ownership options (what the
    deployer sends), run by moto's S3 model as its handler runs it; the answer holds only `Location`."""
    from botocore.exceptions import ParamValidationError
    from botocore.handlers import validate_bucket_name
    if set(params) - {"Bucket", "CreateBucketConfiguration"} or not _valid(client, "CreateBucket", params):
        return None
    try:
        validate_bucket_name(dict(params))  # botocore's check before building the request
    except ParamValidationError:
        return None
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition
    name, region = params["Bucket"], client.meta.region_name
    location = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
    # moto's handler: us-east-1 takes no constraint naming itself, any other region exactly its own name
    if (location == "us-east-1") if region == "us-east-1" else (location != region):
        return None
    if name in s3_backends.bucket_accounts:  # already there: moto's handler decides (idempotent or an error)
        return None
    try:
        s3_backends[ACCOUNT_ID][get_partition(region)].create_bucket(name, location or "us-east-1",
                                                                   bucket_namespace=None)
    except Exception:  # noqa: BLE001 - refused before anything changed (a name's length): the API way answers
        return None
    draw_like_the_api()
    return {"Location": f"/{name}"}


# ---------------------------------------------------------------------------------------------------- Secrets Manager
@direct("secrets-manager", "create_secret", "CreateSecret", tokens=True)
def _create_secret(client: Any, params: dict) -> dict | None:
    """CreateSecret of a new secret with a string value (the deployer's and a scenario's setup), run by moto's
    own handler."""
    if set(params) - {"Name", "SecretString"} or not _valid(client, "CreateSecret", params):
        return None
    backend = _secrets(client)
    # moto checks the names themselves (`in secrets` also finds ARNs); a name there is refused or answered for a
    # token: the API way
    if params["Name"] in backend.secrets.keys():  # noqa: SIM118
        return None
    return _secrets_answer(client, "CreateSecret", params, lambda handler: handler.create_secret())


@direct("secrets-manager", "put_secret_value", "PutSecretValue", tokens=True)
def _put_secret_value(client: Any, params: dict) -> dict | None:
    """PutSecretValue of a non-empty string to an existing secret (a scenario's setup), run by moto's own
    handler."""
    if set(params) != {"SecretId", "SecretString"} or not params.get("SecretString") \
            or not _valid(client, "PutSecretValue", params):
        return None
    from moto.secretsmanager.models import ReplicaSecret
    backend = _secrets(client)
    if not backend._is_valid_identifier(params["SecretId"]) or isinstance(backend.secrets[params["SecretId"]],
                                                                          ReplicaSecret):
        return None
    return _secrets_answer(client, "PutSecretValue", params, lambda handler: handler.put_secret_value())


@direct("secrets-manager", "get_secret_value", "GetSecretValue")
def _get_secret_value(client: Any, params: dict) -> dict | None:
    """GetSecretValue (a webhook step's auth token, a check's read) answered by moto's model as its handler asks
    it; the answer is its JSON as botocore's own parser reads it (timestamps, blobs)."""
    if set(params) - {"SecretId", "VersionId", "VersionStage"} or not _valid(client, "GetSecretValue", params):
        return None
    import json
    try:  # moto's handler asks the model with the parameters as given (None when absent); a read changes nothing
        body = json.dumps(_secrets(client).get_secret_value(
            secret_id=params["SecretId"], version_id=params.get("VersionId"), version_stage=params.get("VersionStage")))
    except Exception:  # noqa: BLE001 - the API way answers with moto's error
        return None
    return _parsed(client, "GetSecretValue", body, None)


def _parsed(client: Any, operation: str, body: str, content_type: str | None, crc32: bool = False) -> dict:
    """moto's JSON answer `body` as botocore hands it to the caller: parsed by the client's own response parser,
    with ResponseMetadata (the request id drawn as the API way draws it)."""
    meta = metadata(draw_like_the_api(), content_type, crc32_of=body.encode() if crc32 else None)
    shape = client.meta.service_model.operation_model(operation).output_shape
    parsed = client._response_parser.parse({"status_code": 200, "headers": meta["HTTPHeaders"],
                                            "body": body.encode()}, shape)
    parsed["ResponseMetadata"] = meta
    return parsed


def _secrets(client: Any) -> Any:
    from moto.secretsmanager.models import secretsmanager_backends
    return _backend(secretsmanager_backends, client.meta.region_name)


def _secrets_answer(client: Any, operation: str, params: dict, call: Callable[[Any], str]) -> dict:
    """moto's Secrets Manager handler answers `params` (its token filled in first, as botocore fills it), as its
    parser would hand them over; its JSON answer with ResponseMetadata."""
    import json

    from moto.secretsmanager.responses import SecretsManagerResponse
    fill_tokens(client, operation, params)
    handler = SecretsManagerResponse()
    handler.body, handler.current_account, handler.region = json.dumps(params), ACCOUNT_ID, client.meta.region_name
    handler.querystring, handler.uri_match = {}, None  # a JSON-protocol request: every parameter is in the body
    answer = json.loads(call(handler))
    answer["ResponseMetadata"] = metadata(draw_like_the_api(), None)
    return answer


# ---------------------------------------------------------------------------------------------------- DynamoDB
@direct("dynamodb", "create_table", "CreateTable", complete=False)
def _create_table(client: Any, params: dict) -> dict | None:
    """CreateTable run by moto's own CreateTable handler (its validation included) on the parameters as moto's
    parser hands them over; the answer has the TableDescription's TableArn and LatestStreamArn (the deployer's)."""
    if not _valid(client, "CreateTable", params):
        return None
    from moto.dynamodb.models import dynamodb_backends
    handler = _dynamo_handler(client, params)
    try:
        handler.create_table()
    except Exception:  # noqa: BLE001 - refused before anything changed: the API way answers with moto's error
        return None
    table = dynamodb_backends[ACCOUNT_ID][client.meta.region_name].tables[params["TableName"]]
    draw_like_the_api()
    description = {"TableArn": table.table_arn}
    if table.latest_stream_label:
        description["LatestStreamArn"] = table.table_arn + "/stream/" + table.latest_stream_label
    return {"TableDescription": description}


@direct("dynamodb", "put_item", "PutItem")
def _put_item(client: Any, params: dict) -> dict | None:
    """PutItem without a condition or return values (what a scenario's setup writes), run by moto's own PutItem
    handler (its validation included); its answer is empty but for ResponseMetadata."""
    if set(params) != {"TableName", "Item"} or not _valid(client, "PutItem", params):
        return None
    handler = _dynamo_handler(client, params)
    try:
        answer = handler.put_item().result
    except Exception:  # noqa: BLE001 - refused before anything changed: the API way answers with moto's error
        return None
    if answer:
        raise AssertionError(f"moto's PutItem answered {answer!r} to a plain put")  # never: no return values
    return {"ResponseMetadata": metadata(draw_like_the_api(), "application/x-amz-json-1.0", crc32_of=b"{}")}


def _dynamo_read(method: str, operation: str) -> None:
    """Register a read-only DynamoDB operation (an `assert` step's item or items, a check's key names): run by
    moto's own handler (its validation included) and serialized by moto's serializer, as its dispatcher runs
    them; the answer as botocore's parser reads it. A read changes nothing, so a refusal leaves nothing behind."""

    @direct("dynamodb", method, operation)
    def read(client: Any, params: dict) -> dict | None:
        if not _valid(client, operation, params):
            return None
        handler = _dynamo_handler(client, params)
        handler.headers = {"Content-Type": _AMZ_JSON, "X-Amz-Target": f"DynamoDB_20120810.{operation}"}
        handler.querystring, handler.response_headers = {}, {}  # moto's own headers are made by `metadata`
        try:
            status, _, body = handler.serialized(getattr(handler, method)())
        except Exception:  # noqa: BLE001 - the API way answers with moto's error
            return None
        if status != 200 or not isinstance(body, str):
            return None
        return _parsed(client, operation, body, _AMZ_JSON, crc32=True)


_AMZ_JSON = "application/x-amz-json-1.0"
for _method, _operation in (("get_item", "GetItem"), ("scan", "Scan"), ("query", "Query"),
                            ("describe_table", "DescribeTable")):
    _dynamo_read(_method, _operation)


def _dynamo_handler(client: Any, params: dict) -> Any:
    """moto's DynamoDB response handler, holding `params` (a copy) as its parser would hand them over."""
    from moto.dynamodb.responses import DynamoHandler
    handler = DynamoHandler()
    handler.body, handler.current_account, handler.region = copy.deepcopy(params), ACCOUNT_ID, client.meta.region_name
    return handler


def _valid(client: Any, operation: str, params: dict) -> bool:
    """True when botocore's own parameter validation accepts `params` (else the API way raises its error). Its
    verdict is a function of the input shape and the parameters alone, so it is kept per shape and picture of the
    parameters (every value with its type): the event sources' receives, the deployer's creates and a scenario's
    reads ask the same question every run."""
    from botocore.validate import ParamValidator
    shape = client.meta.service_model.operation_model(operation).input_shape
    picture = _picture(params)
    key = (shape, picture)
    if picture is not None:
        known = _VALIDATED.get(key)
        if known is not None:
            return known
    valid = not ParamValidator().validate(params, shape).has_errors()
    if picture is not None:
        remember(_VALIDATED, key, valid, _VALIDATED_MAX)  # receipt handles never repeat: keep the cache small
    return valid


_VALIDATED: dict[tuple, bool] = {}
_VALIDATED_MAX = 512
_ATOMS = (str, int, float, bool, bytes, type(None))


def _picture(value: Any) -> Any:
    """A hashable picture of a parameter value that tells apart every value and type botocore's validation could
    (dicts and lists of text, numbers, booleans, bytes and None); None for anything else (not kept)."""
    kind = type(value)
    if kind in _ATOMS:
        return (kind, value)
    if kind is dict:
        items = []
        for name, member in value.items():
            inner = _picture(member)
            if inner is None or type(name) is not str:
                return None
            items.append((name, inner))
        return (dict, tuple(items))
    if kind is list:
        members = tuple(_picture(member) for member in value)
        return None if None in members else (list, members)
    return None
