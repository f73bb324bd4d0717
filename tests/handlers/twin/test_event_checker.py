"""Event checker: the fixed '>' and STRING(...) bugs, per-rule isolation, actions and feedback."""

import json

import pytest
from botocore.stub import Stubber

DEVICE = "temperature-sensor-1"


def rule(condition, function="high-temperature-callback", **action):
    return {"condition": condition, "action": {"type": "lambda", "functionName": function, **action}}


@pytest.fixture
def checker(load_function, twin_info, monkeypatch):
    def _make(*rules, **env):
        module = load_function(
            "event-checker", DIGITAL_TWIN_INFO=twin_info(name="plant", events=rules), **env
        )
        return module

    return _make


def record(**values):
    return {"iotDeviceId": DEVICE, "time": "2025-01-01T00:00:00.000Z", **values}


@pytest.mark.parametrize("temperature, fires", [(31.0, True), (30.0, False), (29.5, False)])
def test_greater_than_really_means_greater_than(checker, context, invocations, temperature, fires):
    module = checker(rule(f"twin.{DEVICE}.temperature > DOUBLE(30)"))
    calls = invocations(module)

    result = module.lambda_handler(record(temperature=temperature), context)

    assert (result["triggered"] == [f"twin.{DEVICE}.temperature > DOUBLE(30)"]) is fires
    assert len(calls) == (1 if fires else 0)


@pytest.mark.parametrize("temperature, fires", [(29.0, True), (30.0, False), (31.0, False)])
def test_less_than_compares_with_less_than(checker, context, invocations, temperature, fires):
    module = checker(rule(f"twin.{DEVICE}.temperature < INTEGER(30)"))
    invocations(module)
    assert bool(module.lambda_handler(record(temperature=temperature), context)["triggered"]) is fires


def test_string_constant_extraction_returns_the_string(checker, context, invocations):
    module = checker(rule(f"twin.{DEVICE}.status == STRING(overheated)"))
    invocations(module)
    assert module.extract_const_value("STRING(overheated)") == "overheated"
    assert module.lambda_handler(record(status="overheated"), context)["triggered"] == [
        f"twin.{DEVICE}.status == STRING(overheated)"
    ]
    assert module.lambda_handler(record(status="normal"), context)["triggered"] == []


@pytest.mark.parametrize(
    "text, value", [("DOUBLE(30.5)", 30.5), ("INTEGER(-4)", -4), ("STRING()", ""), ("STRING(a.b.c)", "a.b.c")]
)
def test_constants_with_dots_are_constants_not_references(checker, text, value):
    assert checker().extract_const_value(text) == value


def test_triggered_lambda_action_receives_rule_and_record(checker, context, invocations, logs):
    configured = rule(f"twin.{DEVICE}.temperature > DOUBLE(30.5)")
    module = checker(configured)
    calls = invocations(module)

    result = module.lambda_handler(record(temperature=40), context)

    assert result == {
        "status": "ok",
        "checked": 1,
        "triggered": [configured["condition"]],
        "skipped": [],
        "failed": [],
    }
    assert calls == [
        {
            "FunctionName": "high-temperature-callback",
            "InvocationType": "Event",
            "Payload": {"e": configured, "record": record(temperature=40)},
        }
    ]
    assert "Event triggered" in logs.messages()


def test_rules_for_other_devices_are_skipped(checker, context, invocations):
    module = checker(rule("twin.pump-1.pressure > DOUBLE(3)"))
    calls = invocations(module)
    result = module.lambda_handler(record(pressure=10), context)
    assert result["skipped"] == ["twin.pump-1.pressure > DOUBLE(3)"]
    assert result["checked"] == 0
    assert calls == []


def test_one_failing_rule_is_logged_with_the_event_and_the_loop_continues(
    checker, context, invocations, logs
):
    broken = rule(f"twin.{DEVICE}.humidity > DOUBLE(80)")  # the record has no humidity
    good = rule(f"twin.{DEVICE}.temperature > DOUBLE(30)")
    module = checker(broken, good)
    calls = invocations(module)
    reading = record(temperature=35)

    result = module.lambda_handler(reading, context)

    assert result["status"] == "partial_failure"
    assert result["triggered"] == [good["condition"]]
    assert result["failed"] == [
        {"condition": broken["condition"], "error": "RuleError: property 'humidity' missing from record"}
    ]
    [entry] = logs.find("Event check failed")
    assert entry["rule"] == broken
    assert entry["record"] == reading
    assert entry["level"] == "ERROR"
    assert len(calls) == 1


