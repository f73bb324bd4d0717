"""The Lambda runtime follows AWS's documented behaviour (rows of ../shared/AWS_BEHAVIOUR.md cited)."""
import dataclasses
import json

import pytest

from harness import Simulation


def _receive_all(sim, queue):
    return sim.client("sqs").receive_message(QueueUrl=sim.queue_url(queue), MaxNumberOfMessages=10,
                                             MessageAttributeNames=["All"]).get("Messages", [])


def test_async_invoke_of_failing_function_is_tried_three_times_then_goes_to_dlq(sim):
    # AWS_BEHAVIOUR "async retries on function error" and "DeadLetterConfig (SQS/SNS)".
    request_id = sim.invoke("AlwaysFails", {"n": 7}, type="Event")
    sim.run_until_idle()
    attempts = [r for r in sim.invocations if r.request_id == request_id]
    assert [(r.attempt, r.status) for r in attempts] == [(1, "error"), (2, "error"), (3, "error")]
    assert [r.started for r in attempts] == [0.0, 60.0, 180.0]
    (message,) = _receive_all(sim, "Dlq")
    assert json.loads(message["Body"]) == {"n": 7}
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"] == {"StringValue": request_id, "DataType": "String"}
    assert attributes["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attributes["ErrorMessage"]["StringValue"] == "always fails: 7"


def test_on_failure_destination_gets_aws_record_after_retries_exhausted(sim):
    # AWS_BEHAVIOUR "on-failure destination".
    request_id = sim.invoke("AlwaysFails", {"n": 1}, type="Event")
    sim.run_until_idle()
    (message,) = _receive_all(sim, "FailureQueue")
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"] == {
        "requestId": request_id, "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:test-always-fails:$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"n": 1}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"


def test_maximum_retry_attempts_zero_means_one_attempt(sim):
    sim.invoke("NoRetry", {"n": 2}, type="Event")
    sim.run_until_idle()
    assert [r.attempt for r in sim.invocations] == [1]
    assert len(_receive_all(sim, "Dlq")) == 1


def test_sync_invoke_of_raising_handler_returns_function_error_document(sim):
    # AWS_BEHAVIOUR "sync invoke (RequestResponse), handler raises": 200 + X-Amz-Function-Error: Unhandled.
    result = sim.invoke("Caller", {"target": "test-always-fails", "payload": {"n": 3}})
    assert result.payload["status"] == 200
    assert result.payload["function_error"] == "Unhandled"
    error = result.payload["payload"]
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "always fails: 3"
    assert isinstance(error["stackTrace"], list) and error["requestId"]


def test_invoke_of_unknown_function_raises_resource_not_found_in_handler(sim):
    # AWS_BEHAVIOUR "unknown function": 404 ResourceNotFoundException.
    result = sim.invoke("Caller", {"target": "no-such-function"})
    assert result.payload == {"exception": "ResourceNotFoundException", "code": "ResourceNotFoundException"}


def test_async_invoke_from_handler_returns_202_and_runs_later(sim):
    # AWS_BEHAVIOUR "async invoke (Event)": 202 at once, the function runs later.
    result = sim.invoke("Caller", {"target": "Stamp", "type": "Event"})
    assert result.payload["status"] == 202
    sim.run_until_idle()
    assert [r.function for r in sim.invocations] == ["basic-Caller", "basic-Stamp"]


def test_warm_container_keeps_module_scope_state_while_cold_one_is_fresh(basic_template):
    # AWS_BEHAVIOUR "containers": init code runs once per execution environment.
    with Simulation(basic_template, seed=3, idle_lifetime=900) as sim:
        first = sim.invoke("Stamp")
        sim.advance(600)
        warm = sim.invoke("Stamp")
        sim.advance(3600)  # idle longer than the idle lifetime: the environment is reclaimed
        cold = sim.invoke("Stamp")
    assert first.cold and not warm.cold and cold.cold
    assert warm.payload["init"] == first.payload["init"]  # stale module-scope timestamp
    assert warm.payload["now"] - warm.payload["init"] == 600
    assert warm.payload["count"] == 2
    assert cold.payload["init"] == cold.payload["now"]  # fresh init at the cold start
    assert cold.payload["count"] == 1


def test_each_container_sees_only_its_own_environment(sim):
    stamp = sim.invoke("Stamp").payload
    assert stamp["env"] == "stamp-value" and stamp["other"] is None


def test_timeout_ends_invocation_with_task_timed_out_and_resets_environment(sim):
    # AWS_BEHAVIOUR "sync invoke, timeout"; "after a timeout ... the environment is reset".
    result = sim.invoke("Sleeper", {"seconds": 45})
    assert result.status == "timeout"
    assert result.error["errorMessage"].endswith("Task timed out after 30.00 seconds")
    assert result.ended - result.started == 30
    assert sim.invoke("Sleeper", {"seconds": 1}).cold


def test_context_remaining_time_follows_virtual_clock(sim):
    result = sim.invoke("Sleeper", {"seconds": 12})
    assert result.payload["before"] == 30000
    assert "remaining after 18000" in result.logs


def test_sleep_of_an_hour_costs_no_wall_time_and_advances_virtual_time(basic_template):
    from harness.clock import real_perf_counter
    with Simulation(basic_template, seed=1) as sim:
        sleeper = sim.runtime.require("Sleeper")
        sim.add_function(dataclasses.replace(sleeper, name="long-sleeper", timeout=7200, reserved_concurrency=None))
        wall = real_perf_counter()
        result = sim.invoke("long-sleeper", {"seconds": 3600})
        wall = real_perf_counter() - wall
    assert result.ok and result.ended - result.started == 3600
    assert wall < 60  # a real sleep would take an hour; the precise ratio is in `make bench`


def test_reserved_concurrency_throttles_sync_invoke_with_429(sim):
    # AWS_BEHAVIOUR "throttling": reserved concurrency exhausted -> 429 TooManyRequestsException.
    sim.invoke("Sleeper", {"seconds": 20}, type="Event")  # occupies the only slot for 20 s
    sim.advance(1)
    result = sim.invoke("Caller", {"target": "Sleeper", "payload": {"seconds": 1}})
    assert result.payload == {"exception": "TooManyRequestsException", "code": "TooManyRequestsException"}


def test_throttled_async_event_is_retried_until_it_runs(sim):
    # AWS_BEHAVIOUR "throttling": async is queued and retried.
    sim.invoke("Sleeper", {"seconds": 5}, type="Event")
    sim.invoke("Sleeper", {"seconds": 5}, type="Event")
    sim.run_until_idle()
    statuses = sorted((r.started, r.status) for r in sim.invocations)
    assert (0.0, "success") in statuses and (0.0, "throttled") in statuses
    successes = [t for t, s in statuses if s == "success"]
    assert len(successes) == 2 and successes[1] >= 5  # retried with backoff once the slot was free


def test_handler_logs_are_captured_per_invocation_in_lambda_format(sim):
    first = sim.invoke("Logs", {"n": 1})
    second = sim.invoke("Logs", {"n": 2})
    assert "printed 1" in first.logs and "printed 2" not in first.logs
    warning = [line for line in second.logs if line.startswith("[WARNING]")]
    assert len(warning) == 1 and warning[0].endswith(f"\t{second.request_id}\twarned 2")
    assert first.logs[0] == f"START RequestId: {first.request_id} Version: $LATEST"


def test_unknown_function_name_from_the_test_gets_a_clear_error(sim):
    import pytest

    from harness import InputError
    with pytest.raises(InputError, match="unknown function 'Stmp' \\(did you mean 'Stamp'\\?\\)"):
        sim.invoke("Stmp")


def test_init_failure_is_an_error_and_the_next_invoke_is_a_cold_start_again(sim):
    first = sim.invoke("BrokenInit")
    second = sim.invoke("BrokenInit")
    assert first.status == "error" and first.error["errorType"] == "KeyError"
    assert "TABLE_THAT_IS_NOT_SET" in first.error["errorMessage"]
    assert first.cold and second.cold and first.container_id != second.container_id


def test_missing_handler_function_is_runtime_handler_not_found(sim):
    result = sim.invoke("MissingHandler")
    assert result.error["errorType"] == "Runtime.HandlerNotFound"
    assert "no_such_function" in result.error["errorMessage"]


def test_event_older_than_maximum_event_age_goes_to_on_failure_with_event_age_exceeded(sim):
    # AWS_BEHAVIOUR "async event age": throttles are retried with backoff until the age runs out.
    request_id = sim.invoke("Aged", {"k": 1}, type="Event")
    sim.run_until_idle()
    throttles = [r for r in sim.invocations if r.request_id == request_id]
    assert throttles and all(r.status == "throttled" for r in throttles)
    assert [r.started for r in throttles][:4] == [0.0, 1.0, 3.0, 7.0]  # backoff 1 s, 2 s, 4 s, ...
    (message,) = _receive_all(sim, "FailureQueue")
    context = json.loads(message["Body"])["requestContext"]
    assert context["condition"] == "EventAgeExceeded" and context["approximateInvokeCount"] == 0
    failed = sim.trace.of("async_failed", request_id=request_id)
    assert len(failed) == 1 and 60 < failed[0].t <= 64


def test_recycle_makes_the_next_invocation_a_cold_start(sim):
    assert sim.invoke("Stamp").cold
    assert not sim.invoke("Stamp").cold
    sim.runtime.recycle("Stamp")
    assert sim.invoke("Stamp").cold


INIT_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  App: {{Type: AWS::Serverless::Function, Properties: {{Runtime: python3.11, CodeUri: src/, Handler: {handler}}}}}
"""


@pytest.mark.parametrize(("handler", "source", "error_type", "message"), [
    ("app.handler", "import not_a_module\n", "Runtime.ImportModuleError",
     "Unable to import module 'app': No module named 'not_a_module'"),
    ("app.handler", "def handler(event, context):\n    return (\n", "Runtime.UserCodeSyntaxError",
     "Syntax error in module 'app': '(' was never closed (app.py, line 2)"),
    ("app.missing", "def handler(event, context):\n    return 1\n", "Runtime.HandlerNotFound",
     "Handler 'missing' missing on module 'app'"),
    ("app", "def handler(event, context):\n    return 1\n", "Runtime.MalformedHandlerName",
     "Bad handler 'app': not enough values to unpack (expected 2, got 1)"),
])
def test_an_init_failure_is_reported_as_aws_python_runtime_reports_it(write_app, handler, source, error_type,
                                                                        message):
    template = write_app(INIT_TEMPLATE.format(handler=handler), source)
    with Simulation(template, seed=1) as sim:
        error = sim.invoke("App").error
    assert (error["errorType"], error["errorMessage"]) == (error_type, message)
    if error_type == "Runtime.UserCodeSyntaxError":
        assert error["stackTrace"] == [f'  File "{template.parent / "src" / "app.py"}" Line 2\n        return (\n']
    else:
        assert error["stackTrace"] == []
