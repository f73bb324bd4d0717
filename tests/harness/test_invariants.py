"""Invariants, each proven to fail on a hand-made violating run and to hold on a clean one.

A run is a StaticView: a trace, a ledger and the end-of-run state, built by hand (no simulation needed).
"""
import pytest

from harness.invariants import INVARIANTS, InvariantResult
from harness.scenario.ledger import Call, Ledger, SentMessage
from harness.scenario.state import QueuedView
from harness.scenario.views import StaticView
from harness.trace import Trace


class Clock:
    """A settable clock for building traces with virtual times."""

    def __init__(self):
        self.t = 0.0

    def elapsed(self):
        return self.t


def run(**state):
    """A StaticView over a fresh trace and ledger (filled in by the test)."""
    clock = Clock()
    view = StaticView(Trace(clock), Ledger(clock), **state)
    view.clock = clock
    return view


def check(name, view, **config) -> InvariantResult:
    return INVARIANTS.get(name).model_validate(config).run(view)


def sent(queue, message_id, body="{}", **kw):
    return SentMessage(queue, message_id, body, {}, kw.pop("sender", "fn"), kw.pop("request_id", "r1"),
                       kw.pop("t", 0.0), **kw)


def queued(message_id, body="{}"):
    return QueuedView(message_id, body, {}, 1, "visible")


def call(operation, error=None, status=200, request_id="r1", t=0.0, retries=0, service="dynamodb", resource="T"):
    return Call(service, operation, resource, "fn", request_id, t, status if not error else 400, error, retries)


def test_every_issue_invariant_is_registered():
    assert set(INVARIANTS) >= {"no_message_lost", "locks_released", "no_duplicates", "client_errors_not_retried",
                               "retries_bounded", "no_secrets_in_logs", "no_orphaned_queued"}


def test_unknown_invariant_name_suggests_the_closest():
    with pytest.raises(KeyError, match="did you mean 'no_duplicates'"):
        INVARIANTS.get("no_duplicate")


# ------------------------------------------------------------------------------------ no_message_lost
def test_no_message_lost_fails_when_a_sent_message_vanished():
    view = run(queues={"q": []})
    view.ledger.sent.append(sent("q", "m1", '{"id": 1}'))
    result = check("no_message_lost", view)
    assert not result.passed
    assert "m1" in result.violations[0].message and "q" in result.violations[0].message


def test_no_message_lost_holds_for_processed_in_flight_and_dead_lettered_messages():
    view = run(queues={"q": [queued("m2")], "dlq": [queued("m3")]})
    view.ledger.sent += [sent("q", "m1"), sent("q", "m2"), sent("q", "m3")]
    view.ledger.deleted["m1"] = ("fn", "r1", 1.0)
    assert check("no_message_lost", view).passed


def test_no_message_lost_accepts_a_fifo_copy_that_sqs_deduplicated():
    view = run(queues={"q.fifo": [queued("m1")]})
    view.ledger.sent += [sent("q.fifo", "m1", dedup_id="d"), sent("q.fifo", "m2", dedup_id="d")]
    assert check("no_message_lost", view).passed


def test_no_message_lost_accepts_a_fifo_retry_deduplicated_against_a_send_whose_response_was_lost():
    # The first send reached the queue but its response was lost (the ledger never saw it); the retry's copy
    # was dropped by FIFO deduplication.
    view = run(queues={"q.fifo": [QueuedView("m1", "{}", {}, 0, "visible", "d")]})
    view.ledger.sent.append(sent("q.fifo", "m2", dedup_id="d"))
    assert check("no_message_lost", view).passed
    view = run(queues={"q.fifo": [QueuedView("m1", "{}", {}, 0, "visible", "other")]})
    view.ledger.sent.append(sent("q.fifo", "m2", dedup_id="d"))
    assert not check("no_message_lost", view).passed


def test_no_message_lost_ignores_configured_queues():
    view = run(queues={})
    view.ledger.sent.append(sent("scratch", "m1"))
    assert check("no_message_lost", view, ignore_queues=["scratch"]).passed


