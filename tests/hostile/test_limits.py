"""AWS's payload limits (6 MB sync request/response, 256 KB async event) and MemorySize."""
import pytest

from harness.errors import InputError


def test_a_response_over_six_mb_is_function_response_size_too_large(hostile):
    result = hostile.invoke("HugeResponse")
    assert result.status == "error" and result.error["errorType"] == "Function.ResponseSizeTooLarge"
    assert "exceeded maximum allowed payload size (6291456 bytes)" in result.error["errorMessage"]


def test_requests_over_the_sync_and_async_limits_are_refused_like_aws(hostile):
    with pytest.raises(InputError, match="RequestTooLargeException: RequestResponse request body of"):
        hostile.invoke("ExitZero", {"blob": "x" * (6 * 1024 * 1024)})
    with pytest.raises(InputError, match=r"Event request body of \d+ bytes exceeds .* \(262144 bytes\)"):
        hostile.invoke("ExitZero", {"blob": "x" * (256 * 1024)}, type="Event")
    assert hostile.invoke("ExitZero", {"blob": "x" * (200 * 1024)}, type="Event")  # under the limit: accepted


def test_memory_error_out_of_a_handler_is_runtime_out_of_memory(hostile):
    result = hostile.invoke("MemoryError")
    assert result.error["errorType"] == "Runtime.OutOfMemory"
    assert result.error["errorMessage"].endswith("Runtime exited with error: signal: killed")
