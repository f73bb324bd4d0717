"""Line formats: what one log event of a Lambda function states, for every format the runtime, Lambda's JSON
log format and Powertools write."""
from datetime import UTC, datetime

import pytest

from harness.incidents.lines import parse_line
from harness.incidents.records import LogLine

RID = "3f6c1a2e-8b4d-4c1e-9a7f-2d5e6b7c8a91"


def facts(message: str):
    name, found = parse_line(LogLine(datetime(2026, 11, 27, tzinfo=UTC), message, "sample:1", "fn"))
    return name, [(f.kind, f.request_id, f.data) for f in found]


def test_start_and_end_lines_give_the_request_id():
    assert facts(f"START RequestId: {RID} Version: $LATEST") == \
        ("lambda-platform", [("start", RID, {"version": "$LATEST"})])
    assert facts(f"END RequestId: {RID}") == ("lambda-platform", [("end", RID, {})])


def test_report_line_of_a_cold_start_gives_durations_memory_and_init():
    _, [(kind, rid, data)] = facts(f"REPORT RequestId: {RID}\tDuration: 1279.36 ms\tBilled Duration: 1280 ms\t"
                                   "Memory Size: 256 MB\tMax Memory Used: 88 MB\tInit Duration: 611.52 ms\t")
    assert (kind, rid) == ("report", RID)
    assert data == {"duration_ms": 1279.36, "billed_ms": 1280, "memory_mb": 256, "max_memory_mb": 88,
                    "init_ms": 611.52}


def test_report_line_of_a_timeout_and_of_an_out_of_memory_kill():
    _, [(_, _, timeout)] = facts(f"REPORT RequestId: {RID}\tDuration: 30030.45 ms\tBilled Duration: 30000 ms\t"
                                 "Memory Size: 256 MB\tMax Memory Used: 91 MB\tStatus: timeout")
    assert timeout["status"] == "timeout"
    _, [(_, _, oom)] = facts(f"REPORT RequestId: {RID}\tDuration: 210.88 ms\tBilled Duration: 211 ms\tMemory Size: "
                             "256 MB\tMax Memory Used: 256 MB\tStatus: error\tError Type: Runtime.OutOfMemory")
    assert (oom["status"], oom["error_type"], oom["max_memory_mb"]) == ("error", "Runtime.OutOfMemory", 256)


def test_init_report_of_a_failed_init():
    _, [(kind, _, data)] = facts("INIT_REPORT Init Duration: 10003.41 ms\tPhase: init\tStatus: error\t"
                                 "Error Type: Runtime.ExitError")
    assert kind == "init_report" and data["error_type"] == "Runtime.ExitError" and data["init_ms"] == 10003.41


def test_task_timed_out_line():
    assert facts(f"2026-11-27T06:20:35.030Z {RID} Task timed out after 30.03 seconds") == \
        ("lambda-timeout", [("timed_out", RID, {"seconds": 30.03})])


def test_python_runtime_logging_line():
    name, [(kind, rid, data)] = facts(f"[WARNING]\t2026-11-27T06:20:00.640Z\t{RID}\tRetrying after backoff")
    assert (name, kind, rid, data["level"], data["message"]) == \
        ("python-runtime", "app_log", RID, "WARNING", "Retrying after backoff")


def test_unhandled_error_with_traceback_is_one_runtime_error():
    name, [(kind, _, data)] = facts(
        "[ERROR] KeyError: 'earningsId'\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 9, "
        "in lambda_handler\n    event['detail']['earningsId']")
    assert (name, kind, data) == ("python-runtime", "runtime_error", {"error_type": "KeyError",
                                                                      "message": "'earningsId'"})


@pytest.mark.parametrize("message, error_type", [
    (f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError", "Runtime.ExitError"),
    (f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.OutOfMemory", "Runtime.OutOfMemory"),
])
def test_runtime_exit_lines(message, error_type):
    _, [(kind, rid, data)] = facts(message)
    assert (kind, rid, data["error_type"]) == ("runtime_error", RID, error_type)


def test_lambda_json_format_platform_records():
    assert facts(f'{{"time":"2026-11-27T06:20:00.402Z","type":"platform.start","record":{{"requestId":"{RID}",'
                 '"version":"$LATEST"}}') == ("lambda-json", [("start", RID, {"version": "$LATEST"})])
    _, [(kind, _, data)] = facts(
        f'{{"time":"2026-11-27T06:20:00.533Z","type":"platform.report","record":{{"requestId":"{RID}","metrics":'
        '{"durationMs":3000.5,"billedDurationMs":3000,"memorySizeMB":128,"maxMemoryUsedMB":60,"initDurationMs":401.3},'
        '"status":"timeout"}}')
    assert (kind, data["status"], data["init_ms"], data["duration_ms"]) == ("report", "timeout", 401.3, 3000.5)
    _, [(kind, _, data)] = facts(f'{{"time":"t","type":"platform.runtimeDone","record":{{"requestId":"{RID}",'
                                 '"status":"failure","errorType":"Runtime.ExitError"}}')
    assert (kind, data["status"], data["error_type"]) == ("end", "error", "Runtime.ExitError")


def test_lambda_json_format_application_and_error_records():
    _, [(kind, rid, data)] = facts('{"timestamp":"2026-11-27T06:20:00.530Z","level":"ERROR","message":"send failed",'
                                   f'"logger":"root","requestId":"{RID}"}}')
    assert (kind, rid, data["level"], data["message"]) == ("app_log", RID, "ERROR", "send failed")
    _, [(kind, _, data)] = facts('{"timestamp":"t","log_level":"ERROR","errorMessage":"boom","errorType":"ValueError",'
                                 f'"requestId":"{RID}","stackTrace":[]}}')
    assert (kind, data) == ("runtime_error", {"error_type": "ValueError", "message": "boom"})


def test_powertools_record_keeps_its_extra_fields():
    name, [(kind, rid, data)] = facts(
        '{"level":"WARNING","location":"_mark_processed:132","message":"DynamoDB call failed","timestamp":'
        '"2026-11-27 06:20:00,640+0000","service":"mark-earnings-processed","cold_start":false,"function_name":"fn",'
        f'"function_request_id":"{RID}","operation":"GetItem","aws_error_code":"AccessDeniedException",'
        '"xray_trace_id":"1-6746b9d0-0f1e2d3c4b5a69788796a5b4"}')
    assert (name, kind, rid, data["level"]) == ("powertools-json", "app_log", RID, "WARNING")
    assert data["fields"] == {"operation": "GetItem", "aws_error_code": "AccessDeniedException"}


def test_powertools_log_event_record_gives_the_event():
    _, found = facts('{"level":"INFO","location":"decorate:448","message":{"source":"com.example.earnings",'
                     '"detail-type":"EarningsProcessingCompleted","detail":{"earningsId":"E-1"}},"timestamp":"t",'
                     f'"service":"s","function_request_id":"{RID}"}}')
    assert [k for k, _, _ in found] == ["app_log", "event"]
    assert found[1][2]["event"]["detail"] == {"earningsId": "E-1"}


def test_embedded_metrics_and_print_output():
    assert facts('{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"SendFailed":[1.0]}') == ("embedded-metrics", [])
    assert facts("processing batch of 3 messages") == ("text", [])
