"""moto's DynamoDB with the harness's fast paths through its expression handling (harness/aws/dynamodb_fast.py: the
tree copy, condition syntax kept per text, read-only checks once per tree and inputs, cheaper tree walks) answers
exactly as unpatched moto: the same requests on the same state, seed and clock get the same status, headers and
body byte for byte (items, return values, ConsumedCapacity, ConditionalCheckFailed with the old item, validation
errors word for word, moto's own exceptions for expressions it cannot handle)."""
import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from harness.aws import dynamodb_fast
from harness.aws.backend import fast_moto
from tests.harness.aws.test_moto_dispatch import raw_answers

# ------------------------------------------------------------------ what the requests are made of
NAMES = {"#s": "status", "#m": "m", "#x": "x", "#l": "l", "#n": "n", "#k": "pk", "#t": "tags", "#r": "sk"}
VALUES = {":n1": {"N": "1"}, ":n5": {"N": "5.5"}, ":s": {"S": "QUEUED"}, ":p": {"S": "PENDING"},
          ":empty": {"L": []}, ":list": {"L": [{"S": "x"}, {"N": "2"}]}, ":map": {"M": {"y": {"S": "deep"}}},
          ":tags": {"SS": ["a", "z"]}, ":nums": {"NS": ["1", "3"]}, ":yes": {"BOOL": True}, ":null": {"NULL": True},
          ":blank": {"S": ""}, ":b": {"B": b"\x00\x01"}}
SET_PATHS = ["n", "l", "m", "m.x", "m.deep.y", "#m.#x", "m.#x", "l[0]", "#s", "#n", "tags", "#t", "absent", "#r"]
BAD_PATHS = ["status", "#k", "sk", "absent.deep", "l[5]", "#undefined"]  # reserved, keys, missing, undefined
READ_PATHS = ["n", "l", "m.x", "#n", "#l", "absent", "#s", "m.deep", "l[1]"]
VALUE_NAMES = sorted(VALUES)


def mostly(good, bad, one_in: int = 8):
    """`good`, and one draw in `one_in` `bad` (requests moto refuses, kept rare so most requests get through)."""
    return st.integers(1, one_in).flatmap(lambda i: bad if i == 1 else good)


path = mostly(st.sampled_from(SET_PATHS), st.sampled_from(BAD_PATHS))
value = mostly(st.sampled_from(VALUE_NAMES), st.just(":undefined"), 20)
operand = st.one_of(
    value, st.sampled_from(READ_PATHS),
    st.builds("if_not_exists({}, {})".format, st.sampled_from(READ_PATHS), value),
    st.builds("list_append({}, {})".format, st.sampled_from(READ_PATHS + [":list"]), st.sampled_from(
        [":list", ":empty", ":n1", "l"])),
    st.builds("{} {} {}".format, st.sampled_from(READ_PATHS + [":n1", ":n5"]), st.sampled_from(["+", "-"]),
              st.sampled_from([":n1", ":n5", "n", ":s"])))
set_action = st.builds("{} = {}".format, path, operand)
clause = st.one_of(
    st.builds(lambda actions: "SET " + ", ".join(actions), st.lists(set_action, min_size=1, max_size=3)),
    st.builds(lambda paths: "REMOVE " + ", ".join(paths), st.lists(path, min_size=1, max_size=3)),
    st.builds("ADD {} {}".format, st.sampled_from(["n", "tags", "#t", "nums", "#n", "m.x"]),
              st.sampled_from([":n1", ":tags", ":nums", ":s"])),
    st.builds("DELETE {} {}".format, st.sampled_from(["tags", "#t", "nums"]), st.sampled_from([":tags", ":nums"])))
update_expression = mostly(
    st.builds(" ".join, st.lists(clause, min_size=1, max_size=3)),
    st.sampled_from(["SET", "SET n = ", "REMOVE", "SET n = :n1,", "SET n = :n1 SET l = :list", "DELETE tags",
                     "SET #s = :s, #s = :p", "SET m = :map, m.x = :s", "ADD n :n1 ADD n :n1",
                     "SET n = size(l)", "SET l[0] = :s REMOVE l[0]", "  SET n = :n1  "]))
comparison = st.builds("{} {} {}".format, st.sampled_from(READ_PATHS + ["size(l)"]),
                       st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), value)
