"""Stream mappings (harness.sources.streams): tumbling windows and ParallelizationFactor, through the pattern
templates tests/harness/sam/patterns/kinesis_tumbling_window and kinesis_parallelization."""
import json
from pathlib import Path

from harness import Simulation

PATTERNS = Path(__file__).parents[1] / "sam" / "patterns"
WINDOW = PATTERNS / "kinesis_tumbling_window" / "template.yaml"
PARALLEL = PATTERNS / "kinesis_parallelization" / "template.yaml"


def _printed(sim, function):
    return [json.loads(line) for r in sim.invocations if r.function.endswith(function)
            for line in r.logs if line.startswith("{")]


def _put(sim, stream, page, key="k"):
    sim.client("kinesis").put_record(StreamName=sim.resource(stream)["Ref"], PartitionKey=key,
                                     Data=json.dumps({"page": page, "step": page}).encode())


def test_tumbling_window_passes_state_between_batches_and_ends_with_a_final_invocation():
    with Simulation(WINDOW, seed=1, start="2030-01-01T00:00:10Z") as sim:
        assert sim.warnings == []
        for page in ("/a", "/b", "/a"):
            _put(sim, "ClickStream", page)
            sim.advance(5)
        sim.run_until_idle()
        calls = _printed(sim, "ClickAggregator")
        window = {"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T00:01:00Z"}
        assert [c["window"] for c in calls] == [window] * len(calls)
        assert [(c["records"], c["isFinalInvokeForWindow"]) for c in calls[-1:]] == [(0, True)]
        assert calls[0]["state"] == {}  # a window starts with an empty state
        assert calls[-1]["state"] == {"/a": 2, "/b": 1}  # ... and the final invocation gets the aggregate
        item = sim.client("dynamodb").get_item(TableName=sim.resource("Totals")["Ref"],
                                               Key={"window": {"S": window["start"]}})["Item"]
        assert json.loads(item["totals"]["S"]) == {"/a": 2, "/b": 1}


def test_a_record_of_the_next_window_waits_for_the_previous_windows_final_invocation():
    with Simulation(WINDOW, seed=1, start="2030-01-01T00:00:50Z") as sim:
        _put(sim, "ClickStream", "/a")
        sim.advance(20)  # 00:01:10, the first window has ended
        _put(sim, "ClickStream", "/b")
        sim.run_until_idle()
        calls = [(c["window"]["start"][11:19], c["records"], c["isFinalInvokeForWindow"], c["state"])
                 for c in _printed(sim, "ClickAggregator")]
        assert calls == [("00:00:00", 1, False, {}), ("00:00:00", 0, True, {"/a": 1}),
                         ("00:01:00", 1, False, {}), ("00:01:00", 0, True, {"/b": 1})]


def test_final_invocation_runs_when_the_window_end_passes_on_the_virtual_clock():
    with Simulation(WINDOW, seed=1, start="2030-01-01T00:00:10Z") as sim:
        _put(sim, "ClickStream", "/a")
        sim.advance(30)  # 00:00:40: the window is still open
        assert [c["isFinalInvokeForWindow"] for c in _printed(sim, "ClickAggregator")] == [False]
        sim.advance(25)  # 00:01:05
        assert [c["isFinalInvokeForWindow"] for c in _printed(sim, "ClickAggregator")] == [False, True]
        first, final = [r for r in sim.invocations if r.function.endswith("ClickAggregator")]
        assert final.started - first.started == 50  # at 00:01:00, the window's end


def test_a_response_without_state_is_a_failed_invocation_retried_under_the_retry_policy():
    with Simulation(WINDOW, seed=1, start="2030-01-01T00:00:10Z") as sim:
        _put(sim, "ClickStream", "forgetful")
        sim.run_until_idle()
        calls = [c for c in _printed(sim, "ClickAggregator") if not c["isFinalInvokeForWindow"]]
        assert len(calls) == 3  # the first attempt and MaximumRetryAttempts: 2
        assert [e.data["condition"] for e in sim.trace.events if e.kind == "stream_discard"] == \
            ["RetryAttemptsExhausted"]


