"""The scheduled reconciler returns messages stuck in QUEUED without a send confirmation to PENDING."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

NOW = "2030-01-01T12:00:00.000Z"
TABLE = "message-api-messages"
SCHEDULE_EVENT = {
    "version": "0", "id": "sched-run-1", "detail-type": "Scheduled Event", "source": "aws.events",
    "account": "123456789012", "time": "2030-01-01T12:00:00Z", "region": "us-east-1",
    "resources": ["arn:aws:events:us-east-1:123456789012:rule/message-api-reconcile-queued"], "detail": {},
}


def put_queued(world, message_id, since, attempt="attempt-1", **extra):
    record = {
        "messageId": {"S": message_id}, "status": {"S": "QUEUED"}, "recipient": {"S": "+15550100"},
        "content": {"S": "hello"}, "metadata": {"M": {"campaign": {"S": "spring"}}},
        "correlationId": {"S": f"corr-{message_id}"}, "sendCorrelationId": {"S": f"send-corr-{message_id}"},
        "sendAttemptId": {"S": attempt}, "createdAt": {"S": since}, "queuedAt": {"S": since},
        "updatedAt": {"S": since}, "awaitingConfirmationSince": {"S": since},
    }
    record.update({key: {"S": value} for key, value in extra.items()})
    world.ddb.put_item(TableName=TABLE, Item=record)


@pytest.fixture
def frozen():
    with freeze_time(NOW) as clock:
        yield clock


def test_threshold_edges_a_message_unconfirmed_exactly_the_threshold_is_stuck(world, context, frozen):
    put_queued(world, "older", "2030-01-01T11:54:59.999Z")
    put_queued(world, "exactly-300s", "2030-01-01T11:55:00.000Z")
    put_queued(world, "one-ms-short", "2030-01-01T11:55:00.001Z")
    put_queued(world, "just-queued", "2030-01-01T11:59:59.000Z")
    reconciler = world.reconciler()

    summary = reconciler.lambda_handler(SCHEDULE_EVENT, context)

    assert summary == {"examined": 2, "rolledBack": 2, "refused": 0, "failed": 0, "stoppedEarly": False}
    assert world.record("older")["status"] == "PENDING"
    assert world.record("exactly-300s")["status"] == "PENDING"
    assert world.record("one-ms-short")["status"] == "QUEUED"
    assert world.record("just-queued")["status"] == "QUEUED"


def test_threshold_comes_from_the_environment(world, context, frozen):
    world.monkeypatch.setenv("STUCK_THRESHOLD_SECONDS", "60")
    put_queued(world, "61s", "2030-01-01T11:58:59.000Z")
    put_queued(world, "59s", "2030-01-01T11:59:01.000Z")

    world.reconciler().lambda_handler(SCHEDULE_EVENT, context)

    assert world.record("61s")["status"] == "PENDING" and world.record("59s")["status"] == "QUEUED"


def test_returned_message_keeps_every_other_attribute(world, context, frozen):
    put_queued(world, "m1", "2030-01-01T11:00:00.000Z")
    before = world.record("m1")

    world.reconciler().lambda_handler(SCHEDULE_EVENT, context)

    after = world.record("m1")
    changed = {"status", "updatedAt", "lastRollbackAt", "lastRollbackReason", "rollbackCount",
               "awaitingConfirmationSince"}
    assert {k: v for k, v in after.items() if k not in changed} == {k: v for k, v in before.items()
                                                                   if k not in changed}
    assert after["status"] == "PENDING" and after["lastRollbackReason"] == "SEND_UNCONFIRMED_TIMEOUT"
    assert after["lastRollbackAt"] == after["updatedAt"] == NOW and after["rollbackCount"] == 1
    assert "awaitingConfirmationSince" not in after


def test_each_return_is_logged_with_the_run_and_the_message_correlation_ids(world, context, frozen):
    put_queued(world, "m1", "2030-01-01T11:50:00.000Z", attempt="attempt-9")

    world.reconciler().lambda_handler(SCHEDULE_EVENT, context)

    line = world.log("orphaned QUEUED message returned to PENDING")
    assert line["level"] == "WARNING" and line["correlation_id"] == "sched-run-1"
    assert (line["messageId"], line["sendAttemptId"], line["messageCorrelationId"]) == \
        ("m1", "attempt-9", "send-corr-m1")
    assert line["unconfirmedSeconds"] == 600.0
    done = world.log("reconciliation finished")
    assert done["rolledBack"] == 1 and done["cutoff"] == "2030-01-01T11:55:00.000Z"
    assert {entry["correlation_id"] for entry in world.log_lines()} == {"sched-run-1"}


def test_run_without_an_event_id_uses_the_lambda_request_id(world, context, frozen):
    world.reconciler().lambda_handler({}, context)

    assert world.log("reconciliation finished")["correlation_id"] == "lambda-req-0001"


def test_confirmed_and_pending_messages_are_never_touched(world, context, frozen):
    put_queued(world, "pending", "2030-01-01T11:00:00.000Z")
    world.ddb.update_item(TableName=TABLE, Key={"messageId": {"S": "pending"}},
                          UpdateExpression="SET #s = :p REMOVE awaitingConfirmationSince",
                          ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":p": {"S": "PENDING"}})
    # A stale index entry of a confirmed send: the conditional update still refuses it.
    put_queued(world, "confirmed", "2030-01-01T11:00:00.000Z", sentAt="2030-01-01T11:00:00.100Z")
    before = world.all_records()

    summary = world.reconciler().lambda_handler(SCHEDULE_EVENT, context)

    assert summary["rolledBack"] == 0 and summary["refused"] == 1
    assert world.all_records() == before
    assert world.log("orphan rollback refused: message changed since the scan")["currentStatus"] == "QUEUED"


def test_message_requeued_after_the_scan_is_left_alone(world, context, frozen, faults, step):
    put_queued(world, "m1", "2030-01-01T11:00:00.000Z", attempt="old-attempt")
    reconciler = world.reconciler()
    faults(reconciler.dynamodb, "UpdateItem", [step.before(
        lambda: world.set_attributes("m1", sendAttemptId="fresh-attempt"), step.ok)])

    summary = reconciler.lambda_handler(SCHEDULE_EVENT, context)

    assert summary["refused"] == 1
    record = world.record("m1")
    assert record["status"] == "QUEUED" and record["sendAttemptId"] == "fresh-attempt"


def test_one_failing_rollback_does_not_stop_the_others(world, context, frozen, faults, step, capsys):
    for name in ("m1", "m2", "m3"):
        put_queued(world, name, "2030-01-01T11:00:00.000Z")
    reconciler = world.reconciler()
    faults(reconciler.dynamodb, "UpdateItem", [step.error(400, "AccessDeniedException")])

    summary = reconciler.lambda_handler(SCHEDULE_EVENT, context)

    assert summary == {"examined": 3, "rolledBack": 2, "refused": 0, "failed": 1, "stoppedEarly": False}
    assert sorted(r["status"] for r in world.all_records()) == ["PENDING", "PENDING", "QUEUED"]
    failed = world.log("orphaned QUEUED message could not be returned to PENDING; next run retries")
    assert failed["level"] == "ERROR" and failed["errorCategory"] == "access_denied"
    assert failed["correlation_id"] == "sched-run-1"
    totals = world.emf(capsys)
    assert totals["OrphansRolledBack"] == 2 and totals["OrphanRollbackFailed"] == 1


def test_scan_failure_is_logged_and_raised_so_lambda_records_the_error(world, context, frozen, faults, step, capsys):
    reconciler = world.reconciler()
    scans = faults(reconciler.dynamodb, "Scan", [step.error(500, "InternalServerError")] * 3)

    with pytest.raises(ClientError):
        reconciler.lambda_handler(SCHEDULE_EVENT, context)

    assert scans.calls == 3 and len(world.sleeps) == 2
    logged = world.log("reconciliation scan failed; the next scheduled run retries")
    assert logged["level"] == "ERROR" and logged["errorCode"] == "InternalServerError"
    assert world.emf(capsys)["ReconcilerScanFailed"] == 1


def test_run_stops_while_there_is_still_time_to_finish(world, context, frozen):
    for name in ("m1", "m2", "m3"):
        put_queued(world, name, "2030-01-01T11:00:00.000Z")
    context.remaining_ms = [60_000, 60_000, 4_999]  # before the page, before item 1, before item 2

    summary = world.reconciler().lambda_handler(SCHEDULE_EVENT, context)

    assert summary == {"examined": 1, "rolledBack": 1, "refused": 0, "failed": 0, "stoppedEarly": True}
    assert world.log("reconciler stopping early to finish inside its timeout; next run continues")["level"] \
        == "WARNING"


def test_run_that_starts_without_enough_time_scans_nothing(world, context, frozen, faults, step):
    put_queued(world, "m1", "2030-01-01T11:00:00.000Z")
    reconciler = world.reconciler()
    scans = faults(reconciler.dynamodb, "Scan", [])
    context.remaining_ms = [4_000]

    summary = reconciler.lambda_handler(SCHEDULE_EVENT, context)

    assert scans.calls == 0 and summary["stoppedEarly"] is True
    assert world.record("m1")["status"] == "QUEUED"


def test_every_page_of_the_index_is_reconciled(world, context, frozen, faults, step):
    world.monkeypatch.setenv("RECONCILER_PAGE_SIZE", "1")
    for name in ("m1", "m2", "m3"):
        put_queued(world, name, "2030-01-01T11:00:00.000Z")
    reconciler = world.reconciler()
    scans = faults(reconciler.dynamodb, "Scan", [])

    summary = reconciler.lambda_handler(SCHEDULE_EVENT, context)

    assert summary["rolledBack"] == 3 and scans.calls >= 3
    assert {r["status"] for r in world.all_records()} == {"PENDING"}


def test_empty_run_reports_zero_counts(world, context, frozen, capsys):
    summary = world.reconciler().lambda_handler(SCHEDULE_EVENT, context)

    assert summary == {"examined": 0, "rolledBack": 0, "refused": 0, "failed": 0, "stoppedEarly": False}
    assert world.emf(capsys) == {"OrphansRolledBack": 0, "OrphanRollbackFailed": 0}


def test_orphan_of_a_failed_api_rollback_is_repaired_and_can_then_be_resent(
        world, context, make_event, faults, step, frozen):
    api = world.post()
    faults(api.sqs, "SendMessage", [step.error(403, "AccessDeniedException", "AccessDenied")])
    faults(api.dynamodb, "UpdateItem", [step.ok] + [step.error(500, "InternalServerError")] * 3)
    event = make_event({"recipient": "+15550100", "content": "hello"}, headers={"Idempotency-Key": "k-1"})
    assert api.lambda_handler(event, context)["statusCode"] == 500
    [orphan] = world.all_records()
    assert orphan["status"] == "QUEUED"

    frozen.tick(timedelta(seconds=299))
    world.reconciler().lambda_handler(SCHEDULE_EVENT, context)
    assert world.record(orphan["messageId"])["status"] == "QUEUED"  # an in-flight send is never touched

    frozen.tick(timedelta(seconds=1))
    world.reconciler().lambda_handler(SCHEDULE_EVENT, context)
    assert world.record(orphan["messageId"])["status"] == "PENDING"

    api = world.post()
    retry = api.lambda_handler(event, context)
    assert retry["statusCode"] == 202 and json.loads(retry["body"])["messageId"] == orphan["messageId"]
    assert len(world.queued_bodies()) == 1
