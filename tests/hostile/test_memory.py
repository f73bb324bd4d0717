"""MemorySize: an invocation that uses more than its function's MemorySize ends as AWS reports it
(Runtime.OutOfMemory, the environment discarded, REPORT Status: error); every invocation's Max Memory Used is on
its invoke_end event (extra `max_memory_used_mb`, kept out of the trace hash because it is measured)."""
import pytest

from harness import Simulation
from harness.sandbox import memory
from tests.hostile.conftest import TEMPLATE

pytestmark = pytest.mark.skipif(not memory.Gauge().available, reason="needs Linux's /proc/self/clear_refs")


@pytest.fixture
def sim():
    with Simulation(TEMPLATE, seed=21) as running:
        yield running


def used_mb(sim, result):
    [end] = [e for e in sim.trace.of("invoke_end") if e.data["request_id"] == result.request_id]
    return end.extra["max_memory_used_mb"]


def test_touching_300_mb_in_a_128_mb_function_is_out_of_memory_and_the_environment_is_discarded(sim):
    first = sim.invoke("TouchingMemoryHog")
    assert first.status == "error" and first.error["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in first.error["errorMessage"]
    assert "Status: error\tError Type: Runtime.OutOfMemory" in first.logs[-1]  # the REPORT line
    assert used_mb(sim, first) > 128
    again = sim.invoke("TouchingMemoryHog")
    assert again.cold and again.container_id != first.container_id
    assert again.error["errorType"] == "Runtime.OutOfMemory"  # the same outcome the second time in one process


def test_the_same_handler_fits_in_a_1024_mb_function_and_reports_what_it_used(sim):
    result = sim.invoke("RoomyMemoryHog")
    assert result.ok and result.payload == 300
    assert 300 < used_mb(sim, result) < 1024


def test_a_small_handler_reports_the_runtime_footprint_as_an_integer(sim):
    result = sim.invoke("Recurse", type="RequestResponse")
    used = used_mb(sim, result)
    assert isinstance(used, int) and memory.RUNTIME_MB <= used < 128


def test_out_of_memory_stops_the_invocation_at_its_next_yield_point_and_the_request_never_arrives(sim):
    result = sim.invoke("HogThenSend")
    assert result.error["errorType"] == "Runtime.OutOfMemory"  # swallowing the stop does not make it a success
    queue = sim.client("sqs").get_queue_attributes(QueueUrl=sim.queue_url("LoopDlq"),
                                                   AttributeNames=["ApproximateNumberOfMessages"])
    assert queue["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_max_memory_used_stays_out_of_the_trace_hash():
    hashes = set()
    for _ in range(2):
        with Simulation(TEMPLATE, seed=21) as sim:
            sim.invoke("RoomyMemoryHog")
            sim.invoke("ExitOne")
            hashes.add(sim.trace.hash())
    assert len(hashes) == 1
