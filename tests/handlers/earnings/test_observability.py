"""Structured logs (correlation ids, no sensitive data), EMF metrics, metrics failures and memory."""
from __future__ import annotations

import resource
from types import SimpleNamespace

import pytest

SENSITIVE = {
    "amount": "98765.43",
    "payeeName": "Jane Q. Sensitive",
    "payeeEmail": "jane.sensitive@example.org",
    "iban": "DE89370400440532013000",
    "taxId": "TAX-SECRET-4242",
}


def test_every_log_line_and_metric_line_carries_the_correlation_id(aws, invoke, make_event):
    aws.put_record()

    run = invoke(make_event())

    assert [line["message"] for line in run.logs] == [
        "Event received", "Earnings record marked PROCESSED", "Invocation finished"]
    assert {line["correlation_id"] for line in run.logs} == {"corr-earn-001"}
    assert [blob["correlation_id"] for blob in run.emf] == ["corr-earn-001"]
    assert {line["function_request_id"] for line in run.logs} == {"req-0001"}


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e["detail"].pop("correlationId"), "evt-earn-001"),
        (lambda e: e["detail"].update(correlationId="not valid; DROP TABLE"), "evt-earn-001"),
        (lambda e: (e.pop("id"), e["detail"].pop("correlationId")), "req-0001"),
    ],
)
def test_correlation_id_falls_back_to_the_event_id_then_the_request_id(aws, invoke, make_event, mutate,
                                                                       expected):
    aws.put_record()
    event = make_event()
    mutate(event)

    run = invoke(event)

    assert {line["correlation_id"] for line in run.logs} == {expected}
    assert "DROP TABLE" not in run.stdout


def test_correlation_id_of_one_event_never_leaks_into_the_next_invocation(aws, invoke, make_event):
    aws.put_record()
    invoke(make_event())

    run = invoke({"id": "evt-2", "detail": "bad"})

    assert {line["correlation_id"] for line in run.logs} == {"evt-2"}
    assert all("earnings_id" not in line for line in run.logs)


@pytest.mark.parametrize("valid", [True, False])
def test_sensitive_detail_fields_never_appear_in_logs_or_metrics(aws, invoke, make_event, valid):
    aws.put_record()
    event = make_event(**SENSITIVE)
    if not valid:
        event["detail"]["processedAt"] = "garbage"

    run = invoke(event)

    assert run.response["status"] == ("PROCESSED" if valid else "REJECTED")
    for value in SENSITIVE.values():
        assert value not in run.stdout
    for key in SENSITIVE:
        assert key not in run.stdout


def test_final_line_gives_the_outcome_and_timing_breakdown(aws, invoke, make_event):
    aws.put_record()

    run = invoke(make_event())

    finished = run.log("Invocation finished")
    assert finished["level"] == "INFO"
    assert {key: finished[key] for key in ("outcome", "attempts", "retries", "backoff_ms")} == {
        "outcome": "PROCESSED", "attempts": 1, "retries": 0, "backoff_ms": 0}
    assert 0 < finished["duration_ms"] < 5_000
    assert finished["memory_used_percent"] > 0
    assert "error_category" not in finished


def test_metrics_are_one_emf_line_in_the_earnings_namespace_with_the_service_dimension(aws, invoke, make_event):
    aws.put_record()

    run = invoke(make_event())

    [blob] = run.emf
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Earnings"
    assert directive["Dimensions"] == [["service"]]
    assert blob["service"] == "mark-earnings-processed"
    assert {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]} == {
        "EventsReceived": "Count",
        "EventsProcessed": "Count",
        "ProcessingDuration": "Milliseconds",
        "MemoryUsedPercent": "Percent",
        "RetryAttempts": "Count",
        "RetriedEvents": "Count",
    }
    assert (run.metric("EventsReceived"), run.metric("EventsProcessed"), run.metric("RetriedEvents")) == (1, 1, 0)
    assert run.metric("ProcessingDuration") == run.log("Invocation finished")["duration_ms"]


# --- metrics failures: warning, processing continues, flush retried ---------------------------------------

