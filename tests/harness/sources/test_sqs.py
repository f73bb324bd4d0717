"""SQS event source mapping (AWS_BEHAVIOUR "SQS and the SQS event source mapping")."""
import hashlib
import json

import pytest

from harness import InputError, Simulation


def _batches(sim, source):
    return [e.data for e in sim.trace.of("sqs_batch", source=source)]


def test_ten_messages_two_reported_failures_come_back_after_visibility_timeout_then_go_to_dlq(sim, messages):
    # "ReportBatchItemFailures": listed ones retried, rest deleted; redrive by maxReceiveCount (3 here).
    ids = {sim.send_message("WorkQueue", f"fail-{i}" if i in (3, 7) else f"ok-{i}"): i for i in range(10)}
    sim.run_until_idle()
    batches = _batches(sim, "BatchWorker.Work")
    assert [(b["size"], b["deleted"], b["failed"]) for b in batches] == [(10, 8, 2), (2, 0, 2), (2, 0, 2)]
    starts = [r.started for r in sim.invocations if r.function.endswith("BatchWorker")]
    assert starts[0] == 0.0 and 30.0 < starts[1] < 30.1 and 60.0 < starts[2] < 60.1  # VisibilityTimeout 30
    dlq = messages(sim, "WorkDlq")
    assert sorted(m["Body"] for m in dlq) == ["fail-3", "fail-7"]
    assert {m["MessageId"] for m in dlq} == {mid for mid, i in ids.items() if i in (3, 7)}
    assert messages(sim, "WorkQueue") == []
    # the other 8 were deleted exactly once: in the first batch, never delivered again
    assert sum(b["deleted"] for b in batches) == 8


def test_message_with_delay_seconds_15_is_not_delivered_before_t15_and_is_right_after(sim):
    # "DelaySeconds 0-900 s per queue or per message".
    sim.send_message("DelayQueue", "later", delay_seconds=15)
    sim.advance(14.999)
    assert [r for r in sim.invocations if r.function.endswith("DelayWorker")] == []
    sim.advance(0.001)
    (result,) = [r for r in sim.invocations if r.function.endswith("DelayWorker")]
    assert result.started == pytest.approx(15.0, abs=1e-6)
    assert '{"body": "later", "count": "1"}' in result.logs


