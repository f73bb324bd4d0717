"""Structured logs and EMF metrics: correlation ids everywhere, no sensitive data, and neither a broken
log stream nor a metrics failure changes what the API answers."""
from __future__ import annotations

import io
import json

SECRET_RECIPIENT = "+15557654321"
SECRET_CONTENT = "one-time code 918273"
SECRET_METADATA = "vip-customer-4711"
SENSITIVE = {"recipient": SECRET_RECIPIENT, "content": SECRET_CONTENT, "metadata": {"note": SECRET_METADATA}}


def test_no_log_line_or_metric_contains_the_message_recipient_content_or_metadata(
        world, context, make_event, faults, step, capsys):
    handler = world.post()
    headers = {"X-Correlation-Id": "corr-s"}
    handler.lambda_handler(make_event(SENSITIVE, headers=headers), context)                       # success
    faults(handler.sqs, "SendMessage", [step.error(403, "AccessDeniedException", "AccessDenied")])
    faults(handler.dynamodb, "UpdateItem", [step.ok] + [step.error(500, "InternalServerError")] * 3)
    handler.lambda_handler(make_event(SENSITIVE, headers=headers), context)                       # critical path
    handler.lambda_handler(make_event({**SENSITIVE, "extra": SECRET_CONTENT}, headers=headers), context)  # 400
    faults(handler.sqs, "SendMessage", [step.error(500, "InternalError")] * 3)
    handler.lambda_handler(make_event(SENSITIVE, headers={**headers, "Idempotency-Key": "k"}), context)
    handler.lambda_handler(make_event({**SENSITIVE, "content": "changed"},
                                      headers={**headers, "Idempotency-Key": "k"}), context)  # 422

    logged = world.logs.getvalue()
    emitted = capsys.readouterr().out
    assert len(world.log_lines()) == 7
    for secret in (SECRET_RECIPIENT, SECRET_CONTENT, SECRET_METADATA):
        assert secret not in logged and secret not in emitted
    assert {line["correlation_id"] for line in world.log_lines()} == {"corr-s"}


def test_every_failure_log_line_is_structured_for_debugging(world, context, make_event, faults, step):
    handler = world.post()
    faults(handler.sqs, "SendMessage", [step.error(500, "InternalError")] * 3)

    handler.lambda_handler(make_event(SENSITIVE, headers={"X-Correlation-Id": "corr-d"}), context)

    line = world.log("SQS SendMessage failed; rolling message back to PENDING")
    for key in ("level", "timestamp", "service", "function_name", "function_request_id", "correlation_id",
                "messageId", "sendAttemptId", "errorCode", "errorCategory", "retryable", "retryAttempts"):
        assert key in line, key
    assert line["service"] == "message-api" and line["retryAttempts"] == 2


def test_log_state_does_not_leak_between_invocations(world, context, make_event, faults, step):
    handler = world.post()
    faults(handler.sqs, "SendMessage", [step.error(500, "InternalError")] * 3)
    handler.lambda_handler(make_event(SENSITIVE, headers={"X-Correlation-Id": "corr-a"}), context)
    assert "messageId" in world.log("message rolled back from QUEUED to PENDING")
    world.logs.truncate(0)
    world.logs.seek(0)

    handler.lambda_handler(make_event({"content": "x"}, headers={"X-Correlation-Id": "corr-b"}), context)

    [line] = world.log_lines()
    assert line["message"] == "request rejected: validation failed" and line["correlation_id"] == "corr-b"
    assert "messageId" not in line and "sendAttemptId" not in line


def test_a_broken_log_stream_does_not_change_the_error_response(world, context, make_event, faults, step):
    handler = world.post()
    closed = io.StringIO()
    closed.close()
    handler_obs = __import__("sys").modules["message_api.observability"]
    handler_obs.logger.logger_handler.setStream(closed)
    world.monkeypatch.setattr("logging.raiseExceptions", False)
    faults(handler.sqs, "SendMessage", [step.error(500, "InternalError")] * 3)

    response = handler.lambda_handler(make_event(SENSITIVE, headers={"X-Correlation-Id": "corr-x"}), context)

    assert response["statusCode"] == 503
    assert json.loads(response["body"]) == {"error": "SYSTEM_ERROR", "correlationId": "corr-x"}
    [record] = world.all_records()
    assert record["status"] == "PENDING"


def test_metrics_failure_is_a_warning_and_the_request_still_succeeds(world, context, make_event, capsys):
    world.monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE")  # EMF without a namespace cannot be serialised
    handler = world.post()

    response = handler.lambda_handler(make_event(SENSITIVE), context)

    assert response["statusCode"] == 202
    warning = world.log("metrics flush failed; continuing without metrics")
    assert warning["level"] == "WARNING" and warning["errorType"] == "SchemaValidationError"
    assert '"_aws"' not in capsys.readouterr().out
    assert len(world.queued_bodies()) == 1


def test_metrics_are_published_as_emf_in_the_configured_namespace(world, context, make_event, capsys):
    handler = world.post()

    handler.lambda_handler(make_event(SENSITIVE), context)

    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "MessageApi"
    assert line["service"] == "message-api" and line["MessageQueued"] == [1.0]


def test_unexpected_error_outside_the_send_path_answers_system_error(world, context, make_event, monkeypatch,
                                                                      capsys):
    handler = world.post()

    def broken(*_args, **_kwargs):
        raise KeyError("programming error")
    monkeypatch.setattr(handler, "parse_request", broken)

    response = handler.lambda_handler(make_event(SENSITIVE, headers={"X-Correlation-Id": "corr-u"}), context)

    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"error": "SYSTEM_ERROR", "correlationId": "corr-u"}
    line = world.log("unexpected error while accepting message")
    assert line["level"] == "ERROR" and line["correlation_id"] == "corr-u" and "KeyError" in line["exception"]
    assert world.emf(capsys)["UnexpectedError"] == 1
