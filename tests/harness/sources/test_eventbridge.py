"""EventBridge rules and schedules (AWS_BEHAVIOUR "EventBridge")."""
import itertools
import json

import pytest

from harness import InputError


def _fn(sim, suffix):
    return [r for r in sim.invocations if r.function.endswith(suffix)]


def test_event_matching_the_pattern_invokes_target_and_other_events_do_not(sim):
    sim.put_event(source="my.shop", detail_type="OrderPlaced", detail={"order": "o-1", "amount": 250})
    sim.put_event(source="my.shop", detail_type="OrderPlaced", detail={"order": "o-2", "amount": 50})
    sim.put_event(source="other", detail_type="OrderPlaced", detail={"order": "o-3", "amount": 500})
    sim.advance(1)
    assert [e.data["targets"] for e in sim.trace.of("event")] == [1, 0, 0]
    (first,) = _fn(sim, "EventTarget")
    assert first.error["errorMessage"] == "cannot process order o-1"


def test_always_failing_lambda_target_gets_async_retries_then_lands_in_its_dlq(sim, messages):
    # "Lambda target: invoked asynchronously: Lambda's async retries apply after EventBridge hands over";
    # "DeadLetterConfig (SQS/SNS)": original event as body, RequestID/ErrorCode/ErrorMessage attributes.
    (event_id,) = sim.put_events([{"Source": "my.shop", "DetailType": "OrderPlaced",
                                   "Detail": {"order": "o-9", "amount": 101}}])
    sim.run_until_idle()
    attempts = _fn(sim, "EventTarget")
    assert [(r.attempt, r.started) for r in attempts] == [(1, 0.0), (2, 60.0), (3, 180.0)]
    assert [e.data["attempt"] for e in sim.trace.of("event_delivered")] == [1]  # EventBridge's hand-over worked
    (message,) = messages(sim, "FnDlq")
    event = json.loads(message["Body"])
    assert event["id"] == event_id and event["detail"] == {"order": "o-9", "amount": 101}
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                          "detail"}
    attributes = message["MessageAttributes"]
    assert attributes["RequestID"]["StringValue"] == attempts[0].request_id
    assert attributes["ErrorCode"] == {"StringValue": "200", "DataType": "Number"}
    assert attributes["ErrorMessage"]["StringValue"] == "cannot process order o-9"
    assert messages(sim, "RuleDlq") == []  # delivery itself never failed


def test_put_events_made_by_handler_code_reach_the_rules_too(sim):
    result = sim.invoke("Publisher", {"emit": {"order": "h", "amount": 900}})
    (entry,) = result.payload
    sim.advance(1)
    (target,) = _fn(sim, "EventTarget")
    assert target.error["errorMessage"] == "cannot process order h"
    assert sim.trace.of("event")[0].extra["id"] == entry["EventId"]


def test_throttled_delivery_is_retried_by_the_rule_retry_policy_then_goes_to_the_rule_dlq(sim, messages,
                                                                                         monkeypatch):
    # "target retry policy" + "what is retried: throttling and 5xx" + "DLQ message attributes".
    from harness.sources import of
    sources = of(sim)
    calls = []

    def throttled(arn, payload):
        calls.append(sim.now)
        return "TooManyRequestsException", "Rate Exceeded.", True

    monkeypatch.setattr(sources, "send_to_target", throttled)
    sim.put_event(source="my.shop", detail_type="OrderPlaced", detail={"order": "t", "amount": 300})
    sim.run_until_idle()
    assert len(calls) == 4  # MaximumRetryAttempts 3: one attempt and three retries, with growing backoff
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps))
    (message,) = messages(sim, "RuleDlq")
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert attributes["RETRY_ATTEMPTS"] == "3"
    assert attributes["RULE_ARN"].endswith(":rule/app-EventTargetOrders")
    assert attributes["TARGET_ARN"].endswith(":function:app-EventTarget")
    assert attributes["ERROR_CODE"] == "THROTTLING"
    assert "TooManyRequestsException" in attributes["ERROR_MESSAGE"]


def test_client_errors_are_not_retried(sim, messages, monkeypatch):
    from harness.sources import of
    calls = []
    monkeypatch.setattr(of(sim), "send_to_target",
                        lambda arn, payload: calls.append(1) or ("AccessDeniedException", "no", False))
    sim.put_event(source="my.shop", detail_type="OrderPlaced", detail={"order": "d", "amount": 300})
    sim.run_until_idle()
    assert calls == [1]
    (message,) = messages(sim, "RuleDlq")
    assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_PERMISSIONS"
    assert "EXHAUSTED_RETRY_CONDITION" not in message["MessageAttributes"]