def test_no_message_lost_fails_for_an_async_event_dropped_without_a_dlq():
    view = run()
    view.trace.record("async_failed", function="f", request_id="r9", condition="RetriesExhausted", attempts=3)
    view.trace.record("invoke_start", function="g", request_id="other")
    result = check("no_message_lost", view)
    assert not result.passed and "r9" in result.violations[0].message


def test_no_message_lost_holds_when_the_failed_event_went_to_its_dlq():
    view = run()
    view.trace.record("async_failed", function="f", request_id="r9", condition="RetriesExhausted", attempts=3)
    view.trace.record("destination", target="SQS", arn="arn:aws:sqs:us-east-1:123456789012:dlq")
    assert check("no_message_lost", view).passed


# ------------------------------------------------------------------------------------ locks_released
LOCK = {"table": "conversations", "attribute": "status", "locked": ["processing_reply"], "since": "locked_at",
        "threshold": "300s"}


def test_locks_released_fails_for_a_lock_older_than_its_threshold():
    view = run(now_epoch=1_900_000_000.0, tables={"conversations": [
        {"conversation_id": "c1", "status": "processing_reply", "locked_at": 1_900_000_000.0 - 301}]})
    result = check("locks_released", view, **LOCK)
    assert not result.passed
    assert "c1" in result.violations[0].message and "301s" in result.violations[0].message


def test_locks_released_fails_for_a_lock_without_a_timestamp():
    view = run(tables={"conversations": [{"conversation_id": "c1", "status": "processing_reply"}]})
    assert "no lock timestamp" in check("locks_released", view, **LOCK).violations[0].message


def test_locks_released_holds_for_fresh_and_released_locks():
    view = run(now_epoch=1_900_000_000.0, tables={"conversations": [
        {"conversation_id": "c1", "status": "processing_reply", "locked_at": "2030-03-17T17:46:40Z"},
        {"conversation_id": "c2", "status": "ai_response_sent"}]})
    assert check("locks_released", view, **LOCK).passed


# ------------------------------------------------------------------------------------ no_duplicates
def test_no_duplicates_fails_for_two_messages_with_the_same_key():
    view = run(queues={"ai": [queued("m1"), queued("m2")]})
    view.ledger.sent += [sent("ai", "m1", '{"batch_id": "b1"}'), sent("ai", "m2", '{"batch_id": "b1"}')]
    result = check("no_duplicates", view, queues={"ai": "batch_id"})
    assert not result.passed and "batch_id" in result.violations[0].message


def test_no_duplicates_fails_for_two_items_with_the_same_attribute():
    view = run(tables={"audit": [{"eventId": "e1"}, {"eventId": "e1"}, {"eventId": "e2"}]})
    result = check("no_duplicates", view, tables={"audit": "eventId"})
    assert [v.message for v in result.violations] == ['2 items in audit with eventId="e1"']


def test_no_duplicates_fails_when_an_sqs_message_is_processed_successfully_twice():
    view = run()
    for request_id in ("r1", "r2"):
        view.ledger.payloads[request_id] = [{"Records": [{"messageId": "m1"}]}]
        view.trace.record("invoke_end", function="f", request_id=request_id, status="success", attempt=1)
    result = check("no_duplicates", view)
    assert not result.passed and "m1" in result.violations[0].message


def test_no_duplicates_does_not_count_a_record_reported_as_a_batch_item_failure():
    class Result:
        def __init__(self, request_id, payload):
            self.request_id, self.payload = request_id, payload

    view = run(results=[Result("r1", {"batchItemFailures": [{"itemIdentifier": "m1"}]})])
    for request_id in ("r1", "r2"):
        view.ledger.payloads[request_id] = [{"Records": [{"messageId": "m1"}]}]
        view.trace.record("invoke_end", function="f", request_id=request_id, status="success", attempt=1)
    assert check("no_duplicates", view).passed


# ------------------------------------------------------------------------------------ client_errors_not_retried
def test_client_errors_not_retried_fails_when_the_handler_repeats_a_call_after_access_denied():
    view = run()
    view.ledger.calls += [call("GetItem", "AccessDeniedException", t=0.0), call("GetItem", t=60.0)]
    result = check("client_errors_not_retried", view)
    assert not result.passed and "AccessDeniedException" in result.violations[0].message


