"""Lambda effects: errors before the handler, init failures, timeouts, crashes, throttles and container reuse,
seen through the runtime's real sync and async paths."""
import json

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/faults-work"
DLQ_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/faults-dlq"


def queued(sim, url=QUEUE_URL):
    attributes = sim.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_an_invocation_error_before_the_handler_runs(simulate):
    rules = [{"match": {"function": "Echo", "nth": 1}, "effect": {"type": "lambda_error"}}]
    with simulate(rules) as sim:
        failed = sim.invoke("Echo", {"send": "x"})
        ok = sim.invoke("Echo", {"a": 1})
        assert queued(sim) == 0  # the handler never ran
    assert (failed.status, failed.error["errorType"], failed.error["errorMessage"]) == (
        "error", "Runtime.Unknown", "Unknown application error occurred")
    assert ok.ok and ok.payload["invocations"] == 1 and not ok.cold  # the container stayed warm


def test_a_sync_caller_sees_function_error_unhandled(simulate):
    rules = [{"match": {"function": "Echo"}, "effect": {"type": "lambda_error", "error_type": "Runtime.ExitError",
                                                         "message": "exit status 1"}}]
    with simulate(rules) as sim:
        outcome = sim.invoke("Caller", {"payload": {"a": 1}}).payload
    assert (outcome["status"], outcome["function_error"]) == (200, "Unhandled")
    assert (outcome["payload"]["errorType"], outcome["payload"]["errorMessage"]) == ("Runtime.ExitError",
                                                                                     "exit status 1")


def test_an_init_failure_resets_the_environment_and_the_next_start_is_cold_again(simulate):
    rules = [{"match": {"function": "Echo"}, "effect": "init_failure", "times": 1}]
    with simulate(rules) as sim:
        failed = sim.invoke("Echo", {})
        retried = sim.invoke("Echo", {})
    assert (failed.status, failed.error["errorType"]) == ("error", "Runtime.ImportModuleError")
    assert failed.error["errorMessage"].startswith("Unable to import module 'app'")
    assert failed.cold and retried.cold and retried.ok
    assert failed.container_id != retried.container_id


def test_a_timeout_at_the_start_means_the_handler_never_ran(simulate):
    rules = [{"match": {"function": "Echo"}, "effect": {"type": "lambda_timeout"}}]
    with simulate(rules) as sim:
        result = sim.invoke("Echo", {"send": "x"})
        assert queued(sim) == 0
    assert result.status == "timeout" and "Task timed out after 10.00 seconds" in result.error["errorMessage"]
    assert result.ended - result.started == 10.0


def test_a_timeout_at_the_end_keeps_the_handlers_side_effects(simulate):
    rules = [{"match": {"function": "Echo"}, "effect": {"type": "lambda_timeout", "when": "end"}}]
    with simulate(rules) as sim:
        result = sim.invoke("Echo", {"send": "x"})
        assert queued(sim) == 1  # the work was done; the caller only sees a timeout
    assert result.status == "timeout"


def test_an_out_of_memory_crash_cannot_be_caught_and_discards_the_container(simulate):
    rules = [{"match": {"function": "Echo", "nth": 1}, "effect": {"type": "lambda_crash"}}]
    with simulate(rules) as sim:
        crashed = sim.invoke("Echo", {"send": "x"})
        after = sim.invoke("Echo", {})
        assert queued(sim) == 1
    assert crashed.error["errorType"] == "Runtime.ExitError"
    assert crashed.error["errorMessage"] == (f"RequestId: {crashed.request_id} Error: Runtime exited with error: "
                                             f"signal: killed")
    assert after.cold and after.container_id != crashed.container_id


def test_a_throttled_sync_invoke_is_retried_by_botocore(simulate):
    rules = [{"id": "throttle", "match": {"function": "Echo"}, "effect": "lambda_throttle", "times": 1}]
    with simulate(rules) as sim:
        outcome = sim.invoke("Caller", {"payload": {"a": 1}}).payload
        statuses = [e.data["status"] for e in sim.trace.of("aws", operation="Invoke")]
    assert (outcome["status"], outcome["retry_attempts"]) == (200, 1)
    assert statuses == [429, 200]