function = st.one_of(
    st.builds("attribute_exists({})".format, st.sampled_from(READ_PATHS + ["pk"])),
    st.builds("attribute_not_exists({})".format, st.sampled_from(READ_PATHS + ["pk"])),
    st.builds("begins_with({}, {})".format, st.sampled_from(["#s", "m.x"]), st.sampled_from([":s", ":p", ":n1"])),
    st.builds("contains({}, {})".format, st.sampled_from(["tags", "l", "#s"]), value),
    st.builds("attribute_type({}, {})".format, st.sampled_from(["n", "l"]), st.sampled_from([":s", ":n1"])),
    st.builds("{} IN ({}, {})".format, st.sampled_from(["#s", "n"]), value, value),
    st.builds("{} BETWEEN {} AND {}".format, st.sampled_from(["n", "#n"]), value, value))
condition = st.recursive(
    st.one_of(comparison, function),
    lambda inner: st.one_of(st.builds("{} AND {}".format, inner, inner), st.builds("{} OR {}".format, inner, inner),
                            st.builds("NOT {}".format, inner), mostly(inner, st.builds("({})".format, inner), 4)),
    max_leaves=4)
condition_expression = st.one_of(st.none(), mostly(condition, st.sampled_from(
    ["#s = ", "((n = :n1))", "n = :n1 AND", "status = :s", "attribute_exists(#undefined)", "n == :n1", "foo(n)"])))


def placeholders(text: str, prefix: str) -> list[str]:
    """The `#name` or `:value` placeholders a text uses, in order, once each."""
    import re
    return list(dict.fromkeys(re.findall(rf"{prefix}[A-Za-z0-9_]+", text)))


@st.composite
def attributes(draw, *texts: str, odds: int = 5, name_odds: int = 6) -> dict:
    """ExpressionAttributeNames and ExpressionAttributeValues for the texts: each one used, usually its own (one
    in `odds` another value of the pool, one in `name_odds` another name), sometimes one more or one missing
    (moto's validation errors)."""
    text = " ".join(t for t in texts if t)
    names = {n: draw(st.sampled_from(sorted(set(NAMES.values())))) if draw(st.integers(1, name_odds)) == 1 else
                NAMES.get(n, "x") for n in placeholders(text, "#") if n != "#undefined"}
    values = {v: draw(st.sampled_from(list(VALUES.values()))) if draw(st.integers(1, odds)) == 1 else VALUES[v]
              for v in placeholders(text, ":") if v in VALUES}
    if draw(st.integers(0, 19)) == 0:
        names["#extra"] = "extra"
    if draw(st.integers(0, 19)) == 0:
        values[":extra"] = {"S": "extra"}
    if names and draw(st.integers(0, 19)) == 0:
        names.pop(min(names))
    out = {}
    if names:
        out["ExpressionAttributeNames"] = names
    if values:
        out["ExpressionAttributeValues"] = values
    return out


