"""Hostile handlers: each tries one way to escape, hang or break the harness (tests/hostile)."""
import _socket
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

import boto3

PUBLIC = "192.0.2.10"  # TEST-NET-1: never routed, so even a leak would not reach anyone


def exit_zero(event, context):
    sys.exit(0)


def exit_one(event, context):
    raise SystemExit(1)


def keyboard(event, context):
    raise KeyboardInterrupt


def os_exit(event, context):
    os._exit(3)


def abort(event, context):
    os.abort()


def kill_self(event, context):
    os.kill(os.getpid(), signal.SIGTERM)


def signal_harness(event, context):
    """Tries to deliver a signal to the harness's own process (contained: Runtime.ExitError)."""
    signal.raise_signal(getattr(signal, event["signal"]))
    return "signalled"


def hold(event, context):
    """Tells the test it is running (a FIFO the test reads), then blocks in a real wait on a FIFO nobody
    writes: the test interrupts the harness meanwhile, as a user pressing Ctrl-C would."""
    with open(event["ready"], "w") as ready:
        ready.write("running")
    with open(event["hold"]) as hold_fifo:
        return hold_fifo.read()


def exit_at_init(event, context):
    return "never"


if os.environ.get("EXIT_AT_INIT"):
    sys.exit(2)


def spin(event, context):
    while True:
        pass


def spin_swallowing(event, context):
    while True:
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001, S110 - hostile on purpose
            pass


def sleep_forever(event, context):
    time.sleep(10 ** 9)
    return "woke"


def _escape_loop(results):
    while True:
        try:
            socket.create_connection((PUBLIC, 443), timeout=1)
            results.append("connected")
        except OSError as exc:
            results.append(type(exc).__name__)
        time.sleep(1)


LEAKED = []


def leak_thread(event, context):
    thread = threading.Thread(target=_escape_loop, args=(LEAKED,), name="leaky")
    thread.start()
    return "started"


def leak_blocking_thread(event, context):
    threading.Thread(target=threading.Event().wait, name="stuck-in-c").start()
    return "started"


def huge_response(event, context):
    return "x" * (10 * 1024 * 1024)


def memory_hog(event, context):
    hog = bytearray(2 * 1024 ** 3)
    return len(hog)


def memory_error(event, context):
    raise MemoryError


def touching_memory_hog(event, context):
    hog = [bytes(1024 * 1024) + bytes([i % 256]) for i in range(300)]  # ~300 MB really touched
    return len(hog)


_CLIENTS = {}


def _client(service):
    """One client per service for the container's life, as production code keeps them (made on first use: the
    other handlers of this module stay cheap to import)."""
    if service not in _CLIENTS:
        _CLIENTS[service] = boto3.client(service)
    return _CLIENTS[service]


def hog_then_send(event, context):
    hog = [bytes(1024 * 1024) + bytes([i % 256]) for i in range(200)]  # ~200 MB, then a yield point
    try:
        _client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="after the hog")
    except BaseException:  # noqa: BLE001, S110 - tries to swallow being stopped (the OOM killer cannot be)
        pass
    return len(hog)


def sends_after_timeout(event, context):
    """Sleeps past its timeout, then its finally blocks (and a loop that swallows being stopped) try to reach the
    world: an SQS message, an HTTP request."""
    try:
        time.sleep(10)
    finally:
        for attempt in range(3):
            try:
                if event.get("route") == "http":
                    import requests
                    requests.post("https://api.example.com/after-timeout", data=str(attempt), timeout=5)
                else:
                    _client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=f"late {attempt}")
            except BaseException:  # noqa: BLE001, S112 - tries to swallow being stopped
                continue


def recurse(event, context):
    _client("lambda").invoke(FunctionName=context.function_name, InvocationType="Event",
                                  Payload=b'{"again": true}')
    return os.environ["_X_AMZN_TRACE_ID"]  # what Lambda's runtime set for this invocation


def recurse_sync(event, context):
    answer = _client("lambda").invoke(FunctionName=context.function_name, Payload=b'{"again": true}')
    return json.loads(answer["Payload"].read())


def sqs_loop(event, context):
    sqs = _client("sqs")
    for record in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=record["body"])
    return "sent back"


def sns_loop(event, context):
    message = event["Records"][0]["Sns"]["Message"]
    _client("sns").publish(TopicArn=os.environ["TOPIC_ARN"], Message=message)
    return "published back"


def s3_loop(event, context):
    record = event["Records"][0]["s3"]
    key = record["object"]["key"]
    _client("s3").put_object(Bucket=record["bucket"]["name"], Key=f"{key}+", Body=b"again")
    return "written back"


def _attempt(action):
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - the handler reports how the escape ended
        return {"refused": type(exc).__name__, "message": str(exc)}
    return {"escaped": True}


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


ROUTES = {
    "connect_bytes": lambda: socket.create_connection((PUBLIC.encode(), 443), timeout=1),
    "udp_sendto": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", (PUBLIC, 53)),
    "low_level_socket": lambda: _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM).connect((PUBLIC, 443)),
    "prefix_name": lambda: socket.getaddrinfo("127.attacker.example", 443),
    "gethostbyname": lambda: socket.gethostbyname("aws.amazon.com"),
    "gethostbyname_ex": lambda: socket.gethostbyname_ex("aws.amazon.com"),
    "gethostbyaddr": lambda: socket.gethostbyaddr("8.8.8.8"),
    "mapped_ipv6": lambda: socket.create_connection(("::ffff:192.0.2.10", 443), timeout=1),
    "subprocess": lambda: subprocess.run(["curl", "https://aws.amazon.com"], check=False),
    "os_system": lambda: os.system("true"),
    "fork": lambda: os.fork(),
    "proc_environ": lambda: _read("/proc/self/environ"),
    "aws_credentials": lambda: _read(os.path.join(os.environ["OUTER_HOME"], ".aws", "credentials")),
    "home_credentials": lambda: _read(os.path.expanduser("~/.aws/credentials")),
}


def escape(event, context):
    return _attempt(ROUTES[event["route"]])
