"""moto's DynamoDB without the copies of items nothing reads (harness/aws/dynamodb_copies.py) answers as unpatched moto:
updates with every ReturnValues, failed conditions, queries of a table and of indexes of every projection with filters
and ProjectionExpressions (top-level names, nested paths, list elements), byte for byte, with the stored items the same afterwards; a table with a stream still gets
its own copy of the old item (its stream records' old and new images differ)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harness.aws import dynamodb_copies
from harness.aws.backend import fast_moto
from tests.harness.aws.test_moto_dispatch import raw_answers

INDEXES = [("all", {"ProjectionType": "ALL"}), ("keys", {"ProjectionType": "KEYS_ONLY"}),
           ("some", {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["m", "n"]})]
RETURNS = st.sampled_from(["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
update = st.builds(lambda k, r, cond, text: ("update", k, r, cond, text), st.sampled_from(["a", "b", "c"]), RETURNS,
                   st.sampled_from([None, "attribute_exists(pk)", "attribute_not_exists(pk)", "n > :one"]),
                   st.sampled_from(["SET n = if_not_exists(n, :one) + :one", "SET m.x = :s",
                                    "SET l = list_append(if_not_exists(l, :empty), :l)", "REMOVE l", "ADD t :t"]))
query = st.builds(lambda index, filtered, projection: ("query", index, filtered, projection),
                  st.sampled_from([None, "all", "keys", "some"]), st.booleans(),
                  st.sampled_from([None, "pk, n", "m.x, l[0], g", "m, g, l, t", "l[1], n"]))


@pytest.fixture(scope="module", autouse=True)
def moto():
    with mock_aws():
        yield
    fast_moto(True)


def table_run(ops: list, streams: list):
    def run(clients):
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends
        ddb = clients["dynamodb"]
        for name, stream in (("t", False), ("s", True)):
            ddb.create_table(
                TableName=name, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                      {"AttributeName": "g", "AttributeType": "S"}],
                GlobalSecondaryIndexes=[{"IndexName": index, "Projection": projection,
                                         "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}
                                        for index, projection in INDEXES],
                **({"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}}
                   if stream else {}))
            for key in ("a", "b"):
                ddb.put_item(TableName=name, Item={"pk": {"S": key}, "g": {"S": "G"}, "n": {"N": "1"},
                                                   "m": {"M": {"x": {"S": "old"}, "y": {"L": [{"N": "1"}]}}},
                                                   "l": {"L": [{"S": "z"}, {"M": {"q": {"BOOL": True}}}]},
                                                   "t": {"SS": ["p"]}})
        values = {":one": {"N": "1"}, ":s": {"S": "new"}, ":empty": {"L": []}, ":l": {"L": [{"S": "more"}]},
                  ":t": {"SS": ["q"]}, ":g": {"S": "G"}, ":a": {"S": "a"}}
        for op in ops:
            for name in ("t", "s"):
                try:  # every answer is recorded by `raw_answers`
                    if op[0] == "update":
                        _, key, returns, cond, text = op
                        used = {k: v for k, v in values.items() if k in text + (cond or "")}
                        ddb.update_item(TableName=name, Key={"pk": {"S": key}}, UpdateExpression=text,
                                        ReturnValues=returns, ReturnValuesOnConditionCheckFailure="ALL_OLD",
                                        **({"ConditionExpression": cond} if cond else {}),
                                        **({"ExpressionAttributeValues": used} if used else {}))
                    else:
                        _, index, filtered, projection = op
                        params = {"TableName": name, "KeyConditionExpression": "g = :g" if index else "pk = :a",
                                  "ExpressionAttributeValues": {":g": values[":g"]} if index else {":a": values[":a"]}}
                        if index:
                            params["IndexName"] = index
                        if filtered:
                            params["FilterExpression"] = "attribute_exists(n)"
                        if projection:
                            params["ProjectionExpression"] = projection
                        ddb.query(**params)
                except Exception:  # noqa: BLE001, S110 - an error answer is an answer too
                    pass
        shard = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables["s"].stream_shard
        streams.append([record.to_json() for record in shard.items])
        for name in ("t", "s"):
            ddb.scan(TableName=name)
            ddb.delete_table(TableName=name)
    return run


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.one_of(update, update, query), min_size=1, max_size=8))
def test_updates_and_queries_answer_as_unpatched_moto_with_the_stored_items_unchanged(ops):
    slow_streams, fast_streams = [], []
    slow = raw_answers(table_run(ops, slow_streams), fast=False)
    fast = raw_answers(table_run(ops, fast_streams), fast=True)
    assert dynamodb_copies.installed()
    assert fast == slow
    assert fast_streams == slow_streams


def test_a_table_with_a_stream_still_gets_its_own_copy_of_the_old_item():
    streams: list = []
    raw_answers(table_run([("update", "a", "NONE", None, "SET m.x = :s")], streams), fast=True)
    updated = [record["dynamodb"] for record in streams[0] if record["eventName"] == "MODIFY"
               and record["dynamodb"]["NewImage"]["m"]["M"]["x"] == {"S": "new"}]
    assert updated[0]["OldImage"]["m"] == {"M": {"x": {"S": "old"}, "y": {"L": [{"N": "1"}]}}}


def test_other_deep_copies_in_those_modules_still_copy():
    from moto.dynamodb import models
    fast_moto(True)
    original = {"nested": [1, {"x": 2}]}
    copied = models.copy.deepcopy(original)
    assert copied == original and copied is not original and copied["nested"] is not original["nested"]
