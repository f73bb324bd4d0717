"""Process-level exits in handler code end the invocation with Runtime.ExitError; the harness goes on."""
import pytest

EXITS = [
    ("ExitZero", "Runtime exited without providing a reason"),
    ("ExitOne", "Runtime exited with error: exit status 1"),
    ("Keyboard", "Runtime exited with error: signal: interrupt"),
    ("OsExit", "Runtime exited with error: exit status 3"),
    ("Abort", "Runtime exited with error: signal: aborted"),
    ("KillSelf", "Runtime exited with error: signal: terminated"),
    ("SignalHarness", "Runtime exited with error: signal: interrupt"),
    ("ExitAtInit", "Runtime exited with error: exit status 2"),
]


@pytest.mark.parametrize(("function", "message"), EXITS)
def test_process_exit_in_a_handler_is_a_runtime_exit_error_and_the_run_goes_on(hostile, function, message):
    result = hostile.invoke(function, {"signal": "SIGINT"})
    assert result.status == "error"
    assert result.error["errorType"] == "Runtime.ExitError"
    assert result.error["errorMessage"] == f"RequestId: {result.request_id} Error: {message}"
    again = hostile.invoke(function, {"signal": "SIGINT"})
    assert again.error["errorType"] == "Runtime.ExitError" and again.cold  # a fresh environment each time


def test_an_exiting_environment_is_discarded_like_a_crashed_one(hostile):
    first, second = hostile.invoke("OsExit"), hostile.invoke("OsExit")
    assert first.container_id != second.container_id and second.cold


def test_async_exit_is_retried_as_a_function_error(hostile):
    hostile.invoke("ExitOne", type="Event")
    hostile.run_until_idle()
    attempts = [r for r in hostile.invocations if r.function.endswith("ExitOne") and r.invocation_type == "Event"]
    assert [r.error["errorType"] for r in attempts] == ["Runtime.ExitError"] * 3
