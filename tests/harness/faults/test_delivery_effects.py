"""Delivery effects: duplicates, reordering, redelivery after the visibility timeout — on the AWS requests
handlers make, and through the delivery seam event sources call (`sim.faults.on_delivery`)."""
import json

import pytest

from harness.faults import Delivery

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/faults-work"


def send(sim, *bodies):
    for body in bodies:
        sim.client("sqs").send_message(QueueUrl=QUEUE_URL, MessageBody=body)


def test_a_duplicated_send_puts_the_message_in_the_queue_twice(simulate):
    rules = [{"match": {"service": "sqs", "operation": "SendMessage"}, "effect": {"type": "duplicate"}}]
    with simulate(rules) as sim:
        assert sim.invoke("Echo", {"send": {"order": 1}}).ok
        seen = sim.invoke("Consumer", {}).payload
    assert [json.loads(m["body"]) for m in seen] == [{"order": 1}, {"order": 1}]
    assert seen[0]["id"] != seen[1]["id"]  # two sends, as after a producer retry


def test_a_duplicated_async_invoke_runs_the_function_twice(simulate):
    rules = [{"match": {"service": "lambda", "operation": "Invoke"}, "effect": {"type": "duplicate"}}]
    call = {"service": "lambda", "operation": "invoke",
            "params": {"FunctionName": "faults-echo", "InvocationType": "Event", "Payload": '{"n": 1}'}}
    with simulate(rules) as sim:
        assert sim.invoke("Aws", call).payload["ok"]
        sim.run_until_idle()
        runs = [r for r in sim.invocations if r.function == "faults-echo"]
    assert [r.payload["event"] for r in runs] == [{"n": 1}, {"n": 1}]


@pytest.mark.parametrize("order", ["reverse", "shuffle"])
def test_a_received_batch_can_be_reordered(simulate, order):
    bodies = [f"m{i}" for i in range(6)]
    with simulate() as sim:
        send(sim, *bodies)
        plain = [m["body"] for m in sim.invoke("Consumer", {}).payload]
    rules = [{"match": {"service": "sqs", "operation": "ReceiveMessage"}, "effect": {"type": "reorder", "order": order}}]
    with simulate(rules) as sim:
        send(sim, *bodies)
        reordered = [m["body"] for m in sim.invoke("Consumer", {}).payload]
    assert sorted(reordered) == sorted(plain) and reordered != plain
    if order == "reverse":
        assert reordered == list(reversed(plain))


@pytest.mark.parametrize("batch", [False, True])
def test_a_lost_delete_redelivers_the_message_after_its_visibility_timeout(simulate, batch):
    operation = "DeleteMessageBatch" if batch else "DeleteMessage"
    rules = [{"match": {"service": "sqs", "operation": operation, "nth": 1}, "effect": "redeliver"}]
    with simulate(rules) as sim:
        send(sim, "once")
        first = sim.invoke("Consumer", {"batch_delete": batch}).payload
        assert sim.invoke("Consumer", {}).payload == []  # still invisible
        sim.advance(31)  # the queue's VisibilityTimeout is 30 s
        again = sim.invoke("Consumer", {"batch_delete": batch}).payload
        sim.advance(31)
        gone = sim.invoke("Consumer", {}).payload
    assert first[0]["id"] == again[0]["id"] and (first[0]["receives"], again[0]["receives"]) == (1, 2)
    assert gone == []


def records(*bodies):
    return [{"messageId": f"id-{i}", "body": body, "attributes": {"ApproximateReceiveCount": "1"}}
            for i, body in enumerate(bodies)]


def test_the_delivery_seam_duplicates_reorders_redelivers_and_mutates_records(simulate):
    batch = records('{"n": 0}', '{"n": 1}', '{"n": 2}')
    rules = [{"id": "dup", "match": {"source": "sqs", "function": "Echo"}, "effect": {"type": "duplicate", "index": 0}},
             {"id": "rev", "match": {"source": "SQS"}, "effect": {"type": "reorder", "order": "reverse"}},
             {"id": "again", "match": {"source": "sqs", "resource": "WorkQueue"}, "effect": {"type": "redeliver",
                                                                                            "index": -1}},
             {"id": "bad", "match": {"source": "sqs"}, "effect": {"type": "mutate", "mutator": "truncated_json",
                                                                  "index": 0, "keep": 4}}]
    with simulate(rules) as sim:
        delivery = sim.faults.on_delivery("sqs", batch, function="faults-echo", resource="faults-work")
        other = sim.faults.on_delivery("eventbridge", batch, function="Echo")
        fired = [e.data["rule"] for e in sim.trace.of("fault")]
    assert isinstance(delivery, Delivery)
    assert [r["messageId"] for r in delivery.records] == ["id-2", "id-1", "id-0", "id-0"]
    assert delivery.records[0]["body"] == '{"n"'
    assert [r["messageId"] for r in delivery.redeliver] == ["id-0"]
    assert other == Delivery(tuple(batch))
    assert fired == ["dup", "rev", "again", "bad"]
    assert batch[0]["body"] == '{"n": 0}'  # the source's own records are never modified


def test_without_a_running_simulation_the_seam_delivers_unchanged():
    from harness.faults import FaultPlan

    plan = FaultPlan.from_dicts([{"match": {"source": "sqs"}, "effect": "reorder"}])
    assert plan.on_delivery("sqs", records("a", "b")) == Delivery(tuple(records("a", "b")))