def test_a_throttled_invoke_from_the_test_is_reported_as_throttled(simulate):
    with simulate([{"match": {"function": "Echo"}, "effect": "lambda_throttle"}]) as sim:
        result = sim.invoke("Echo", {})
    assert (result.status, result.error["errorType"]) == ("throttled", "TooManyRequestsException")


def test_a_throttled_async_event_is_retried_later_by_lambda(simulate):
    rules = [{"match": {"function": "Echo"}, "effect": "lambda_throttle", "times": 2}]
    with simulate(rules) as sim:
        sim.invoke("Echo", {"a": 1}, type="Event")
        sim.run_until_idle()
        results = [(r.status, r.started) for r in sim.invocations]
    assert results == [("throttled", 0.0), ("throttled", 1.0), ("success", 3.0)]


def test_async_events_failing_before_the_handler_get_lambdas_retries_and_the_dlq(simulate):
    rules = [{"match": {"function": "Echo"}, "effect": "lambda_error"}]
    with simulate(rules) as sim:
        sim.invoke("Echo", {"order": 7}, type="Event")
        sim.run_until_idle()
        attempts = [(r.attempt, r.started) for r in sim.invocations]
        message = sim.client("sqs").receive_message(QueueUrl=DLQ_URL, MessageAttributeNames=["All"])["Messages"][0]
    assert attempts == [(1, 0.0), (2, 60.0), (3, 180.0)]
    assert json.loads(message["Body"]) == {"order": 7}
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "Unknown application error occurred"


def test_recycling_forces_a_cold_start(simulate):
    rules = [{"match": {"function": "Echo", "nth": 2}, "effect": "recycle_container"}]
    with simulate(rules) as sim:
        first, second, third = (sim.invoke("Echo", {}) for _ in range(3))
    assert (first.cold, second.cold, third.cold) == (True, True, False)
    assert second.container_id != first.container_id and third.container_id == second.container_id


def test_reuse_pins_one_warm_container_across_long_gaps(simulate):
    rules = [{"match": {"function": "Echo", "nth": 1}, "effect": "reuse_container"}]
    with simulate(rules) as sim:
        first = sim.invoke("Echo", {})
        sim.advance(6 * 3600)  # far beyond the idle lifetime
        later = sim.invoke("Echo", {})
    assert later.container_id == first.container_id and not later.cold
    assert later.payload["invocations"] == 2


def test_a_crash_after_a_call_dies_right_after_the_call_was_applied(simulate):
    send = {"service": "sqs", "operation": "send_message", "params": {"QueueUrl": QUEUE_URL, "MessageBody": "m"}}
    rules = [{"match": {"function": "Aws", "nth": 1},
              "effect": {"type": "lambda_crash", "after": {"service": "sqs", "operation": "SendMessage"}}}]
    with simulate(rules) as sim:
        crashed = sim.invoke("Aws", send)  # the handler catches Exception: a crash must get past it
        assert queued(sim) == 1  # the send was applied before the process died
        assert [e.data["operation"] for e in sim.trace.of("crash")] == ["SendMessage"]
        again = sim.invoke("Aws", send)
    assert (crashed.status, crashed.error["errorType"]) == ("error", "Runtime.ExitError")
    assert again.ok and again.cold  # the environment was discarded


def test_a_crash_after_names_a_real_call():
    import pytest

    from harness.faults import FaultPlan, FaultPlanError
    with pytest.raises(FaultPlanError, match="has no operation 'SendMesage'"):
        FaultPlan.from_dicts([{"match": {"function": "Aws"}, "effect": {
            "type": "lambda_crash", "after": {"service": "sqs", "operation": "SendMesage"}}}])
