"""The timeline: invocations per function with request id, attempt, start, duration and outcome, and the
failures each logged, rebuilt from realistic exports."""
import json
from datetime import UTC, datetime
from pathlib import Path

from harness.incidents.formats import read_log_file
from harness.incidents.records import LogLine
from harness.incidents.timeline import build_timeline

SAMPLES = Path(__file__).parent / "samples"


def timeline_of(sample: str, function: str | None = None):
    _, lines = read_log_file(SAMPLES / sample, function)
    return build_timeline(lines)


def test_outcomes_success_error_timeout_and_out_of_memory_from_text_logs():
    timeline = timeline_of("filter_log_events.json", "earnings-mark-earnings-processed")
    first, timed_out, killed = timeline.invocations
    assert (first.request_id, first.attempt, first.cold, first.start, first.duration_ms) == \
        ("3f6c1a2e-8b4d-4c1e-9a7f-2d5e6b7c8a91", 1, True, 0.612, 1279.36)
    assert (timed_out.outcome, timed_out.cold, timed_out.end) == ("timeout", False, 35.031)
    assert (killed.outcome, killed.error_type) == ("error", "Runtime.OutOfMemory")


def test_failures_are_attributed_to_their_invocation_with_a_window_and_attempts():
    timeline = timeline_of("filter_log_events.json", "earnings-mark-earnings-processed")
    failures = timeline.failures()
    assert [(f.data["operation"], f.attempts, f.since, f.at) for f in failures] == [
        ("TransactWriteItems", 1, 0.612, 0.64), ("TransactWriteItems", 3, 0.64, 1.89)]
    assert {f.request_id for f in failures} == {"3f6c1a2e-8b4d-4c1e-9a7f-2d5e6b7c8a91"}


def test_lambda_json_log_format_gives_the_same_timeline_shape():
    timeline = timeline_of("lambda_json_format.json", "message-api-post-message")
    [inv] = timeline.invocations
    assert (inv.outcome, inv.error_type, inv.cold, inv.duration_ms) == ("error", "ServiceUnavailable", True, 130.25)
    [failure] = inv.failures  # the app record and the runtime's error record are the same failure
    assert (failure.data["service"], failure.data["operation"], failure.attempts) == ("sqs", "SendMessage", 3)


def test_http_failures_from_logs_insights():
    timeline = timeline_of("insights_results.json")
    [inv] = timeline.invocations
    assert [(f.kind, f.data.get("status"), f.data.get("error"), f.data["host"]) for f in inv.failures] == [
        ("http_error", 503, None, "api.twilio.com"), ("http_error", None, "read_timeout", "api.twilio.com")]


def test_a_line_outside_any_invocation_is_reported_not_guessed():
    timeline = timeline_of("insights.csv")
    assert [inv.outcome for inv in timeline.invocations] == ["error"]
    assert timeline.invocations[0].error_type == "ClientError"
    assert timeline.context_lines == 1  # the print after END has no request id: context, not a failure


def test_an_async_retry_keeps_its_request_id_and_counts_as_attempt_two(tmp_path):
    rid = "9f47220f-1111-4222-8333-944455556666"
    import json
    lines = []
    for t, message in [(0, f"START RequestId: {rid} Version: $LATEST"),
                       (80, ("[ERROR] InternalServerError: An error occurred (InternalServerError) when calling the "
                            "PutItem operation (reached max retries: 3): Internal server error")),
                       (80, f"END RequestId: {rid}"), (80, f"REPORT RequestId: {rid}\tDuration: 80.06 ms"),
                       (60080, f"START RequestId: {rid} Version: $LATEST"), (60081, f"END RequestId: {rid}"),
                       (60081, f"REPORT RequestId: {rid}\tDuration: 1.00 ms")]:
        lines.append({"logStreamName": "s", "timestamp": 1900000000000 + t, "message": message + "\n"})
    path = tmp_path / "digital-twin-persister.json"
    path.write_text(json.dumps({"events": lines}))
    _, read = read_log_file(path, "digital-twin-persister")
    first, second = build_timeline(read).invocations
    assert (first.attempt, first.outcome, second.attempt, second.outcome, second.start) == \
        (1, "error", 2, "success", 60.08)
    assert first.failures[0].attempts == 4


def test_a_status_an_own_endpoint_answered_is_not_a_third_party_failure_when_logged_again():
    rid, when = "0849393d-88ec-4737-8337-e7fa29f4006a", datetime(2030, 5, 1, tzinfo=UTC)
    lines = [LogLine(when, f"START RequestId: {rid} Version: $LATEST", "f:0", "plant-connector", "s"),
             LogLine(when, json.dumps({"level": "ERROR", "message": "403 Client Error: Forbidden for url: "
                                       "https://abc.lambda-url.us-east-1.on.aws/", "function_request_id": rid}),
                     "f:1", "plant-connector", "s"),
             LogLine(when, json.dumps({"level": "ERROR", "message": "Client Error (403)", "status_code": 403,
                                       "function_request_id": rid}), "f:2", "plant-connector", "s")]
    [invocation] = build_timeline(lines).invocations
    assert invocation.failures == []
