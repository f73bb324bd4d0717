"""SigV4 signatures made from remembered signing keys (harness/aws/signing.py) are the ones botocore makes: the same
Authorization header for any secret, date, region, service and request, whatever was signed before."""
import contextlib
import datetime
import json

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from freezegun import freeze_time
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness.aws import clients, router, signing

botocores_signature = signing._signature
text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
bodies = st.dictionaries(text, text, max_size=3).map(lambda d: json.dumps(d).encode())  # query auth reads JSON
days = st.datetimes(min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1))


@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert signing.installed() and clients.installed()


def _request(body: bytes) -> AWSRequest:
    return AWSRequest("POST", "https://dynamodb.us-east-1.amazonaws.com/", data=body,
                      headers={"X-Amz-Target": "DynamoDB_20120810.GetItem"})


def _signed(auth_class: type, credentials: Credentials, service: str, region: str, when: datetime.datetime,
            body: bytes, own: bool) -> dict:
    """The request's headers and URL once signed, with the remembered keys or botocore's own derivation."""
    request = _request(body)
    if own:
        signing.uninstall()
    try:
        with freeze_time(when):
            auth_class(credentials, service, region).add_auth(request)
    finally:
        signing.install()
    return {"url": request.url, **dict(request.headers.items())}


@settings(max_examples=100, deadline=None)
@given(secret=text, access=st.text("ABCDEFGHIJ0123456789", min_size=1, max_size=20), service=text, region=text,
       when=days, body=bodies,
       auth_class=st.sampled_from([SigV4Auth, S3SigV4Auth, SigV4QueryAuth]))
def test_a_request_is_signed_as_botocore_signs_it(secret, access, service, region, when, body, auth_class):
    credentials = Credentials(access, secret)
    for _ in range(2):  # the second signing finds the key remembered
        assert _signed(auth_class, credentials, service, region, when, body, own=False) == \
            _signed(auth_class, credentials, service, region, when, body, own=True)


@settings(max_examples=100, deadline=None)
@given(secret=text, timestamp=st.text("0123456789TZ", min_size=8, max_size=16), service=text, region=text,
       string_to_sign=text)
def test_a_signature_is_botocores_for_any_texts(secret, timestamp, service, region, string_to_sign):
    auth = SigV4Auth(Credentials("AKID", secret), service, region)
    request = _request(b"")
    request.context["timestamp"] = timestamp
    assert signing.signature(auth, string_to_sign, request) == botocores_signature(auth, string_to_sign, request)


def test_keys_differ_for_each_of_their_four_texts():
    base = ("secret", "20261129", "us-east-1", "dynamodb")
    keys = {signing.signing_key(*base)}
    for position, other in enumerate(("secret2", "20261130", "eu-west-1", "sqs")):
        keys.add(signing.signing_key(*base[:position], other, *base[position + 1:]))
    assert len(keys) == 5


def test_a_signer_with_its_own_sign_goes_to_its_own_code():
    class Shouting(SigV4Auth):
        def _sign(self, key, msg, hex=False):
            signed = super()._sign(key, msg, hex)
            return signed.upper() if hex else signed

    auth = Shouting(Credentials("AKID", "secret"), "sqs", "us-east-1")
    request = _request(b"")
    request.context["timestamp"] = "20261129T000000Z"
    made = auth.signature("string", request)
    assert made == botocores_signature(auth, "string", request) and made == made.upper()


def test_a_secret_that_is_not_text_goes_to_botocore(monkeypatch):
    auth = SigV4Auth(Credentials("AKID", "secret"), "sqs", "us-east-1")
    monkeypatch.setattr(auth.credentials, "secret_key", 12345)
    request = _request(b"")
    request.context["timestamp"] = "20261129T000000Z"
    assert auth.signature("s", request) == botocores_signature(auth, "s", request)


def test_the_memory_is_bounded():
    for day in range(signing.MAX_KEYS + 5):
        signing.signing_key("secret", f"2026{day:04d}", "us-east-1", "sqs")
    assert len(signing._keys) <= signing.MAX_KEYS


def test_uninstall_gives_botocore_its_own_signature():
    signing.uninstall()
    try:
        assert SigV4Auth.signature is botocores_signature and not signing.installed()
    finally:
        signing.install()
    assert signing.installed()


def _sent_by_a_client(own: bool) -> list[dict]:
    """The headers of a DynamoDB and an SQS request as a new client sends them, answered before they leave."""
    from botocore.awsrequest import AWSResponse

    sent = []

    def answer(request, **_):
        # neither is signed (SignedHeaders): the invocation id is random, and the User-Agent's feature ids (`m/...`)
        # follow what the process resolved before; test_client_settings.py compares the User-Agent's text
        sent.append({name: value for name, value in request.headers.items()
                     if name not in ("User-Agent", "amz-sdk-invocation-id")})
        return AWSResponse(request.url, 200, {}, None)

    if own:
        signing.uninstall()
    try:
        with freeze_time("2026-11-29 12:00:00"):
            for service, call in (("dynamodb", lambda c: c.describe_limits()),
                                  ("sqs", lambda c: c.list_queues())):
                client = router.shared_session().client(service)
                client.meta.events.register("before-send", answer)
                with contextlib.suppress(Exception):  # the empty answer may not parse: the request was sent
                    call(client)
    finally:
        signing.install()
    return sent


