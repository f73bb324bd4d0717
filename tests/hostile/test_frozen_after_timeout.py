"""A timed-out invocation does not go on acting on the world: Lambda freezes and discards its environment at the
timeout, so the AWS and HTTP requests its finally blocks (or a loop that swallows the stop) make are refused before
they leave, each refusal in the trace, and the next invocation gets a new environment."""
import pytest

from harness import Simulation
from tests.hostile.conftest import TEMPLATE


@pytest.fixture
def sim():
    with Simulation(TEMPLATE, seed=8) as running:
        yield running


def depth(sim, queue):
    attributes = sim.client("sqs").get_queue_attributes(QueueUrl=sim.queue_url(queue),
                                                         AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_aws_requests_from_finally_blocks_after_the_timeout_never_reach_the_backend(sim):
    result = sim.invoke("SendsAfterTimeout", {})
    assert result.status == "timeout" and result.error["errorType"] == "Sandbox.Timedout"
    assert depth(sim, "LoopDlq") == 0
    refused = [e.data for e in sim.trace.of("refused")]
    assert [r["request"] for r in refused] == ["sqs.SendMessage"] * 3
    assert "after its timeout: Lambda froze and discarded the environment" in refused[0]["message"]
    assert not [e for e in sim.trace.of("aws") if e.data["operation"] == "SendMessage"]
    assert sim.invoke("SendsAfterTimeout", {}).container_id != result.container_id


def test_http_requests_after_the_timeout_are_refused_too(sim):
    sim.http_mock.add("POST", "https://api.example.com/after-timeout", body="ok")
    assert sim.invoke("SendsAfterTimeout", {"route": "http"}).status == "timeout"
    assert len(sim.http_mock.calls) == 0
    assert [e.data["request"] for e in sim.trace.of("refused")] == \
        ["HTTP POST https://api.example.com/after-timeout"] * 3