def test_client_errors_not_retried_fails_when_botocore_retried_a_permanent_error():
    view = run()
    view.ledger.calls.append(call("PutItem", "ValidationException", retries=2))
    assert "botocore retried it 2 time(s)" in check("client_errors_not_retried", view).violations[0].message


def test_client_errors_not_retried_allows_retrying_throttling_and_conditional_conflicts():
    view = run()
    view.ledger.calls += [call("PutItem", "ProvisionedThroughputExceededException"), call("PutItem"),
                          call("UpdateItem", "ConditionalCheckFailedException"), call("UpdateItem")]
    assert check("client_errors_not_retried", view).passed


def test_client_errors_not_retried_uses_the_plans_own_list_of_permanent_codes():
    view = run()
    view.ledger.calls += [call("UpdateItem", "ConditionalCheckFailedException"), call("UpdateItem")]
    assert not check("client_errors_not_retried", view, permanent=["ConditionalCheckFailedException"]).passed


def test_client_errors_not_retried_fails_when_an_http_400_is_retried_in_the_same_invocation():
    view = run()
    view.trace.record("invoke_start", function="connector", request_id="r1")
    view.trace.record("http", method="POST", host="remote", path="/in", caller="connector", status=400)
    view.trace.record("http", method="POST", host="remote", path="/in", caller="connector", status=200)
    view.trace.record("invoke_end", function="connector", request_id="r1", status="success")
    result = check("client_errors_not_retried", view)
    assert not result.passed and "HTTP 400" in result.violations[0].message


def test_client_errors_not_retried_allows_retrying_an_http_503():
    view = run()
    view.trace.record("invoke_start", function="connector", request_id="r1")
    view.trace.record("http", method="POST", host="remote", path="/in", caller="connector", status=503)
    view.trace.record("http", method="POST", host="remote", path="/in", caller="connector", status=200)
    assert check("client_errors_not_retried", view).passed


# ------------------------------------------------------------------------------------ retries_bounded
def test_retries_bounded_fails_for_too_many_botocore_attempts():
    view = run()
    view.ledger.calls.append(call("PutItem", "ThrottlingException", retries=9))
    assert "took 10 attempts (bound 3)" in check("retries_bounded", view, max_call_attempts=3).violations[0].message


def test_retries_bounded_fails_for_a_handler_loop_on_one_call():
    view = run()
    view.ledger.calls += [call("GetItem", t=float(i)) for i in range(5)]
    assert not check("retries_bounded", view, max_same_call=4).passed
    assert check("retries_bounded", view, max_same_call=5).passed


def test_retries_bounded_fails_for_too_many_lambda_attempts():
    view = run()
    for attempt in (1, 2, 3, 4):
        view.trace.record("invoke_start", function="f", request_id="r1", type="Event", attempt=attempt)
    result = check("retries_bounded", view)
    assert not result.passed and "ran 4 times" in result.violations[0].message


def test_retries_bounded_fails_for_a_message_received_too_often():
    view = run()
    view.ledger.received["m1"] = 7
    assert not check("retries_bounded", view, max_receives=6).passed


# ------------------------------------------------------------------------------------ no_secrets_in_logs
def log(view, message, function="fn"):
    view.trace.record("log", function=function, request_id="r1", message=message)


def test_no_secrets_in_logs_fails_for_a_stored_secret_and_masks_it_in_the_report():
    view = run(secrets=["tok-0123456789"])
    log(view, "calling twilio with token tok-0123456789")
    violation = check("no_secrets_in_logs", view).violations[0]
    assert "a stored secret" in violation.message
    assert "tok-0123456789" not in violation.message and "***" in violation.message


def test_no_secrets_in_logs_fails_for_an_input_field_value_that_reaches_the_logs():
    view = run()
    view.ledger.payloads["r1"] = [{"body": "From=%2B14155238886&Body=hello+there"}]
    log(view, '{"message": "received", "from_number": "+14155238886"}')
    result = check("no_secrets_in_logs", view, fields=["From"])
    assert not result.passed and "input field 'From'" in result.violations[0].message


