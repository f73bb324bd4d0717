"""Loading fault rules: the dict shape, defaults, and errors that name the rule, the field and the choices."""
import pytest

from harness.faults import EFFECTS, FaultPlan, FaultPlanError
from harness.faults.rules import Target, Window


def load(*rules, source="plan.yaml"):
    return FaultPlan.from_dicts(list(rules), source=source)


def error_of(*rules):
    with pytest.raises(FaultPlanError) as info:
        load(*rules)
    return str(info.value)


def test_the_agreed_rule_shape_loads_into_frozen_values():
    plan = load({"id": "throttle-put",
                 "match": {"service": "dynamodb", "operation": "PutItem", "function": "Writer", "nth": 1},
                 "effect": {"type": "aws_error", "code": "ProvisionedThroughputExceededException"}, "times": 2})
    rule = plan.rules[0]
    assert (rule.id, rule.point, rule.times) == ("throttle-put", "aws", 2)
    assert (rule.match.service, rule.match.operation, rule.match.function, rule.match.nth) == (
        "dynamodb", "PutItem", "Writer", 1)
    assert rule.effect.code == "ProvisionedThroughputExceededException"
    with pytest.raises(AttributeError):
        rule.match.nth = 2  # frozen


def test_services_and_operations_are_normalised_to_what_the_router_reports():
    rule = load({"match": {"service": "events", "operation": "put_events"},
                 "effect": {"type": "aws_error", "code": "ThrottlingException"}}).rules[0]
    assert (rule.match.service, rule.match.operation) == ("eventbridge", "PutEvents")


def test_an_unknown_service_is_a_load_error_with_the_closest_name():
    message = error_of({"match": {"service": "dynamo"}, "effect": {"type": "aws_error", "code": "ThrottlingException"}})
    assert "plan.yaml: rule 0 ('rule-0').match.service" in message
    assert "unknown service 'dynamo'" in message and "did you mean 'dynamodb'" in message


def test_an_unknown_operation_is_a_load_error_with_the_closest_name():
    message = error_of({"id": "x", "match": {"service": "sqs", "operation": "SendMessages"},
                        "effect": {"type": "aws_error", "code": "RequestThrottled"}})
    assert "rule 0 ('x').match.operation" in message
    assert "sqs has no operation 'SendMessages'" in message and "did you mean 'SendMessage'" in message


def test_an_error_code_the_service_never_sends_is_rejected_unless_a_status_is_given():
    message = error_of({"match": {"service": "dynamodb"}, "effect": {"type": "aws_error", "code": "Throttled"}})
    assert "effect.code: 'Throttled' is not an error dynamodb answers with" in message
    assert "give effect.status" in message
    plan = load({"match": {"service": "dynamodb"}, "effect": {"type": "aws_error", "code": "Throttled", "status": 400}})
    assert plan.rules[0].effect.status == 400


def test_an_unknown_effect_type_lists_the_registered_effects():
    message = error_of({"effect": {"type": "aws_eror", "code": "X"}})
    assert "rule 0 ('rule-0').effect.type: 'aws_eror' is not a registered effect (did you mean 'aws_error'?)" in message
    for name in ("aws_error", "http_status", "lambda_timeout", "clock_skew", "duplicate", "mutate"):
        assert name in message and name in EFFECTS


def test_an_unknown_effect_setting_names_the_allowed_ones():
    message = error_of({"match": {"service": "sqs"}, "effect": {"type": "network_error", "eror": "x"}})
    assert "effect.eror: effect 'network_error' has no setting 'eror' (did you mean 'error'?)" in message
    assert "allowed: error, seconds" in message


def test_a_choice_outside_the_allowed_values_lists_them():
    message = error_of({"match": {"service": "sqs"}, "effect": {"type": "network_error", "error": "Timeout"}})
    assert "effect.error: 'Timeout' is not allowed" in message
    assert "'EndpointConnectionError', 'ConnectTimeoutError', 'ReadTimeoutError', 'ConnectionClosedError'" in message


def test_a_missing_required_setting_is_named_with_its_type():
    assert "effect.code: effect 'aws_error' requires 'code' (a string)" in error_of(
        {"match": {"service": "sqs"}, "effect": {"type": "aws_error"}})


def test_the_second_bad_rule_is_reported_by_its_index():
    message = error_of({"match": {"service": "sqs"}, "effect": {"type": "aws_error", "code": "RequestThrottled"}},
                       {"id": "late", "match": {"sevice": "sqs"}, "effect": "lambda_throttle"})
    assert "rule 1 ('late').match.sevice: unknown match field (did you mean 'service'?)" in message


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("nth", 0, "expected a whole number >= 1"),
    ("probability", 1.5, "expected a number in (0, 1]"),
    ("window", {"from": 30, "until": 10}, "'until' (10) must be after 'from' (30)"),
    ("window", {"start": 1}, "expected a mapping with 'from' and/or 'until'"),
    ("cold", "yes", "expected true or false"),
    ("source", "kinesis", "unknown event source 'kinesis'"),
])
def test_bad_match_values_say_what_is_expected(field, value, expected):
    effect = {"type": "duplicate"} if field == "source" else {"type": "lambda_error"}
    message = error_of({"match": {field: value}, "effect": effect})
    assert f"match.{field}" in message and expected in message


