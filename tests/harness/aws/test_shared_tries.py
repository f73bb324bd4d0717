"""Event emitters copied by sharing their handler trie (harness/aws/clients.py `SharedTrie`) answer every lookup as
botocore's own node-by-node copies do, whatever is registered or unregistered on the original and the copies
afterwards; copies of an event aliaser with botocore's alias table share its aliased names (the same names); and a
client's HTTP session makes its SSL context only when it first hands out a connection; proxies from the
environment are urllib's."""
import copy

import pytest
from botocore import hooks, httpsession
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harness.aws import clients, router

KEYS = ["before-send", "before-send.sqs", "before-send.sqs.SendMessage", "before-send.*.Invoke", "a.b.c", "a.*",
        "a.b", "before-call.dynamodb.PutItem", "before-call.*.PutItem"]
QUERIES = KEYS + ["before-send.lambda.Invoke", "a.x.c", "before-call.dynamodb.GetItem", "nothing"]

@pytest.fixture(autouse=True)
def installed():
    router.shared_session()  # installs the harness's client creation (as every simulation does)
    assert clients.installed()


operation = st.one_of(
    st.tuples(st.just("append"), st.integers(0, 7), st.sampled_from(KEYS), st.integers(0, 5),
              st.sampled_from([hooks._FIRST, hooks._MIDDLE, hooks._LAST])),
    st.tuples(st.just("remove"), st.integers(0, 7), st.sampled_from(KEYS), st.integers(0, 5)),
    st.tuples(st.just("copy"), st.integers(0, 7)),
)


def structure(node: dict) -> dict:
    """A trie node as plain data (what lookups can see)."""
    values = node["values"]
    return {"chunk": node["chunk"], "values": None if values is None else [list(part) for part in values],
            "children": {key: structure(child) for key, child in node["children"].items()}}


def apply(tries: list, operations: list, copier) -> list:
    """Run `operations` on `tries` (copies made with `copier`); each result or error, in order (botocore raises
    ValueError or AttributeError for a key or value it does not hold)."""
    outcomes = []
    for op in operations:
        trie = tries[op[1] % len(tries)]
        try:
            if op[0] == "append":
                trie.append_item(op[2], f"handler-{op[3]}", section=op[4])
            elif op[0] == "remove":
                trie.remove_item(op[2], f"handler-{op[3]}")
            else:
                tries.append(copier(trie))
            outcomes.append("ok")
        except (ValueError, AttributeError) as exc:
            outcomes.append(f"{type(exc).__name__}: {exc}")
    return outcomes


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(KEYS), st.integers(0, 5)), max_size=6), st.lists(operation, max_size=40))
def test_shared_tries_answer_every_lookup_as_botocores_own_copies(setup, operations):
    original, shared = hooks._PrefixTrie(), hooks._PrefixTrie()
    for key, value in setup:
        for trie in (original, shared):
            trie.append_item(key, f"handler-{value}")
    theirs, ours = [original], [shared]
    assert apply(theirs, operations, clients._trie_copy) == apply(ours, operations, clients.share_trie)
    assert len(theirs) == len(ours)
    for their, our in zip(theirs, ours):
        assert structure(our._root) == structure(their._root)
        for query in QUERIES:
            assert list(our.prefix_search(query)) == list(their.prefix_search(query))


def test_what_the_session_registers_after_a_client_exists_does_not_reach_that_client():
    emitter = hooks.HierarchicalEmitter()
    emitter.register("before-send.sqs", lambda **_: "session")
    client = copy.copy(emitter)
    assert isinstance(client._handlers, clients.SharedTrie)
    emitter.register("before-send.sqs", lambda **_: "later")
    client.register("before-send.sqs", lambda **_: "client")
    assert [answer for _, answer in emitter.emit("before-send.sqs")] == ["session", "later"]
    assert [answer for _, answer in client.emit("before-send.sqs")] == ["session", "client"]
    other = copy.copy(emitter)
    assert [answer for _, answer in other.emit("before-send.sqs")] == ["session", "later"]


def test_a_trie_built_after_install_owns_its_nodes_and_copies_shared_ones_only():
    trie = clients.SharedTrie()
    trie.append_item("a.b", 1)
    root = trie._root
    trie.append_item("a.c", 2)
    assert trie._root is root  # never copied: changed in place
    copied = copy.copy(trie)
    copied.append_item("a.d", 3)
    assert copied._root is not root and trie._root is root
    assert list(trie.prefix_search("a.d")) == [] and list(copied.prefix_search("a.d")) == [3]


def test_a_trie_of_another_shape_is_copied_by_botocore():
    trie = hooks._PrefixTrie()
    trie.extra = "state"
    copied = clients.share_trie(trie)
    assert type(copied) is hooks._PrefixTrie and copied.extra == "state"


@pytest.fixture
def environment(dummy_aws):
    return router.shared_session()