def test_no_secrets_in_logs_fails_for_a_sensitive_json_field_but_not_a_redacted_one():
    view = run()
    log(view, '{"recipient": "+15550001111"}')
    log(view, '{"recipient": "***"}')
    result = check("no_secrets_in_logs", view, fields=["recipient"])
    assert len(result.violations) == 1


def test_no_secrets_in_logs_fails_for_credential_patterns():
    view = run()
    log(view, "using key AKIAABCDEFGHIJKLMNOP")
    log(view, "headers: {'Authorization': 'Bearer abcdef0123456789'}")
    assert len(check("no_secrets_in_logs", view).violations) == 2


def test_no_secrets_in_logs_holds_for_clean_logs():
    view = run(secrets=["tok-0123456789"])
    log(view, '{"message": "reply sent", "to": "whatsapp:+*******8886"}')
    assert check("no_secrets_in_logs", view, fields=["to", "From"]).passed


# ------------------------------------------------------------------------------------ no_orphaned_queued
ORPHANS = {"table": "messages", "key": "messageId", "queues": ["outbound"]}


def test_no_orphaned_queued_fails_for_a_queued_record_whose_message_was_never_sent():
    view = run(tables={"messages": [{"messageId": "m1", "status": "QUEUED"}, {"messageId": "m2", "status": "PENDING"}]})
    result = check("no_orphaned_queued", view, **ORPHANS)
    assert [v.message.split(" is ")[0] for v in result.violations] == ["messages item messageId='m1'"]


def test_no_orphaned_queued_holds_when_the_message_was_sent():
    view = run(tables={"messages": [{"messageId": "m1", "status": "QUEUED"}]})
    view.ledger.sent.append(sent("outbound", "sqs-1", '{"messageId": "m1"}'))
    assert check("no_orphaned_queued", view, **ORPHANS).passed


def test_no_orphaned_queued_gives_a_fresh_record_its_grace_period():
    view = run(now_epoch=1000.0, tables={"messages": [{"messageId": "m1", "status": "QUEUED", "since": 990.0}]})
    assert check("no_orphaned_queued", view, **ORPHANS, since="since", grace="30s").passed
    assert not check("no_orphaned_queued", view, **ORPHANS, since="since", grace="5s").passed


def test_a_broken_check_is_reported_as_a_violation_not_a_crash():
    class Broken(StaticView):
        def table_items(self, table):
            raise RuntimeError("scan failed")

    view = Broken(Trace(), Ledger())
    result = check("locks_released", view, **LOCK)
    assert "could not be checked: RuntimeError: scan failed" in result.violations[0].message


def test_no_message_lost_accepts_a_fifo_copy_deduplicated_after_a_lost_response():
    view = run(queues={"q.fifo": []})
    view.trace.record("fault", rule="lost", effect="response_lost", point="aws", service="sqs",
                      operation="SendMessage", resource="q.fifo")
    view.ledger.sent.append(sent("q.fifo", "m2", dedup_id="d"))  # the retry's answer: a copy SQS dropped
    assert check("no_message_lost", view).passed
    fresh = run(queues={"q.fifo": []})
    fresh.ledger.sent.append(sent("q.fifo", "m2", dedup_id="d"))  # without the lost response it is a loss
    assert not check("no_message_lost", fresh).passed


def test_no_message_lost_accepts_a_delete_whose_answer_never_arrived():
    for event in ({"kind": "fault", "effect": "response_lost", "operation": "DeleteMessage"},
                  {"kind": "crash", "operation": "DeleteMessageBatch"}):
        view = run(queues={"q": []})
        view.ledger.sent.append(sent("q", "m1"))
        view.ledger.received["m1"] = 1
        view.trace.record(event.pop("kind"), service="sqs", resource="q", **event)
        assert check("no_message_lost", view).passed
    unreceived = run(queues={"q": []})
    unreceived.ledger.sent.append(sent("q", "m1"))
    unreceived.trace.record("crash", service="sqs", operation="DeleteMessage", resource="q")
    assert not check("no_message_lost", unreceived).passed  # never received: nobody could have deleted it