@pytest.mark.parametrize(
    "condition, error",
    [
        ("temperature >", "RuleError: condition must be '<operand> <op> <operand>', got 'temperature >'"),
        (f"twin.{DEVICE}.temperature >= DOUBLE(1)", "RuleError: unknown operator '>='"),
        (f"twin.{DEVICE}.temperature > FLOAT(1)", "RuleError: unknown operand 'FLOAT(1)'"),
        (
            f"twin.{DEVICE}.temperature > DOUBLE(hot)",
            ("RuleError: bad constant 'DOUBLE(hot)': could not convert string to float: 'hot'"),
        ),
        ("temperature > DOUBLE(1)", "RuleError: unknown operand 'temperature'"),
        (
            f"twin.{DEVICE}.temperature > STRING(hot)",
            ("RuleError: cannot compare: '>' not supported between instances of 'float' and 'str'"),
        ),
        (42, "RuleError: condition must be a string"),
    ],
)
def test_malformed_rules_are_reported_as_partial_failure(checker, context, invocations, condition, error):
    module = checker({"condition": condition, "action": {"type": "lambda", "functionName": "f"}})
    invocations(module)
    result = module.lambda_handler(record(temperature=1.5), context)
    assert result["status"] == "partial_failure"
    assert result["failed"] == [{"condition": condition, "error": error}]


@pytest.mark.parametrize(
    "action, error",
    [
        ({"type": "sms"}, "RuleError: invalid action type 'sms'"),
        ({"type": "lambda"}, "RuleError: lambda action has no functionName"),
        (None, "RuleError: rule has no action"),
    ],
)
def test_invalid_actions_fail_only_their_rule(checker, context, invocations, action, error):
    module = checker({"condition": f"twin.{DEVICE}.v == INTEGER(1)", "action": action})
    invocations(module)
    assert module.lambda_handler(record(v=1), context)["failed"][0]["error"] == error


def test_a_non_object_rule_is_reported(checker, context):
    module = checker("not a rule")
    result = module.lambda_handler(record(v=1), context)
    assert result["failed"] == [{"condition": None, "error": "RuleError: rule must be an object"}]


def test_failed_action_invoke_is_logged_and_other_rules_still_run(checker, context, logs):
    first = rule(f"twin.{DEVICE}.v == INTEGER(1)", function="missing-function")
    second = rule(f"twin.{DEVICE}.v > INTEGER(0)", function="other")
    module = checker(first, second)
    with Stubber(module.lambda_client) as stub:
        stub.add_client_error("invoke", service_error_code="ResourceNotFoundException", http_status_code=404)
        stub.add_response("invoke", {"StatusCode": 202})
        result = module.lambda_handler(record(v=1), context)
    assert result["triggered"] == [second["condition"]]
    assert result["failed"][0]["condition"] == first["condition"]
    assert result["failed"][0]["error"].startswith("ResourceNotFoundException")


def test_feedback_is_sent_to_event_feedback_function_when_enabled(checker, context, invocations):
    configured = rule(
        f"twin.{DEVICE}.temperature > DOUBLE(30)",
        feedback={"type": "mqtt", "iotDeviceId": "fan-1", "payload": "cool down"},
    )
    module = checker(
        configured, USE_FEEDBACK="true", EVENT_FEEDBACK_LAMBDA_FUNCTION_ARN="plant-event-feedback"
    )
    calls = invocations(module)

    module.lambda_handler(record(temperature=35), context)

    assert calls[1] == {
        "FunctionName": "plant-event-feedback",
        "InvocationType": "Event",
        "Payload": {"detail": {"digitalTwinName": "plant", "iotDeviceId": "fan-1", "payload": "cool down"}},
    }


