"""moto's own enqueues (redrive, SNS and S3 fan-out) and S3's EventBridge events reach the harness's sources."""
import json
from pathlib import Path

from harness import Simulation

PATTERNS = Path(__file__).parent / "patterns"


def _records(sim, function):
    out = []
    for result in sim.invocations:
        if result.function.endswith(function):
            out += [json.loads(line) for line in result.logs if line.startswith("{")]
    return out


def test_message_redriven_by_moto_to_a_dlq_wakes_the_dlq_mapping_with_the_source_arn():
    with Simulation(PATTERNS / "sqs_dlq_mapping" / "template.yaml", seed=1) as sim:
        sim.send_message("OrdersQueue", "poison-1")
        sim.run_until_idle()
        worker = [r for r in sim.invocations if r.function.endswith("OrderWorker")]
        assert [r.status for r in worker] == ["error", "error"]  # maxReceiveCount 2
        assert worker[1].started - worker[0].started >= 60  # visibility timeout
        (alert,) = _records(sim, "DlqAlerter")
        assert alert["dead_letter"] == "poison-1"
        assert alert["attributes"]["DeadLetterQueueSourceArn"].endswith(":OrdersQueue") or \
            "OrdersQueue" in alert["attributes"]["DeadLetterQueueSourceArn"]
        assert alert["attributes"]["ApproximateReceiveCount"] == "3"


def test_fifo_records_carry_a_sequence_number_with_content_based_deduplication(tmp_path):
    template = tmp_path / "template.yaml"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text(
        "import json\ndef handler(event, context):\n"
        "    for r in event['Records']:\n        print(json.dumps(r['attributes']))\n")
    template.write_text("""
Transform: AWS::Serverless-2016-10-31
Resources:
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, ContentBasedDeduplication: true}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src/
      Handler: app.handler
      Events:
        Jobs: {Type: SQS, Properties: {Queue: !GetAtt Jobs.Arn, BatchSize: 10}}
""")
    with Simulation(template, seed=1) as sim:
        sim.send_message("Jobs", "a", group_id="g")
        sim.send_message("Jobs", "b", group_id="g")
        sim.run_until_idle()
        numbers = [json.loads(line)["SequenceNumber"] for r in sim.invocations for line in r.logs
                   if line.startswith("{")]
        assert len(numbers) == 2 and all(len(n) == 20 and n.isdigit() for n in numbers)
        assert int(numbers[0]) < int(numbers[1])
