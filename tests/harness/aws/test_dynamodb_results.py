"""moto's DynamoDB results turned into plain values by the harness (harness/aws/dynamodb_results.py) are moto's own:
the same values, types and nesting for items of every attribute type, dicts, lists, datetimes, model objects with
`to_json`, and odd values."""
import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.utilities import dynamo_to_dict

from harness.aws import dynamodb_results
from tests.harness.aws.test_moto_json import attribute


class Odd(dict):
    """A dict subclass with its own to_json: moto converts what to_json gives."""

    def to_json(self):
        return {"converted": list(self)}


def typed(value):
    """A value and the classes of everything in it (equal values of other types would compare equal)."""
    if isinstance(value, dict):
        return type(value).__name__, [(k, typed(v)) for k, v in value.items()]
    if isinstance(value, list | tuple):
        return type(value).__name__, [typed(v) for v in value]
    return type(value).__name__, value


def item_of(attributes: dict) -> Item:
    return Item(DynamoType({"S": "k"}), None, {"pk": {"S": "k"}, **attributes})


leaf = st.one_of(st.text(max_size=3), st.integers(), st.booleans(), st.none(), st.binary(max_size=2),
                 st.just(Decimal("1.5")), st.just(dt.datetime(2030, 1, 1)), st.just((1, 2)),
                 st.builds(Odd, st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)))
result = st.recursive(st.one_of(leaf, attribute.map(DynamoType),
                                st.dictionaries(st.sampled_from("xy"), attribute, max_size=3).map(item_of)),
                      lambda inner: st.one_of(st.lists(inner, max_size=3),
                                              st.dictionaries(st.text(max_size=3), inner, max_size=3),
                                              st.dictionaries(st.text(max_size=3), inner, max_size=3).map(
                                                  lambda d: LimitedSizeDict(d))), max_leaves=10)


@settings(max_examples=200, deadline=None)
@given(value=result)
def test_results_become_the_plain_values_moto_makes(value):
    dynamodb_results.install()
    assert typed(dynamodb_results.plain(value)) == typed(dynamo_to_dict(value))


def test_binary_values_stored_as_text_are_decoded_as_moto_decodes_them():
    dynamodb_results.install()
    for value in (DynamoType({"B": "AAE="}), DynamoType({"BS": ["AAE=", b"\x02"]})):
        assert typed(dynamodb_results.plain(value)) == typed(dynamo_to_dict(value))