def test_times_must_be_a_positive_whole_number():
    assert "times: expected a whole number >= 1" in error_of({"effect": "lambda_throttle", "times": 0})


def test_duplicate_rule_ids_are_rejected():
    message = error_of({"id": "a", "effect": "lambda_throttle"}, {"id": "a", "effect": "lambda_throttle"})
    assert "rule 1 ('a').id: already used by rule 0" in message


def test_an_effect_that_cannot_apply_where_the_match_points_says_where_it_applies():
    message = error_of({"match": {"service": "lambda", "operation": "Invoke"}, "effect": {"type": "lambda_timeout"}})
    assert "effect 'lambda_timeout' cannot apply here (match.service is the AWS service 'lambda')" in message
    assert "function invocations: match.function only" in message


def test_an_effect_with_several_points_needs_the_match_to_choose():
    message = error_of({"match": {"function": "Fetch"}, "effect": {"type": "duplicate"}})
    assert "effect 'duplicate' applies at AWS requests and outbound HTTP requests and event-source deliveries" in message


def test_latency_matching_only_a_function_delays_its_invocations():
    plan = load({"match": {"function": "Echo"}, "effect": {"type": "latency", "seconds": 295}, "times": 1},
                {"match": {"service": "dynamodb", "function": "Echo"}, "effect": {"type": "latency", "seconds": 1}})
    assert [r.point for r in plan.rules] == ["invoke", "aws"]


def test_rules_apply_where_their_match_points():
    plan = load({"match": {"service": "http", "url": "/hook"}, "effect": {"type": "http_status", "status": 503}},
                {"match": {"function": "Echo"}, "effect": {"type": "mutate", "mutator": "null"}},
                {"match": {"source": "sqs"}, "effect": {"type": "reorder"}},
                {"match": {"function": "Echo"}, "effect": "lambda_throttle"},
                {"match": {"url": "http://127.0.0.1*"}, "effect": {"type": "latency", "seconds": 2}})
    assert [r.point for r in plan.rules] == ["http", "invoke", "delivery", "admit", "http"]


def test_nth_alone_means_that_one_call():
    assert load({"match": {"function": "Echo", "nth": 3}, "effect": "lambda_error"}).rules[0].times == 1
    assert load({"match": {"function": "Echo"}, "effect": "lambda_error"}).rules[0].times is None


def test_init_failures_only_match_cold_starts():
    assert load({"match": {"function": "Echo"}, "effect": "init_failure"}).rules[0].match.cold is True
    assert "init failures happen on cold starts" in error_of(
        {"match": {"function": "Echo", "cold": False}, "effect": "init_failure"})


def test_delivery_effects_on_aws_requests_name_the_operations_they_work_on():
    assert "redeliver applies to sqs DeleteMessage or DeleteMessageBatch" in error_of(
        {"match": {"service": "sqs", "operation": "SendMessage"}, "effect": "redeliver"})
    assert "reorder applies to sqs ReceiveMessage" in error_of(
        {"match": {"service": "dynamodb"}, "effect": "reorder"})


def test_a_plan_that_is_not_a_list_is_a_clear_error():
    with pytest.raises(FaultPlanError, match="plan.yaml: faults must be a list of rules, got dict"):
        FaultPlan.from_dicts({"effect": "lambda_throttle"}, source="plan.yaml")
    with pytest.raises(FaultPlanError, match="rule 0: expected a mapping"):
        load("lambda_throttle")


def test_matching_reports_why_a_target_does_not_match():
    rule = load({"match": {"service": "sqs", "operation": "SendMessage", "window": {"from": 10}},
                 "effect": {"type": "aws_error", "code": "RequestThrottled"}}).rules[0]
    assert rule.match.matches(Target("aws", 12, service="sqs", operation="SendMessage")) == (True, "")
    assert rule.match.matches(Target("aws", 12, service="sqs", operation="ReceiveMessage"))[1] == \
        "operation ReceiveMessage != SendMessage"
    assert "outside [10, inf)" in rule.match.matches(Target("aws", 5, service="sqs", operation="SendMessage"))[1]
    assert Window(0, 5).contains(0) and not Window(0, 5).contains(5)


def test_mutate_settings_are_checked_against_the_mutator():
    assert "effect.size: mutator 'null' has no setting 'size'" in error_of(
        {"match": {"function": "Echo"}, "effect": {"type": "mutate", "mutator": "null", "size": 3}})
    assert "effect.kind: 'dict' is not allowed" in error_of(
        {"match": {"function": "Echo"}, "effect": {"type": "mutate", "mutator": "non_dict_json", "kind": "dict"}})
    assert "effect.mutator: 'drop' is not a payload mutator (did you mean 'drop_key'?)" in error_of(
        {"match": {"function": "Echo"}, "effect": {"type": "mutate", "mutator": "drop"}})