def test_a_state_over_1_mb_terminates_the_window_early_and_it_continues_with_a_fresh_state():
    with Simulation(WINDOW, seed=1, start="2030-01-01T00:00:10Z") as sim:
        _put(sim, "ClickStream", "huge")
        sim.advance(1)
        _put(sim, "ClickStream", "/a")
        sim.run_until_idle()
        calls = [(c["records"], c["isFinalInvokeForWindow"], c["isWindowTerminatedEarly"], sorted(c["state"]))
                 for c in _printed(sim, "ClickAggregator")]
        assert calls == [(1, False, False, []), (0, True, True, ["padding"]),
                         (1, False, False, []), (0, True, False, ["/a"])]


def _overlaps(invocations):
    """The largest number of the invocations running at one virtual instant."""
    edges = sorted([(r.started, 1) for r in invocations] + [(r.ended, -1) for r in invocations])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


def test_parallelization_factor_runs_up_to_n_batches_of_a_shard_at_once_keeping_each_key_in_order():
    with Simulation(PARALLEL, seed=1) as sim:
        assert sim.warnings == []
        for step in range(3):
            for customer in ("ann", "bob", "cat", "dan", "eve", "fay"):
                _put(sim, "OrderStream", step, key=customer)
        sim.run_until_idle()
        done = _printed(sim, "OrderWorker")
        assert len(done) == 18
        for customer in ("ann", "bob", "cat", "dan", "eve", "fay"):
            assert [d["step"] for d in done if d["customer"] == customer] == [0, 1, 2]
        worker = [r for r in sim.invocations if r.function.endswith("OrderWorker")]
        assert 1 < _overlaps(worker) <= 3


def test_without_parallelization_a_shard_has_one_batch_in_flight():
    with Simulation(PARALLEL, seed=1, parameters={"Factor": "1"}) as sim:
        for step in range(2):
            for customer in ("ann", "bob", "cat"):
                _put(sim, "OrderStream", step, key=customer)
        sim.run_until_idle()
        worker = [r for r in sim.invocations if r.function.endswith("OrderWorker")]
        assert len(worker) == 6 and _overlaps(worker) == 1


def test_a_plain_event_source_mapping_resource_takes_a_tumbling_window_too(write_app):
    template = write_app("""
Resources:
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: src/}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      EventSourceArn: !GetAtt Stream.Arn
      StartingPosition: TRIM_HORIZON
      TumblingWindowInSeconds: 30
""", "def handler(event, context):\n"
     "    print(event['isFinalInvokeForWindow'], event['state'])\n"
     "    return {'state': {'n': event['state'].get('n', 0) + len(event['Records'])}}\n")
    with Simulation(template, seed=1, start="2030-01-01T00:00:00Z") as sim:
        assert sim.warnings == []
        sim.client("kinesis").put_record(StreamName=sim.resource("Stream")["Ref"], PartitionKey="k", Data=b"x")
        sim.advance(31)
        assert [r.logs[1] for r in sim.invocations] == ["False {}", "True {'n': 1}"]


def test_a_dynamodb_stream_keeps_each_items_changes_in_order_across_parallel_batches(write_app):
    template = write_app("""
Transform: AWS::Serverless-2016-10-31
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Timeout: 10
      Events:
        Changes:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: TRIM_HORIZON, BatchSize: 1,
                       ParallelizationFactor: 4}
""", "import time\n\n\ndef handler(event, context):\n    time.sleep(2)\n"
     "    for r in event['Records']:\n"
     "        print(r['dynamodb']['Keys']['pk']['S'], r['dynamodb']['NewImage']['v']['N'])\n")
    with Simulation(template, seed=1) as sim:
        table = sim.resource("Table")["Ref"]
        for version in range(3):
            for key in ("a", "b", "c", "d", "e"):
                sim.client("dynamodb").put_item(TableName=table, Item={"pk": {"S": key}, "v": {"N": str(version)}})
        sim.run_until_idle()
        seen = [line.split() for r in sim.invocations for line in r.logs if line[:1] in "abcde"]
        assert len(seen) == 15
        for key in "abcde":
            assert [v for k, v in seen if k == key] == ["0", "1", "2"]
        assert 1 < _overlaps(sim.invocations) <= 4
