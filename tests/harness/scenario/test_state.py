"""Judging reads (State.settled) answer from moto's models what the API answers: every item of a table in Scan's
order, one item by key, the stored secrets; and each is read once, whatever the number of checks."""
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Simulation
from harness.scenario.state import State

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
TYPES = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}]

text = st.text(min_size=1, max_size=8)
scalars = st.one_of(text, st.integers(-10**6, 10**6), st.decimals(-1000, 1000, places=3, allow_nan=False),
                    st.booleans(), st.none(), st.binary(min_size=1, max_size=6))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(text, inner, max_size=3)), max_leaves=6)
sets = st.one_of(st.sets(text, min_size=1, max_size=3), st.sets(st.integers(-99, 99), min_size=1, max_size=3),
                 st.sets(st.binary(min_size=1, max_size=4), min_size=1, max_size=3))
items = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 5),
                           st.dictionaries(st.sampled_from(["x", "y", "status", "tags"]), st.one_of(values, sets),
                                           max_size=3)), max_size=6)


@pytest.fixture(scope="module")
def sim():
    with Simulation(seed=3) as running:
        yield running


def fill(sim, table: str, rows: list) -> None:
    ddb = sim.client("dynamodb")
    ddb.create_table(TableName=table, KeySchema=KEY, AttributeDefinitions=TYPES, BillingMode="PAY_PER_REQUEST")
    serializer = TypeSerializer()
    for pk, sk, attributes in rows:
        item = {**attributes, "pk": pk, "sk": sk}
        ddb.put_item(TableName=table, Item={k: serializer.serialize(v) for k, v in item.items()})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=items)
def test_judging_reads_items_from_moto_as_the_api_gives_them(sim, rows):
    table = "t"
    fill(sim, table, rows)
    try:
        state = State(sim)
        through_api = state.items(table)
        keys = [{"pk": pk, "sk": sk} for pk, sk, _ in rows] + [{"pk": "zz", "sk": 1}]
        one_by_one = [state.item(table, key) for key in keys]
        with state.settled():
            assert state.items(table) == through_api
            assert [state.item(table, key) for key in keys] == one_by_one
    finally:
        sim.client("dynamodb").delete_table(TableName=table)


def answer(read):
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - the error is the answer compared
        return type(exc), str(exc)


def test_an_item_asked_for_with_a_key_that_is_not_the_tables_gets_what_the_api_answers(sim):
    fill(sim, "wrong", [("a", 1, {})])
    state = State(sim)
    for key in ({"pk": "a"}, {"pk": "a", "sk": "1"}, {"pk": "", "sk": 1}, {"pk": "a", "sk": 1, "x": 1}):
        through_api = answer(lambda key=key: state.item("wrong", key))
        with state.settled():
            assert answer(lambda key=key: state.item("wrong", key)) == through_api


def test_judging_reads_secrets_from_moto_as_the_api_gives_them(sim):
    sm = sim.client("secretsmanager")
    sm.create_secret(Name="plain", SecretString="hunter22")
    sm.create_secret(Name="json", SecretString='{"user": "u", "password": "p4ssw0rd", "port": 5432, "on": true}')
    sm.create_secret(Name="binary", SecretBinary=b"\x00\x01")
    sm.create_secret(Name="gone", SecretString="deleted-one")
    sm.delete_secret(SecretId="gone", RecoveryWindowInDays=7)
    state = State(sim)
    through_api = state.secret_values()
    assert "p4ssw0rd" in through_api and "deleted-one" not in through_api
    with state.settled():
        assert state.secret_values() == through_api


def test_judging_reads_each_table_once_and_hands_out_copies(sim, monkeypatch):
    fill(sim, "once", [("a", 1, {"status": "QUEUED", "n": Decimal(2)})])
    state = State(sim)
    reads = []
    real = state._read_items
    monkeypatch.setattr(state, "_read_items", lambda table: reads.append(table) or real(table))
    with state.settled():
        first = state.items("once")
        first[0]["status"] = "changed by a check"
        assert state.items("once") == [{"pk": "a", "sk": 1, "status": "QUEUED", "n": 2}]
    assert reads == ["once"]
    state.items("once")  # outside judging: read again (an assert step sees the live table)
    assert reads == ["once", "once"]


numbers = st.one_of(st.integers(-10**40, 10**40).map(str), st.decimals(allow_nan=False, allow_infinity=False).map(str),
                    st.sampled_from(["1E+2", "-0", "0.10", "1e-130", "1e+126", "1" * 39, "NaN", "0x1", " 1"]))


def not_nan(number: str) -> bool:
    """Not a NaN as boto3 reads it (`0x1` is one): a NaN's hash is its identity, so no two reads of a set holding
    one iterate it in the same order."""
    from boto3.dynamodb.types import DYNAMODB_CONTEXT
    try:
        return not DYNAMODB_CONTEXT.create_decimal(number).is_nan()
    except ArithmeticError:
        return True


typed = st.recursive(
    st.one_of(st.builds(lambda s: {"S": s}, text), st.builds(lambda n: {"N": n}, numbers),
              st.builds(lambda b: {"BOOL": b}, st.booleans()), st.just({"NULL": True}),
              st.builds(lambda b: {"B": b}, st.binary(min_size=1, max_size=4)),
              st.builds(lambda ss: {"SS": ss}, st.lists(text, min_size=1, max_size=3)),
              st.builds(lambda ns: {"NS": ns}, st.lists(numbers.filter(not_nan), min_size=1, max_size=3)),
              st.builds(lambda s: {"S": s}, st.integers())),  # a value moto would refuse: read the slow way
    lambda inner: st.one_of(st.builds(lambda items: {"L": items}, st.lists(inner, max_size=3)),
                            st.builds(lambda fields: {"M": fields}, st.dictionaries(text, inner, max_size=3))),
    max_leaves=8)


def outcome(convert):
    try:
        return convert()
    except Exception as exc:  # noqa: BLE001 - the error is the answer compared
        return type(exc), str(exc)


@settings(max_examples=300, deadline=None)
@given(value=typed)
def test_a_moto_value_is_read_as_boto3_deserializes_its_regular_json(value):
    from boto3.dynamodb.types import TypeDeserializer
    from moto.dynamodb.models.dynamo_type import DynamoType

    from harness.scenario.match import plain
    from harness.scenario.state import _plain_value
    stored = DynamoType(value)
    slow = outcome(lambda: plain(TypeDeserializer().deserialize(stored.to_regular_json())))
    fast = outcome(lambda: _plain_value(stored))
    # The same text: same values in the same order, the same number types (1 is not 1.0 in a report), NaN too.
    assert repr(fast) == repr(slow) and type(fast) is type(slow)


json_like = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text,
                                   st.decimals(allow_nan=False), st.binary(max_size=3),
                                   st.frozensets(st.integers(), max_size=2)),
                         lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                 st.dictionaries(text, inner, max_size=3)), max_leaves=10)


@given(value=json_like)
def test_a_judging_read_hands_out_a_copy_equal_to_a_deep_copy(value):
    import copy

    from harness.scenario.match import copied
    mine, slow = copied(value), copy.deepcopy(value)
    # repr against deepcopy's, not the original's: a rebuilt frozenset may iterate in another order
    assert mine == slow and repr(mine) == repr(slow)
    if isinstance(value, (dict, list)) and value:
        mine.clear()
        assert value  # the original is untouched