def invoked(view, function, request_id, payload, attempt=1):
    view.ledger.payloads.setdefault(request_id, []).append(payload)
    view.trace.record("invoke_start", function=function, request_id=request_id, attempt=attempt)


# ------------------------------------------------------------------------------------ effects_at_most_once
def test_effects_at_most_once_fails_when_a_function_runs_twice_for_the_same_input():
    view = run()
    invoked(view, "checker", "r1", {"device": "d1", "t": 1})
    invoked(view, "checker", "r1", {"device": "d1", "t": 1}, attempt=2)  # Lambda's own retry: one effect
    invoked(view, "checker", "r2", {"device": "d2", "t": 1})
    assert check("effects_at_most_once", view, invocations={"checker": None}).passed
    invoked(view, "checker", "r3", {"device": "d1", "t": 1})  # a new request with the same input
    result = check("effects_at_most_once", view, invocations={"*": None})
    assert not result.passed and "checker ran 2 times" in result.violations[0].message
    assert check("effects_at_most_once", view, invocations={"*": None}, idempotent=["checker"]).passed


def test_effects_at_most_once_keys_invocations_by_an_input_path():
    view = run()
    invoked(view, "f", "r1", {"id": "a", "sent_at": 1})
    invoked(view, "f", "r2", {"id": "a", "sent_at": 2})
    assert check("effects_at_most_once", view, invocations={"f": None}).passed
    assert not check("effects_at_most_once", view, invocations={"f": "id"}).passed


def test_effects_at_most_once_fails_when_the_same_http_request_is_applied_twice():
    view = run()
    http = {"method": "POST", "host": "api.twilio.com", "path": "/Messages.json", "caller": "sender"}
    view.trace.record("http", extra={"body": "b1"}, status=201, **http)
    view.trace.record("http", extra={"body": "b2"}, status=201, **http)  # another message
    view.trace.record("http", extra={"body": "b1"}, status=503, **http)  # refused: not applied
    assert check("effects_at_most_once", view, http=["api.twilio.com"]).passed
    view.trace.record("fault", point="http", effect="response_lost", function="sender", host="api.twilio.com")
    view.trace.record("http", extra={"body": "b2"}, status=None, error="read_timeout", **http)  # applied, lost
    result = check("effects_at_most_once", view, http=["*.twilio.com"])
    assert not result.passed and "applied 2 times" in result.violations[0].message


def test_effects_at_most_once_fails_when_an_item_is_written_twice_under_one_key():
    view = run()
    put = {"service": "dynamodb", "resource": "Audit", "request_id": "r1", "t": 0.0, "status": 200, "error": None,
           "retries": 0}
    view.ledger.calls += [Call(operation="PutItem", caller="fn", params={"Item": {"event_id": {"S": "e1"}}}, **put),
                          Call(operation="PutItem", caller="fn", params={"Item": {"event_id": "e2"}}, **put)]
    assert check("effects_at_most_once", view, writes={"Audit": "event_id"}).passed
    view.ledger.calls.append(Call(operation="UpdateItem", caller="fn", params={"Key": {"event_id": "e1"}}, **put))
    result = check("effects_at_most_once", view, writes={"Audit": "event_id"})
    assert not result.passed and 'event_id="e1" was written 2 times' in result.violations[0].message


def test_client_errors_repeated_by_a_lambda_retry_that_an_injected_timeout_forced_are_excused():
    view = run()
    view.trace.record("invoke_start", function="fn", request_id="r1", attempt=1)
    view.ledger.calls.append(call("GetItem", error="AccessDeniedException", t=0.0))
    view.trace.record("fault", point="invoke", function="fn", effect="lambda_timeout")
    view.clock.t = 60.0
    view.trace.record("invoke_start", function="fn", request_id="r1", attempt=2)
    view.ledger.calls.append(call("GetItem", error="AccessDeniedException", t=60.0))
    assert check("client_errors_not_retried", view).passed
    handler_failed = run()  # the same repeat after an attempt the handler itself failed is a violation
    handler_failed.trace.record("invoke_start", function="fn", request_id="r1", attempt=1)
    handler_failed.ledger.calls += [call("GetItem", error="AccessDeniedException", t=0.0),
                                    call("GetItem", error="AccessDeniedException", t=60.0)]
    handler_failed.clock.t = 60.0
    handler_failed.trace.record("invoke_start", function="fn", request_id="r1", attempt=2)
    assert not check("client_errors_not_retried", handler_failed).passed


