"""The runtime's per-invocation shortcuts give what the long way gives: request ids are the text of a version-4
UUID of the run's random bits; the event a handler gets and the payload its caller gets are fresh copies through
JSON (values JSON gives back as they are skip the round trip); a payload's size is its compact JSON's bytes."""
import json
import random
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from harness import Simulation
from harness.clock import VirtualClock
from harness.lambda_runtime.runtime import LambdaRuntime
from harness.sandbox.payloads import size_of
from harness.scheduler import Scheduler

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Echo: {Type: AWS::Serverless::Function, Properties: {Handler: app.handler, CodeUri: src/, Runtime: python3.11}}
"""
ECHO = """
SEEN = []

def handler(event, context):
    SEEN.append(event)  # the next invocation checks it was not handed the same object
    return {"event": event, "fresh": all(event is not seen for seen in SEEN[:-1]) or event is None
            or isinstance(event, (bool, int, float, str))}
"""
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
                    max_leaves=8)


@given(st.integers(min_value=0, max_value=2**32))
@settings(max_examples=50)
def test_request_ids_are_the_uuid4_text_of_the_runs_random_bits(seed):
    runtime = LambdaRuntime(Scheduler(VirtualClock(0.0), random.Random(0)), None, random.Random(seed),
                            host_env=dict, base_env=dict)
    same = random.Random(seed)
    for _ in range(20):
        assert runtime.new_request_id() == str(uuid.UUID(int=same.getrandbits(128), version=4))


@given(JSON)
def test_a_payloads_size_is_the_bytes_of_its_compact_json(payload):
    assert size_of(payload) == len(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def test_handlers_get_and_callers_get_fresh_json_copies_of_every_kind_of_value(write_app):
    template = write_app(TEMPLATE, ECHO)
    payloads = [True, 0, -7, 2**70, 1.5, "", "text é", {}, [], {"a": [1, {"b": None}]}, [{"x": 1.0}],
                {"tuple": (1, 2)}]
    with Simulation(template, seed=1) as sim:
        results = [sim.invoke("Echo", payload) for payload in payloads]
        for payload, result in zip(payloads, results, strict=True):
            assert result.ok
            assert result.payload == {"event": json.loads(json.dumps(payload)), "fresh": True}
        again = sim.invoke("Echo", payloads[-3])
        assert again.payload["event"] is not results[-3].payload["event"]


@given(arn=st.text(min_size=1, max_size=60), bits=st.integers(min_value=0, max_value=2**128 - 1),
       now=st.floats(min_value=0, max_value=2**33, allow_nan=False))
def test_a_new_chains_trace_header_is_what_the_general_path_gives_for_a_header_without_fields(arn, bits, now):
    from harness.lambda_runtime import recursion
    request_id = str(uuid.UUID(int=bits, version=4))
    # ";" holds no field: it takes the general path (parse, lineage, count), None takes the new-chain shortcut
    assert recursion.next_header(None, arn, request_id, now) == recursion.next_header(";", arn, request_id, now)
    assert recursion.next_header("", arn, request_id, now)[1] == 1


FLAT_VALUES = (st.none() | st.booleans() | st.integers() | st.floats() | st.text()
               | st.integers(min_value=-2**63, max_value=2**63 - 1) | st.lists(st.integers(), max_size=2))


@given(st.dictionaries(st.text(max_size=5) | st.integers(), FLAT_VALUES, max_size=5))
@settings(max_examples=300)
def test_a_flat_response_is_copied_as_its_json_round_trip_would_give_it(value):
    from harness.lambda_runtime.runtime import _flat_json_copy
    from harness.sandbox.payloads import SYNC_PAYLOAD_LIMIT
    copy = _flat_json_copy(value)
    if copy is None:  # the long way (nested, non-text keys, non-finite or large numbers)
        return
    text = json.dumps(value)
    assert len(text) <= SYNC_PAYLOAD_LIMIT
    assert copy is not value
    assert [(k, type(v), v) for k, v in copy.items()] == [(k, type(v), v) for k, v in json.loads(text).items()]


def test_flat_responses_of_small_scalars_take_the_short_way_and_large_or_nested_ones_the_long_way():
    from harness.lambda_runtime.runtime import _flat_json_copy
    assert _flat_json_copy({"statusCode": 200, "body": "ok", "ok": True, "t": 1.5, "none": None}) is not None
    assert _flat_json_copy({"headers": {"a": "b"}}) is None
    assert _flat_json_copy({1: "int key"}) is None
    assert _flat_json_copy({"big": 2**64, "nan": 0.0}) is None
    assert _flat_json_copy({"nan": float("nan")}) is None
    assert _flat_json_copy({"body": "x" * (6 * 1024 * 1024 // 12)}) is None  # might be over 6 MB escaped