KEYS = st.sampled_from(["a", "b", "c"])
RETURNS = st.sampled_from([None, "NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
ITEM = st.fixed_dictionaries({"status": st.sampled_from([{"S": "PENDING"}, {"S": "QUEUED"}, {"N": "1"}])}, optional={
    "n": st.sampled_from([{"N": "0"}, {"N": "2"}, {"N": "-1.5"}, {"S": "two"}]),
    "l": st.sampled_from([{"L": []}, {"L": [{"S": "first"}, {"N": "2"}]}, {"L": [{"M": {"x": {"S": "i"}}}]}]),
    "m": st.sampled_from([{"M": {}}, {"M": {"x": {"S": "PENDING"}, "deep": {"M": {"y": {"N": "1"}}}}}, {"S": "m"}]),
    "tags": st.sampled_from([{"SS": ["a", "b"]}, {"SS": ["z"]}]), "nums": st.just({"NS": ["1", "2"]}),
    "b": st.just({"B": b"\x00"})})


@st.composite
def update_op(draw, table: str) -> tuple:
    text = draw(update_expression)
    cond = draw(condition_expression)
    params = {"TableName": table, "Key": _key(draw, table), "UpdateExpression": text, **draw(attributes(text, cond))}
    if cond:
        params["ConditionExpression"] = cond
    returns = draw(RETURNS)
    if returns:
        params["ReturnValues"] = returns
    if draw(st.booleans()):
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return "update_item", params


@st.composite
def put_op(draw, table: str) -> tuple:
    cond = draw(st.one_of(st.none(), st.just("attribute_not_exists(pk)"), condition))
    params = {"TableName": table, "Item": {**draw(ITEM), **_key(draw, table)}, **draw(attributes(cond))}
    if cond:
        params["ConditionExpression"] = cond
        params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if draw(st.booleans()):
        params["ReturnValues"] = "ALL_OLD"
    return "put_item", params


@st.composite
def read_op(draw, table: str) -> tuple:
    kind = draw(st.sampled_from(["get_item", "query", "scan", "delete_item"]))
    if kind == "get_item":
        return kind, {"TableName": table, "Key": _key(draw, table), "ConsistentRead": draw(st.booleans())}
    cond = draw(st.one_of(st.none(), condition))
    extra = draw(attributes(cond, ":k" if kind == "query" else ""))
    if kind == "query":
        extra.setdefault("ExpressionAttributeValues", {})[":k"] = {"S": draw(KEYS)}
        params = {"TableName": table, "KeyConditionExpression": "pk = :k", **extra}
    else:
        params = {"TableName": table, **({"Key": _key(draw, table)} if kind == "delete_item" else {}), **extra}
    if cond:
        params["FilterExpression" if kind != "delete_item" else "ConditionExpression"] = cond
    return kind, params


@st.composite
def transaction_op(draw, table: str) -> tuple:
    _, update = draw(update_op(table))
    _, put = draw(put_op(table))
    items = [{"Update": {k: v for k, v in update.items() if k not in ("ReturnValues",)}},
             {"Put": {k: v for k, v in put.items() if k != "ReturnValues"}}]
    return "transact_write_items", {"TransactItems": items}


@st.composite
def rebound(draw, op: tuple) -> tuple:
    """The same request with other names and values for the same expression texts (kept texts, other inputs), an
    update sometimes on the other table (other key attributes)."""
    kind, params = op
    if kind == "transact_write_items":
        return kind, {"TransactItems": [{action: draw(rebound_params(body)) for action, body in item.items()}
                                        for item in params["TransactItems"]]}
    if kind == "update_item" and draw(st.booleans()):
        table = "ranged" if params["TableName"] == "plain" else "plain"
        params = {**params, "TableName": table, "Key": _key(draw, table)}
    return kind, draw(rebound_params(params))


@st.composite
def rebound_params(draw, params: dict) -> dict:
    texts = [params.get(k) for k in ("UpdateExpression", "ConditionExpression", "FilterExpression")]
    out = {k: v for k, v in params.items() if k not in ("ExpressionAttributeNames", "ExpressionAttributeValues")}
    out.update(draw(attributes(*texts, odds=2, name_odds=1)))
    if "KeyConditionExpression" in params:
        out.setdefault("ExpressionAttributeValues", {})[":k"] = params["ExpressionAttributeValues"][":k"]
    return out


def _key(draw, table: str) -> dict:
    key = {"pk": {"S": draw(KEYS)}}
    if table == "ranged":
        key["sk"] = {"N": draw(st.sampled_from(["1", "2"]))}
    return key


table_name = st.sampled_from(["plain", "plain", "ranged"])
operation = table_name.flatmap(lambda table: st.one_of(update_op(table), update_op(table), update_op(table),
                                                        put_op(table), read_op(table), transaction_op(table)))


def requests_run(ops: list):
    """The requests: two tables (a hash key; a hash and a range key), a few items, then `ops`, then a scan of each."""
    def run(clients):
        ddb = clients["dynamodb"]
        for table, schema in (("plain", [("pk", "HASH", "S")]), ("ranged", [("pk", "HASH", "S"), ("sk", "RANGE", "N")])):
            ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": n, "KeyType": k} for n, k, _ in schema],
                             AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, _, t in schema])
        ddb.put_item(TableName="plain", Item={"pk": {"S": "a"}, "status": {"S": "PENDING"}, "n": {"N": "2"},
                                              "l": {"L": [{"S": "first"}]}, "tags": {"SS": ["x"]},
                                              "m": {"M": {"x": {"S": "PENDING"}, "deep": {"M": {}}}}})
        ddb.put_item(TableName="ranged", Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "status": {"S": "QUEUED"}})
        for op, params in ops:
            try:  # every answer is recorded by `raw_answers`; here only the run goes on
                getattr(ddb, op)(**params)
            except Exception:  # noqa: BLE001, S110 - an error answer (or moto's own exception) is an answer too
                pass
        for table in ("plain", "ranged"):
            ddb.scan(TableName=table)
            ddb.delete_table(TableName=table)
    return run


@pytest.fixture(scope="module", autouse=True)
def moto():
    """One moto for the module; each run makes and deletes its own tables."""
    with mock_aws():
        yield
    fast_moto(True)