def test_feedback_is_not_sent_when_disabled(checker, context, invocations):
    module = checker(
        rule(f"twin.{DEVICE}.t > DOUBLE(1)", feedback={"iotDeviceId": "f", "payload": "p"}),
        USE_FEEDBACK="false",
    )
    calls = invocations(module)
    module.lambda_handler(record(t=2), context)
    assert [c["FunctionName"] for c in calls] == ["high-temperature-callback"]


def test_feedback_enabled_without_function_arn_fails_the_rule(checker, context, invocations, monkeypatch):
    monkeypatch.delenv("EVENT_FEEDBACK_LAMBDA_FUNCTION_ARN", raising=False)
    module = checker(
        rule(f"twin.{DEVICE}.t > DOUBLE(1)", feedback={"iotDeviceId": "f", "payload": "p"}),
        USE_FEEDBACK="true",
    )
    invocations(module)
    assert module.lambda_handler(record(t=2), context)["failed"][0]["error"] == (
        "ConfigurationError: EVENT_FEEDBACK_LAMBDA_FUNCTION_ARN is not set"
    )


def test_step_function_action_starts_an_execution_when_enabled(checker, context, aws_client):
    sfn = aws_client("stepfunctions")
    arn = sfn.create_state_machine(
        name="plant-lambda-chain",
        roleArn="arn:aws:iam::123456789012:role/sfn",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    )["stateMachineArn"]
    configured = {
        "condition": f"twin.{DEVICE}.t > DOUBLE(1)",
        "action": {"type": "step_function", "functionName": "x"},
    }
    module = checker(configured, USE_STEP_FUNCTIONS="true", LAMBDA_CHAIN_STEP_FUNCTION_ARN=arn)

    assert module.lambda_handler(record(t=2), context)["triggered"] == [configured["condition"]]
    [execution] = sfn.list_executions(stateMachineArn=arn)["executions"]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {"e": configured, "record": record(t=2)}


def test_step_function_action_is_skipped_when_disabled(checker, context, logs):
    configured = {
        "condition": f"twin.{DEVICE}.t > DOUBLE(1)",
        "action": {"type": "step_function", "functionName": "x"},
    }
    module = checker(configured, USE_STEP_FUNCTIONS="false")
    assert module.lambda_handler(record(t=2), context)["status"] == "ok"
    assert "Step Function action disabled" in logs.messages()


def test_step_function_enabled_without_arn_fails_the_rule(checker, context, monkeypatch):
    monkeypatch.delenv("LAMBDA_CHAIN_STEP_FUNCTION_ARN", raising=False)
    configured = {
        "condition": f"twin.{DEVICE}.t > DOUBLE(1)",
        "action": {"type": "step_function", "functionName": "x"},
    }
    module = checker(configured, USE_STEP_FUNCTIONS="true")
    assert module.lambda_handler(record(t=2), context)["failed"][0]["error"] == (
        "ConfigurationError: LAMBDA_CHAIN_STEP_FUNCTION_ARN is not set"
    )


@pytest.mark.parametrize("event", [{"temperature": 1}, "text", {"iotDeviceId": ""}])
def test_record_without_device_is_rejected(checker, context, logs, event):
    assert checker().lambda_handler(event, context)["status"] == "rejected"
    assert logs.messages("ERROR") == ["Validation Error: record without iotDeviceId"]


@pytest.mark.parametrize(
    "raw, problem",
    [
        ("", "DIGITAL_TWIN_INFO missing or invalid: JSONDecodeError"),
        (
            json.dumps({"config": {"digital_twin_name": "x"}}),
            "DIGITAL_TWIN_INFO missing or invalid: KeyError",
        ),
        (
            json.dumps({"config": {"digital_twin_name": "x"}, "config_events": {}}),
            "config_events must be a list",
        ),
    ],
)
def test_missing_rules_configuration_is_logged_and_raised(checker, context, logs, monkeypatch, raw, problem):
    module = checker()
    monkeypatch.setenv("DIGITAL_TWIN_INFO", raw)
    with pytest.raises(module.ConfigurationError):
        module.lambda_handler(record(), context)
    [message] = logs.messages("ERROR")
    assert message.startswith(f"Event checker misconfigured: {problem}")
