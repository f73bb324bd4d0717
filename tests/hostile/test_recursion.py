"""Lambda's recursive loop detection (AWS: an event that invokes one function more than 16 times in one request
chain is stopped; the chain travels in the X-Ray trace header): by direct invocation, synchronous and asynchronous,
and through an SQS queue, with RecursiveLoop Terminate (the default) and Allow."""
import pytest

from harness import OverBudget, Simulation
from harness.lambda_runtime import recursion
from tests.hostile.conftest import TEMPLATE


@pytest.fixture
def sim():
    with Simulation(TEMPLATE, seed=3) as running:
        yield running


def runs(sim, function):
    return [r for r in sim.invocations if r.function == f"app-{function}"]


def test_self_invoking_async_function_is_stopped_at_the_17th_invocation_and_its_event_dead_lettered(sim):
    sim.invoke("Recurse", {}, type="Event")
    sim.run_until_idle()
    statuses = [r.status for r in runs(sim, "Recurse")]
    assert statuses == ["success"] * 16 + ["recursive_loop"]
    [loop] = sim.trace.of("recursive_loop")
    assert loop.data["chain"] == 17 and loop.data["action"] == "terminated"
    assert [e.data["condition"] for e in sim.trace.of("async_failed")] == ["RetriesExhausted"]  # not retried
    [message] = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("Dlq"),
                                                  MessageAttributeNames=["All"])["Messages"]
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == recursion.MESSAGE


def test_each_invocation_sees_its_own_trace_header_whose_lineage_counts_the_chain(sim):
    sim.invoke("Recurse", {}, type="Event")
    sim.run_until_idle()
    headers = [recursion.parse(r.payload) for r in runs(sim, "Recurse")[:16]]  # the handler returns its header
    assert len({h["Root"] for h in headers}) == 1  # one chain, one root
    assert len({h["Parent"] for h in headers}) == 16
    assert [list(recursion.lineage(h).values()) for h in headers] == [[n] for n in range(1, 17)]


def test_a_synchronous_self_invocation_gets_recursive_invocation_exception_at_the_17th(sim):
    result = sim.invoke("RecurseSync", {})
    statuses = [r.status for r in runs(sim, "RecurseSync")]  # in the order they ended: the innermost first
    assert statuses == ["recursive_loop"] + ["error"] + ["success"] * 15
    assert "RecursiveInvocationException" in str(result.payload)


def test_a_function_that_sends_its_message_back_to_its_own_queue_is_stopped_and_redriven_to_the_dlq(sim):
    sim.send_message("LoopQueue", "hello")
    sim.run_until_idle()
    statuses = [r.status for r in runs(sim, "SqsLoop")]
    assert statuses[:16] == ["success"] * 16 and set(statuses[16:]) == {"recursive_loop"}
    assert len(statuses) == 18  # stopped at each of the queue's 2 receives, then the redrive policy moves it
    [message] = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("LoopDlq"))["Messages"]
    assert message["Body"] == "hello"


def test_recursive_loop_allow_lets_the_loop_run_until_the_invocations_budget_ends_it():
    with Simulation(TEMPLATE, seed=3, budgets={"invocations": 40}) as sim:
        sim.invoke("RecurseAllowed", {}, type="Event")
        with pytest.raises(OverBudget, match=r"invocations budget: 41 invocations reached \(budget 40\)"):
            sim.run_until_idle()
        [loop] = sim.trace.of("recursive_loop")
        assert loop.data["action"] == "allowed" and loop.data["chain"] == 17
        assert sim.trace.of("budget_exceeded")[0].data["budget"] == "invocations"


def test_unrelated_invocations_start_new_chains():
    with Simulation(TEMPLATE, seed=3) as sim:
        for _ in range(20):
            assert sim.invoke("ExitOne").status == "error"
        assert not sim.trace.of("recursive_loop")


def test_a_function_that_publishes_back_to_the_topic_it_is_subscribed_to_is_stopped(sim):
    sim.client("sns").publish(TopicArn=sim.resource("LoopTopic")["Ref"], Message="hi")
    sim.run_until_idle()
    assert [r.status for r in runs(sim, "SnsLoop")] == ["success"] * 16 + ["recursive_loop"]
    [message] = sim.client("sqs").receive_message(QueueUrl=sim.queue_url("LoopDlq"))["Messages"]
    assert '"Message": "hi"' in message["Body"]  # the SNS event, dead-lettered by Lambda


def test_a_function_that_writes_back_to_the_bucket_that_notifies_it_is_stopped(sim):
    sim.client("s3").put_object(Bucket=sim.resource("LoopBucket")["Ref"], Key="k", Body=b"x")
    sim.run_until_idle()
    assert [r.status for r in runs(sim, "S3Loop")] == ["success"] * 16 + ["recursive_loop"]
