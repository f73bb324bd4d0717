"""End to end on moto: the template's rule pattern routes real EventBridge envelopes to the handler; volume and
duplicate storms stay correct and fast."""
from __future__ import annotations

import json

import pytest


def resolve(value, parameters):
    """Replace {"Ref": Parameter} by the parameter's default (what a deploy without overrides gets)."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return parameters[value["Ref"]]["Default"]
        return {key: resolve(item, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, parameters) for item in value]
    return value


@pytest.fixture
def rule_queue(aws, clients, template):
    """The template's rule, created in moto's EventBridge with an SQS target standing in for the function."""
    [rule] = template["Resources"]["MarkEarningsProcessedFunction"]["Properties"]["Events"].values()
    pattern = resolve(rule["Properties"]["Pattern"], template["Parameters"])
    sqs, events = clients["sqs"], clients["events"]
    url = sqs.create_queue(QueueName="rule-target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="earnings-processed", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="earnings-processed", Targets=[{"Id": "function", "Arn": arn}])
    return url


def publish(clients, source, detail_type, detail):
    clients["events"].put_events(Entries=[{"Source": source, "DetailType": detail_type,
                                           "Detail": json.dumps(detail)}])


def delivered(clients, url):
    messages = clients["sqs"].receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    return [json.loads(message["Body"]) for message in messages.get("Messages", [])]


def test_events_matching_the_template_rule_are_processed_and_others_never_arrive(aws, clients, rule_queue,
                                                                                invoke, make_event):
    aws.put_record("earn-eb")
    detail = make_event("earn-eb")["detail"]
    publish(clients, "com.example.earnings", "EarningsProcessingCompleted", detail)
    publish(clients, "com.example.other", "EarningsProcessingCompleted", detail)
    publish(clients, "com.example.earnings", "EarningsCalculated", detail)

    [envelope] = delivered(clients, rule_queue)
    run = invoke(envelope)

    # the envelope as moto builds it (moto 5.2.5 leaves out "account", which the handler does not need)
    assert set(envelope) >= {"version", "id", "detail-type", "source", "time", "region", "resources", "detail"}
    assert run.response == {"status": "PROCESSED", "earningsId": "earn-eb", "correlationId": "corr-earn-eb",
                            "previousStatus": "PENDING"}
    [entry] = aws.audit("earn-eb")
    assert entry["eventId"] == {"S": envelope["id"]}


def test_eventbridge_event_id_is_the_correlation_id_when_the_publisher_sets_none(aws, clients, rule_queue,
                                                                                 invoke, make_event):
    aws.put_record("earn-eb")
    detail = make_event("earn-eb")["detail"]
    del detail["correlationId"]
    publish(clients, "com.example.earnings", "EarningsProcessingCompleted", detail)

    [envelope] = delivered(clients, rule_queue)
    run = invoke(envelope)

    assert run.response["correlationId"] == envelope["id"]
    assert {line["correlation_id"] for line in run.logs} == {envelope["id"]}


def test_a_batch_of_events_is_each_processed_in_one_attempt_well_inside_the_timeout(aws, invoke, make_event):
    ids = [f"earn-{number:03d}" for number in range(40)]
    for earnings_id in ids:
        aws.put_record(earnings_id)

    runs = [invoke(make_event(earnings_id)) for earnings_id in ids]

    assert [run.response["status"] for run in runs] == ["PROCESSED"] * 40
    assert {run.log("Invocation finished")["attempts"] for run in runs} == {1}
    # Well inside the timeout in the function's own (virtual) time: no backoff waits. Wall time is the bench's.
    assert max(sum(run.sleeps) for run in runs) * 1000 < 1_000
    assert all(run.error is None for run in runs)
    audited = aws.dynamodb.scan(TableName="test-earnings-audit", ProjectionExpression="earningsId")["Items"]
    assert sorted(item["earningsId"]["S"] for item in audited) == ids


def test_a_storm_of_duplicate_deliveries_changes_the_record_once(aws, invoke, make_event):
    aws.put_record()

    runs = [invoke(make_event()) for _ in range(30)]

    assert [run.response["status"] for run in runs] == ["PROCESSED"] + ["ALREADY_PROCESSED"] * 29
    assert len(aws.audit()) == 1
    assert aws.record()["version"] == {"N": "1"}
