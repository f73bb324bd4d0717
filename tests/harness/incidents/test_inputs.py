"""Which logged events are the incident's inputs, and the steps they become."""
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.incidents.inputs import logged_inputs, shape, steps_for
from harness.incidents.system import load_system
from harness.incidents.timeline import Invocation, Timeline

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def systems():
    return {name: load_system(ROOT / "handlers" / name / "template.yaml") for name in ("messages", "replies", "twin")}


API_EVENT = {"resource": "/messages", "path": "/messages", "httpMethod": "POST",
             "headers": {"Host": "abc.execute-api.us-east-1.amazonaws.com", "X-Forwarded-For": "203.0.113.9",
                         "Idempotency-Key": "k-1", "Content-Length": "20"},
             "queryStringParameters": None, "requestContext": {"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"},
             "body": '{"recipient": "+15550001111"}', "isBase64Encoded": False}


def test_an_api_gateway_event_becomes_an_http_step_without_transport_headers(systems):
    [(step, key)], why = steps_for(API_EVENT, "PostMessageFunction", systems["messages"])
    assert why is None and key == "api:c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert step == {"http": {"method": "POST", "path": "/messages", "headers": {"Idempotency-Key": "k-1"},
                             "body": '{"recipient": "+15550001111"}'}}


def test_event_shapes():
    assert shape(API_EVENT) == "api"
    assert shape({"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": "POST"}}}) == "function_url"
    assert shape({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}) == "schedule"
    assert shape({"source": "com.example", "detail-type": "X", "detail": {}}) == "eventbridge"
    assert shape({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}) == "sqs"
    assert shape({"iotDeviceId": "s-1"}) == "direct"


def test_sqs_records_from_a_queue_the_system_feeds_are_not_inputs(systems):
    event = {"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": "{}",
                          "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:replies-engine-dev-sms-queue"}]}
    steps, why = steps_for(event, "BatchProcessorFunction", systems["replies"])
    assert steps == [] and "WebhookHandlerFunction" in why


def _timeline(*invocations: Invocation) -> Timeline:
    return Timeline(datetime(2030, 5, 1, tzinfo=UTC), list(invocations))


def test_a_direct_invoke_while_its_caller_runs_is_chained_not_an_input(systems):
    dispatcher = Invocation("digital-twin-dispatcher", "r1", 1, 0.0, end=0.05, events=[{"iotDeviceId": "s-1"}])
    processor = Invocation("digital-twin-temperature-sensor-1-processor", "r2", 1, 0.05, end=0.1,
                           events=[{"iotDeviceId": "s-1"}])
    inputs, skipped = logged_inputs(_timeline(dispatcher, processor), systems["twin"])
    assert [i.step["invoke"]["function"] for i in inputs] == ["DispatcherFunction"]
    assert "invoked by DispatcherFunction" in skipped[0].reason


def test_a_scheduled_run_off_the_replays_cadence_becomes_fire_schedule(systems):
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    manual = Invocation("digital-twin-hot-to-cold-mover", "r1", 1, 10.0, end=11.0, events=[scheduled])
    natural = Invocation("digital-twin-hot-to-cold-mover", "r2", 1, 86400.0, end=86401.0, events=[scheduled])
    inputs, skipped = logged_inputs(_timeline(manual, natural), systems["twin"])
    assert [(i.at, i.step) for i in inputs] == [(10.0, {"fire_schedule": "HotToColdMoverFunction"})]
    assert "fires it again" in skipped[0].reason


def _sqs(queue: str, sent_ms: int | None = None) -> dict:
    attributes = {"SentTimestamp": str(sent_ms)} if sent_ms is not None else {}
    return {"Records": [{"eventSource": "aws:sqs", "messageId": f"m-{sent_ms}", "body": "{}", "attributes": attributes,
                         "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue}"}]}


def test_a_record_no_feeder_could_have_sent_is_an_input_sent_at_its_sent_timestamp(systems):
    start_ms = int(datetime(2030, 5, 1, tzinfo=UTC).timestamp() * 1000)
    batch = Invocation("replies-engine-dev-batch-processor", "r1", 1, 20.0, end=20.1,
                       events=[_sqs("replies-engine-dev-sms-queue", start_ms + 500)])
    [item], _ = logged_inputs(_timeline(batch), systems["replies"])
    assert item.at == 0.5 and item.step["send_message"]["queue"] == "SmsQueue"


def test_a_record_sent_after_a_feeder_ran_comes_from_the_system(systems):
    start_ms = int(datetime(2030, 5, 1, tzinfo=UTC).timestamp() * 1000)
    webhook = Invocation("replies-engine-dev-webhook-handler", "r1", 1, 0.0, end=0.1)
    batch = Invocation("replies-engine-dev-batch-processor", "r2", 1, 20.0, end=20.1,
                       events=[_sqs("replies-engine-dev-sms-queue", start_ms + 100)])
    inputs, skipped = logged_inputs(_timeline(webhook, batch), systems["replies"])
    assert inputs == [] and "WebhookHandlerFunction" in skipped[0].reason


def test_an_eventbridge_shaped_event_no_rule_routes_was_invoked_directly():
    earnings = load_system(ROOT / "handlers" / "earnings" / "template.yaml")
    event = {"version": "0", "id": "e-1", "source": "com.example.payroll", "detail-type": "PayrollCompleted",
             "detail": {"earningsId": "E-1"}}
    [(step, _)], _ = steps_for(event, "MarkEarningsProcessedFunction", earnings)
    assert step["invoke"]["function"] == "MarkEarningsProcessedFunction"
    routed = {**event, "source": "com.example.earnings", "detail-type": "EarningsProcessingCompleted"}
    [(step, _)], _ = steps_for(routed, "MarkEarningsProcessedFunction", earnings)
    assert "put_event" in step


def test_in_the_same_millisecond_the_caller_is_the_one_whose_start_was_logged_first(systems):
    dispatcher = Invocation("digital-twin-dispatcher", "r1", 1, 0.0, end=0.0, events=[{"iotDeviceId": "s-1"}])
    processor = Invocation("digital-twin-temperature-sensor-1-processor", "r2", 1, 0.0, end=0.0,
                           events=[{"iotDeviceId": "s-1"}])
    inputs, _ = logged_inputs(_timeline(dispatcher, processor), systems["twin"])
    assert [i.step["invoke"]["function"] for i in inputs] == ["DispatcherFunction"]
