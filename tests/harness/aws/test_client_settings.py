"""Configuration variables read from the environment and User-Agent texts (harness/aws/client_settings.py) are what
botocore's own code reads and writes, whatever the environment holds: set, unset, empty, not ASCII, swapped
whole as an execution environment's, or another mapping."""
import os

import pytest
from botocore import configprovider, useragent
from botocore.session import Session
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.aws import client_settings, clients, router

botocores_provide = client_settings._provide
botocores_instance_provide = client_settings._instance_provide
botocores_sanitize = client_settings._sanitize
botocores_component_text = client_settings._component_text
NAMES = ["AWS_HARNESS_PROBE", "AWS_HARNESS_PROBE_2", "aws_harness_probe", "AWS_HARNESS_PRÖBE"]
value = st.one_of(st.none(), st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\0"),
                                     max_size=12))


@pytest.fixture(autouse=True)
def installed():
    router.shared_session()
    assert client_settings.installed() and clients.installed()


@settings(max_examples=100, deadline=None)
@given(values=st.fixed_dictionaries({name: value for name in NAMES}), asked=st.sampled_from(NAMES))
def test_an_environment_variable_reads_as_botocore_reads_it(values, asked):
    saved = {name: os.environ.get(name) for name in NAMES}
    try:
        for name, text in values.items():
            if text is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = text
        provider = configprovider.EnvironmentProvider(asked, os.environ)
        assert provider.provide() == botocores_provide(provider) == values[asked]
    finally:
        for name, text in saved.items():
            if text is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = text


def test_a_variable_not_valid_in_utf8_reads_as_botocore_reads_it(monkeypatch):
    monkeypatch.setitem(os.environ._data, b"AWS_HARNESS_PROBE", b"caf\xe9")  # surrogate-escaped, as Python reads it
    provider = configprovider.EnvironmentProvider("AWS_HARNESS_PROBE", os.environ)
    assert provider.provide() == botocores_provide(provider) == "caf\udce9"


def test_a_swapped_environment_is_read_at_each_call(monkeypatch):
    provider = configprovider.EnvironmentProvider("AWS_REGION", os.environ)
    host = os.environ._data
    environment = {**host, os.environ.encodekey("AWS_REGION"): os.environ.encodevalue("ap-south-1")}
    monkeypatch.setattr(os.environ, "_data", environment)  # as an execution environment's variables go in
    assert provider.provide() == "ap-south-1"
    monkeypatch.setattr(os.environ, "_data", {k: v for k, v in host.items() if k != b"AWS_REGION"})
    assert provider.provide() is None


def test_another_mapping_or_name_goes_to_botocore(monkeypatch):
    assert configprovider.EnvironmentProvider("A", {"A": "1"}).provide() == "1"
    assert configprovider.EnvironmentProvider("B", {"A": "1"}).provide() is None
    monkeypatch.setenv("AWS_HARNESS_PROBE", "1")
    with pytest.raises(TypeError):
        botocores_provide(configprovider.EnvironmentProvider(b"AWS_HARNESS_PROBE", os.environ))
    with pytest.raises(TypeError):
        configprovider.EnvironmentProvider(b"AWS_HARNESS_PROBE", os.environ).provide()


def test_a_client_reads_its_settings_from_the_environment_at_creation(monkeypatch, dummy_aws):
    session = router.shared_session()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    monkeypatch.setenv("AWS_RETRY_MODE", "adaptive")
    client = session.client("sqs")
    assert (client.meta.config.retries["mode"], client.meta.config.retries["total_max_attempts"]) == ("adaptive", 7)
    monkeypatch.delenv("AWS_MAX_ATTEMPTS")
    monkeypatch.delenv("AWS_RETRY_MODE")
    assert session.client("sqs").meta.config.retries["mode"] == "standard"


ONE_SESSION = Session()


@settings(max_examples=100, deadline=None)
@given(variables=st.dictionaries(st.sampled_from(["region", "profile", "retry_mode", "max_attempts"]),
                                 st.one_of(st.none(), st.text(max_size=5), st.integers())),
       asked=st.sampled_from(["region", "profile", "retry_mode", "max_attempts"]))
