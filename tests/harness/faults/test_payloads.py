"""Payload mutators: deterministic, seeded malformations of events, records, bodies and HTTP requests."""
import base64
import json
import random

import pytest
from hypothesis import given, settings

from harness.faults import MUTATORS, HttpRequest, MutationError, mutate, mutations

API_EVENT = {"resource": "/messages", "httpMethod": "POST", "headers": {"Content-Type": "application/json"},
             "multiValueHeaders": {"Content-Type": ["application/json"]}, "isBase64Encoded": False,
             "body": json.dumps({"recipient": "+15550001", "text": "hi", "count": 2})}
TWILIO_EVENT = {"version": "2.0", "headers": {"content-type": "application/x-www-form-urlencoded"},
                "isBase64Encoded": False, "body": "From=%2B15550001&Body=hello&NumMedia=0"}
SQS_RECORD = {"messageId": "m1", "body": json.dumps({"orderId": "o1", "items": [1, 2]})}
EVENTBRIDGE = {"source": "earnings", "detail-type": "EarningsProcessed", "detail": {"amount": 12.5, "id": "e1"}}


def body(event):
    return json.loads(event["body"])


def test_every_mutator_named_in_the_issue_is_registered():
    assert set(MUTATORS) >= {"drop_key", "wrong_type", "null", "empty_string", "huge_string", "truncated_json",
                             "invalid_utf8", "invalid_base64", "non_dict_json", "duplicate_form_key", "missing_body",
                             "wrong_content_type"}


def test_key_mutators_walk_into_a_json_body_and_re_encode_it():
    assert "recipient" not in body(mutate(API_EVENT, "drop_key", path="body.recipient"))
    assert body(mutate(API_EVENT, "wrong_type", path="body.count"))["count"] == "not-a-number"
    assert body(mutate(API_EVENT, "wrong_type", path="body.text"))["text"] == 12345
    assert body(mutate(API_EVENT, "null", path="body.text"))["text"] is None
    assert body(mutate(API_EVENT, "empty_string", path="body.recipient"))["recipient"] == ""
    huge = body(mutate(API_EVENT, "huge_string", path="body.text"))["text"]
    assert len(huge) == 262_145  # one byte over SQS's 256 KiB message limit
    assert API_EVENT["body"] == json.dumps({"recipient": "+15550001", "text": "hi", "count": 2})  # never modified


def test_without_a_path_the_seeded_rng_picks_the_key_inside_the_body():
    picks = {tuple(sorted(body(mutate(API_EVENT, "drop_key", rng=random.Random(seed))))) for seed in range(12)}
    assert picks == {("count", "text"), ("count", "recipient"), ("recipient", "text")}
    assert mutate(API_EVENT, "drop_key", rng=random.Random(5)) == mutate(API_EVENT, "drop_key", rng=random.Random(5))


def test_nested_paths_work_in_records_and_events():
    assert json.loads(mutate(SQS_RECORD, "drop_key", path="body.items.0")["body"])["items"] == [2]
    assert mutate(EVENTBRIDGE, "wrong_type", path="detail.amount")["detail"]["amount"] == "not-a-number"
    assert mutate({"Records": [SQS_RECORD]}, "null", path="Records.0.body.orderId")["Records"][0]["body"] == \
        json.dumps({"orderId": None, "items": [1, 2]})


def test_form_bodies_are_mutated_as_form_data():
    assert mutate(TWILIO_EVENT, "drop_key", path="body.Body")["body"] == "From=%2B15550001&NumMedia=0"
    assert mutate(TWILIO_EVENT, "wrong_type", path="body.NumMedia")["body"].endswith("NumMedia=not-a-number")
    duplicated = mutate(TWILIO_EVENT, "duplicate_form_key", path="body", value="ignore previous")
    assert duplicated["body"].count("=") == 4
    assert mutate(TWILIO_EVENT, "duplicate_form_key", rng=random.Random(1), value="x")["body"] == \
        mutate(TWILIO_EVENT, "duplicate_form_key", rng=random.Random(1), value="x")["body"]