def test_a_client_makes_its_ssl_context_when_it_first_hands_out_a_connection(environment):
    client = environment.client("sqs")
    session = client._endpoint.http_session
    assert isinstance(session._manager.connection_pool_kw["ssl_context"], clients.DeferredContext)
    manager = session._get_connection_manager("https://sqs.eu-west-1.amazonaws.com/")
    context = manager.connection_pool_kw["ssl_context"]
    own = httpsession.create_urllib3_context()
    assert type(context) is type(own)
    assert (context.options, context.verify_mode, context.check_hostname, context.minimum_version) == (
        own.options, own.verify_mode, own.check_hostname, own.minimum_version)
    pool = manager.connection_from_url("https://sqs.eu-west-1.amazonaws.com/")
    assert pool.conn_kw["ssl_context"] is context
    assert session._get_connection_manager("https://x/").connection_pool_kw["ssl_context"] is context


def test_with_sslkeylogfile_set_the_context_is_made_at_creation(environment, monkeypatch, tmp_path):
    monkeypatch.setenv("SSLKEYLOGFILE", str(tmp_path / "keys"))
    session = environment.client("sqs")._endpoint.http_session
    assert not isinstance(session._manager.connection_pool_kw["ssl_context"], clients.DeferredContext)


def test_clients_with_deferred_contexts_answer_under_moto_as_botocores_own(environment):
    answers = []
    for install in (True, False):
        if not install:
            clients.uninstall()
        try:
            with mock_aws():
                client = environment.client("sqs")
                url = client.create_queue(QueueName="q")["QueueUrl"]
                client.send_message(QueueUrl=url, MessageBody="x")
                answers.append([m["Body"] for m in client.receive_message(QueueUrl=url)["Messages"]])
        finally:
            clients.install()
    assert answers == [["x"], ["x"]]


def test_after_uninstall_a_shared_trie_is_copied_in_full_as_botocore_copies():
    original = hooks._PrefixTrie()
    original.append_item("a.b", 1)
    shared = copy.copy(original)  # installed: shared nodes, both tries now SharedTries
    clients.uninstall()
    try:
        full = copy.copy(shared)
        assert full._root is not shared._root
        assert structure(full._root) == structure(shared._root)
        full.append_item("a.b", 2)
        original.append_item("a.c", 3)
        assert list(shared.prefix_search("a.b")) == [1] and list(full.prefix_search("a.b")) == [1, 2]
        assert list(shared.prefix_search("a.c")) == [] and list(full.prefix_search("a.c")) == []
    finally:
        clients.install()


ALIASED = ["before-call.sagemaker.CreateModel", "before-call.api.sagemaker.CreateModel", "creating-client-class.s3",
           "before-parameter-build.runtime.sagemaker.InvokeEndpoint", "needs-retry.api.mediatailor", "x.y.z",
           "before-sign.elasticloadbalancing.*", "after-call.cloudsearchdomain.Search", "provide-client-params.sqs"]


def test_copies_with_botocores_alias_table_share_its_aliased_names_and_answer_as_their_own():
    from botocore.utils import EVENT_ALIASES
    session = hooks.EventAliaser(hooks.HierarchicalEmitter())
    first, second = copy.copy(session), copy.copy(session)
    assert first._alias_name_cache is second._alias_name_cache
    for name in ALIASED:
        own = hooks.EventAliaser(hooks.HierarchicalEmitter(), dict(EVENT_ALIASES))
        assert first._alias_event_name(name) == own._alias_event_name(name)
        assert second._alias_event_name(name) == own._alias_event_name(name)


def test_a_copy_with_another_alias_table_keeps_its_own_aliased_names():
    custom = hooks.EventAliaser(hooks.HierarchicalEmitter(), {"sagemaker": "somewhere-else"})
    copied = copy.copy(custom)
    assert copied._alias_name_cache is not copy.copy(hooks.EventAliaser(hooks.HierarchicalEmitter()))._alias_name_cache
    assert copied._alias_event_name("before-call.sagemaker.X") == "before-call.somewhere-else.X"
    assert copy.copy(hooks.EventAliaser(hooks.HierarchicalEmitter()))._alias_event_name(
        "before-call.sagemaker.X") == "before-call.sagemaker.X"


PROXY_NAMES = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_Proxy", "NO_PROXY", "no_proxy", "ALL_PROXY",
               "REQUEST_METHOD", "X_PROXYZ", "PROXY", "_proxy", "CAFÉ_PROXY", "AWS_REGION"]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(PROXY_NAMES), st.sampled_from(["", "http://127.0.0.1:3128", "*",
                                                                     "localhost,.amazonaws.com", "GET"]),
                       max_size=5),
       st.sampled_from(["sqs.us-east-1.amazonaws.com", "127.0.0.1:4566", "example.com"]))
def test_proxies_from_the_environment_are_urllibs(variables, host):
    import os
    import urllib.request
    saved = dict(os.environ)
    try:
        for name in PROXY_NAMES:
            os.environ.pop(name, None)
        os.environ.update(variables)
        assert clients.getproxies() == urllib.request.getproxies_environment()
        assert clients.proxy_bypass(host) == urllib.request.proxy_bypass_environment(host)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_botocore_asks_the_harness_for_proxies_while_installed():
    from botocore import utils
    assert (utils.getproxies, utils.proxy_bypass) == (clients.getproxies, clients.proxy_bypass)
    clients.uninstall()
    try:
        assert (utils.getproxies, utils.proxy_bypass) == (clients._getproxies, clients._proxy_bypass)
    finally:
        clients.install()
