"""Requests prepared in one pass (harness/aws/prepared_requests.py) are the ones botocore's `Endpoint.prepare_request`
prepares: the same header list left on the request, and the same method, URL, headers (names, values, order),
body, stream flag and context on the prepared request, for plain requests and odd ones (repeated names, bytes and
non-ASCII values, dict, empty and file bodies, query parameters)."""
import contextlib
import io

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, AWSRequestPreparer
from botocore.endpoint import Endpoint
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.aws import prepared_requests, router

names = st.one_of(st.sampled_from(["X-Amz-Target", "Content-Type", "User-Agent", "X-Amz-Date", "Authorization",
                                   "amz-sdk-invocation-id", "Content-Length", "content-length", "Transfer-Encoding",
                                   "x-amz-target"]),
                  st.text("abXY-", min_size=1, max_size=6), st.text("aé", min_size=1, max_size=2))
values = st.one_of(st.text("ab c;=/1", max_size=12), st.text("ab c;=/1", max_size=12), st.text(max_size=4),
                   st.binary(max_size=4))
bodies = st.one_of(st.binary(max_size=30), st.just(b""), st.just(b"{}"), st.none(),
                   st.dictionaries(st.text("ab", max_size=2), st.text("xy", max_size=2), max_size=2),
                   st.binary(max_size=8).map(io.BytesIO))


@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert prepared_requests.installed()


def _endpoint() -> Endpoint:
    return Endpoint("https://dynamodb.us-east-1.amazonaws.com", "dynamodb", event_emitter=None)


def _prepared(method, url, headers, body, params, stream, own) -> tuple:
    request = AWSRequest(method, url, data=body, params=params, stream_output=stream)
    for name, value in headers:  # repeated names stay repeated, in order
        request.headers[name] = value
    request.context["timestamp"] = "20261130T000000Z"
    prepare = prepared_requests._original if own else prepared_requests.prepare_request
    try:
        prepared = prepare(_endpoint(), request)
    except Exception as exc:  # noqa: BLE001 - botocore's own error is the expected answer
        return repr(exc), list(request.headers._headers)
    assert type(prepared) is AWSPreparedRequest and prepared.context is request.context
    body = prepared.body.getvalue() if isinstance(prepared.body, io.BytesIO) else prepared.body
    return (prepared.method, prepared.url, [(str(key), key._lower, value) for key, value in prepared.headers._dict.items()],
            list(prepared.headers.items()), body, prepared.stream_output, list(request.headers._headers))


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["POST", "GET", "HEAD", "put", "OPTIONS"]),
       url=st.sampled_from(["https://dynamodb.us-east-1.amazonaws.com/", "http://localhost:4566/q?x=1"]),
       headers=st.lists(st.tuples(names, values), max_size=7), body=bodies,
       params=st.one_of(st.just({}), st.dictionaries(st.text("ab", max_size=2), st.text("c", max_size=2),
                                                      max_size=2)),
       stream=st.booleans())
@example(method="POST", url="https://h/", headers=[("X-Amz-Target", "DynamoDB_20120810.GetItem"),
                                                    ("Content-Type", "application/x-amz-json-1.0")],
         body=b'{"TableName": "t"}', params={}, stream=False)
@example(method="POST", url="https://h/", headers=[("A", "1"), ("a", "2")], body=b"x", params={}, stream=False)
@example(method="POST", url="https://h/", headers=[("A", "1"), ("B", b"2"), ("C", "3")], body=b"x", params={},
         stream=False)
def test_a_request_is_prepared_as_botocore_prepares_it(method, url, headers, body, params, stream):
    assert _prepared(method, url, headers, body, params, stream, own=False) == \
        _prepared(method, url, headers, body, params, stream, own=True)


def test_a_clients_request_takes_the_one_pass_path(monkeypatch):
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    client = session.client("sqs", region_name="eu-west-1")  # not the shared session, which other tests change
    plain, sent = [], []
    own = prepared_requests._plain
    seen = []

    def spy(request):
        seen.append([name.lower() for name, _ in request.headers._headers])
        plain.append(own(request))
        return plain[-1]
    monkeypatch.setattr(prepared_requests, "_plain", spy)

    def answer(request, **_):
        sent.append((list(request.headers.items()), request.body))
        from botocore.awsrequest import AWSResponse
        return AWSResponse(request.url, 200, {}, None)
    client.meta.events.register("before-send", answer)
    with contextlib.suppress(Exception):  # the empty answer may not parse: the request was sent
        client.list_queues()
    # a header added twice by a handler another test left in botocore's built-in handlers is botocore's to prepare
    assert plain and (plain[0] is not None or len(set(seen[0])) < len(seen[0])), seen
    headers, body = sent[0]
    assert all(type(value) is bytes for name, value in headers if name != "Content-Length")
    assert ("Content-Length", str(len(body))) in headers


def test_a_subclass_or_a_replaced_method_goes_to_botocore(monkeypatch):
    calls = []
    botocores = AWSRequestPreparer._prepare_headers

    def counted(self, original, prepared_body=None):
        calls.append(original)
        return botocores(self, original, prepared_body)
    monkeypatch.setattr(AWSRequestPreparer, "_prepare_headers", counted)
    request = AWSRequest("POST", "https://h/", data=b"x", headers={"A": "1"})
    prepared_requests.prepare_request(_endpoint(), request)
    assert calls == [request]


def test_uninstall_gives_botocore_its_own_preparation():
    prepared_requests.uninstall()
    try:
        assert Endpoint.prepare_request is prepared_requests._original and not prepared_requests.installed()
    finally:
        prepared_requests.install()
