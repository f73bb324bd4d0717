"""CPU time of one boto3 client (or resource) creation on the router's shared session, as a handler module's cold
start makes it: this tree against git REF, alternating the two in fresh interpreters so both share the machine.

    python bench/client_creation.py --baseline main [--rounds 6] [--count 200]
    python bench/client_creation.py --paths                 # this tree, the sixth wave's creation paths on and off
    python bench/client_creation.py --instructions [--paths | --baseline main]   # callgrind, per creation

Prints, for each kind of client, the median over rounds of the CPU milliseconds per creation, before and after;
and a handler module's cold start as a whole: a DynamoDB and an SQS client made and their first three calls
(PutItem, a conditional UpdateItem refused, SendMessage) answered by a canned router, so the figure is botocore's
own work on the handler's side (creation, serializing, signing, the first use of each operation's model, parsing).
The warm heap is frozen out of garbage collections, as a batch of runs keeps it. Clients are made with the Config
the replies handlers give (standard retries, 3 attempts, timeouts), as a
handler module makes them. `--paths` compares this tree with itself, the paths of harness/aws/profile_reads.py,
config_objects.py and client_settings' `user_agent_copy` on and off (fresh interpreters, alternating).
`--instructions` counts machine instructions per creation with valgrind's callgrind (the machine's load does not
move them), one interpreter per kind and tree (needs valgrind).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = {"client sqs": lambda s, c=None: s.client("sqs", config=c),
         "client dynamodb": lambda s, c=None: s.client("dynamodb", config=c),
         "resource dynamodb": lambda s, c=None: s.resource("dynamodb", config=c),
         "client secretsmanager": lambda s, c=None: s.client("secretsmanager", config=c),
         "client lambda": lambda s, c=None: s.client("lambda", config=c)}
PATHS_OFF = "CLIENT_CREATION_PATHS_OFF"  # set in a measuring interpreter: the sixth wave's creation paths off
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


def handler_config():
    """The Config the replies handlers make their clients with."""
    from botocore.config import Config
    return Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=3, read_timeout=5)


def prepared_session():
    """The router's shared session, with the sixth wave's creation paths off when PATHS_OFF is set."""
    os.environ.update({"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing"})
    from harness.aws import router
    session = router.shared_session()
    if os.environ.get(PATHS_OFF):
        from botocore import useragent

        from harness.aws import config_objects, profile_reads
        profile_reads.uninstall()
        config_objects.uninstall()
        if "__copy__" in useragent.UserAgentString.__dict__:
            del useragent.UserAgentString.__copy__
    return session


def measure(count: int) -> dict[str, float]:
    """CPU milliseconds per creation of each kind, in this interpreter (after one warm-up creation each)."""
    from harness.aws import router
    session = prepared_session()
    config = handler_config()
    for make in KINDS.values():
        make(session, config)
    import gc
    gc.collect()
    gc.freeze()  # the warm heap out of collections, as a batch of runs keeps it (harness/runner/heap.py)
    out = {}
    for kind, make in KINDS.items():
        start = time.process_time()
        for _ in range(count):
            make(session, config)
        out[kind] = (time.process_time() - start) / count * 1000
    router.activate(CannedRouter())
    cold_start(session, config)
    start = time.process_time()
    for _ in range(count):
        cold_start(session, config)
    out[COLD_START] = (time.process_time() - start) / count * 1000
    router.activate(None)
    return out


def in_fresh_interpreter(tree: Path, count: int, paths_off: bool = False) -> dict[str, float]:
    """`measure(count)` in a new interpreter importing the harness of `tree`."""
    env = {**os.environ, "PYTHONPATH": str(tree), **({PATHS_OFF: "1"} if paths_off else {})}
    done = subprocess.run([sys.executable, __file__, "--measure", str(count)], cwd=tree, capture_output=True,
                          text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


# Runs inside valgrind: warm up, signal "ready" through a file, wait for it to go, make N, signal "done".
_COUNTED = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
import client_creation
kind, n, flag = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
session, config = client_creation.prepared_session(), client_creation.handler_config()
make = client_creation.KINDS[kind]
for _ in range(3):
    make(session, config)
import gc
gc.collect()
gc.disable()
flag.write_text("ready")
while flag.exists():
    time.sleep(0.05)
for _ in range(n):
    make(session, config)
flag.with_suffix(".done").write_text("done")
time.sleep(1)
"""


def instructions(tree: Path, kind: str, n: int, paths_off: bool = False) -> float:
    """Machine instructions per creation of `kind` in a fresh interpreter of `tree` (callgrind)."""
    import tempfile

    from instructions import count
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        flag, out, script = work / "flag", work / "callgrind", work / "counted.py"
        script.write_text(_COUNTED)
        env = {**os.environ, "PYTHONPATH": str(tree), **({PATHS_OFF: "1"} if paths_off else {})}
        process = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", sys.executable,
             str(script), kind, str(n), str(flag), str(Path(__file__).parent)],
            cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return count(process, flag, out, n)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", metavar="REF", default="main", help="git ref to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=6, help="fresh interpreters per tree (default 6)")
    parser.add_argument("--count", type=int, default=200, help="creations of each kind per interpreter")
    parser.add_argument("--paths", action="store_true", help="this tree with its creation paths off, then on")
    parser.add_argument("--instructions", action="store_true", help="callgrind instructions per creation")
    parser.add_argument("--measure", type=int, metavar="COUNT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    sys.path.insert(0, str(Path(__file__).parent))
    if args.paths:
        first, second, label = (ROOT, True), (ROOT, False), "paths off"
    else:
        first, second, label = (__import__("run").checkout(args.baseline), False), (ROOT, False), args.baseline
    if args.instructions:
        if shutil.which("valgrind") is None:
            print("valgrind is not installed", file=sys.stderr)
            return 2
        print(f"M instructions per creation (callgrind, {min(args.count, 30)} creations after 3)")
        print(f"{'':26} {label:>10} {'this tree':>10} {'ratio':>7}")
        for kind in KINDS:
            b, a = (instructions(tree, kind, min(args.count, 30), off) / 1e6 for tree, off in (first, second))
            print(f"{kind:26} {b:10.3f} {a:10.3f} {a / b:7.3f}")
        return 0
    before, after = [], []
    for _ in range(args.rounds):
        before.append(in_fresh_interpreter(first[0], args.count, first[1]))
        after.append(in_fresh_interpreter(second[0], args.count, second[1]))
    print(f"CPU ms per creation, median of {args.rounds} fresh interpreters x {args.count} creations")
    print(f"{'':26} {label:>10} {'this tree':>10} {'ratio':>7}")
    for kind in (*KINDS, COLD_START):
        b, a = (statistics.median(r[kind] for r in runs) for runs in (before, after))
        print(f"{kind:26} {b:10.2f} {a:10.2f} {a / b:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