def test_a_clients_requests_carry_botocores_authorization(dummy_aws):
    remembered, own = _sent_by_a_client(own=False), _sent_by_a_client(own=True)
    assert len(remembered) == 2 and remembered == own
    # the access key is whatever the shared session resolved first in this process (moto's when a test under
    # mock_aws came first): the date and region are this test's
    assert all(headers["Authorization"].startswith(b"AWS4-HMAC-SHA256 Credential=")
               and b"/20261129/eu-west-1/" in headers["Authorization"] for headers in remembered)


header_names = st.one_of(st.sampled_from(["Host", "host", "X-Amz-Target", "Content-Type", "User-Agent", "Expect",
                                          "X-Amz-Date", "Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256",
                                          "Authorization", "x-amzn-trace-id", "X-Custom", "x-custom", " X-Spaced "]),
                         st.text("abcXYZ-_ ", min_size=1, max_size=8), st.text("aé", min_size=1, max_size=2))
ascii_values = st.text("ab c\t1/=", max_size=12)
header_values = st.one_of(ascii_values, ascii_values, ascii_values, st.text(max_size=6), st.binary(max_size=4))
urls = st.sampled_from(["https://dynamodb.us-east-1.amazonaws.com/", "https://sqs.eu-west-1.amazonaws.com/1/q",
                        "http://localhost:4566/", "https://[::1]:8443/a%20b/../c?x=1&b=2&a", "https://h:443/p?q",
                        "https://user@Example.COM:9000/x//y/./z", "http://127.0.0.1:80/"])
payloads = st.one_of(st.binary(max_size=40), st.text(max_size=10), st.just(b""),
                     st.dictionaries(st.text("ab", max_size=2), st.text("xy", max_size=2), max_size=2),
                     st.binary(max_size=10).map(lambda b: __import__("io").BytesIO(b)))


def _signed_request(method, url, headers, body, params, context, token, own):
    request = AWSRequest(method, url, data=body, params=params)
    for name, value in headers:  # repeated names stay repeated, in order
        request.headers[name] = value
    request.context.update(context)
    if own:
        signing.uninstall()
    try:
        with freeze_time("2026-11-29 12:00:00"):
            SigV4Auth(Credentials("AKID", "secret", token), "dynamodb", "us-east-1").add_auth(request)
        outcome = "signed"
    except Exception as exc:  # noqa: BLE001 - botocore's own error is the expected answer
        outcome = repr(exc)
    finally:
        signing.install()
    position = body.tell() if hasattr(body, "tell") else None
    return outcome, request.url, list(request.headers.items()), dict(request.context), position


@settings(max_examples=300, deadline=None)
@given(method=st.sampled_from(["POST", "GET", "put"]), url=urls,
       headers=st.lists(st.tuples(header_names, header_values), max_size=6), body=payloads,
       params=st.one_of(st.just({}), st.dictionaries(st.text("ab", max_size=2), st.text("c d", max_size=2),
                                                      max_size=2)),
       context=st.fixed_dictionaries({}, optional={
           "payload_signing_enabled": st.booleans(),
           "checksum": st.sampled_from([{}, {"request_algorithm": {"in": "trailer"}},
                                        {"request_algorithm": {"in": "header"}}])}),
       token=st.one_of(st.none(), st.just("session-token")))
@example(method="POST", url="https://h/", headers=[(" X-Spaced ", " a  b "), ("x-spaced", "c")], body=b"{}", params={},
         context={}, token=None)
def test_a_plain_sigv4_request_gets_botocores_headers_read_once(method, url, headers, body, params, context, token):
    def copy(value):
        return __import__("io").BytesIO(value.getvalue()) if hasattr(value, "getvalue") else value

    once = _signed_request(method, url, headers, copy(body), params, context, token, own=False)
    assert once == _signed_request(method, url, headers, copy(body), params, context, token, own=True)


def test_a_signer_subclass_or_a_replaced_method_goes_to_botocores_add_auth(monkeypatch):
    seen = []
    own_canonical = SigV4Auth.canonical_request
    monkeypatch.setattr(SigV4Auth, "canonical_request", lambda self, r: seen.append(r) or own_canonical(self, r))
    request = _request(b"{}")
    SigV4Auth(Credentials("AKID", "secret"), "dynamodb", "us-east-1").add_auth(request)
    assert seen == [request]


def test_a_clients_request_takes_the_one_pass_path(dummy_aws, monkeypatch):
    taken = []
    monkeypatch.setattr(signing, "signed_headers", lambda r: taken.append(signed_headers(r)) or taken[-1])
    _sent_by_a_client(own=False)
    assert len(taken) == 2 and all(taken), taken


signed_headers = signing.signed_headers


@settings(max_examples=200, deadline=None)
@given(url=urls | st.builds("{}://{}{}{}/{}".format, st.sampled_from(["http", "https", "HTTPS"]),
                            st.sampled_from(["", "user:pw@"]),
                            st.sampled_from(["Example.COM", "[::1]", "127.0.0.1", "[fe80::1%25eth0]", "h"]),
                            st.sampled_from(["", ":80", ":443", ":8080", ":99999", ":x"]),
                            st.text("a/.~%é ", max_size=6)))
def test_a_urls_host_and_path_are_botocores_the_first_time_and_from_memory(url):
    def answer(call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - the same error is the point
            return type(exc), str(exc)

    auth = SigV4Auth(Credentials("a", "b"), "dynamodb", "us-east-1")
    botocores = answer(lambda: signing._host_from_url(url)), answer(lambda: auth._normalize_url_path(
        signing.auth.urlsplit(url).path))
    for _ in range(2):
        assert (answer(lambda: signing.host_of(url)), answer(lambda: signing._path_of(auth, url))) == botocores