def test_record_has_aws_shape(sim):
    sim.send_message("DelayQueue", "hello", attributes={"kind": "greeting", "n": 3})
    sim.run_until_idle()
    (invocation,) = sim.invocations
    record = json.loads(next(line for line in invocation.logs if line.startswith("RECORD "))[7:])
    assert set(record) == {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
                           "eventSource", "eventSourceARN", "awsRegion"}
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    assert record["eventSourceARN"] == sim.resource("DelayQueue")["Arn"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"] == str(int(sim.clock.start * 1000))
    assert {"SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"] == {"stringValue": "greeting", "stringListValues": [],
                                                   "binaryListValues": [], "dataType": "String"}
    assert record["messageAttributes"]["n"]["dataType"] == "Number"
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert record["body"] == "hello"


@pytest.mark.parametrize("respond, redelivered", [
    ({"batchItemFailures": []}, False),            # empty batchItemFailures list: complete success
    (None, False),                                 # null response: complete success
    ({}, False),                                   # empty EventResponse: complete success
    ({"batchItemFailures": None}, False),          # null list: complete success
    ("raise", True),                               # exception: whole batch
    ("unknown-id", True),                          # itemIdentifier not in the batch: whole batch
    ("bad-key", True),                             # itemIdentifier missing (bad key name): whole batch
    ({"batchItemFailures": [{"itemIdentifier": ""}]}, True),   # empty identifier: whole batch
    ({"batchItemFailures": [{"itemIdentifier": None}]}, True),  # null identifier: whole batch
    ("not json object", True),                     # invalid response: whole batch
    ([], True),                                    # a list is not an EventResponse: whole batch
])
def test_report_batch_item_failures_edge_cases(sim, respond, redelivered):
    sim.send_message("EdgeQueue", {"respond": respond})
    sim.send_message("EdgeQueue", {"respond": "second"})
    sim.advance(5)
    first = _batches(sim, "EdgeWorker.Edge")
    assert first and first[0]["size"] == 2
    assert first[0]["deleted"] == (0 if redelivered else 2)
    sim.advance(6)  # VisibilityTimeout 10
    again = _batches(sim, "EdgeWorker.Edge")[1:]
    assert bool(again) == redelivered


def test_partial_failure_retries_only_the_listed_message(sim):
    sim.send_message("EdgeQueue", {"respond": "first"})
    sim.send_message("EdgeQueue", {"respond": []})
    sim.advance(11)
    batches = _batches(sim, "EdgeWorker.Edge")
    assert [(b["size"], b["deleted"], b["failed"]) for b in batches[:2]] == [(2, 1, 1), (1, 0, 1)]


def test_batching_window_waits_for_a_full_batch_or_the_window(sim):
    for i in range(3):
        sim.send_message("WindowQueue", f"m{i}")
    sim.advance(19.9)
    assert _batches(sim, "WindowWorker.Windowed") == []
    sim.advance(0.2)
    assert [b["size"] for b in _batches(sim, "WindowWorker.Windowed")] == [3]
    for i in range(5):
        sim.send_message("WindowQueue", f"n{i}")
    sim.advance(0.001)
    assert [b["size"] for b in _batches(sim, "WindowWorker.Windowed")] == [3, 5]  # full batch: no waiting


def test_fifo_group_order_is_kept_and_processing_stops_at_first_failure(sim):
    # FIFO: the handler stops at its first failure and reports the rest; they come back, in order.
    for body in ["a1", "bad-a2", "a3"]:
        sim.send_message("orders.fifo", body, group_id="A")
    sim.send_message("orders.fifo", "b1", group_id="B")
    sim.advance(1)
    assert [line for r in sim.invocations for line in r.logs if line.startswith("processed")] == ["processed a1"]
    (batch,) = _batches(sim, "OrderWorker.Orders")
    assert (batch["size"], batch["deleted"], batch["failed"]) == (4, 1, 3)
    assert sim.trace.of("sqs_fifo_order_broken") == []
    sim.advance(20)  # VisibilityTimeout 20: the failed tail comes back in the same order
    second = _batches(sim, "OrderWorker.Orders")[1]
    assert second["size"] == 3
    assert not any("processed a3" in line for r in sim.invocations for line in r.logs)  # never before bad-a2


def test_fifo_queue_needs_a_group_id(app_template):
    with Simulation(app_template, seed=1) as sim, pytest.raises(InputError, match="group_id"):
        sim.send_message("orders.fifo", "x")


def test_sqs_source_that_names_no_queue_is_reported_by_name(write_app):
    template = write_app("Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
                         "      Handler: app.handler\n      CodeUri: src/\n      Events:\n        Work:\n"
                         "          Type: SQS\n          Properties:\n            BatchSize: 20\n")
    with pytest.raises(InputError, match=r"event 'Fn.Work' \(SQS\): Queue is required"):
        Simulation(template).start()


def test_duplicate_delivery_fault_hands_the_same_record_twice_in_one_batch(app_template):
    # Delivery faults (issue 4) reach the SQS event source mapping through `sim.faults.on_delivery`.
    rules = [{"id": "dup", "match": {"source": "sqs", "function": "DelayWorker"},
              "effect": {"type": "duplicate", "index": 0}, "times": 1}]
    with Simulation(app_template, seed=1, faults=rules) as sim:
        sim.send_message("DelayQueue", "once")
        sim.run_until_idle()
        (result,) = [r for r in sim.invocations if r.function.endswith("DelayWorker")]
        assert [line for line in result.logs if line.startswith("{")] == ['{"body": "once", "count": "1"}'] * 2
        assert [e.data["rule"] for e in sim.trace.of("fault")] == ["dup"]


def test_redeliver_fault_brings_the_message_back_after_the_visibility_timeout(app_template):
    rules = [{"id": "again", "match": {"source": "sqs", "function": "DelayWorker"},
              "effect": {"type": "redeliver"}, "times": 1}]
    with Simulation(app_template, seed=1, faults=rules) as sim:
        sim.send_message("DelayQueue", "twice")
        sim.run_until_idle()
        runs = [r for r in sim.invocations if r.function.endswith("DelayWorker")]
        assert [r.started for r in runs] == [0.0, pytest.approx(30.0, abs=0.01)]  # default VisibilityTimeout 30 s
        assert '{"body": "twice", "count": "2"}' in runs[1].logs


def test_without_a_readable_queue_the_poller_asks_the_backend_for_counts_and_stops_when_it_is_empty(
        app_template, monkeypatch):
    # LocalStack's queue cannot be read in-process: the poller must neither spin on an empty queue nor keep
    # run_until_idle going (that made scenarios burn their real-time budget and be reported as skipped).
    from harness.sources.sqs import SqsMapping
    monkeypatch.setattr(SqsMapping, "_queue", lambda self: None)
    with Simulation(app_template, seed=3) as sim:
        for i in range(3):
            sim.send_message("WorkQueue", f"ok-{i}")
        sim.run_until_idle(max_virtual_seconds=3600)
        polls_after_empty = sim.scheduler.steps
        sim.run_until_idle(max_virtual_seconds=3600)
        assert sum(b["deleted"] for b in _batches(sim, "BatchWorker.Work")) == 3
        assert sim.now < 5  # idle as soon as the queue was empty, not after an hour of one-second polls
        assert sim.scheduler.steps == polls_after_empty


@pytest.mark.parametrize("direct_calls", [True, False], ids=["direct", "api"])
def test_a_poll_that_reads_the_clock_once_runs_what_one_reading_per_question_runs(monkeypatch, app_template,
                                                                                   direct_calls):
    """Failures come back after the visibility timeout, delays, redrive to the DLQ, a batching window: the same trace
    whether a poll reads moto's clock once or at every count, receive and due-time question."""
    from harness.aws import direct
    from harness.sources.sqs import SqsMapping
    monkeypatch.setattr(direct, "enabled", direct_calls)
    traces = []
    for once in (True, False):
        monkeypatch.setattr(SqsMapping, "one_clock_reading", once)
        with Simulation(app_template, seed=5) as sim:
            for i in range(12):
                sim.send_message("WorkQueue", f"fail-{i}" if i % 5 == 0 else f"ok-{i}")
            sim.send_message("DelayQueue", "later", delay_seconds=15)
            sim.advance(3)
            sim.send_message("WorkQueue", "ok-late")
            sim.run_until_idle()
            traces.append((sim.trace.hash(), [(e.t, e.kind, e.data) for e in sim.trace.events]))
    assert traces[0] == traces[1]
    assert any(kind == "sqs_batch" and data["failed"] for _, kind, data in traces[0][1])