def compare(ops: list) -> list:
    """The raw answers of unpatched moto and of moto with the fast paths (first without, then with, kept texts)."""
    slow = raw_answers(requests_run(ops), fast=False)
    fast = raw_answers(requests_run(ops), fast=True)
    assert dynamodb_fast.installed()
    assert fast == slow
    return fast


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=12), data=st.data())
def test_random_requests_get_unpatched_moto_s_answers_byte_for_byte(ops, data):
    again = [data.draw(rebound(op)) for op in ops]
    compare(ops + ops + again)  # then every expression text is a kept one, with the same and with other inputs


# ------------------------------------------------------------------ cases the random runs must not leave to chance
def update(text: str, names: dict | None = None, values: dict | None = None, table: str = "plain",
           **params) -> tuple:
    key = {"pk": {"S": "a"}, **({"sk": {"N": "1"}} if table == "ranged" else {})}
    return "update_item", {"TableName": table, "Key": key, "UpdateExpression": text, **params,
                           **({"ExpressionAttributeNames": names} if names else {}),
                           **({"ExpressionAttributeValues": values} if values else {})}


def statuses(answers: list) -> list:
    return [answer[0] for answer in answers]


def test_the_same_text_with_other_names_is_checked_for_overlapping_paths_again():
    text = "SET #a = :v, #b = :v"
    ops = [update(text, {"#a": "n", "#b": "x"}, {":v": {"N": "1"}}),
           update(text, {"#a": "n", "#b": "n"}, {":v": {"N": "1"}}),
           update(text, {"#a": "pk", "#b": "x"}, {":v": {"S": "k"}})]
    answers = compare(ops)
    assert statuses(answers)[4:7] == [200, 400, 400]
    assert b"Two document paths overlap" in answers[5][2] or b"overlap" in answers[5][2]
    assert b"Cannot update attribute pk" in answers[6][2]


def test_the_same_text_on_another_table_is_checked_for_its_key_attributes_again():
    ops = [update("SET sk = :v", values={":v": {"N": "3"}}), update("SET sk = :v", values={":v": {"N": "3"}},
                                                                     table="ranged")]
    answers = compare(ops)
    assert statuses(answers)[4:6] == [200, 400]
    assert b"Cannot update attribute sk" in answers[5][2]


