"""CPU per AWS call made from handler code inside a Simulation, with and without moto's answer: plain client calls
(SQS SendMessage, DynamoDB UpdateItem, PutItem, Query) and boto3 resource calls (`Table(...)` alone, then
`Table.put_item`/`query` on a kept table and on a new `Table(...)` per call, as the replies and twin handlers do).

    python bench/call_costs.py --baseline main [--rounds 3] [--calls 150]

This tree is measured twice: as it is, and with the sixth and seventh waves' call paths off (`paths off`:
botocore's own parameter validation, JSON body writing and JSON answer parsing, boto3's own DynamoDB parameter copy
and type conversions, botocore's own endpoint rule set parameters and request preparation;
harness/aws/param_checks.py, json_requests.py, json_responses.py, dynamodb_params.py, endpoint_params.py,
prepared_requests.py; the signer's per-URL memory stays on).

A function of a small template makes `--calls` calls of one kind per invocation (after a warm-up) and reports its
thread CPU; moto's share is the thread CPU inside `MotoBackend.answer`. Each tree runs in fresh interpreters,
alternating with REF round by round, so both share the machine's load; medians are printed in µs per call.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals: {Function: {Runtime: python3.11, CodeUri: src/, Timeout: 900, MemorySize: 1024}}
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: conv
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}, {AttributeName: sk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}, {AttributeName: sk, KeyType: RANGE}]
  Loop:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.loop
      Environment: {Variables: {QUEUE_URL: !Ref Queue}}
"""
CALLS = {  # each kind of call, as the handler makes it (`i`: the call's number)
    "sqs SendMessage": 'sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=f"hello {i}")',
    "dynamodb UpdateItem": 'ddb.update_item(TableName="conv", Key={"pk": {"S": "c"}, "sk": {"S": "u"}}, '
                           'UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"}, '
                           'ExpressionAttributeValues={":s": {"S": f"Q{i}"}})',
    "dynamodb PutItem": 'ddb.put_item(TableName="conv", Item=dict(TYPED, sk={"S": f"s{i % 5}"}))',
    "dynamodb Query": 'ddb.query(TableName="conv", KeyConditionExpression="pk = :p", '
                      'ExpressionAttributeValues={":p": {"S": "c"}})',
    "resource Table() alone": 'res.Table("conv")',
    "resource kept Table.put_item": 'TABLE.put_item(Item=dict(ITEM, sk=f"s{i % 5}"))',
    "resource kept Table.query": 'TABLE.query(KeyConditionExpression=Key("pk").eq("c"))',
    "resource Table(...).put_item": 'res.Table("conv").put_item(Item=dict(ITEM, sk=f"s{i % 5}"))',
    "resource Table(...).query": 'res.Table("conv").query(KeyConditionExpression=Key("pk").eq("c"))',
    "resource Table(...).update_item": 'res.Table("conv").update_item(Key={"pk": "c", "sk": "u"}, '
                                       'UpdateExpression="SET #s = :s, #n = :n", ExpressionAttributeNames={"#s": '
                                       '"status", "#n": "count"}, ExpressionAttributeValues={":s": f"Q{i}", ":n": i}, '
                                       'ReturnValues="ALL_NEW")',
}
HANDLER = """\
import os, time
import boto3
from boto3.dynamodb.conditions import Key
from botocore.config import Config
CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3})
sqs, ddb, res = boto3.client("sqs", config=CONFIG), boto3.client("dynamodb", config=CONFIG), \\
    boto3.resource("dynamodb", config=CONFIG)
TABLE = res.Table("conv")
ITEM = {"pk": "c", "sk": "s", "status": "PENDING", "count": 3, "tags": {"a": "b"},
        "messages": [{"id": "m1", "body": "hello there", "ts": 1700000000}]}
TYPED = {"pk": {"S": "c"}, "sk": {"S": "s"}, "status": {"S": "PENDING"}, "count": {"N": "3"},
         "tags": {"M": {"a": {"S": "b"}}}, "messages": {"L": [{"M": {"id": {"S": "m1"}, "body": {"S": "hello there"},
                                                                   "ts": {"N": "1700000000"}}}]}}
CALLS = {
%s
}

def loop(event, context):
    call = CALLS[event["call"]]
    for i in range(5):
        call(i)
    start = time.thread_time()
    for i in range(event["n"]):
        call(i)
    return {"cpu": time.thread_time() - start}
"""
MEASURE = """
import json, os, sys, time, warnings
warnings.simplefilter("ignore")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from harness import Simulation
from harness.aws import backend
moto = [0.0]
answer = backend.MotoBackend.answer
def timed(self, request, event_name):
    start = time.thread_time()
    try:
        return answer(self, request, event_name)
    finally:
        moto[0] += time.thread_time() - start
backend.MotoBackend.answer = timed
template, n, calls = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
out = {}
with Simulation(template, seed=1, budgets={"invocations": 10000, "wall_seconds": 36000}) as sim:
    if os.environ.get("CALL_PATHS_OFF"):  # before the first invocation makes the handler's resource
        from harness.aws import (dynamodb_params, endpoint_params, json_requests, json_responses, param_checks,
                                 prepared_requests)
        for path in (param_checks, json_requests, json_responses, dynamodb_params, endpoint_params,
                     prepared_requests):
            path.uninstall()
    for call in calls:
        sim.invoke("Loop", {"call": call, "n": 5})
    for call in calls:
        moto[0] = 0.0
        cpu = sim.invoke("Loop", {"call": call, "n": n}).payload["cpu"]
        out[call] = [cpu / n * 1e6, (cpu - moto[0]) / n * 1e6]
print(json.dumps(out))
"""


