"""A client's creation with the profile's name read once per step (harness/aws/profile_reads.py) makes the client
botocore makes: the same settings, endpoint, signer and resolver, for every profile, variable and service; the
steps it reads once in emit no event; outside them every question reads the profile again."""
import botocore.session
import pytest
from botocore import hooks
from botocore.config import Config
from botocore.exceptions import ProfileNotFound
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.aws import clients, profile_reads, router

CONFIG_FILE = """\
[default]
region = eu-central-1
retry_mode = standard
[profile fast]
region = ap-southeast-2
max_attempts = 7
retry_mode = adaptive
s3 =
  addressing_style = path
  use_accelerate_endpoint = false
sts_regional_endpoints = legacy
request_checksum_calculation = when_required
tcp_keepalive = true
[profile local]
endpoint_url = http://127.0.0.1:4566
use_fips_endpoint = true
parameter_validation = false
[profile bare]
"""
SERVICES = ["dynamodb", "sqs", "s3", "secretsmanager", "lambda", "sts"]


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("aws") / "config"
    path.write_text(CONFIG_FILE)
    return path


@pytest.fixture
def environment(dummy_aws, config_file):
    dummy_aws.setenv("AWS_CONFIG_FILE", str(config_file))
    dummy_aws.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config_file.with_name("missing")))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS"):
        dummy_aws.delenv(name, raising=False)
    router.shared_session()  # installs every client path (profile_reads among them)
    assert profile_reads.installed()
    yield dummy_aws
    clients.install()


def picture(client) -> dict:
    """What a creation decided: settings, endpoint, signer, resolver built-ins, parser and serializer."""
    meta = client.meta
    config = {key: value for key, value in vars(meta.config).items() if key != "user_agent"}
    return {"class": type(client).__name__, "config": config, "user_agent": meta.config.user_agent,
            "region": meta.region_name, "endpoint": meta.endpoint_url, "partition": meta.partition,
            "signer": (client._request_signer.region_name, client._request_signer.signing_name,
                       client._request_signer.signature_version),
            "builtins": {key: comparable(value) for key, value in client._ruleset_resolver._builtins.items()},
            "validation": client._serializer.__class__.__name__, "parser": type(client._response_parser).__name__,
            "timeouts": repr(client._endpoint.http_session._timeout)}


def comparable(value):
    """A value, or for a function (a deferred credential property) its name."""
    return value.__qualname__ if callable(value) else value


def created(session, service, config):
    """The picture of a new client, or the error its creation raised."""
    try:
        return picture(session.create_client(service, config=config))
    except ProfileNotFound as error:
        return ("ProfileNotFound", str(error))


def botocore_own(make):
    profile_reads.uninstall()
    try:
        return make()
    finally:
        profile_reads.install()


profiles = st.sampled_from([None, "default", "fast", "local", "bare", "missing"])
configs = st.sampled_from([None, Config(retries={"mode": "standard", "total_max_attempts": 3}),
                           Config(region_name="us-west-2", connect_timeout=3),
                           Config(s3={"addressing_style": "virtual"}, parameter_validation=True)])


_kept: dict = {}


def kept_session():
    """One botocore session for every example (its loader's service descriptions read once)."""
    if "session" not in _kept:
        _kept["session"] = botocore.session.Session()
        _kept["session"].get_credentials()  # resolved (and its feature id noted) before any compared creation
    return _kept["session"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(profile=profiles, where=st.sampled_from(["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "instance"]),
       service=st.sampled_from(SERVICES), config=configs)
def test_a_client_made_reading_the_profile_once_is_the_client_botocore_makes(environment, profile, where, service,
                                                                              config):
    session = kept_session()
    if profile is not None:
        if where == "instance":
            session.set_config_variable("profile", profile)
        else:
            environment.setenv(where, profile)
    try:
        assert created(session, service, config) == botocore_own(lambda: created(session, service, config))
    finally:
        environment.delenv(where, raising=False)
        session.set_config_variable("profile", None)


def test_the_steps_that_read_the_profile_once_emit_no_event(environment, monkeypatch):
    inside = []
    emit = hooks.HierarchicalEmitter._emit

    def recording(self, event_name, kwargs, stop_on_response=False):
        inside.append((event_name, getattr(profile_reads._local, "names", None) is not None))
        return emit(self, event_name, kwargs, stop_on_response)

    monkeypatch.setattr(hooks.HierarchicalEmitter, "_emit", recording)
    session = botocore.session.Session()
    for service in [*SERVICES, "events", "sns", "s3control", "iot-data", "stepfunctions", "iam"]:
        session.create_client(service)
    assert inside and not [name for name, during in inside if during]


def test_inside_a_step_each_question_reads_the_profile_map_and_outside_the_profile_too(environment, tmp_path):
    session = botocore.session.Session()
    environment.setenv("AWS_PROFILE", "bare")
    first, second = profile_reads._profile_read_once(lambda: (session.get_scoped_config(),
                                                               session.get_scoped_config()))()
    assert first == second == {} and first is second  # the profile map's own dict, as botocore gives it
    environment.setenv("AWS_PROFILE", "fast")
    assert session.get_scoped_config()["region"] == "ap-southeast-2"  # outside a step: read again
    environment.setenv("AWS_PROFILE", "missing")
    asked = profile_reads._profile_read_once(lambda: [pytest.raises(ProfileNotFound, session.get_scoped_config)
                                                      for _ in range(2)])
    assert len(asked()) == 2


def test_without_a_profile_or_a_default_one_each_question_gets_a_new_empty_dict(environment, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile bare]\n")
    environment.setenv("AWS_CONFIG_FILE", str(config))
    session = botocore.session.Session()
    first, second = profile_reads._profile_read_once(lambda: (session.get_scoped_config(),
                                                               session.get_scoped_config()))()
    assert first == second == {} and first is not second


def test_a_session_reading_its_profile_its_own_way_is_asked_every_time(environment):
    class OwnProfile(botocore.session.Session):
        asked = 0

        def get_config_variable(self, logical_name, methods=None):
            if logical_name == "profile":
                OwnProfile.asked += 1
            return super().get_config_variable(logical_name, methods)

    session = OwnProfile()
    profile_reads._profile_read_once(lambda: [session.get_scoped_config() for _ in range(3)])()
    assert OwnProfile.asked == 3