def test_a_session_instance_variable_reads_as_botocore_reads_it(variables, asked):
    session = ONE_SESSION
    session._session_instance_vars.clear()
    for name, value in variables.items():
        session.set_config_variable(name, value)
    provider = configprovider.InstanceVarProvider(asked, session)
    assert provider.provide() == botocores_instance_provide(provider) == variables.get(asked)


def test_a_session_answering_instance_variables_its_own_way_is_asked(monkeypatch):
    class Remapping(Session):
        def instance_variables(self):
            return {"region": "eu-central-1"}

    session = Remapping()
    session.set_config_variable("region", "us-west-2")
    assert configprovider.InstanceVarProvider("region", session).provide() == "eu-central-1"
    ONE_SESSION._session_instance_vars.clear()
    assert configprovider.InstanceVarProvider("region", ONE_SESSION).provide() is None


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30), allow_hash=st.booleans())
def test_a_user_agent_text_is_sanitized_as_botocore_sanitizes_it(text, allow_hash):
    assert client_settings.sanitized(text, allow_hash) == botocores_sanitize(text, allow_hash)
    assert client_settings.sanitized(text, allow_hash) == botocores_sanitize(text, allow_hash)  # remembered


def test_a_requests_user_agent_is_the_one_botocore_builds(dummy_aws):
    session = router.shared_session()
    agent = session.client("sqs")._user_agent_creator
    ours = agent.to_string()
    client_settings.uninstall()
    try:
        assert botocores_sanitize is useragent.sanitize_user_agent_string_component
        assert botocores_component_text is useragent.UserAgentComponent.to_string
        assert agent.to_string() == ours
    finally:
        clients.install()
    assert "Botocore/" in ours and "cfg/retry-mode#" in ours


def test_the_remembered_texts_are_bounded(monkeypatch):
    monkeypatch.setattr(client_settings, "_sanitized", {})
    for n in range(client_settings.MAX_TEXTS + 5):
        client_settings.sanitized(f"text {n}", True)
    assert len(client_settings._sanitized) <= client_settings.MAX_TEXTS


ua_text = st.text(max_size=12)
size_configs = st.one_of(st.none(), st.builds(useragent.UserAgentComponentSizeConfig,
                                              st.integers(1, 12), st.sampled_from([",", "#", "-"])))


@settings(max_examples=200, deadline=None)
@given(prefix=ua_text, name=ua_text, value=st.one_of(st.none(), ua_text), size_config=size_configs)
def test_a_user_agent_component_reads_as_botocore_builds_it(prefix, name, value, size_config):
    component = useragent.UserAgentComponent(prefix, name, value, size_config)
    expected = botocores_component_text(component)
    client_settings.uninstall()
    try:
        assert botocores_component_text(component) == expected  # botocore's own sanitizer too
    finally:
        clients.install()
    assert component.to_string() == expected
    assert component.to_string() == expected  # remembered


def test_a_component_that_is_not_plain_text_goes_to_botocore(monkeypatch):
    monkeypatch.setattr(client_settings, "_component_texts", {})

    class Text(str):
        pass

    assert useragent.UserAgentComponent("md", "x", Text("1 2")).to_string() == "md/x#1-2"
    for value in (1, True, 1.0):  # equal keys, different texts: botocore's own answer (an error) each time
        with pytest.raises(TypeError):
            useragent.UserAgentComponent("md", "x", value).to_string()
    assert client_settings._component_texts == {}


def test_the_remembered_components_are_bounded(monkeypatch):
    monkeypatch.setattr(client_settings, "_component_texts", {})
    for n in range(client_settings.MAX_TEXTS + 5):
        useragent.UserAgentComponent("md", f"n{n}").to_string()
    assert len(client_settings._component_texts) <= client_settings.MAX_TEXTS


botocores_ua_text = client_settings._ua_text
field = st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["Linux", "Darwin", "Windows", "iOS", "1.0"]))
configs = st.one_of(st.none(), st.builds(
    lambda retries, discovery, appid, extra, agent: __import__("botocore.config").config.Config(
        retries=retries, endpoint_discovery_enabled=discovery, user_agent_appid=appid, user_agent_extra=extra,
        user_agent=agent),
    retries=st.one_of(st.none(), st.fixed_dictionaries({}, optional={"mode": st.sampled_from(["standard", "legacy"]),
                                                                       "max_attempts": st.integers(0, 3)})),
    discovery=st.one_of(st.none(), st.booleans()), appid=st.one_of(st.none(), st.text(max_size=6)),
    extra=st.one_of(st.none(), st.text(max_size=6)), agent=st.one_of(st.none(), st.just("legacy/1.0"))))