def fixture(folder: Path) -> Path:
    """The template and handler the calls are made from, written into `folder`."""
    (folder / "src").mkdir(parents=True, exist_ok=True)
    (folder / "src" / "app.py").write_text(HANDLER % "\n".join(
        f"    {name!r}: lambda i: {source}," for name, source in CALLS.items()))
    (folder / "template.yaml").write_text(TEMPLATE)
    (folder / "measure.py").write_text(MEASURE)
    return folder / "template.yaml"


def measure(tree: Path, folder: Path, n: int, paths_off: bool = False) -> dict[str, list[float]]:
    """µs per call (total, outside moto) for each kind, in a fresh interpreter importing `tree`'s harness (with
    this wave's call paths off when `paths_off`)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "HARNESS_PIN_CORE": "0"}
    env.pop("CALL_PATHS_OFF", None)
    if paths_off:
        env["CALL_PATHS_OFF"] = "1"
    done = subprocess.run([sys.executable, str(folder / "measure.py"), str(fixture(folder)), str(n),
                           json.dumps(list(CALLS))], cwd=tree, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Print µs of CPU per call, with and without moto's answer, for this tree (and --baseline REF)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", metavar="REF", help="also measure the harness at this git ref")
    parser.add_argument("--rounds", type=int, default=3, help="fresh interpreters per tree (default 3)")
    parser.add_argument("--calls", type=int, default=150, help="calls of each kind per interpreter (default 150)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "bench"))
    trees = {"paths off": (ROOT, True), "this tree": (ROOT, False)}
    if args.baseline:
        trees = {args.baseline: (__import__("run").checkout(args.baseline), False), **trees}
    results: dict[str, list[dict]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="call-costs-") as work:
        for _ in range(args.rounds):
            for name, (tree, paths_off) in trees.items():
                results[name].append(measure(tree, Path(work), args.calls, paths_off))
    print(f"µs of CPU per call (median of {args.rounds} interpreters x {args.calls} calls): total / outside moto")
    print(f"{'call':32}" + "".join(f"{name:>24}" for name in trees))
    for call in CALLS:
        cells = []
        for name in trees:
            total, outside = (statistics.median(r[call][i] for r in results[name]) for i in (0, 1))
            cells.append(f"{total:10.0f} / {outside:7.0f}    ")
        print(f"{call:32}" + "".join(f"{c:>24}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
