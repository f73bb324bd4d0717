"""harness.strategies: every strategy yields events shaped like AWS's samples; `mutated` breaks them with the
fault catalog's mutators; `from_sample` keeps a sample's shape."""
from __future__ import annotations

import base64
import hashlib
import json
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from hypothesis import find, given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from harness import strategies as hs

TABLE = {"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "version", "AttributeType": "N"}],
         "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "version", "KeyType": "RANGE"}]}


@given(hs.sqs_batches(fifo=True, queue="orders"))
def test_fifo_sqs_batches_look_like_lambda_records(batch):
    records = batch["Records"]
    assert 1 <= len(records) <= 10 and len({r["messageId"] for r in records}) == len(records)
    for record in records:
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"].endswith(":orders.fifo")
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        assert {"MessageGroupId", "MessageDeduplicationId", "SequenceNumber", "SentTimestamp"} <= set(
            record["attributes"])
        assert isinstance(json.loads(record["body"]), dict)


@given(hs.sqs_records(body="plain text", attributes={"RetryAttempt": {"stringValue": "2", "dataType": "Number"}}))
def test_sqs_record_body_and_attributes_can_be_fixed(record):
    assert record["body"] == "plain text" and record["messageAttributes"]["RetryAttempt"]["stringValue"] == "2"


@given(hs.api_gateway_events(method="POST", path="/messages", body=st.binary(max_size=20) | hs.json_objects()))
def test_rest_proxy_events_are_payload_1_0(event):
    assert event["httpMethod"] == "POST" and event["path"] == "/messages"
    assert event["requestContext"]["path"] == "/prod/messages" and event["requestContext"]["stage"] == "prod"
    assert event["multiValueHeaders"]["Host"] == ["api.example.com"]
    if event["isBase64Encoded"]:
        base64.b64decode(event["body"], validate=True)


@given(hs.http_api_events(method="GET", path="/items", query=st.just({"q": "x"})))
def test_http_api_events_are_payload_2_0(event):
    assert event["version"] == "2.0" and event["rawPath"] == "/items" and event["rawQueryString"] == "q=x"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert all(name == name.lower() for name in event["headers"])


@given(hs.eventbridge_events(source="earnings.processing", detail={"earningsId": st.text(min_size=1)}))
def test_eventbridge_events_have_the_envelope(event):
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                          "detail"}
    assert event["source"] == "earnings.processing" and event["time"].endswith("Z")


@given(hs.scheduled_events("nightly"))
def test_scheduled_events_come_from_aws_events(event):
    assert event["detail-type"] == "Scheduled Event" and event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"] and event["detail"] == {}


@given(hs.async_payloads())
def test_async_payloads_are_json_documents(payload):
    assert json.loads(json.dumps(payload)) == payload


@given(hs.dynamodb_items(TABLE, attributes={"status": st.sampled_from(["PENDING", "QUEUED"])}))
def test_dynamodb_items_carry_the_key_schema(item):
    assert isinstance(item["pk"], str) and item["pk"] and isinstance(item["version"], Decimal)
    assert item["status"] in ("PENDING", "QUEUED")


def test_dynamodb_items_need_a_key_schema():
    with pytest.raises(ValueError, match="no KeySchema"):
        hs.dynamodb_items({"AttributeDefinitions": []})


@given(hs.twilio_webhook_events("https://hooks.example.com/prod/sms", "secret-token"))
def test_twilio_webhooks_are_signed_like_twilio_signs_them(event):
    form = dict(parse_qsl(event["body"], keep_blank_values=True))
    signature = event["headers"]["X-Twilio-Signature"]
    assert RequestValidator("secret-token").validate("https://hooks.example.com/prod/sms", form, signature)
    assert not RequestValidator("another-token").validate("https://hooks.example.com/prod/sms", form, signature)
    assert form["MessageSid"].startswith("SM") and not form["From"].startswith("whatsapp:")


@given(hs.api_gateway_events(body=hs.json_objects({"a": st.integers()})), st.data())
def test_mutated_always_changes_the_event(event, data):
    assert data.draw(hs.mutated(st.just(event))) != event


@given(hs.mutated(st.just({"body": '{"a": 1}', "isBase64Encoded": False}), ["non_ascii_base64"]))
def test_mutated_applies_only_the_named_mutators(event):
    assert event["isBase64Encoded"] is True and not event["body"].isascii()


def test_mutated_refuses_an_unknown_mutator():
    with pytest.raises(ValueError, match="unknown payload mutator 'drop_kee'"):
        hs.mutated(st.just({}), ["drop_kee"])


SAMPLE = {"id": "evt-1", "count": 3, "ratio": 0.5, "ok": True, "tags": ["a", "b"],
          "body": '{"item": "book", "quantity": 2}', "form": "From=%2B1555&Body=hi"}


@given(hs.from_sample(SAMPLE))
def test_from_sample_keeps_the_shape_and_the_types(event):
    assert set(event) == set(SAMPLE)
    assert isinstance(event["count"], int) and isinstance(event["ok"], bool) and isinstance(event["tags"], list)
    assert set(json.loads(event["body"])) == {"item", "quantity"}
    assert set(dict(parse_qsl(event["form"], keep_blank_values=True))) == {"From", "Body"}


def test_from_sample_reads_json_text_and_files(tmp_path):
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"a": 1}))
    for sample in (path, str(path), '{"a": 1}'):
        assert set(find(hs.from_sample(sample), lambda event: True)) == {"a"}
