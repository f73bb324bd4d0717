"""The SAM template: the function, its event source, DLQs, permissions, alarms and dashboard agree with the code
and with the plan's thresholds."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

FUNCTION = "MarkEarningsProcessedFunction"
SYSTEM = Path(__file__).resolve().parents[3] / "handlers" / "earnings"


@pytest.fixture(scope="module")
def resources(template):
    return template["Resources"]


@pytest.fixture(scope="module")
def function(resources):
    return resources[FUNCTION]["Properties"]


@pytest.fixture(scope="module")
def source():
    """All handler source code, to check the template against what the code reads and emits."""
    package = SYSTEM / "src" / "mark_earnings_processed"
    return "\n".join(path.read_text() for path in sorted(package.glob("*.py")))


def test_function_is_python_311_with_a_30_second_timeout_and_an_importable_handler(function, template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert (function["Runtime"], function["Timeout"], function["CodeUri"]) == ("python3.11", 30, "src/")
    assert function["FunctionName"] == {"Fn::Sub": "${AWS::StackName}-mark-earnings-processed"}
    module, attribute = function["Handler"].rsplit(".", 1)
    code_uri = SYSTEM / function["CodeUri"]
    module_file = code_uri / (module.replace(".", "/") + ".py")
    assert module_file.is_file()
    assert f"def {attribute}(" in module_file.read_text()
    assert (code_uri / "requirements.txt").read_text().strip() == "aws-lambda-powertools==3.37.0"


def test_every_environment_variable_the_handler_reads_is_set_by_the_template(function, source):
    read = set(re.findall(r'os\.environ(?:\.get\(|\[)"([A-Z_]+)"', source))
    provided = set(function["Environment"]["Variables"])

    assert read == {"EARNINGS_TABLE_NAME", "AUDIT_TABLE_NAME", "DLQ_URL", "EVENT_SOURCE", "EVENT_DETAIL_TYPE",
                    "ALLOWED_PREVIOUS_STATUSES", "MEMORY_WARNING_PERCENT", "MAX_THROTTLE_ATTEMPTS",
                    "RETRY_RESERVE_MS"}
    assert read <= provided
    assert function["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "Earnings"
    assert function["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "mark-earnings-processed"


def test_template_parameters_all_have_defaults_matching_the_handler(template, source):
    parameters = template["Parameters"]

    assert all("Default" in parameter for parameter in parameters.values())
    assert f'"EVENT_SOURCE", "{parameters["EventSource"]["Default"]}"' in source
    assert f'"EVENT_DETAIL_TYPE", "{parameters["EventDetailType"]["Default"]}"' in source
    assert f'"ALLOWED_PREVIOUS_STATUSES", "{parameters["AllowedPreviousStatuses"]["Default"]}"' in source


def test_eventbridge_rule_has_its_own_retry_policy_and_dead_letter_queue(function):
    [rule] = function["Events"].values()
    properties = rule["Properties"]

    assert rule["Type"] == "EventBridgeRule"
    assert properties["Pattern"] == {"source": [{"Ref": "EventSource"}], "detail-type": [{"Ref": "EventDetailType"}]}
    assert properties["RetryPolicy"] == {"MaximumRetryAttempts": 20, "MaximumEventAgeInSeconds": 3600}
    assert properties["DeadLetterConfig"] == {"Type": "SQS", "QueueLogicalId": "EarningsRuleDLQ"}
    assert properties["RuleName"] == {"Fn::Sub": "${AWS::StackName}-earnings-processed"}


def test_function_dead_letter_queue_is_the_queue_the_handler_rejects_to(function, resources):
    assert function["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["EarningsDLQ", "Arn"]}}
    assert function["Environment"]["Variables"]["DLQ_URL"] == {"Ref": "EarningsDLQ"}
    assert function["EventInvokeConfig"] == {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    assert resources["EarningsDLQ"]["Properties"]["MessageRetentionPeriod"] == 1209600


def test_permissions_are_limited_to_what_the_handler_calls(function):
    statements, sqs = function["Policies"]

    assert [(s["Action"], s["Resource"]) for s in statements["Statement"]] == [
        (["dynamodb:GetItem", "dynamodb:UpdateItem"], {"Fn::GetAtt": ["EarningsTable", "Arn"]}),
        (["dynamodb:PutItem"], {"Fn::GetAtt": ["AuditTable", "Arn"]}),
    ]
    assert sqs == {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["EarningsDLQ", "QueueName"]}}}


def test_tables_have_the_keys_the_handler_uses_and_are_retained(resources):
    earnings, audit = resources["EarningsTable"], resources["AuditTable"]

    assert earnings["Properties"]["KeySchema"] == [{"AttributeName": "earningsId", "KeyType": "HASH"}]
    assert audit["Properties"]["KeySchema"] == [{"AttributeName": "earningsId", "KeyType": "HASH"},
                                                {"AttributeName": "auditId", "KeyType": "RANGE"}]
    assert {earnings["DeletionPolicy"], audit["DeletionPolicy"]} == {"Retain"}


def alarms(resources):
    return {name: r["Properties"] for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_alarm_thresholds_are_the_plans(resources, handler):
    found = {name: (props["Threshold"], props["ComparisonOperator"]) for name, props in alarms(resources).items()}

    rate_alarms = {f"{metric.removesuffix('Errors')}ErrorRateAlarm": (15, "GreaterThanThreshold")
                   for metric in handler.errors.ERROR_METRIC.values()}
    assert found == {
        **rate_alarms,
        "RetryRateAlarm": (50, "GreaterThanThreshold"),
        "DLQVolumeAlarm": (10, "GreaterThanThreshold"),
        "DurationAlarm": (25000, "GreaterThanThreshold"),
        "MemoryAlarm": (80, "GreaterThanThreshold"),
        "SecurityAlertAlarm": (1, "GreaterThanOrEqualToThreshold"),
        "DeadLetterErrorsAlarm": (1, "GreaterThanOrEqualToThreshold"),
        "DLQBacklogAlarm": (0, "GreaterThanThreshold"),
    }


def test_each_error_rate_alarm_divides_its_category_errors_by_received_events(resources, handler):
    for metric in handler.errors.ERROR_METRIC.values():
        props = alarms(resources)[f"{metric.removesuffix('Errors')}ErrorRateAlarm"]
        by_id = {entry["Id"]: entry for entry in props["Metrics"]}

        assert by_id["errors"]["MetricStat"]["Metric"]["MetricName"] == metric
        assert by_id["events"]["MetricStat"]["Metric"]["MetricName"] == "EventsReceived"
        assert by_id["rate"]["Expression"] == "IF(events > 0, 100 * FILL(errors, 0) / events, 0)"
        assert [entry["Id"] for entry in props["Metrics"] if entry["ReturnData"]] == ["rate"]


def test_custom_metrics_in_alarms_are_ones_the_handler_emits(resources, handler, source):
    emitted = set(re.findall(r'\.(?:count|add)\("(\w+)"', source)) | set(handler.errors.ERROR_METRIC.values())
    used = set()
    for props in alarms(resources).values():
        metrics = [props] + [entry["MetricStat"]["Metric"] for entry in props.get("Metrics", [])
                             if "MetricStat" in entry]
        used |= {m["MetricName"] for m in metrics if m.get("Namespace") == "Earnings"}
        for m in metrics:
            if m.get("Namespace") == "Earnings":
                assert m["Dimensions"] == [{"Name": "service", "Value": "mark-earnings-processed"}]

    assert used == {"EventsReceived", "RetriedEvents", "MemoryUsedPercent", "SecurityAlerts",
                    *handler.errors.ERROR_METRIC.values()}
    assert used <= emitted


def test_dashboard_is_valid_json_and_shows_every_alarm(resources):
    body, variables = resources["EarningsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    placeholders = set(re.findall(r"\$\{([^}]+)\}", body))

    assert placeholders - {"AWS::Region"} == set(variables)
    rendered = json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: f"<{m.group(1)}>", body))
    [alarm_widget] = [w for w in rendered["widgets"] if w["type"] == "alarm"]
    alarm_refs = {variables[name.strip("<>")]["Fn::GetAtt"][0] for name in alarm_widget["properties"]["alarms"]}
    assert alarm_refs == set(alarms(resources))


def test_runbook_has_a_section_for_every_alarm(resources):
    runbook = (SYSTEM.parents[1] / "docs" / "runbooks" / "earnings.md").read_text()
    headings = "\n".join(line for line in runbook.splitlines() if line.startswith("### "))

    for props in alarms(resources).values():
        name = props["AlarmName"]["Fn::Sub"].replace("${AWS::StackName}", "<stack>")
        assert f"`{name}`" in headings
        assert "docs/runbooks/earnings.md" in props["AlarmDescription"]