def test_text_mutators_break_the_json_itself():
    cut = mutate(API_EVENT, "truncated_json", rng=random.Random(3))["body"]
    assert API_EVENT["body"].startswith(cut) and len(cut) < len(API_EVENT["body"])
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)
    assert mutate(API_EVENT, "truncated_json", keep=5)["body"] == API_EVENT["body"][:5]
    assert json.loads(mutate(API_EVENT, "non_dict_json", kind="number")["body"]) == 42
    assert isinstance(json.loads(mutate(SQS_RECORD, "non_dict_json")["body"]), list)
    assert mutate(EVENTBRIDGE, "non_dict_json", path="detail", kind="null")["detail"] is None


def test_envelope_mutators_change_headers_encoding_and_body():
    assert mutate(API_EVENT, "missing_body")["body"] is None
    wrong = mutate(API_EVENT, "wrong_content_type", content_type="text/xml")
    assert wrong["headers"]["Content-Type"] == "text/xml" and wrong["multiValueHeaders"]["Content-Type"] == [
        "text/xml"]
    assert mutate(TWILIO_EVENT, "wrong_content_type")["headers"] == {"content-type": "text/plain"}
    b64 = mutate(API_EVENT, "invalid_base64")
    assert b64["isBase64Encoded"] is True
    with pytest.raises(ValueError):
        base64.b64decode(b64["body"], validate=True)
    utf8 = mutate(API_EVENT, "invalid_utf8")
    with pytest.raises(UnicodeDecodeError):
        base64.b64decode(utf8["body"]).decode("utf-8")
    with pytest.raises(UnicodeEncodeError):
        mutate(SQS_RECORD, "invalid_utf8", path="body")["body"].encode("utf-8")


def test_http_requests_are_mutated_in_their_body_and_headers():
    request = HttpRequest("POST", "http://127.0.0.1/hook", {"Content-Type": "application/json", "Content-Length": "9"},
                          b'{"a": 1}', "requests", 5.0)
    dropped = mutate(request, "drop_key", path="a")
    assert (dropped.body, dropped.header("content-length")) == (b"{}", "2")
    assert mutate(request, "missing_body").body is None
    assert mutate(request, "wrong_content_type").header("Content-Type") == "text/plain"
    assert mutate(request, "invalid_utf8").body.startswith(b"\xff\xfe")
    assert request.body == b'{"a": 1}'


def test_mistakes_are_explained():
    with pytest.raises(MutationError, match=r"no key 'recipent' at body.recipent \(did you mean 'recipient'\?\)"):
        mutate(API_EVENT, "drop_key", path="body.recipent")
    with pytest.raises(MutationError, match="duplicate_form_key needs a form-encoded body"):
        mutate(API_EVENT, "duplicate_form_key")
    with pytest.raises(MutationError, match="mutator 'null' has no setting 'size'"):
        mutate(API_EVENT, "null", size=3)
    with pytest.raises(MutationError, match="not a payload mutator"):
        mutate(API_EVENT, "drop")


@settings(max_examples=40, deadline=None)
@given(mutations(API_EVENT))
def test_mutations_are_a_hypothesis_strategy_of_malformed_copies(mutated):
    assert mutated != API_EVENT


def test_the_mutate_effect_changes_the_event_a_function_receives(simulate):
    rules = [{"match": {"function": "Echo", "nth": 1}, "effect": {"type": "mutate", "mutator": "drop_key",
                                                                 "path": "body.text"}}]
    with simulate(rules) as sim:
        first = sim.invoke("Echo", API_EVENT).payload["event"]
        second = sim.invoke("Echo", API_EVENT).payload["event"]
    assert body(first) == {"recipient": "+15550001", "count": 2} and second == API_EVENT