def test_a_metric_that_cannot_be_recorded_is_a_warning_and_processing_continues(aws, invoke, make_event, handler,
                                                                                monkeypatch):
    aws.put_record()
    real = handler.app.metrics.add_metric

    def add_metric(name, unit, value, **kwargs):
        if name == "EventsProcessed":
            raise ValueError("metric store unavailable")
        return real(name=name, unit=unit, value=value, **kwargs)

    monkeypatch.setattr(handler.app.metrics, "add_metric", add_metric)

    run = invoke(make_event())

    assert run.response["status"] == "PROCESSED"
    assert aws.record()["status"] == {"S": "PROCESSED"}
    warning = run.log("Metric could not be recorded; processing continues")
    assert (warning["level"], warning["error_category"], warning["metric"], warning["error_type"]) == (
        "WARNING", "metrics", "EventsProcessed", "ValueError")
    assert run.metric("EventsProcessed") is None
    assert run.metric("MetricsErrors") == 1
    assert run.metric("EventsReceived") == 1


def test_a_failed_flush_is_retried_once(aws, invoke, make_event, handler, monkeypatch):
    aws.put_record()
    real = handler.app.metrics.flush_metrics
    attempts = []

    def flaky_flush(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("stdout unavailable")
        return real(*args, **kwargs)

    monkeypatch.setattr(handler.app.metrics, "flush_metrics", flaky_flush)

    run = invoke(make_event())

    assert len(attempts) == 2
    warning = run.log("Metrics flush failed")
    assert (warning["attempt"], warning["max_attempts"], warning["error_type"]) == (1, 2, "OSError")
    assert len(run.emf) == 1
    assert run.metric("EventsProcessed") == 1


def test_metrics_lost_after_two_flush_failures_do_not_fail_or_leak_into_the_next_invocation(
        aws, invoke, make_event, handler, monkeypatch):
    aws.put_record()
    aws.put_record("earn-002")

    def broken_flush(*args, **kwargs):
        raise OSError("stdout unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(handler.app.metrics, "flush_metrics", broken_flush)
        run = invoke(make_event())

    assert run.response["status"] == "PROCESSED"
    assert [line["attempt"] for line in run.logs if line["message"] == "Metrics flush failed"] == [1, 2]
    assert run.emf == []

    next_run = invoke(make_event("earn-002"))

    assert next_run.metric("EventsReceived") == 1
    assert next_run.metric("EventsProcessed") == 1


def test_metrics_error_that_prevents_even_clearing_is_swallowed(aws, invoke, make_event, handler, monkeypatch):
    aws.put_record()

    def broken(*args, **kwargs):
        raise OSError("broken")

    real_clear = handler.app.metrics.clear_metrics
    monkeypatch.setattr(handler.app.metrics, "flush_metrics", broken)
    monkeypatch.setattr(handler.app.metrics, "clear_metrics", broken)

    run = invoke(make_event())
    real_clear()  # the shared Powertools metric set must not reach later tests

    assert run.error is None
    assert run.response["status"] == "PROCESSED"
    assert [line["attempt"] for line in run.logs if line["message"] == "Metrics flush failed"] == [1, 2]


def test_no_monitoring_state_is_kept_between_invocations(aws, invoke, make_event, handler):
    for number in range(1, 4):
        aws.put_record(f"earn-{number:03d}")

    for number in range(1, 4):
        run = invoke(make_event(f"earn-{number:03d}"))
        assert run.metric("EventsReceived") == 1
        assert handler.app.metrics.metric_set == {}
        assert handler.app.metrics.metadata_set == {}


# --- memory ------------------------------------------------------------------------------------------------

def test_memory_above_80_percent_is_reported_as_a_metric_and_a_warning(aws, invoke, make_event, monkeypatch):
    aws.put_record()
    monkeypatch.setattr(resource, "getrusage", lambda who: SimpleNamespace(ru_maxrss=900 * 1024))  # 900 MiB

    run = invoke(make_event())

    assert run.metric("MemoryUsedPercent") == 87.9
    warning = run.log("Memory usage above threshold")
    assert (warning["memory_used_percent"], warning["threshold_percent"]) == (87.9, 80.0)


def test_memory_at_80_percent_is_not_a_warning(aws, invoke, make_event, monkeypatch):
    aws.put_record()
    monkeypatch.setattr(resource, "getrusage", lambda who: SimpleNamespace(ru_maxrss=int(819.2 * 1024)))

    run = invoke(make_event())

    assert run.metric("MemoryUsedPercent") == 80.0
    assert "Memory usage above threshold" not in run.messages()
