"""The runtime's REPORT line, as Lambda writes it: Duration, Billed Duration, Memory Size, Max Memory Used, Init
Duration on cold starts, Status and Error Type when the runtime failed."""
import math

from hypothesis import given
from hypothesis import strategies as st

from harness.lambda_runtime.report import ESTIMATED_MAX_MEMORY_USED_MB, report_line

RID = "3604209a-e9a3-41e6-939a-754dd98c7be3"


def fields(line: str, rid: str = RID) -> dict[str, str]:
    assert line.startswith(f"REPORT RequestId: {rid}\t") and line.endswith("\t")
    return dict(part.split(": ", 1) for part in line.split("\t")[1:-1])


def test_warm_success_bills_the_duration_rounded_up_to_the_millisecond():
    assert fields(report_line(RID, 12.341, 256, None, None, "success", None)) == {
        "Duration": "12.34 ms", "Billed Duration": "13 ms", "Memory Size": "256 MB",
        "Max Memory Used": f"{ESTIMATED_MAX_MEMORY_USED_MB} MB"}


def test_a_zero_duration_is_billed_one_millisecond_and_a_cold_start_reports_its_init():
    report = fields(report_line(RID, 0.0, 128, None, 0.0, "success", None))
    assert (report["Billed Duration"], report["Init Duration"]) == ("1 ms", "0.00 ms")


def test_a_timeout_says_status_timeout():
    report = fields(report_line(RID, 30000.0, 256, None, None, "timeout", "Sandbox.Timedout"))
    assert report["Status"] == "timeout" and "Error Type" not in report


def test_out_of_memory_uses_the_whole_memory_size_and_names_the_error_type():
    report = fields(report_line(RID, 210.88, 256, None, None, "error", "Runtime.OutOfMemory"))
    assert (report["Max Memory Used"], report["Status"], report["Error Type"]) == \
        ("256 MB", "error", "Runtime.OutOfMemory")


def test_a_handler_exception_is_no_runtime_status_and_a_measured_peak_wins_over_the_estimate():
    report = fields(report_line(RID, 5.0, 512, 91, None, "error", "ValueError"))
    assert report["Max Memory Used"] == "91 MB" and "Status" not in report


def test_the_runtime_writes_the_full_report_line_for_each_invocation(sim):
    cold = sim.invoke("Logs", {"n": 1})
    warm = sim.invoke("Logs", {"n": 2})
    first, second = fields(cold.logs[-1], cold.request_id), fields(warm.logs[-1], warm.request_id)
    assert {"Billed Duration", "Max Memory Used", "Init Duration"} <= set(first)
    assert "Init Duration" not in second


def test_the_report_line_states_the_estimate_and_the_measured_peak_stays_out_of_the_trace(sim):
    result = sim.invoke("Logs", {"n": 1})
    assert fields(result.logs[-1], result.request_id)["Max Memory Used"] == f"{ESTIMATED_MAX_MEMORY_USED_MB} MB"
    [end] = [e for e in sim.trace.events if e.kind == "invoke_end" and e.data["request_id"] == result.request_id]
    assert "max_memory_used_mb" not in end.extra and "max_memory_used_mb" not in end.data
    assert isinstance(result.max_memory_used_mb, int)  # measured; it varies between runs


def test_a_timed_out_invocation_reports_status_timeout(sim):
    result = sim.invoke("Sleeper", {"seconds": 45})
    assert fields(result.logs[-1], result.request_id)["Status"] == "timeout"


@given(duration=st.floats(0, 1e6), memory=st.integers(128, 10240), used=st.none() | st.integers(0, 10240),
       init=st.none() | st.floats(0, 1e4), status=st.sampled_from(["success", "error", "timeout"]),
       error=st.none() | st.sampled_from(["", "ValueError", "Runtime.OutOfMemory", "Runtime.ExitError",
                                          "Sandbox.Timedout"]))
def test_the_line_is_its_fields_each_followed_by_a_tab(duration, memory, used, init, status, error):
    shown = used if used is not None else (memory if error == "Runtime.OutOfMemory" else
                                           min(memory, ESTIMATED_MAX_MEMORY_USED_MB))
    parts = [f"REPORT RequestId: {RID}", f"Duration: {duration:.2f} ms",
             f"Billed Duration: {max(1, math.ceil(round(duration, 2)))} ms", f"Memory Size: {memory} MB",
             f"Max Memory Used: {shown} MB"]
    if init is not None:
        parts.append(f"Init Duration: {init:.2f} ms")
    if status == "timeout":
        parts.append("Status: timeout")
    elif (error or "").startswith("Runtime."):
        parts += ["Status: error", f"Error Type: {error}"]
    assert report_line(RID, duration, memory, used, init, status, error) == "".join(f"{part}\t" for part in parts)
