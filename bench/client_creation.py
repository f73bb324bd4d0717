"""CPU time of one boto3 client (or resource) creation on the router's shared session, as a handler module's cold
start makes it: this tree against git REF, alternating the two in fresh interpreters so both share the machine.

    python bench/client_creation.py --baseline main [--rounds 6] [--count 200]

Prints, for each kind of client, the median over rounds of the CPU milliseconds per creation, before and after;
and a handler module's cold start as a whole: a DynamoDB and an SQS client made and their first three calls
(PutItem, a conditional UpdateItem refused, SendMessage) answered by a canned router, so the figure is botocore's
own work on the handler's side (creation, serializing, signing, the first use of each operation's model, parsing).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = {"client sqs": lambda s: s.client("sqs"), "client dynamodb": lambda s: s.client("dynamodb"),
         "resource dynamodb": lambda s: s.resource("dynamodb"), "client lambda": lambda s: s.client("lambda")}
COLD_START = "2 clients + first 3 calls"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/q"
CANNED = {  # operation -> (status, body): what the canned router answers
    "PutItem": (200, b"{}"),
    "UpdateItem": (400, (b'{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",'
                        b'"message":"The conditional request failed"}')),
    "SendMessage": (200, b'{"MD5OfMessageBody":"9dd4e461268c8034f5c8564e155c67a6","MessageId":"m"}'),
}


class CannedRouter:
    """Answers the router's requests from CANNED (no backend: only botocore's side is measured)."""

    def handle(self, request, event_name):
        from harness.aws.wire import aws_response
        status, body = CANNED[event_name.rsplit(".", 1)[1]]
        return aws_response(request, status, body, content_type="application/x-amz-json-1.0")


def cold_start(session, config) -> None:
    """What a messages handler module's clients cost in one execution environment: made, then first used."""
    dynamodb, sqs = session.client("dynamodb", config=config), session.client("sqs", config=config)
    dynamodb.put_item(TableName="t", Item={"id": {"S": "a"}, "status": {"S": "PENDING"}})
    try:
        dynamodb.update_item(TableName="t", Key={"id": {"S": "a"}}, UpdateExpression="SET #s = :q",
                             ConditionExpression="#s = :p", ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues={":q": {"S": "QUEUED"}, ":p": {"S": "PENDING"}})
    except dynamodb.exceptions.ConditionalCheckFailedException:
        pass
    sqs.send_message(QueueUrl=QUEUE_URL, MessageBody="hello")


def measure(count: int) -> dict[str, float]:
    """CPU milliseconds per creation of each kind, in this interpreter (after one warm-up creation each)."""
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"})
    from harness.aws import router
    session = router.shared_session()
    out = {}
    for kind, make in KINDS.items():
        make(session)
        start = time.process_time()
        for _ in range(count):
            make(session)
        out[kind] = (time.process_time() - start) / count * 1000
    from botocore.config import Config
    config = Config(retries={"mode": "standard", "total_max_attempts": 3})
    router.activate(CannedRouter())
    cold_start(session, config)
    start = time.process_time()
    for _ in range(count):
        cold_start(session, config)
    out[COLD_START] = (time.process_time() - start) / count * 1000
    router.activate(None)
    return out


def in_fresh_interpreter(tree: Path, count: int) -> dict[str, float]:
    """`measure(count)` in a new interpreter importing the harness of `tree`."""
    done = subprocess.run([sys.executable, __file__, "--measure", str(count)], cwd=tree, capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(tree)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", metavar="REF", default="main", help="git ref to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=6, help="fresh interpreters per tree (default 6)")
    parser.add_argument("--count", type=int, default=200, help="creations of each kind per interpreter")
    parser.add_argument("--measure", type=int, metavar="COUNT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    sys.path.insert(0, str(Path(__file__).parent))
    baseline = __import__("run").checkout(args.baseline)
    before, after = [], []
    for _ in range(args.rounds):
        before.append(in_fresh_interpreter(baseline, args.count))
        after.append(in_fresh_interpreter(ROOT, args.count))
    print(f"CPU ms per creation, median of {args.rounds} fresh interpreters x {args.count} creations")
    print(f"{'':26} {args.baseline:>10} {'this tree':>10} {'ratio':>7}")
    for kind in (*KINDS, COLD_START):
        b, a = (statistics.median(r[kind] for r in runs) for runs in (before, after))
        print(f"{kind:26} {b:10.2f} {a:10.2f} {a / b:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
