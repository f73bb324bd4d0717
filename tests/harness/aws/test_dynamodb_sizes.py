"""moto's DynamoDB item sizes worked out without new DynamoType objects (harness/aws/dynamodb_sizes.py) are moto's own:
the same size for every value of every type nested to depth, the same items accepted and the same ItemSizeTooLarge
at moto's limit, and moto's own answer (or error) for values that are not plain DynamoTypes."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict

from harness.aws import dynamodb_sizes
from tests.harness.aws.test_moto_json import attribute


def both(check):
    """`check()` with moto's own sizes, then with the fast ones: each result, or the error's type and text."""
    results = []
    for fast in (False, True):
        (dynamodb_sizes.install if fast else dynamodb_sizes.uninstall)()
        try:
            results.append(("ok", check()))
        except Exception as exc:  # noqa: BLE001 - moto's error is a result too
            results.append((type(exc).__name__, str(exc)))
    dynamodb_sizes.install()
    return results


numbers = st.builds(lambda n: {"N": n}, st.sampled_from(["1.5", "-0.25", "1E+3", "100", "0.000"]))
values = st.one_of(attribute, numbers, st.builds(lambda items: {"L": items}, st.lists(st.one_of(attribute, numbers))),
                   st.builds(lambda n: {"NS": n}, st.lists(st.sampled_from(["1.5", "22"]), min_size=1, unique=True)))


@settings(max_examples=200, deadline=None)
@given(value=values, text=st.text(max_size=20))
def test_every_value_s_size_is_moto_s(value, text):
    first, second = both(lambda: (DynamoType(value).size(), DynamoType({"S": text}).size(),
                                  DynamoType({"M": {text or "k": value}}).size()))
    assert first == second and first[0] == "ok"


@settings(max_examples=60, deadline=None)
@given(sizes=st.lists(st.integers(0, 160_000), min_size=1, max_size=5), key=st.sampled_from(["k", "ключ"]))
def test_items_near_the_limit_are_refused_exactly_as_moto_refuses_them(sizes, key):
    def build():
        attributes = LimitedSizeDict()
        for n, size in enumerate(sizes):
            attributes[f"{key}{n}"] = DynamoType({"L": [{"S": "x" * size}, {"N": "12"}]})
        attributes["plain"] = "not a DynamoType"
        return sorted(attributes)
    first, second = both(build)
    assert first == second


def test_values_that_are_not_plain_dynamo_types_are_sized_by_moto():
    class Own(DynamoType):
        pass

    unusual = DynamoType({"L": [{"S": "x"}]})
    unusual.value.append({"S": "a plain dict where moto keeps DynamoTypes"})
    assert both(lambda: unusual.size()) == both(lambda: unusual.size())
    first, second = both(lambda: unusual.size())
    assert first == second and first[0] == "AttributeError"
    mapped = DynamoType({"M": {"a": {"S": "x"}}})
    mapped.value["b"] = {"N": "123"}
    assert both(lambda: mapped.size())[0] == both(lambda: mapped.size())[1] == ("ok", 6)
    assert both(lambda: Own({"S": "abc"}).size()) == [("ok", 3), ("ok", 3)]


@pytest.fixture(autouse=True)
def installed():
    dynamodb_sizes.install()
    yield
    dynamodb_sizes.install()
