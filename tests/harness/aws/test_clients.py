"""Clients whose endpoint rule set is shared (harness/aws/clients.py) behave as clients that build their own: the
same class and methods, endpoints, region from each creation's environment, results under moto, and each client
keeps its own event handlers. The check that a handler takes **kwargs answers as botocore's does."""
import functools
import inspect
import types

import pytest
from botocore import compat
from moto import mock_aws

from harness.aws import clients, router


@pytest.fixture
def session(dummy_aws):
    session = router.shared_session()
    assert clients.installed()
    yield session
    clients.install()


def uncached(make):
    """What `make()` returns with botocore building its own endpoint provider."""
    clients.uninstall()
    try:
        return make()
    finally:
        clients.install()


def provider_of(client):
    return client._ruleset_resolver._provider


def endpoint_of(client, operation, **params):
    model = client.meta.service_model.operation_model(operation)
    return client._ruleset_resolver.construct_endpoint(model, params, {}).url


def test_the_shared_session_installs_the_cache():
    router.shared_session()
    assert clients.installed()


def test_clients_of_one_service_share_one_provider_and_uncached_ones_do_not(session):
    first, second = session.client("sqs"), session.client("sqs")
    own = uncached(lambda: session.client("sqs"))
    assert provider_of(first) is provider_of(second)
    assert provider_of(own) is not provider_of(first)
    assert provider_of(session.client("dynamodb")) is not provider_of(first)


def test_a_cached_client_has_the_same_class_methods_and_endpoint_as_an_uncached_one(session):
    for service in ("sqs", "dynamodb", "s3", "lambda", "sns", "events", "secretsmanager"):
        cached, own = session.client(service), uncached(lambda service=service: session.client(service))
        assert type(cached).__name__ == type(own).__name__
        assert sorted(vars(type(cached))) == sorted(vars(type(own)))
        assert cached.meta.endpoint_url == own.meta.endpoint_url
        assert cached.meta.region_name == own.meta.region_name == "eu-west-1"


def test_region_and_endpoint_url_are_read_from_the_environment_at_each_creation(session, monkeypatch):
    before = session.client("sqs")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    after = session.client("sqs")
    assert provider_of(before) is provider_of(after)
    assert (before.meta.region_name, after.meta.region_name) == ("eu-west-1", "ap-southeast-2")
    assert endpoint_of(before, "ListQueues") == "https://sqs.eu-west-1.amazonaws.com"
    assert endpoint_of(after, "ListQueues") == "https://sqs.ap-southeast-2.amazonaws.com"
    assert endpoint_of(after, "ListQueues") == endpoint_of(uncached(lambda: session.client("sqs")), "ListQueues")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    local = session.client("sqs")
    assert endpoint_of(local, "ListQueues") == "http://127.0.0.1:4566"
    assert endpoint_of(session.client("sqs", region_name="us-east-1"), "ListQueues") == "http://127.0.0.1:4566"


def test_s3_endpoints_with_bucket_parameters_match_uncached_ones(session):
    cached, own = session.client("s3"), uncached(lambda: session.client("s3"))
    for operation, params in (("GetObject", {"Bucket": "b", "Key": "k"}), ("ListBuckets", {})):
        assert endpoint_of(cached, operation, **params) == endpoint_of(own, operation, **params)


def sqs_round_trip(client):
    url = client.create_queue(QueueName="q")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="hello")
    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    return url, [m["Body"] for m in messages]


def dynamodb_round_trip(resource):
    table = resource.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                                  BillingMode="PAY_PER_REQUEST")
    table.put_item(Item={"pk": "a", "n": 1})
    return table.get_item(Key={"pk": "a"})["Item"]


def test_operations_under_moto_answer_the_same_with_and_without_the_cache(session):
    results = []
    for make_sqs, make_ddb in ((lambda: session.client("sqs"), lambda: session.resource("dynamodb")),
                               (lambda: uncached(lambda: session.client("sqs")),
                                lambda: uncached(lambda: session.resource("dynamodb")))):
        with mock_aws():
            results.append((sqs_round_trip(make_sqs()), dynamodb_round_trip(make_ddb())))
    assert results[0] == results[1]
    assert results[0][0][1] == ["hello"]