def test_rate_5_minutes_fires_12_times_in_one_virtual_hour(sim):
    sim.advance(3600)
    fires = _fn(sim, "Publisher")
    assert len(fires) == 12
    assert [r.started for r in fires] == [300.0 * k for k in range(1, 13)]
    assert '{"detail-type": "Scheduled Event", "source": "aws.events"}' in fires[0].logs


def test_schedules_do_not_keep_run_until_idle_running(sim):
    sim.run_until_idle()
    assert sim.now == 0.0 and sim.invocations == []


def test_fire_schedule_runs_now_with_the_scheduled_event_envelope(sim):
    sim.fire_schedule("Publisher")
    sim.fire_schedule("Nightly.Noon")
    sim.run_until_idle()
    assert sim.now == 0.0
    assert len(_fn(sim, "Publisher")) == 1
    (nightly,) = _fn(sim, "Nightly")
    assert '{"job": "nightly"}' in nightly.logs  # ScheduleV2 delivers its Input


def test_cron_schedule_fires_at_noon_utc(sim):
    sim.run_until(86400)  # the simulation starts at 2030-01-01T00:00:00Z
    (nightly,) = _fn(sim, "Nightly")
    assert nightly.started == 12 * 3600


def test_unknown_schedule_name_suggests_the_closest(sim):
    with pytest.raises(InputError, match="did you mean 'Publisher'"):
        sim.fire_schedule("Publsher")


def test_unsupported_event_source_type_is_reported_by_name_at_load_time(write_app):
    from harness.template import load_template
    template = write_app(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n"
        "      Runtime: python3.12\n      CodeUri: src/\n      Events:\n        Uploads:\n          Type: MQ\n"
        "          Properties: {}\n")
    (warning,) = load_template(template).warnings
    assert "event 'Uploads' of type 'MQ' is not supported by the harness yet" in warning
    assert "SQS" in warning and "Schedule" in warning  # the registered types are listed


def test_invalid_event_pattern_is_reported_with_the_template_line(write_app):
    from harness import Simulation
    template = write_app(
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n"
        "      CodeUri: src/\n      Events:\n        Bad:\n          Type: EventBridgeRule\n"
        "          Properties:\n            Pattern: {source: my.app}\n")
    with pytest.raises(InputError, match=r"template.yaml:\d+: event 'Fn.Bad' \(EventBridgeRule\): invalid event "
                                         r"pattern"):
        Simulation(template).start()


def _first_attempts(sim):
    return [r for r in _fn(sim, "EventTarget") if r.attempt == 1]


@pytest.mark.parametrize("effect, expected", [
    ({"type": "duplicate"}, ["cannot process order o-1", "cannot process order o-1"]),
    ({"type": "mutate", "mutator": "wrong_type", "path": "detail.order"}, ["cannot process order 12345"]),
])
def test_delivery_faults_reach_eventbridge_targets(app_template, effect, expected):
    # The fault plan's delivery seam (docs/faults.md, "Deliveries by event sources") for rule targets too.
    from harness import Simulation
    rules = [{"id": "seam", "match": {"source": "eventbridge", "function": "EventTarget"}, "effect": effect,
              "times": 1}]
    with Simulation(app_template, seed=1, faults=rules) as sim:
        sim.put_event(source="my.shop", detail_type="OrderPlaced", detail={"order": "o-1", "amount": 250})
        sim.advance(1)
        assert sorted(r.error["errorMessage"] for r in _first_attempts(sim)) == expected
        assert [e.data["rule"] for e in sim.trace.of("fault")] == ["seam"]


def test_a_redeliver_fault_delivers_the_event_again_a_minute_later(app_template):
    from harness import Simulation
    from harness.sources.eventbridge import REDELIVERY_DELAY
    rules = [{"id": "again", "match": {"source": "eventbridge"}, "effect": {"type": "redeliver"}, "times": 1}]
    with Simulation(app_template, seed=1, faults=rules) as sim:
        sim.put_event(source="my.shop", detail_type="OrderPlaced", detail={"order": "o-2", "amount": 250})
        sim.advance(REDELIVERY_DELAY + 1)
        assert [r.started for r in _first_attempts(sim)] == [0.0, REDELIVERY_DELAY]