def test_retries_bounded_counts_repeats_per_invocation_attempt():
    view = run()
    view.trace.record("invoke_start", function="fn", request_id="r1", attempt=1)
    view.ledger.calls += [call("UpdateItem", t=0.0), call("UpdateItem", t=1.0)]
    view.clock.t = 60.0
    view.trace.record("invoke_start", function="fn", request_id="r1", attempt=2)
    view.ledger.calls += [call("UpdateItem", t=60.0), call("UpdateItem", t=61.0)]
    assert check("retries_bounded", view, max_same_call=2).passed
    view.ledger.calls.append(call("UpdateItem", t=62.0))
    assert not check("retries_bounded", view, max_same_call=2).passed


def test_no_message_lost_ignores_a_failed_scheduled_tick_unless_asked():
    view = run()
    view.trace.record("schedule", schedule="every-5-minutes")
    view.trace.record("async_queued", function="fn", request_id="r1")
    view.trace.record("async_failed", function="fn", request_id="r1", condition="RetriesExhausted")
    assert check("no_message_lost", view).passed
    assert not check("no_message_lost", view, ignore_schedules=False).passed


def test_no_duplicates_leaves_redelivery_a_fault_caused_to_effects_at_most_once():
    view = run()
    view.trace.record("fault", point="delivery", effect="redeliver", source="sqs")
    for request_id in ("r1", "r2"):
        view.ledger.payloads[request_id] = [{"Records": [{"messageId": "m1"}]}]
        view.trace.record("invoke_end", function="f", request_id=request_id, status="success", attempt=1)
    assert check("no_duplicates", view).passed


def test_no_orphaned_queued_finds_the_message_in_the_queue_or_excuses_a_send_whose_answer_was_lost():
    in_queue = run(tables={"messages": [{"messageId": "m1", "status": "QUEUED"}]},
                   queues={"outbound": [queued("sqs-1", '{"messageId": "m1"}')]})
    assert check("no_orphaned_queued", in_queue, **ORPHANS).passed
    crashed = run(tables={"messages": [{"messageId": "m1", "status": "QUEUED"}]}, queues={"outbound": []})
    assert not check("no_orphaned_queued", crashed, **ORPHANS).passed
    crashed.trace.record("crash", service="sqs", operation="SendMessage", resource="outbound", function="fn")
    assert check("no_orphaned_queued", crashed, **ORPHANS).passed


def test_a_timestamp_written_by_a_skewed_clock_does_not_age_a_record_past_the_run():
    view = run(now_epoch=1000.0, tables={"messages": [{"messageId": "m1", "status": "QUEUED", "since": 100.0}]})
    view.clock.t = 30.0
    view.trace.record("step", index=0)  # the run lasted 30 s; the writer's clock was 600 s behind
    assert check("no_orphaned_queued", view, **ORPHANS, since="since", grace="60s").passed
    assert not check("no_orphaned_queued", view, **ORPHANS, since="since", grace="20s").passed


def test_an_invariants_config_is_made_once_and_each_result_gets_its_own_copy():
    invariant = INVARIANTS.get("no_secrets_in_logs").model_validate({"fields": ["From"], "values": ["s3cr3t-value"]})
    first, second = invariant.run(run()), invariant.run(run())
    assert first.config == second.config == invariant.model_dump(mode="json", exclude_defaults=True)
    first.config["fields"].append("changed by a reader")
    assert second.config["fields"] == ["From"] and invariant.run(run()).config["fields"] == ["From"]