def test_a_kept_condition_is_evaluated_with_each_request_s_names_and_values():
    cond = "#f = :v AND attribute_exists(#g)"
    ops = [update("SET n = :one", {"#f": "status", "#g": "n"}, {":v": {"S": "PENDING"}, ":one": {"N": "1"}},
                  ConditionExpression=cond, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
           update("SET n = :one", {"#f": "status", "#g": "n"}, {":v": {"S": "QUEUED"}, ":one": {"N": "1"}},
                  ConditionExpression=cond, ReturnValuesOnConditionCheckFailure="ALL_OLD"),
           update("SET n = :one", {"#f": "n", "#g": "status"}, {":v": {"N": "1"}, ":one": {"N": "1"}},
                  ConditionExpression=cond, ReturnValues="ALL_OLD"),
           update("SET n = :one", {"#f": "status"}, {":v": {"S": "PENDING"}, ":one": {"N": "1"}},
                  ConditionExpression=cond),
           update("SET n = :one", {"#f": "status", "#g": "n"}, {":one": {"N": "1"}}, ConditionExpression=cond)]
    answers = compare(ops)
    assert statuses(answers)[4:7] == [200, 400, 200]
    assert b"ConditionalCheckFailedException" in answers[5][2] and b'"PENDING"' in answers[5][2]
    assert all(answer[0] != 200 for answer in answers[7:9])


def test_invalid_expressions_get_moto_s_own_error_text():
    ops = [update("SET n = :v", values={":v": {"N": "1"}}, ConditionExpression="n = "),
           update("SET n = :v", values={":v": {"N": "1"}}, ConditionExpression="((n = :v))"),
           update("SET n = :v", values={":v": {"N": "1"}}, ConditionExpression="status = :v"),
           update("SET n = :v SET l = :v", values={":v": {"N": "1"}}),
           update("REMOVE n, n"), update("SET #u = :v", values={":v": {"N": "1"}}),
           update("SET n = :v", values={":v": {"N": "1"}, ":w": {"N": "2"}})]
    answers = compare(ops + ops)
    assert 200 not in statuses(answers)[4:18]


# ------------------------------------------------------------------ the tree copy against copy.deepcopy
def parsed(text: str):
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    return UpdateExpressionParser.make(text)


def fresh(text: str):
    """A tree of its own to change: never the one kept for the text (a kept tree must stay as parsed, or every later
    request and test with that text would see the change)."""
    return copy.deepcopy(parsed(text))


def shape(node, originals: dict | None = None) -> object:
    """A tree as nested tuples: class, attribute names in order, values (nodes by position), and each node's parent
    as the position of the node it points at; `originals` collects every object reached (by id)."""
    positions: dict[int, int] = {}
    order: list = []

    def visit(value):
        if originals is not None and not isinstance(value, (str, int, bool, type(None))):
            originals[id(value)] = value
        if isinstance(value, list):
            return ("list", tuple(visit(item) for item in value))
        if isinstance(value, dict):
            return ("dict", tuple((key, visit(item)) for key, item in value.items()))
        if not hasattr(value, "__dict__"):
            return ("value", type(value).__name__, value)
        if id(value) in positions:
            return ("seen", positions[id(value)])
        positions[id(value)] = len(order)
        order.append(value)
        fields = []
        for name, item in value.__dict__.items():
            if name == "parent":
                fields.append((name, "parent", None if item is None else id(item)))
            else:
                fields.append((name, visit(item)))
        return (type(value).__name__, tuple(fields))

    tree = visit(node)

    def resolve(shaped):
        if isinstance(shaped, tuple):
            if len(shaped) == 3 and shaped[1] == "parent":
                return (shaped[0], "parent", positions.get(shaped[2], "outside") if shaped[2] else None)
            return tuple(resolve(item) for item in shaped)
        return shaped
    return resolve(tree)


def validated_tree():
    """A tree after moto's validation: typed values (DynamoType) and paths resolved against an item."""
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.parsing.validators import UpdateExpressionValidator
    table = Table("t", account_id="123456789012", region="us-east-1",
                  schema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                  attr=[{"AttributeName": "pk", "AttributeType": "S"}])
    item = Item(DynamoType({"S": "a"}), None, {"pk": {"S": "a"}, "l": {"L": [{"N": "1"}]}, "n": {"N": "2"}})
    return UpdateExpressionValidator(parsed("SET l = list_append(l, :l), n = n + :one REMOVE m"),
                                     expression_attribute_names={}, table=table, item=item,
                                     expression_attribute_values={":l": {"L": [{"S": "x"}]}, ":one": {"N": "1"}},
                                     ).validate()


@settings(max_examples=80, deadline=None)
@given(text=update_expression)
def test_the_tree_copy_is_deepcopy_s_tree_sharing_nothing_mutable(text):
    try:
        tree = parsed(text.strip())
    except Exception:  # noqa: BLE001 - moto refuses the text: there is no tree to copy
        return
    assert_same_copy(tree)


@settings(max_examples=60, deadline=None)
@given(text=update_expression)
def test_a_kept_tree_is_copied_by_its_copier_as_deepcopy_copies_it_every_time(text):
    from harness.aws import moto_dynamodb
    moto_dynamodb.install()
    try:
        tree = parsed(text.strip())
    except Exception:  # noqa: BLE001 - moto refuses the text: there is no tree to copy
        return
    assert moto_dynamodb.kept(tree)
    assert dynamodb_fast.tree_copier(tree) is not None  # a parse holds only nodes, lists and atomic values
    assert_same_copy(tree)  # the copier is made
    assert_same_copy(tree)  # and used
    assert dynamodb_fast.tree_copy(tree) is not dynamodb_fast.tree_copy(tree)


def test_a_tree_holding_a_dict_or_a_typed_value_has_no_copier_and_is_copied_by_the_walk():
    assert dynamodb_fast.tree_copier(validated_tree()) is None
    tree = fresh("SET a = :v")
    tree.extra = {"k": tree.children[0]}
    assert dynamodb_fast.tree_copier(tree) is None
    assert_same_copy(tree)


def test_a_validated_tree_with_typed_values_is_copied_as_deepcopy_copies_it():
    assert_same_copy(validated_tree())


def test_shared_nodes_and_outside_parents_come_out_as_deepcopy_makes_them():
    tree = fresh("SET a = :v, b = :w")
    shared = tree.children[0].children[0]
    tree.children.append(shared)  # one node reached twice
    tree.extra = [shared, {"k": shared}]  # an attribute tree_copy does not know: copy.deepcopy with the same memo
    assert_same_copy(tree)
    assert_same_copy(shared.children[0])  # a subtree whose parent is outside it: the parent is copied too


def test_a_node_class_with_its_own_copy_hook_is_copied_by_copy_deepcopy():
    from moto.dynamodb.parsing.ast_nodes import UpdateExpressionPath

    class Hooked(UpdateExpressionPath):
        def __deepcopy__(self, memo):
            return "hooked"
    tree = fresh("SET a = :v")
    tree.children.append(Hooked([]))
    assert dynamodb_fast.tree_copy(tree).children[-1] == "hooked" == copy.deepcopy(tree).children[-1]


def assert_same_copy(tree) -> None:
    originals: dict = {}
    expected = shape(copy.deepcopy(tree))
    before = shape(tree, originals)
    copied: dict = {}
    made = dynamodb_fast.tree_copy(tree)
    assert shape(made, copied) == expected == before
    assert not set(copied) & set(originals)  # nothing mutable (node, list, dict, typed value) is shared
    assert shape(tree) == before  # the original is left as it was


def test_clauses_of_a_kept_tree_are_moto_s_own_in_a_new_list_each_time():
    from moto.dynamodb.parsing.ast_nodes import ExpressionAttributeName, ExpressionAttributeValue

    from harness.aws import moto_dynamodb
    fast_moto(True)
    text = "SET #a = :v, l = list_append(if_not_exists(l, :e), :w) REMOVE #b"
    tree = parsed(text)
    assert parsed(text) is tree
    for types in ([ExpressionAttributeName], [ExpressionAttributeValue], [ExpressionAttributeName,
                                                                          ExpressionAttributeValue]):
        first, second = tree.find_clauses(types), tree.find_clauses(types)
        assert first == second == moto_dynamodb._saved["find_clauses"](tree, types) and first is not second
        assert len(first) >= 2


# ------------------------------------------------------------------ reserved words
def moto_s_words() -> list:
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
    return ReservedKeywords._get_reserved_keywords()


@settings(max_examples=200, deadline=None)
@given(word=st.one_of(st.sampled_from(moto_s_words()), st.text(max_size=12),
                      st.sampled_from(moto_s_words()).map(lambda w: w + "_")))
def test_reserved_words_answer_in_as_moto_s_list_answers(word):
    words = moto_s_words()
    kept = dynamodb_fast.Keywords(words)
    assert kept == words and type(kept) is not list
    assert (word in kept) == (word in words) and (word.upper() in kept) == (word.upper() in words)


def test_reserved_words_changed_are_looked_for_as_a_list_looks():
    kept = dynamodb_fast.Keywords(moto_s_words())
    assert "NAME" in kept and "NOTAWORD" not in kept
    kept.remove("NAME")
    kept.append("NOTAWORD")
    assert "NAME" not in kept and "NOTAWORD" in kept
    mixed = dynamodb_fast.Keywords(["A", 1])
    assert 1 in mixed and "A" in mixed and 1.0 in mixed and "B" not in mixed


def test_the_fast_paths_look_reserved_words_up_in_moto_s_words_and_put_moto_s_list_back():
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
    fast_moto(True)
    assert type(ReservedKeywords.get_reserved_keywords()) is dynamodb_fast.Keywords
    assert ReservedKeywords.get_reserved_keywords() == moto_s_words()
    dynamodb_fast.uninstall()
    try:
        assert type(ReservedKeywords.get_reserved_keywords()) is list
    finally:
        fast_moto(True)


def test_reserved_words_in_updates_conditions_filters_and_projections_get_moto_s_own_errors():
    ops = [update("SET #n = :v, #s = name", {"#n": "n", "#s": "status"}, {":v": {"N": "1"}}),
           update("SET n = :v", values={":v": {"N": "1"}}, ConditionExpression="timestamp = :v"),
           update("SET nickname = :v", values={":v": {"S": "x"}}), update("SET nick2 = nickname"),
           ("scan", {"TableName": "plain", "FilterExpression": "comment = :v",
                     "ExpressionAttributeValues": {":v": {"S": "x"}}}),
           ("scan", {"TableName": "plain", "ProjectionExpression": "pk, date"}),
           ("get_item", {"TableName": "plain", "Key": {"pk": {"S": "a"}}, "ProjectionExpression": "pk, names"})]
    answers = compare(ops + ops)
    assert statuses(answers)[4:11] == [400, 400, 200, 200, 400, 400, 400]
    assert all(b"reserved keyword" in answer[2] for answer in answers[4:11] if answer[0] == 400)
    assert all(b"reserved keyword" in answer[2] for answer in answers[4:9] if answer[0] == 400)