features = st.sets(st.sampled_from(list("ABCDEFGZbg")), max_size=4)


@settings(max_examples=200, deadline=None)
@given(platform=st.tuples(field, field, field, field, field, field, field), session_config=st.tuples(field, field, field),
       config=configs, client_features=st.one_of(st.none(), features), context_features=features)
def test_a_user_agent_string_reads_as_botocore_builds_it(platform, session_config, config, client_features,
                                                        context_features):
    from botocore.context import get_context, start_as_current_context

    agent = useragent.UserAgentString(*platform).set_session_config(*session_config)
    if config is not None:
        agent = agent.with_client_config(config)
    agent.set_client_features(client_features)
    with start_as_current_context():
        context = get_context()
        context.features.update(context_features)
        expected = botocores_ua_text(agent)
        assert agent.to_string() == expected
        assert agent.to_string() == expected  # remembered
        context.features.add("W")
        assert agent.to_string() == botocores_ua_text(agent)  # the features are read each time
    agent._platform_name = "changed"
    assert agent.to_string() == botocores_ua_text(agent)
    if config is not None:  # the same Config object, changed
        config.user_agent_appid, config.user_agent_extra = "app-changed", "extra-changed"
        config.endpoint_discovery_enabled = not config.endpoint_discovery_enabled
        config.retries = {"mode": "adaptive"} if config.retries else None
        assert agent.to_string() == botocores_ua_text(agent)


def test_a_user_agent_of_another_class_or_with_a_replaced_builder_goes_to_botocore(monkeypatch):
    class Agent(useragent.UserAgentString):
        def _build_extra(self):
            return [useragent.RawStringUserAgentComponent("mine")]

    agent = Agent("Linux", "6", "x86_64", "3.11", "CPython", None)
    assert agent.to_string().endswith(" mine")
    plain = useragent.UserAgentString("Linux", "6", "x86_64", "3.11", "CPython", None)
    monkeypatch.setattr(useragent.UserAgentString, "_build_app_id", lambda self: [
        useragent.RawStringUserAgentComponent("app/replaced")])
    assert "app/replaced" in plain.to_string()


def copied_the_copy_modules_way(agent):
    """`copy.copy` of `agent` through its reduce, as the copy module makes it without a `__copy__`."""
    import copy
    return copy._reconstruct(agent, None, *agent.__reduce_ex__(4))


@settings(max_examples=50, deadline=None)
@given(platform=st.tuples(field, field, field, field, field, field, field), session_config=st.tuples(field, field, field),
       config=configs, client_features=st.one_of(st.none(), features))
def test_a_user_agent_copy_holds_what_the_copy_module_gives(platform, session_config, config, client_features):
    agent = useragent.UserAgentString(*platform).set_session_config(*session_config)
    agent.set_client_features(client_features)
    for original in (agent, agent.with_client_config(config)):
        ours, theirs = __import__("copy").copy(original), copied_the_copy_modules_way(original)
        assert type(ours) is type(theirs) is useragent.UserAgentString and ours is not original
        assert list(vars(ours).items()) == list(vars(theirs).items())
        assert all(vars(ours)[name] is value for name, value in vars(original).items())  # a shallow copy


def test_a_user_agent_subclass_or_a_registered_reduce_is_copied_its_own_way(monkeypatch):
    import copy
    import copyreg

    class Agent(useragent.UserAgentString):
        pass

    mine = Agent("Linux", "6", "x86_64", "3.11", "CPython", None)
    assert type(copy.copy(mine)) is Agent
    made = useragent.UserAgentString("Linux", "6", "x86_64", "3.11", "CPython", None)
    monkeypatch.setitem(copyreg.dispatch_table, useragent.UserAgentString,
                        lambda agent: (useragent.UserAgentString, ("Other", "1", "arm", "3", "PyPy", None)))
    assert copy.copy(made)._platform_name == "Other"