def test_a_handler_registered_on_one_client_stays_on_that_client(session):
    seen = []
    with mock_aws():
        first, second = session.client("sqs"), session.client("sqs")
        assert first.meta.events is not second.meta.events
        first.meta.events.register("before-call.sqs.ListQueues", lambda **kw: seen.append("first"))
        second.list_queues()
        third = session.client("sqs")
        third.list_queues()
        assert seen == []
        first.list_queues()
        assert seen == ["first"]


def test_a_handler_that_rewrites_one_clients_endpoint_does_not_move_another(session):
    def elsewhere(request, **_):
        request.url = request.url.replace("eu-west-1", "us-west-2")  # still one that moto answers

    with mock_aws():
        redirected, plain = session.client("sqs"), session.client("sqs")
        urls = []
        redirected.meta.events.register("before-sign.sqs", elsewhere)
        for client in (redirected, plain):
            client.meta.events.register("before-sign.sqs", lambda request, **_: urls.append(request.url))
            client.list_queues()
    assert urls[0].startswith("https://sqs.us-west-2.amazonaws.com")
    assert urls[1].startswith("https://sqs.eu-west-1.amazonaws.com")


def test_a_provider_is_shared_only_for_the_same_data_objects():
    ruleset = router.shared_session().client("sqs")._ruleset_resolver._provider.ruleset
    assert ruleset is not None
    data = {"version": "1.0", "parameters": {}, "rules": [
        {"type": "endpoint", "conditions": [], "endpoint": {"url": "https://a.example"}}]}
    equal_copy = {**data}
    first = clients.shared_provider(data, {"partitions": []})
    assert clients.shared_provider(data, first.ruleset.rule_lib.partitions_data) is first
    assert clients.shared_provider(equal_copy, first.ruleset.rule_lib.partitions_data) is not first
    assert clients.shared_provider(data, first.ruleset.rule_lib.partitions_data, {"Bucket"}) is not first
    assert first.resolve_endpoint().url == "https://a.example"


class _Callable:
    def __call__(self, **kwargs):
        pass

    def method(self, a, *args, b=1, **extra):
        pass

    def strict(self, a):
        pass


def _signed(**kwargs):
    pass


_signed.__signature__ = inspect.Signature()


def _wrapped(func):
    @functools.wraps(func)
    def wrapper(*args, **kw):
        return func(*args, **kw)
    return wrapper


def _no_kwargs(a, b=2, *, c):
    pass


HOSTILE_HANDLERS = [
    lambda **kwargs: None, lambda a, *args: None, lambda a, *, b, **kw: None, lambda a, /, b, **k: None,
    _no_kwargs, _signed, _wrapped(_no_kwargs), functools.partial(_no_kwargs, 1), functools.partial(_signed),
    _Callable(), _Callable().method, _Callable().strict, _Callable.method, print, len, types.MethodType(_signed, 1),
]


def botocore_answer(func):
    try:
        return compat.accepts_kwargs(func)
    except TypeError as exc:
        return type(exc)


def harness_answer(func):
    try:
        return clients.accepts_kwargs(func)
    except TypeError as exc:
        return type(exc)


def registered_handlers(emitter):
    trie = emitter._emitter._handlers
    stack, found = [trie._root], []
    while stack:
        node = stack.pop()
        if node.get("values"):
            found.extend(handler for part in node["values"] for handler in part)
        stack.extend(node.get("children", {}).values())
    return found


def test_the_kwargs_check_answers_as_botocores_for_every_registered_and_hostile_handler(session):
    handlers = registered_handlers(session._session._events) + registered_handlers(session.client("sqs").meta.events)
    handlers += registered_handlers(session.resource("dynamodb").meta.client.meta.events)
    assert len(handlers) > 100
    for handler in handlers + HOSTILE_HANDLERS:
        assert harness_answer(handler) == botocore_answer(handler), handler


def test_a_handler_without_kwargs_is_still_refused_on_a_client(session):
    client = session.client("sqs")
    with pytest.raises(ValueError, match="must accept keyword arguments"):
        client.meta.events.register("before-call.sqs", _no_kwargs)
    with pytest.raises(ValueError, match="must accept keyword arguments"):
        client.meta.events.register("before-call.sqs", _Callable().strict)
    client.meta.events.register("before-call.sqs", _Callable().method)
