"""botocore Config objects made and deep-copied the cheaper way (harness/aws/config_objects.py) are the objects
botocore makes: the same attributes in the same order, the same errors, and deep copies that share what the
original shares and nothing with the original."""
import copy
import copyreg

import pytest
from botocore.config import Config
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.aws import config_objects


@pytest.fixture(autouse=True)
def installed():
    config_objects.install()
    yield
    config_objects.install()


def botocore_own(make):
    config_objects.uninstall()
    try:
        return make()
    finally:
        config_objects.install()


def outcome(make):
    """The made object's attributes (in order, with their types), or the error raised."""
    try:
        made = make()
    except Exception as error:  # noqa: BLE001 - the error is the outcome compared
        return (type(error).__name__, str(error))
    return [(name, type(value), value) for name, value in vars(made).items()]


plain = st.one_of(st.none(), st.booleans(), st.integers(-2, 100), st.floats(allow_nan=False), st.text(max_size=8))
retries = st.dictionaries(st.sampled_from(["mode", "max_attempts", "total_max_attempts", "other"]),
                          st.one_of(st.sampled_from(["standard", "legacy", "adaptive", "fast"]), st.integers(-1, 9)),
                          max_size=3)
s3 = st.dictionaries(st.sampled_from(["addressing_style", "use_accelerate_endpoint"]),
                     st.one_of(st.sampled_from(["virtual", "path", "auto", "sideways"]), st.booleans()), max_size=2)
names = sorted(Config.OPTION_DEFAULTS)
options = st.dictionaries(st.sampled_from([*names, "not_an_option"]), plain, max_size=8).flatmap(
    lambda given: st.fixed_dictionaries({}, optional={"retries": st.one_of(st.none(), retries),
                                                      "s3": st.one_of(st.none(), s3),
                                                      "defaults_mode": st.sampled_from(["legacy", "standard"])})
    .map(lambda extra: {**given, **extra}))


@settings(max_examples=300, deadline=None)
@given(kwargs=options)
def test_a_config_is_made_with_botocores_attributes_order_and_errors(kwargs):
    assert outcome(lambda: Config(**kwargs)) == botocore_own(lambda: outcome(lambda: Config(**kwargs)))


def test_positional_arguments_and_a_patched_class_go_to_botocore(monkeypatch):
    assert outcome(lambda: Config("eu-west-1", "v4")) == botocore_own(lambda: outcome(lambda: Config("eu-west-1",
                                                                                                     "v4")))
    Config(region_name="eu-west-1")  # the class as botocore made it, seen before the patch
    monkeypatch.setattr(Config, "region_name", property(lambda self: "patched", lambda self, value: None),
                        raising=False)
    made = Config(region_name="eu-west-1")
    assert made.region_name == "patched" and "region_name" not in vars(made)  # set through the property


@settings(max_examples=200, deadline=None)
@given(kwargs=options.filter(lambda kwargs: "not_an_option" not in kwargs))
def test_a_deep_copy_is_the_copy_deepcopy_makes_through_the_reduce(kwargs):
    try:
        config = botocore_own(lambda: Config(**kwargs))
    except Exception:  # noqa: BLE001 - only valid configs are copied
        return
    ours, theirs = copy.deepcopy(config), botocore_own(lambda: copy.deepcopy(config))
    assert type(ours) is type(theirs) is Config
    assert outcome(lambda: ours) == outcome(lambda: theirs)
    for name, value in vars(config).items():
        if type(value) in (dict, list):
            assert vars(ours)[name] is not value
    assert (vars(ours)["retries"] is vars(ours)["_user_provided_options"].get("retries")) == \
        (vars(theirs)["retries"] is vars(theirs)["_user_provided_options"].get("retries"))


def test_values_shared_with_the_outside_stay_shared_through_the_memo():
    shared = {"mode": "standard", "total_max_attempts": 3}
    config = Config(retries=shared, s3={"addressing_style": "path"})
    for copied in (copy.deepcopy([config, shared]), botocore_own(lambda: copy.deepcopy([config, shared]))):
        assert copied[0].retries is copied[1] is copied[0]._user_provided_options["retries"]
        assert copied[1] == shared and copied[1] is not shared


def test_a_copy_registered_with_copyreg_or_a_subclass_goes_through_its_reduce(monkeypatch):
    class Mine(Config):
        pass

    mine = Mine(region_name="eu-west-1")
    assert type(copy.deepcopy(mine)) is Mine and copy.deepcopy(mine).region_name == "eu-west-1"
    monkeypatch.setitem(copyreg.dispatch_table, Config, lambda config: (Config, (), {"region_name": "copied"}))
    assert copy.deepcopy(Config(region_name="eu-west-1")).region_name == "copied"
