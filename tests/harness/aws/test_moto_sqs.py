"""The flat-cost SQS path answers exactly as moto's own code: the same operations, run on patched and unpatched
moto with the same seed and clock, give the same responses (visibility, delays, retention, redrive, FIFO order)."""
import datetime as dt
import json

import boto3
import freezegun
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.moto_api._internal import mock_random

from harness.aws import moto_sqs
from harness.sources import moto_hooks

START = dt.datetime(2030, 1, 1, 12, 0, 0)

send = st.tuples(st.just("send"), st.integers(0, 5), st.sampled_from([None, 0, 3, 20]), st.integers(0, 2))
receive = st.tuples(st.just("receive"), st.integers(1, 10), st.sampled_from([None, 0, 5, 30]), st.just(0))
delete = st.tuples(st.just("delete"), st.integers(0, 30), st.just(None), st.just(0))
advance = st.tuples(st.just("advance"), st.sampled_from([1, 4, 10, 31, 61, 301, -3, -40]), st.just(None),
                    st.just(0))  # back in time too: a container with a skewed clock asks moto
attributes = st.tuples(st.just("attributes"), st.integers(0, 3), st.just(None), st.just(0))
visibility = st.tuples(st.just("visibility"), st.integers(0, 30), st.sampled_from([0, 5, 40]), st.just(0))
batch = st.tuples(st.just("batch"), st.integers(1, 4), st.sampled_from([None, 0, 7]), st.integers(0, 2))
purge = st.tuples(st.just("purge"), st.just(0), st.just(None), st.just(0))
ATTRIBUTE_NAMES = (["All"], ["ApproximateNumberOfMessages", "RedrivePolicy"],
                   ["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed", "FifoQueue"],
                   ["QueueArn", "Policy", "ContentBasedDeduplication", "VisibilityTimeout"])
operations = st.lists(st.one_of(send, send, receive, receive, delete, advance, attributes, visibility, batch),
                      min_size=1, max_size=25)


@pytest.fixture(scope="module", autouse=True)
def moto():
    """One moto for the module (starting moto is the slow part); each run makes and deletes its own queues."""
    with mock_aws():
        yield
    moto_sqs.install()


def run(ops: list, fifo: bool, redrive: bool, fast: bool, queue_attributes: dict | None = None) -> list:
    """Apply `ops` to a fresh queue (and its DLQ; `queue_attributes`: more attributes of the queue) and return
    every response, without request metadata."""
    (moto_sqs.install if fast else moto_sqs.uninstall)()
    moto_hooks.reset()  # the harness's FIFO sequence numbers start again, as in a new simulation
    out, handles = [], []
    with freezegun.freeze_time(START) as clock:
        mock_random.seed(7)
        sqs = boto3.client("sqs", region_name="us-east-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        suffix = ".fifo" if fifo else ""
        extra = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
        dlq = sqs.create_queue(QueueName=f"dlq{suffix}", Attributes=dict(extra))["QueueUrl"]
        attrs = {"MessageRetentionPeriod": "300", "VisibilityTimeout": "10", **extra, **(queue_attributes or {})}
        if redrive:
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
        url = sqs.create_queue(QueueName=f"q{suffix}", Attributes=attrs)["QueueUrl"]
        try:
            for n, (op, a, b, group) in enumerate(ops):
                with moto_sqs.request_time():
                    out.append(_apply(sqs, url, dlq, op, a, b, group, n, fifo, handles, clock))
            out.append(sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"]))
        finally:  # the next example starts with new queues, whatever this one raised
            sqs.delete_queue(QueueUrl=url)
            sqs.delete_queue(QueueUrl=dlq)
    for response in out:
        if isinstance(response, dict):
            response.pop("ResponseMetadata", None)
    return out


def _apply(sqs, url, dlq, op, a, b, group, n, fifo, handles, clock):
    if op == "send":
        kwargs = {"QueueUrl": url, "MessageBody": f"m{n}-{a}"}
        if fifo:
            kwargs["MessageGroupId"] = f"g{group}"
        elif b is not None:
            kwargs["DelaySeconds"] = b
        return sqs.send_message(**kwargs)
    if op == "receive":
        kwargs = {"QueueUrl": url, "MaxNumberOfMessages": a, "AttributeNames": ["All"]}
        if b is not None:
            kwargs["VisibilityTimeout"] = b
        response = sqs.receive_message(**kwargs)
        handles += [m["ReceiptHandle"] for m in response.get("Messages", [])]
        return response
    if op == "delete":
        if not handles:
            return None
        try:
            return sqs.delete_message(QueueUrl=url, ReceiptHandle=handles[a % len(handles)])
        except sqs.exceptions.ClientError as exc:
            return exc.response["Error"]["Code"]
    if op == "advance":
        clock.tick(dt.timedelta(seconds=a))
        return a
    if op == "visibility":
        if not handles:
            return None
        try:
            return sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handles[a % len(handles)],
                                                 VisibilityTimeout=b)
        except sqs.exceptions.ClientError as exc:
            return exc.response["Error"]["Code"]
    if op == "batch":
        entries = [{"Id": f"e{i}", "MessageBody": f"m{n}-{i}"} for i in range(a)]
        for entry in entries:
            if fifo:
                entry["MessageGroupId"] = f"g{group}"
            elif b is not None:
                entry["DelaySeconds"] = b
        return sqs.send_message_batch(QueueUrl=url, Entries=entries)
    if op == "purge":
        try:
            return sqs.purge_queue(QueueUrl=url)
        except sqs.exceptions.ClientError as exc:  # a second purge within 60 s
            return exc.response["Error"]["Code"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=ATTRIBUTE_NAMES[a])["Attributes"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations, fifo=st.booleans(), redrive=st.booleans())
def test_fast_path_answers_exactly_as_moto_does(ops, fifo, redrive):
    assert run(ops, fifo, redrive, fast=True) == run(ops, fifo, redrive, fast=False)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(st.one_of(send, receive, delete, advance, attributes, visibility, purge), min_size=1,
                    max_size=20), delay=st.sampled_from(["0", "4"]))
def test_fast_path_answers_as_moto_does_on_a_queue_with_a_delay_and_purges(ops, delay):
    queue = {"DelaySeconds": delay}
    assert run(ops, False, False, True, queue) == run(ops, False, False, False, queue)


def test_a_deleted_message_is_gone_and_deleting_it_again_is_accepted():
    ops = [("send", 1, None, 0), ("receive", 1, None, 0), ("delete", 0, None, 0), ("delete", 0, None, 0),
           ("advance", 31, None, 0), ("receive", 10, None, 0)]
    fast = run(ops, fifo=False, redrive=False, fast=True)
    assert fast[2] == fast[3] == {}
    assert "Messages" not in fast[5]


def test_a_message_past_its_retention_period_is_not_received():
    ops = [("send", 1, None, 0), ("advance", 200, None, 0), ("send", 2, None, 0), ("advance", 200, None, 0),
           ("receive", 10, None, 0)]
    fast = run(ops, fifo=False, redrive=False, fast=True)
    assert "Messages" not in fast[4]  # moto stops its receive at a message past its 300 s retention
    assert fast == run(ops, fifo=False, redrive=False, fast=False)
